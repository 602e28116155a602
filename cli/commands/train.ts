// `hessian train <lender|evaluate|owner|withdraw|close>`: the training roles (@hessian/trainer) from
// flags with environment fallbacks; JSON-lines logs on stderr, results on stdout, clean shutdown on
// SIGINT/SIGTERM.
import { formatEther } from 'ethers';
import {
  ModelRepositoryClient, MIN_SUBMISSION_STAKE, REWARD_RULE, METRICS, CSV_OPTIONS, ENCODING_OPTIONS, DEFAULT_OWNER_POLICY, DEFAULT_OWNER_PRIVACY,
  bindStateToChain, openModel, closeModel, startEvaluator, startOwner, parseAddressList, checkData, csvFormat, readDataFile,
} from '@hessian/trainer';
import type { RewardRuleName, Metric, OwnerPolicy, DataFlags, BadRowPolicy, FitEncodingOptions, CsvTable, Logger } from '@hessian/trainer';
import { numberFlag } from '@hessian/common/args';
import type { FlagSpec } from '@hessian/common/args';
import { UsageError } from '@hessian/common/errors';
import { shutdownSignal } from '../command.ts';
import type { CommandIo } from '../command.ts';
import { ROLE_FLAGS, runRole, required, num, eth, list, contractConfig, account } from '../roles.ts';
import type { RoleGroup, RoleOptions } from '../roles.ts';
import { StatusLine, progressText } from '../status-line.ts';
import { loan } from './loan.ts';

// the owner's safety policy (the trainer's roles/owner-policy.ts); each refusal is logged with the rule named here
const OWNER_POLICY_FLAGS: Record<string, FlagSpec> = {
  'max-stake': { type: 'string', env: 'HESSIAN_OWNER_MAX_STAKE', default: formatEther(DEFAULT_OWNER_POLICY.maxStake), description: 'rule max-stake: skip models asking a larger stake per submission (ETH)' },
  'max-stake-ratio': { type: 'string', env: 'HESSIAN_OWNER_MAX_STAKE_RATIO', default: String(DEFAULT_OWNER_POLICY.maxStakeRatio), description: 'rule max-stake-ratio: skip models whose stake is more than this fraction of their bounty' },
  'token-bounties': { type: 'boolean', env: 'HESSIAN_OWNER_TOKEN_BOUNTIES', description: 'rule token-bounty: also work for ERC-20 bounties (the stake ratio cannot be checked for them)' },
  'max-at-risk': { type: 'string', env: 'HESSIAN_OWNER_MAX_AT_RISK', default: formatEther(DEFAULT_OWNER_POLICY.maxAtRisk), description: 'rule max-at-risk: never have more than this in stakes awaiting a verdict, across all models (ETH)' },
  lenders: { type: 'string', env: 'HESSIAN_OWNER_LENDERS', description: 'rule lender-allow: only models opened by these comma-separated lender addresses (default: any)' },
  'deny-lenders': { type: 'string', env: 'HESSIAN_OWNER_DENY_LENDERS', description: 'rule lender-deny: never models opened by these lender addresses' },
  evaluators: { type: 'string', env: 'HESSIAN_OWNER_EVALUATORS', description: 'rule evaluator-allow: only models scored by these evaluator addresses (default: any)' },
  'deny-evaluators': { type: 'string', env: 'HESSIAN_OWNER_DENY_EVALUATORS', description: 'rule evaluator-deny: never models scored by these evaluator addresses' },
  'max-rejections': { type: 'string', env: 'HESSIAN_OWNER_MAX_REJECTIONS', default: String(DEFAULT_OWNER_POLICY.maxRejections), description: 'rule max-rejections: stop submitting to a model after this many forfeited stakes in a row' },
  'max-loss': { type: 'string', env: 'HESSIAN_OWNER_MAX_LOSS', default: formatEther(DEFAULT_OWNER_POLICY.maxLoss), description: 'rule max-loss: stop submitting to a model before forfeited stakes minus rewards there exceed this (ETH)' },
};

/** the owner's policy flags; a bad value is a UsageError naming the flag and the value */
function ownerPolicyFlags(o: RoleOptions): Partial<OwnerPolicy> {
  const addresses = (k: string) => {
    const v = o[k];
    if (typeof v !== 'string' || v === '') return undefined;
    try {
      return parseAddressList(`--${k}`, v);
    } catch (err) {
      throw new UsageError((err as Error).message, { cause: err });
    }
  };
  const lenders = addresses('lenders');
  const denyLenders = addresses('deny-lenders');
  const evaluators = addresses('evaluators');
  const denyEvaluators = addresses('deny-evaluators');
  return {
    maxStake: eth(o, 'max-stake')!,
    maxStakeRatio: num(o, 'max-stake-ratio', { min: 0 })!,
    allowTokenBounties: Boolean(o['token-bounties']),
    maxAtRisk: eth(o, 'max-at-risk')!,
    maxRejections: num(o, 'max-rejections', { int: true, min: 1 })!,
    maxLoss: eth(o, 'max-loss')!,
    ...(lenders ? { lenders } : {}),
    ...(denyLenders ? { denyLenders } : {}),
    ...(evaluators ? { evaluators } : {}),
    ...(denyEvaluators ? { denyEvaluators } : {}),
  };
}

const COMMANDS: RoleGroup['commands'] = {
  lender: {
    summary: 'generate keys, publish the model (metadata, public keys, encrypted weights) and open it on-chain',
    options: {
      data: { type: 'string', description: "the lender's held-out CSV (fits the encoding; scores gradients)" },
      ...ENCODING_OPTIONS,
      ...CSV_OPTIONS,
      'label-kind': { type: 'string', default: 'binary', description: 'binary | numeric (numeric: linear regression scored by r2)' },
      task: { type: 'string', default: 'logistic', description: 'logistic | linear' },
      metric: { type: 'string', default: 'auc', description: METRICS.join(' | ') },
      ckks: { type: 'string', description: 'CKKS parameter set (logistic-16384, logistic-8192, linear-8192)' },
      'learning-rate': { type: 'string', default: '1', description: 'step size for accepted gradients' },
      'min-batch': { type: 'string', default: '256', description: 'smallest batch an owner may submit' },
      'max-gradient-abs': { type: 'string', default: '10', description: 'reject gradients with a larger component' },
      bounty: { type: 'string', description: 'bounty in ETH' },
      target: { type: 'string', description: 'target metric value, e.g. 0.70' },
      rule: { type: 'string', default: 'Improvement', description: REWARD_RULE.join(' | ') },
      duration: { type: 'string', default: '86400', description: 'seconds until submissions close' },
      'evaluation-window': { type: 'string', default: '3600', description: 'seconds to evaluate each gradient' },
      stake: { type: 'string', default: '0.0001', description: 'ETH each submission must carry (at least the contract minimum, 0.0001)' },
      evaluator: { type: 'string', description: 'evaluator address (default: the lender)' },
      name: { type: 'string', description: 'model name' },
      'skip-bad-rows': { type: 'boolean', description: 'the same as --bad-rows skip' },
    },
  },
  evaluate: {
    summary: "the lender's evaluator daemon: scores each gradient on the held-out data and records the result",
    options: {
      data: { type: 'string', description: 'held-out CSV (default: the one the model was opened with)' },
      delimiter: CSV_OPTIONS.delimiter,
      'no-auto-close': { type: 'boolean', description: 'do not close models once their target is reached' },
    },
  },
  owner: {
    summary: "the data owner's daemon: computes encrypted gradients on its rows for matching models",
    options: {
      data: { type: 'string', description: "the owner's CSV" },
      ...CSV_OPTIONS,
      'min-bounty': { type: 'string', default: '0', description: 'ignore models with a smaller bounty (ETH)' },
      metric: { type: 'string', description: 'comma-separated metrics to accept (default: any)' },
      model: { type: 'string', description: 'comma-separated model ids to work on (default: any)' },
      'batch-size': { type: 'string', description: "rows per gradient (default: the model's minimum batch)" },
      'min-batch': { type: 'string', default: '256', description: "never fewer rows per gradient than this, whatever the model's minimum" },
      'max-submissions': { type: 'string', description: 'gradients per model at most' },
      // differential privacy is on by default (the trainer's privacy/owner-privacy.ts)
      'dp-noise': { type: 'string', env: 'HESSIAN_DP_NOISE', default: String(DEFAULT_OWNER_PRIVACY.noiseMultiplier), description: 'Gaussian noise per gradient, as a multiple of its sensitivity (0 turns differential privacy off)' },
      'dp-clip': { type: 'string', env: 'HESSIAN_DP_CLIP', default: String(DEFAULT_OWNER_PRIVACY.clipNorm), description: 'L2 bound each encoded row is clipped to' },
      'dp-delta': { type: 'string', env: 'HESSIAN_DP_DELTA', default: DEFAULT_OWNER_PRIVACY.delta.toExponential(), description: 'delta every epsilon is stated at' },
      'dp-epsilon-budget': { type: 'string', env: 'HESSIAN_DP_EPSILON_BUDGET', default: String(DEFAULT_OWNER_PRIVACY.epsilonBudget), description: "total epsilon the owner's rows may spend over every model and restart; a gradient past it is refused" },
      'skip-bad-rows': { type: 'boolean', description: 'the same as --bad-rows skip' },
      workers: { type: 'string', default: '0', description: 'worker threads for the encrypted gradient (0: main thread)' },
      indexer: { type: 'string', env: 'HESSIAN_GRAPHQL_URL', description: "read models from the indexer's GraphQL URL instead of scanning logs" },
      ...OWNER_POLICY_FLAGS,
    },
  },
  withdraw: {
    summary: "withdraw the account's rewards and refunded stakes (ETH)",
    options: { to: { type: 'string', description: 'recipient (default: the account)' } },
  },
  close: {
    summary: 'close a model (after its deadline, or once its target is reached)',
    options: { model: { type: 'string', description: 'model id' } },
  },
};

const TRAIN: RoleGroup = { name: 'train', commands: COMMANDS, common: ROLE_FLAGS, deploymentFile: 'deployment' };

function labelKind(v: string): 'binary' | 'numeric' {
  if (v !== 'binary' && v !== 'numeric') throw new UsageError(`--label-kind must be binary or numeric, got '${v}'`);
  return v;
}

/**
 * A command's CSV, read and checked before anything connects, so a wrong label, delimiter or
 * positive value is a usage error (exit 2) found in a second. The roles get the table itself when
 * the delimiter was forced (they would detect it otherwise), else the path they record.
 */
function commandData(cmd: string, o: RoleOptions, log: Logger): { data?: string | CsvTable; encoding?: FitEncodingOptions; badRows: BadRowPolicy } {
  const flags = { ...o, ...(o['skip-bad-rows'] ? { 'bad-rows': 'skip' } : {}) } as DataFlags;
  const { badRows } = csvFormat(flags);
  if (cmd === 'lender') {
    const file = required(o, 'data');
    const checked = checkData(file, flags, { labelKind: labelKind(String(o['label-kind'])) });
    if (checked.skipped.length) log.warn('rows left out (missing or unreadable cells)', { count: checked.skipped.length, first: checked.skipped[0] });
    if (!checked.detected) log.warn('delimiter forced: run the evaluator with the same --data and --delimiter', { data: file });
    return { data: checked.detected ? file : checked.table, encoding: checked.encoding, badRows };
  }
  if (cmd === 'owner' || (cmd === 'evaluate' && o.data !== undefined)) {
    const { table } = readDataFile(required(o, 'data'), csvFormat(flags));
    return { data: table, badRows };
  }
  return { badRows };
}

/** `hessian train ...`; argv excludes "train" (`train loan ...` is `hessian loan ...`). Returns the exit code. */
export async function train(argv: string[], io: CommandIo = {}): Promise<number> {
  if (argv[0] === 'loan') return loan(argv.slice(1), io);
  return runRole(TRAIN, argv, io, async ({ cmd, o, log, io: { stdout, env }, onExit, stateDir: roleDir, openStore }) => {
    // argument errors first: nothing is opened for a command that cannot run
    const policy = cmd === 'owner' ? ownerPolicyFlags(o) : undefined;
    const input = commandData(cmd, o, log);
    const wallet = await account(o, env, log);
    const client = await ModelRepositoryClient.connect(await contractConfig(o, 'contract', 'deployment', 'ModelRepository'), wallet);
    onExit(() => client.destroy());
    const stateDir = roleDir(cmd === 'evaluate' ? 'lender' : cmd);
    if (cmd === 'lender' || cmd === 'evaluate' || cmd === 'owner') await bindStateToChain(stateDir, client.provider, log);
    const pollMs = client.config.pollMs;
    switch (cmd) {
      case 'lender': {
        const rule = String(o.rule) as RewardRuleName;
        if (!REWARD_RULE.includes(rule)) throw new UsageError(`--rule must be ${REWARD_RULE.join(' or ')}, got '${rule}'`);
        const task = String(o.task);
        if (task !== 'logistic' && task !== 'linear') throw new UsageError(`--task must be logistic or linear, got '${task}'`);
        const metric = String(o.metric) as Metric;
        if (!METRICS.includes(metric)) throw new UsageError(`--metric must be one of ${METRICS.join(', ')}, got '${metric}'`);
        const bounty = eth(o, 'bounty');
        if (bounty === undefined) throw new UsageError('--bounty is required');
        const target = num(o, 'target');
        if (target === undefined) throw new UsageError('--target is required');
        const opened = await openModel({
          client,
          store: await openStore(),
          stateDir,
          data: input.data!,
          encoding: input.encoding!,
          badRows: input.badRows,
          task,
          metric,
          ...(o.ckks ? { ckks: String(o.ckks) } : {}),
          learningRate: num(o, 'learning-rate', { min: 0 })!,
          minBatch: num(o, 'min-batch', { int: true, min: 1 })!,
          maxGradientAbs: num(o, 'max-gradient-abs', { min: 0 })!,
          bounty,
          target,
          rule,
          duration: num(o, 'duration', { int: true, min: 1 })!,
          evaluationWindow: num(o, 'evaluation-window', { int: true, min: 1 })!,
          submissionStake: eth(o, 'stake') ?? MIN_SUBMISSION_STAKE,
          ...(o.evaluator ? { evaluator: String(o.evaluator) } : {}),
          ...(o.name ? { name: String(o.name) } : {}),
          log,
        });
        stdout.write(JSON.stringify(opened) + '\n');
        return;
      }
      case 'evaluate':
      case 'owner': {
        const stop = shutdownSignal(io);
        try {
          const handle =
            cmd === 'evaluate'
              ? await startEvaluator({ client, store: await openStore(), stateDir, ...(input.data ? { data: input.data } : {}), pollMs, autoClose: !o['no-auto-close'], log })
              : await startOwner({
                  client,
                  store: await openStore(),
                  stateDir,
                  data: input.data!,
                  badRows: input.badRows,
                  filter: {
                    minBounty: eth(o, 'min-bounty') ?? 0n,
                    ...(list(o, 'metric') ? { metrics: list(o, 'metric') as Metric[] } : {}),
                    ...(list(o, 'model') ? { modelIds: list(o, 'model')!.map((v) => numberFlag('model', v, { int: true, min: 1 })!) } : {}),
                  },
                  ...(policy ? { policy } : {}),
                  ...(o['batch-size'] ? { batchSize: num(o, 'batch-size', { int: true, min: 1 }) } : {}),
                  minBatch: num(o, 'min-batch', { int: true, min: 1 })!,
                  ...(o['max-submissions'] ? { maxSubmissionsPerModel: num(o, 'max-submissions', { int: true, min: 1 }) } : {}),
                  ...(o.indexer ? { indexerUrl: String(o.indexer) } : {}),
                  workers: num(o, 'workers', { int: true, min: 0 })!,
                  privacy: { noiseMultiplier: num(o, 'dp-noise', { min: 0 })!, clipNorm: num(o, 'dp-clip')!, delta: num(o, 'dp-delta')!, epsilonBudget: num(o, 'dp-epsilon-budget')! },
                  pollMs,
                  log,
                });
          if ('withdraw' in handle) {
            // long work shows its progress: a gradient over many rows takes a while. A person at a
            // terminal gets one status line redrawn in place; a log collector gets JSON lines
            const status = new StatusLine(stdout);
            let last = 0;
            handle.events.on('progress', (e) => {
              if (status.live) return status.show(progressText(e));
              const now = Date.now();
              if (e.rowsDone !== undefined && e.rowsDone !== e.rowsTotal && now - last < 2000) return;
              last = now;
              log.info('progress', e);
            });
            handle.events.on('submitted', () => status.done());
          }
          const why = await Promise.race([stop.promise.then((s) => `signal ${String(s)}`), handle.done.then(() => 'finished')]);
          log.info('shutting down', { why });
          await handle.stop();
          return;
        } finally {
          stop.dispose();
        }
      }
      case 'withdraw': {
        const res = await client.withdraw(undefined, o.to ? String(o.to) : undefined);
        stdout.write(JSON.stringify({ amount: formatEther(res.amount), tx: res.txHash }) + '\n');
        return;
      }
      case 'close': {
        const modelId = num(o, 'model', { int: true, min: 1 });
        if (modelId === undefined) throw new UsageError('--model is required');
        const res = await closeModel(client, modelId, log);
        stdout.write(JSON.stringify({ modelId, refund: formatEther(res.refund), tx: res.txHash }) + '\n');
        return;
      }
    }
  });
}
