// `hessian train <lender|evaluate|owner|withdraw|close>` and `hessian loan <deploy|decide|retire|quote|request>`: flags with environment fallbacks,
// JSON-lines logs on stderr, results on stdout, clean shutdown on SIGINT/SIGTERM.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEther, formatEther } from 'ethers';
import { readDeployment } from '@hessian/contracts';
import { ModelRepositoryClient, MIN_SUBMISSION_STAKE, REWARD_RULE } from '@hessian/core/model-repository';
import type { ChainConfig, RewardRuleName } from '@hessian/core/model-repository';
import { openContentStore } from '@hessian/core/ipfs';
import type { ContentStore } from '@hessian/core/ipfs';
import { createLogger, parseLogLevel } from '@hessian/core/log';
import type { Logger } from '@hessian/core/log';
import { loadWallet } from '@hessian/core/chain';
import { bindStateToChain } from '@hessian/core/journal';
import { openModel, closeModel } from './roles/lender.ts';
import { startEvaluator } from './roles/evaluator.ts';
import { startOwner } from './roles/owner.ts';
import { DEFAULT_OWNER_POLICY, parseAddressList } from './roles/owner-policy.ts';
import type { OwnerPolicy } from './roles/owner-policy.ts';
import { DEFAULT_OWNER_PRIVACY } from './privacy/owner-privacy.ts';
import { METRICS } from '@hessian/core/ml';
import type { Metric } from '@hessian/core/ml';
import { LoanDeskClient, deployModel, decideManually, startLoanService, requestQuote, finishQuote, requestLoan, validatePricingRule } from '@hessian/lending';
import type { LoanDeskConfig, PricingRule } from '@hessian/lending';
import { readFlags, FlagError } from '@hessian/common/args';
import { CSV_OPTIONS, ENCODING_OPTIONS, DataError, checkData, csvFormat, readDataFile } from './data/options.ts';
import type { DataFlags, DataOptionSpec } from './data/options.ts';
import type { BadRowPolicy, FitEncodingOptions, CsvTable } from '@hessian/core/data';
import type { FlagSpec, FlagValues } from '@hessian/common/args';

interface Spec extends FlagSpec {
  default?: string;
  help: string;
}

/** the shared data options (data/options.ts) in this CLI's option shape */
function dataSpecs(specs: Record<string, DataOptionSpec>): Record<string, Spec> {
  return Object.fromEntries(Object.entries(specs).map(([k, { description, ...s }]) => [k, { ...s, help: description }]));
}

const COMMON: Record<string, Spec> = {
  rpc: { type: 'string', env: 'HESSIAN_RPC_URL', default: 'http://127.0.0.1:8545', help: 'Ethereum JSON-RPC URL' },
  'data-dir': { type: 'string', env: 'HESSIAN_DATA_DIR', default: '.hessian', help: 'state directory every role shares the defaults below from (`hessian chain` writes its deployment file there)' },
  deployment: { type: 'string', env: 'HESSIAN_DEPLOYMENT', help: 'deployment file (contract address, start block) (default <data-dir>/deployment.json)' },
  contract: { type: 'string', env: 'HESSIAN_CONTRACT', help: 'ModelRepository address (overrides the deployment file)' },
  'start-block': { type: 'string', env: 'HESSIAN_START_BLOCK', help: 'first block to scan for events' },
  confirmations: { type: 'string', env: 'HESSIAN_CONFIRMATIONS', help: 'blocks before a log or receipt is trusted (default 2; 0 on a local dev chain, chain id 31337 or 1337)' },
  'tx-timeout-ms': { type: 'string', env: 'HESSIAN_TX_TIMEOUT_MS', help: 'ms an unmined transaction waits before it is replaced with 25% higher fees, 3 times at most (default 60000)' },
  'state-dir': { type: 'string', env: 'HESSIAN_STATE_DIR', help: 'journal and key directory (default <data-dir>/<role>)' },
  'ipfs-dir': { type: 'string', env: 'HESSIAN_IPFS_DIR', help: 'embedded content store directory (default <data-dir>/ipfs)' },
  'ipfs-api': { type: 'string', env: 'IPFS_API', help: 'Kubo RPC URL (use Kubo instead of the embedded store)' },
  keystore: { type: 'string', env: 'HESSIAN_KEYSTORE', help: 'encrypted JSON keystore of the account' },
  'password-file': { type: 'string', env: 'HESSIAN_KEYSTORE_PASSWORD_FILE', help: 'file holding the keystore password (or set HESSIAN_KEYSTORE_PASSWORD)' },
  'poll-ms': { type: 'string', env: 'HESSIAN_POLL_MS', default: '1000', help: 'chain polling interval' },
  'log-level': { type: 'string', env: 'HESSIAN_LOG_LEVEL', default: 'info', help: 'debug | info | warn | error' },
  json: { type: 'boolean', help: 'print the result as one JSON line (train commands always do; loan commands print text without it)' },
};

// the owner's safety policy (roles/owner-policy.ts); each refusal is logged with the rule named here
const OWNER_POLICY_FLAGS: Record<string, Spec> = {
  'max-stake': { type: 'string', env: 'HESSIAN_OWNER_MAX_STAKE', default: formatEther(DEFAULT_OWNER_POLICY.maxStake), help: 'rule max-stake: skip models asking a larger stake per submission (ETH)' },
  'max-stake-ratio': { type: 'string', env: 'HESSIAN_OWNER_MAX_STAKE_RATIO', default: String(DEFAULT_OWNER_POLICY.maxStakeRatio), help: 'rule max-stake-ratio: skip models whose stake is more than this fraction of their bounty' },
  'token-bounties': { type: 'boolean', env: 'HESSIAN_OWNER_TOKEN_BOUNTIES', help: 'rule token-bounty: also work for ERC-20 bounties (the stake ratio cannot be checked for them)' },
  'max-at-risk': { type: 'string', env: 'HESSIAN_OWNER_MAX_AT_RISK', default: formatEther(DEFAULT_OWNER_POLICY.maxAtRisk), help: 'rule max-at-risk: never have more than this in stakes awaiting a verdict, across all models (ETH)' },
  lenders: { type: 'string', env: 'HESSIAN_OWNER_LENDERS', help: 'rule lender-allow: only models opened by these comma-separated lender addresses (default: any)' },
  'deny-lenders': { type: 'string', env: 'HESSIAN_OWNER_DENY_LENDERS', help: 'rule lender-deny: never models opened by these lender addresses' },
  evaluators: { type: 'string', env: 'HESSIAN_OWNER_EVALUATORS', help: 'rule evaluator-allow: only models scored by these evaluator addresses (default: any)' },
  'deny-evaluators': { type: 'string', env: 'HESSIAN_OWNER_DENY_EVALUATORS', help: 'rule evaluator-deny: never models scored by these evaluator addresses' },
  'max-rejections': { type: 'string', env: 'HESSIAN_OWNER_MAX_REJECTIONS', default: String(DEFAULT_OWNER_POLICY.maxRejections), help: 'rule max-rejections: stop submitting to a model after this many forfeited stakes in a row' },
  'max-loss': { type: 'string', env: 'HESSIAN_OWNER_MAX_LOSS', default: formatEther(DEFAULT_OWNER_POLICY.maxLoss), help: 'rule max-loss: stop submitting to a model before forfeited stakes minus rewards there exceed this (ETH)' },
};

/** the owner's policy flags; a bad value is a UsageError naming the flag and the value */
function ownerPolicyFlags(o: Record<string, unknown>): Partial<OwnerPolicy> {
  const addresses = (k: string) => {
    const v = o[k];
    if (typeof v !== 'string' || v === '') return undefined;
    try {
      return parseAddressList(`--${k}`, v);
    } catch (err) {
      throw new UsageError((err as Error).message);
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

const COMMANDS: Record<string, { summary: string; options: Record<string, Spec> }> = {
  lender: {
    summary: 'generate keys, publish the model (metadata, public keys, encrypted weights) and open it on-chain',
    options: {
      data: { type: 'string', help: "the lender's held-out CSV (fits the encoding; scores gradients)" },
      ...dataSpecs(ENCODING_OPTIONS),
      ...dataSpecs(CSV_OPTIONS),
      'label-kind': { type: 'string', default: 'binary', help: 'binary | numeric (numeric: linear regression scored by r2)' },
      task: { type: 'string', default: 'logistic', help: 'logistic | linear' },
      metric: { type: 'string', default: 'auc', help: METRICS.join(' | ') },
      ckks: { type: 'string', help: 'CKKS parameter set (logistic-16384, logistic-8192, linear-8192)' },
      'learning-rate': { type: 'string', default: '1', help: 'step size for accepted gradients' },
      'min-batch': { type: 'string', default: '256', help: 'smallest batch an owner may submit' },
      'max-gradient-abs': { type: 'string', default: '10', help: 'reject gradients with a larger component' },
      bounty: { type: 'string', help: 'bounty in ETH' },
      target: { type: 'string', help: 'target metric value, e.g. 0.70' },
      rule: { type: 'string', default: 'Improvement', help: REWARD_RULE.join(' | ') },
      duration: { type: 'string', default: '86400', help: 'seconds until submissions close' },
      'evaluation-window': { type: 'string', default: '3600', help: 'seconds to evaluate each gradient' },
      stake: { type: 'string', default: '0.0001', help: 'ETH each submission must carry (at least the contract minimum, 0.0001)' },
      evaluator: { type: 'string', help: 'evaluator address (default: the lender)' },
      name: { type: 'string', help: 'model name' },
      'skip-bad-rows': { type: 'boolean', help: 'the same as --bad-rows skip' },
    },
  },
  evaluate: {
    summary: "the lender's evaluator daemon: scores each gradient on the held-out data and records the result",
    options: {
      data: { type: 'string', help: 'held-out CSV (default: the one the model was opened with)' },
      delimiter: dataSpecs(CSV_OPTIONS).delimiter!,
      'no-auto-close': { type: 'boolean', help: 'do not close models once their target is reached' },
    },
  },
  owner: {
    summary: "the data owner's daemon: computes encrypted gradients on its rows for matching models",
    options: {
      data: { type: 'string', help: "the owner's CSV" },
      ...dataSpecs(CSV_OPTIONS),
      'min-bounty': { type: 'string', default: '0', help: 'ignore models with a smaller bounty (ETH)' },
      metric: { type: 'string', help: 'comma-separated metrics to accept (default: any)' },
      model: { type: 'string', help: 'comma-separated model ids to work on (default: any)' },
      'batch-size': { type: 'string', help: "rows per gradient (default: the model's minimum batch)" },
      'min-batch': { type: 'string', default: '256', help: "never fewer rows per gradient than this, whatever the model's minimum" },
      'max-submissions': { type: 'string', help: 'gradients per model at most' },
      // privacy seam (h-privacy): differential privacy is on by default (privacy/owner-privacy.ts)
      'dp-noise': { type: 'string', env: 'HESSIAN_DP_NOISE', default: String(DEFAULT_OWNER_PRIVACY.noiseMultiplier), help: 'Gaussian noise per gradient, as a multiple of its sensitivity (0 turns differential privacy off)' },
      'dp-clip': { type: 'string', env: 'HESSIAN_DP_CLIP', default: String(DEFAULT_OWNER_PRIVACY.clipNorm), help: 'L2 bound each encoded row is clipped to' },
      'dp-delta': { type: 'string', env: 'HESSIAN_DP_DELTA', default: DEFAULT_OWNER_PRIVACY.delta.toExponential(), help: 'delta every epsilon is stated at' },
      'dp-epsilon-budget': { type: 'string', env: 'HESSIAN_DP_EPSILON_BUDGET', default: String(DEFAULT_OWNER_PRIVACY.epsilonBudget), help: "total epsilon the owner's rows may spend over every model and restart; a gradient past it is refused" },
      'skip-bad-rows': { type: 'boolean', help: 'the same as --bad-rows skip' },
      workers: { type: 'string', default: '0', help: 'worker threads for the encrypted gradient (0: main thread)' },
      indexer: { type: 'string', env: 'HESSIAN_GRAPHQL_URL', help: "read models from the indexer's GraphQL URL instead of scanning logs" },
      ...OWNER_POLICY_FLAGS,
    },
  },
  withdraw: {
    summary: "withdraw the account's rewards and refunded stakes (ETH)",
    options: { to: { type: 'string', help: 'recipient (default: the account)' } },
  },
  close: {
    summary: 'close a model (after its deadline, or once its target is reached)',
    options: { model: { type: 'string', help: 'model id' } },
  },
};

export class UsageError extends Error {}

type CommandTable = Record<string, { summary: string; options: Record<string, Spec> }>;
interface CommandGroup {
  /** the word after `hessian` */
  name: string;
  commands: CommandTable;
  common: Record<string, Spec>;
}
const TRAIN: CommandGroup = { name: 'train', commands: COMMANDS, common: COMMON };

function usage(cmd?: string, group: CommandGroup = TRAIN): string {
  if (!cmd || !group.commands[cmd]) {
    return [`Usage: hessian ${group.name} <command> [options]`, '', ...Object.entries(group.commands).map(([k, c]) => `  ${k.padEnd(9)} ${c.summary}`)].join('\n');
  }
  const specs = { ...group.commands[cmd].options, ...group.common };
  const rows = Object.entries(specs).map(([k, s]) => {
    const extra = [s.env ? `env ${s.env}` : '', s.default ? `default ${s.default}` : ''].filter(Boolean).join(', ');
    return `  --${k}${s.type === 'string' ? ' <v>' : ''}`.padEnd(30) + ` ${s.help}${extra ? ` (${extra})` : ''}`;
  });
  return [`Usage: hessian ${group.name} ${cmd} [options]`, '', group.commands[cmd].summary, '', ...rows].join('\n');
}

function parse(cmd: string, argv: string[], env: NodeJS.ProcessEnv, group: CommandGroup = TRAIN): FlagValues | undefined {
  let o: FlagValues | undefined;
  try {
    o = readFlags({ ...group.commands[cmd]!.options, ...group.common }, argv, { env, usage: () => usage(cmd, group) });
  } catch (err) {
    throw err instanceof FlagError ? new UsageError(`${group.name} ${cmd}: ${err.message}`) : err;
  }
  if (!o) return o;
  // one data directory for every role, so `hessian chain`'s deployment file and one content store are found
  const dataDir = String(o['data-dir']);
  const fileKey = group === TRAIN ? 'deployment' : 'deployment-file';
  o[fileKey] ??= path.join(dataDir, 'deployment.json');
  o['ipfs-dir'] ??= path.join(dataDir, 'ipfs');
  return o;
}

function req(o: Record<string, unknown>, k: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${k} is required`);
  return v;
}
function num(o: Record<string, unknown>, k: string, opts: { int?: boolean; min?: number } = {}): number | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    throw new UsageError(`--${k} must be a${opts.int ? 'n integer' : ' number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}, got '${String(v)}'`);
  }
  return n;
}
function eth(o: Record<string, unknown>, k: string): bigint | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  try {
    const n = parseEther(String(v));
    if (n < 0n) throw new Error('negative');
    return n;
  } catch {
    throw new UsageError(`--${k} must be an amount of ETH like 1.5, got '${String(v)}'`);
  }
}
function labelKind(v: string): 'binary' | 'numeric' {
  if (v !== 'binary' && v !== 'numeric') throw new UsageError(`--label-kind must be binary or numeric, got '${v}'`);
  return v;
}
function list(o: Record<string, unknown>, k: string): string[] | undefined {
  const v = o[k];
  return typeof v === 'string' && v !== '' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

/** confirmations and the stuck-transaction timeout; unset ones take the client's defaults (by chain id) */
function txOptions(o: Record<string, unknown>): { confirmations?: number; txTimeoutMs?: number } {
  const confirmations = num(o, 'confirmations', { int: true, min: 0 });
  const txTimeoutMs = num(o, 'tx-timeout-ms', { int: true, min: 1000 });
  return { ...(confirmations !== undefined ? { confirmations } : {}), ...(txTimeoutMs !== undefined ? { txTimeoutMs } : {}) };
}

/**
 * A command's CSV, read and checked before anything connects, so a wrong label, delimiter or
 * positive value is a usage error (exit 2) found in a second. The roles get the table itself when
 * the delimiter was forced (they would detect it otherwise), else the path they record.
 */
function commandData(cmd: string, o: Record<string, unknown>, log: Logger): { data?: string | CsvTable; encoding?: FitEncodingOptions; badRows: BadRowPolicy } {
  const flags = { ...o, ...(o['skip-bad-rows'] ? { 'bad-rows': 'skip' } : {}) } as DataFlags;
  const { badRows } = csvFormat(flags);
  if (cmd === 'lender') {
    const file = req(o, 'data');
    const checked = checkData(file, flags, { labelKind: labelKind(String(o['label-kind'])) });
    if (checked.skipped.length) log.warn('rows left out (missing or unreadable cells)', { count: checked.skipped.length, first: checked.skipped[0] });
    if (!checked.detected) log.warn('delimiter forced: run the evaluator with the same --data and --delimiter', { data: file });
    return { data: checked.detected ? file : checked.table, encoding: checked.encoding, badRows };
  }
  if (cmd === 'owner' || (cmd === 'evaluate' && o.data !== undefined)) {
    const { table } = readDataFile(req(o, 'data'), csvFormat(flags));
    return { data: table, badRows };
  }
  return { badRows };
}

/** fileKey: the option naming the deployment file (`loan` uses --deployment for a deployment id) */
async function chainConfig(o: Record<string, unknown>, fileKey = 'deployment'): Promise<ChainConfig> {
  let address = o.contract as string | undefined;
  let startBlock = num(o, 'start-block', { int: true, min: 0 });
  if (!address) {
    const dep = await readDeployment(req(o, fileKey));
    address = dep.contracts.ModelRepository.address;
    startBlock ??= dep.contracts.ModelRepository.startBlock;
  }
  const pollMs = num(o, 'poll-ms', { int: true, min: 10 }) ?? 1000;
  return { rpcUrl: req(o, 'rpc'), address, startBlock: startBlock ?? 0, ...txOptions(o), pollMs };
}

async function account(o: Record<string, unknown>, env: NodeJS.ProcessEnv, log: Logger) {
  let password = env.HESSIAN_KEYSTORE_PASSWORD;
  if (o['password-file']) password = (await readFile(String(o['password-file']), 'utf8')).replace(/\r?\n$/, '');
  return loadWallet(
    {
      ...(o.keystore ? { keystore: String(o.keystore) } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(env.HESSIAN_PRIVATE_KEY ? { privateKey: env.HESSIAN_PRIVATE_KEY } : {}),
    },
    undefined,
    log,
  );
}

/** Redraws one line in place when the stream is a terminal (`live`); does nothing otherwise. */
export class StatusLine {
  readonly live: boolean;
  private shown = false;
  private readonly stream: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  constructor(stream: { write(s: string): unknown; isTTY?: boolean; columns?: number }) {
    this.stream = stream;
    this.live = stream.isTTY === true;
  }
  show(text: string): void {
    if (!this.live) return;
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    this.stream.write(`\r\x1b[K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.shown = true;
  }
  /** ends the status line so the next output starts on a line of its own */
  done(): void {
    if (this.shown) this.stream.write('\n');
    this.shown = false;
  }
}

export function progressText(e: { modelId: number; stage: string; rowsDone?: number; rowsTotal?: number }): string {
  const rows = e.rowsTotal ? ` ${e.rowsDone ?? 0}/${e.rowsTotal} rows (${Math.floor(((e.rowsDone ?? 0) / e.rowsTotal) * 100)}%)` : '';
  return `model ${e.modelId}: ${e.stage}${rows}`;
}

/** resolves on SIGINT/SIGTERM (for daemons) */
function shutdownSignal(): { promise: Promise<string>; dispose(): void } {
  let resolve!: (s: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  const on = (sig: string) => () => resolve(sig);
  const int = on('SIGINT');
  const term = on('SIGTERM');
  process.once('SIGINT', int);
  process.once('SIGTERM', term);
  return { promise, dispose: () => (process.off('SIGINT', int), process.off('SIGTERM', term)) };
}

export interface MainIo {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
  env?: NodeJS.ProcessEnv;
  /** resolves when a daemon should stop (default: SIGINT/SIGTERM) */
  stopSignal?: Promise<unknown>;
}

/** entry point for `hessian train ...`; argv excludes "train". Returns the exit code. */
export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const [cmd, ...rest] = argv;
  if (cmd === 'loan') return loanMain(rest, io);
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    stdout.write(usage() + '\n');
    return 0;
  }
  if (!COMMANDS[cmd]) {
    stderr.write(`hessian train: unknown command '${cmd}'\n\n${usage()}\n`);
    return 2;
  }
  let o: Record<string, string | boolean | undefined> | undefined;
  try {
    o = parse(cmd, rest, env);
  } catch (err) {
    stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  if (!o) {
    stdout.write(usage(cmd) + '\n');
    return 0;
  }
  let log: Logger;
  try {
    log = createLogger({ stream: stderr, level: parseLogLevel(o['log-level'] as string), name: cmd });
  } catch (err) {
    stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  let client: ModelRepositoryClient | undefined;
  let store: ContentStore | undefined;
  try {
    // argument errors first: nothing is opened for a command that cannot run
    const policy = cmd === 'owner' ? ownerPolicyFlags(o) : undefined;
    const input = commandData(cmd, o, log);
    const wallet = await account(o, env, log);
    client = await ModelRepositoryClient.connect(await chainConfig(o), wallet);
    const stateDir = path.resolve((o['state-dir'] as string | undefined) ?? path.join(String(o['data-dir']), cmd === 'evaluate' ? 'lender' : cmd));
    if (cmd === 'lender' || cmd === 'evaluate' || cmd === 'owner') await bindStateToChain(stateDir, client.provider, log);
    const openStore = async () =>
      (store = await openContentStore({ path: String(o['ipfs-dir']), ...(o['ipfs-api'] ? { ipfsApi: String(o['ipfs-api']) } : {}) }, {}));
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
        return 0;
      }
      case 'evaluate':
      case 'owner': {
        const stop = io.stopSignal ? { promise: io.stopSignal, dispose() {} } : shutdownSignal();
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
                    ...(list(o, 'model') ? { modelIds: list(o, 'model')!.map(Number) } : {}),
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
          return 0;
        } finally {
          stop.dispose();
        }
      }
      case 'withdraw': {
        const res = await client.withdraw(undefined, o.to ? String(o.to) : undefined);
        stdout.write(JSON.stringify({ amount: formatEther(res.amount), tx: res.txHash }) + '\n');
        return 0;
      }
      case 'close': {
        const id = num(o, 'model', { int: true, min: 1 });
        if (id === undefined) throw new UsageError('--model is required');
        const res = await closeModel(client, id, log);
        stdout.write(JSON.stringify({ modelId: id, refund: formatEther(res.refund), tx: res.txHash }) + '\n');
        return 0;
      }
    }
    return 2;
  } catch (err) {
    if (err instanceof UsageError || err instanceof DataError) {
      stderr.write(`hessian train ${cmd}: ${err.message}\n`);
      return 2;
    }
    log.error('failed', { err });
    stderr.write(`hessian train ${cmd}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    client?.destroy();
    await store?.close();
  }
}

// ------------------------------------------------------------------ hessian loan (model deployment)

// --deployment names a LoanDesk deployment id here; the deployment file is --deployment-file
const { deployment: deploymentFileSpec, ...COMMON_BUT_FILE } = COMMON;
const LOAN_COMMON: Record<string, Spec> = {
  ...COMMON_BUT_FILE,
  'deployment-file': deploymentFileSpec!,
  'loan-desk': { type: 'string', env: 'HESSIAN_LOAN_DESK', help: 'LoanDesk address (overrides the deployment file)' },
  json: { type: 'boolean', help: 'print the result as one JSON line (for scripts)' },
};

const LOAN_COMMANDS: CommandTable = {
  deploy: {
    summary: 'deploy a trained model (TargetReached or Closed): publish its service document and record it on the LoanDesk',
    options: {
      model: { type: 'string', help: 'model id (opened from this state directory)' },
      pricing: { type: 'string', help: 'pricing rule JSON file (default: the documented default rule)' },
      holdout: { type: 'string', help: 'held-out CSV for the logit range (default: the one the model was opened with)' },
      delimiter: dataSpecs(CSV_OPTIONS).delimiter!,
      name: { type: 'string', help: 'deployment name shown to borrowers' },
      service: { type: 'string', help: 'account answering quotes and deciding loans (default: the lender)' },
    },
  },
  decide: {
    summary: "the lender's loan service daemon (answers quotes, decides loan requests), or one decision by hand",
    options: {
      deployment: { type: 'string', help: 'comma-separated deployment ids to serve (default: every deployment naming this account as its service, later ones included)' },
      once: { type: 'boolean', help: 'process what is pending, then exit' },
      request: { type: 'string', help: 'decide this loan request by hand (reason Manual) instead of running the daemon' },
      approve: { type: 'boolean', help: 'with --request: approve' },
      decline: { type: 'boolean', help: 'with --request: decline' },
      rate: { type: 'string', help: 'with --approve: yearly rate in basis points (1250 = 12.5% APR)' },
      amount: { type: 'string', help: 'with --approve: approved amount in ETH (default: the requested amount)' },
    },
  },
  retire: {
    summary: 'retire a deployment (its lender): no new quotes or loan requests; the running service still answers and decides what was asked before, then stops serving it',
    options: {
      deployment: { type: 'string', help: 'deployment id' },
    },
  },
  quote: {
    summary: "ask a deployed model for a private quote: your features stay encrypted under your own key",
    options: {
      deployment: { type: 'string', help: 'deployment id' },
      features: { type: 'string', help: 'CSV with your row (same columns as the model; the label column may be absent)' },
      delimiter: dataSpecs(CSV_OPTIONS).delimiter!,
      row: { type: 'string', default: '0', help: 'which data row of the CSV (0-based)' },
      quote: { type: 'string', help: 'resume: wait for and decrypt this already requested quote' },
      amount: { type: 'string', help: 'price the quote for this amount in ETH (default: the rule\'s maximum)' },
      term: { type: 'string', default: '365', help: 'price the quote for this term in days' },
      timeout: { type: 'string', default: '300', help: 'seconds to wait for the answer' },
    },
  },
  request: {
    summary: 'apply for a loan on an answered quote: discloses your score, sealed to the service',
    options: {
      quote: { type: 'string', help: 'quote id (from hessian loan quote)' },
      amount: { type: 'string', help: 'amount in ETH' },
      term: { type: 'string', default: '365', help: 'term in days' },
      wait: { type: 'boolean', help: 'wait for the decision' },
      timeout: { type: 'string', default: '300', help: 'seconds to wait for the decision' },
    },
  },
};

const LOAN: CommandGroup = { name: 'loan', commands: LOAN_COMMANDS, common: LOAN_COMMON };

const pct = (p: number) => `${(p * 100).toFixed(2)}%`;
const apr = (bps: number) => `${(bps / 100).toFixed(2)}% APR`;

function jsonLine(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) + '\n';
}

async function loanDeskConfig(o: Record<string, unknown>): Promise<LoanDeskConfig> {
  let address = o['loan-desk'] as string | undefined;
  let startBlock = num(o, 'start-block', { int: true, min: 0 });
  if (!address) {
    const file = req(o, 'deployment-file');
    const dep = await readDeployment(file);
    if (!dep.contracts.LoanDesk) throw new Error(`deployment file ${file} has no LoanDesk (redeploy the contracts, or pass --loan-desk)`);
    address = dep.contracts.LoanDesk.address;
    startBlock ??= dep.contracts.LoanDesk.startBlock;
  }
  const pollMs = num(o, 'poll-ms', { int: true, min: 10 }) ?? 1000;
  return { rpcUrl: req(o, 'rpc'), address, startBlock: startBlock ?? 0, ...txOptions(o), pollMs };
}

function id(o: Record<string, unknown>, k: string): number {
  const v = num(o, k, { int: true, min: 1 });
  if (v === undefined) throw new UsageError(`--${k} is required`);
  return v;
}

/** entry point for `hessian loan ...`; argv excludes "loan". Returns the exit code. */
export async function loanMain(argv: string[], io: MainIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    stdout.write(usage(undefined, LOAN) + '\n');
    return 0;
  }
  if (!LOAN_COMMANDS[cmd]) {
    stderr.write(`hessian loan: unknown command '${cmd}'\n\n${usage(undefined, LOAN)}\n`);
    return 2;
  }
  let o: Record<string, string | boolean | undefined> | undefined;
  try {
    o = parse(cmd, rest, env, LOAN);
  } catch (err) {
    stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  if (!o) {
    stdout.write(usage(cmd, LOAN) + '\n');
    return 0;
  }
  let log: Logger;
  try {
    log = createLogger({ stream: stderr, level: parseLogLevel(o['log-level'] as string), name: `loan-${cmd}` });
  } catch (err) {
    stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const asJson = Boolean(o.json);
  let desk: LoanDeskClient | undefined;
  let repo: ModelRepositoryClient | undefined;
  let store: ContentStore | undefined;
  try {
    // argument errors first: nothing is sent or opened for a command that cannot run
    const lenderSide = cmd === 'deploy' || cmd === 'decide' || cmd === 'retire';
    if (cmd === 'deploy') id(o, 'model');
    if (cmd === 'retire') id(o, 'deployment');
    if (cmd === 'quote' && o.quote === undefined) {
      id(o, 'deployment');
      req(o, 'features');
    }
    if (cmd === 'request') {
      id(o, 'quote');
      if (eth(o, 'amount') === undefined) throw new UsageError('--amount is required');
    }
    if (cmd === 'decide' && o.request !== undefined && Boolean(o.approve) === Boolean(o.decline)) throw new UsageError('--request needs exactly one of --approve or --decline');
    if (cmd === 'decide' && o.request !== undefined) id(o, 'request');
    const rate = cmd === 'decide' ? num(o, 'rate', { int: true, min: 1 }) : undefined;
    if (cmd === 'decide' && o.request !== undefined && o.approve && rate === undefined) throw new UsageError('--approve needs --rate (basis points)');
    // the CSV first, in the user's format: a bad file is a usage error before anything connects
    const csv = (flag: string) => (o[flag] !== undefined ? readDataFile(String(o[flag]), csvFormat(o as DataFlags), `--${flag}`).table : undefined);
    const holdoutTable = cmd === 'deploy' ? csv('holdout') : undefined;
    const featuresTable = cmd === 'quote' && o.quote === undefined ? csv('features') : undefined;
    const deploymentIds = cmd === 'decide' ? list(o, 'deployment')?.map((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--deployment must be deployment ids, got '${v}'`);
      return n;
    }) : undefined;
    const wallet = await account(o, env, log);
    desk = await LoanDeskClient.connect(await loanDeskConfig(o), wallet);
    const stateDir = path.resolve((o['state-dir'] as string | undefined) ?? path.join(String(o['data-dir']), lenderSide ? 'lender' : 'borrower'));
    if (cmd !== 'retire') await bindStateToChain(stateDir, desk.provider, log);
    const openStore = async () =>
      (store = await openContentStore({ path: String(o['ipfs-dir']), ...(o['ipfs-api'] ? { ipfsApi: String(o['ipfs-api']) } : {}) }, {}));
    const pollMs = desk.config.pollMs;
    switch (cmd) {
      case 'deploy': {
        let pricing: PricingRule | undefined;
        if (o.pricing) {
          let raw: unknown;
          try {
            raw = JSON.parse(await readFile(String(o.pricing), 'utf8'));
          } catch (err) {
            throw new UsageError(`--pricing ${String(o.pricing)}: ${(err as Error).message}`);
          }
          pricing = validatePricingRule(raw);
        }
        repo = await ModelRepositoryClient.connect(await chainConfig(o, 'deployment-file'), wallet);
        const res = await deployModel({
          repo,
          desk,
          store: await openStore(),
          stateDir,
          modelId: id(o, 'model'),
          ...(pricing ? { pricing } : {}),
          ...(holdoutTable ? { holdout: holdoutTable } : {}),
          ...(o.name ? { name: String(o.name) } : {}),
          ...(o.service ? { service: String(o.service) } : {}),
          log,
        });
        stdout.write(
          asJson
            ? jsonLine(res)
            : `model ${res.modelId} deployed as deployment ${res.deploymentId}${res.resumed ? ' (finished an earlier run)' : ''}\n` +
                `  service document ${res.serviceCid}\n  logit range [${res.logitRange.map((v) => v.toFixed(3)).join(', ')}]\n  tx ${res.txHash}\n`,
        );
        return 0;
      }
      case 'decide': {
        if (o.request !== undefined) {
          const approved = Boolean(o.approve);
          const amount = eth(o, 'amount');
          const res = await decideManually({ desk, stateDir, log }, { requestId: id(o, 'request'), approved, ...(amount !== undefined ? { amount } : {}), ...(rate !== undefined ? { rateBps: rate } : {}) });
          stdout.write(asJson ? jsonLine({ requestId: id(o, 'request'), approved, tx: res.txHash }) : `loan request ${id(o, 'request')} ${approved ? `approved at ${apr(rate!)}` : 'declined'} by hand\n  tx ${res.txHash}\n`);
          return 0;
        }
        const stop = io.stopSignal ? { promise: io.stopSignal, dispose() {} } : shutdownSignal();
        try {
          const handle = await startLoanService({ desk, store: await openStore(), stateDir, ...(deploymentIds ? { deploymentIds } : {}), once: Boolean(o.once), pollMs, log });
          const why = await Promise.race([stop.promise.then((s) => `signal ${String(s)}`), handle.done.then(() => 'finished')]);
          log.info('shutting down', { why });
          await handle.stop();
          const j = handle.journal.value;
          const count = (xs: { state: string }[], s: string) => xs.filter((x) => x.state === s).length;
          const summary = { quotesAnswered: count(Object.values(j.quotes), 'answered'), quotesRefused: count(Object.values(j.quotes), 'refused'), loansDecided: count(Object.values(j.loans), 'done') };
          stdout.write(asJson ? jsonLine(summary) : `answered ${summary.quotesAnswered} quote(s), refused ${summary.quotesRefused}, decided ${summary.loansDecided} loan request(s)\n`);
          return 0;
        } finally {
          stop.dispose();
        }
      }
      case 'retire': {
        const res = await desk.retireDeployment(id(o, 'deployment'));
        stdout.write(asJson ? jsonLine({ deploymentId: res.event.deploymentId, tx: res.txHash }) : `deployment ${res.event.deploymentId} retired\n  tx ${res.txHash}\n`);
        return 0;
      }
      case 'quote': {
        const common = {
          desk,
          store: await openStore(),
          stateDir,
          ...(eth(o, 'amount') !== undefined ? { amount: eth(o, 'amount') } : {}),
          termDays: num(o, 'term', { int: true, min: 1 })!,
          timeoutMs: num(o, 'timeout', { min: 0 })! * 1000,
          pollMs,
          log,
        };
        const q = o.quote !== undefined
          ? await finishQuote(common, id(o, 'quote'))
          : await requestQuote({ ...common, deploymentId: id(o, 'deployment'), features: featuresTable!, row: num(o, 'row', { int: true, min: 0 })! });
        stdout.write(
          asJson
            ? jsonLine(q)
            : `quote ${q.quoteId} (deployment ${q.deploymentId})\n  probability of default ${pct(q.probability)}\n` +
                (q.approved
                  ? `  offer: ${formatEther(q.amount)} ETH over ${q.termDays} days at ${apr(q.rateBps)} (${q.reason})\n`
                  : `  the pricing rule would decline: ${q.reason}\n`) +
                `  apply with: hessian loan request --quote ${q.quoteId} --amount <ETH> --term ${q.termDays}\n`,
        );
        return 0;
      }
      case 'request': {
        const res = await requestLoan({
          desk,
          store: await openStore(),
          stateDir,
          quoteId: id(o, 'quote'),
          amount: eth(o, 'amount')!,
          termDays: num(o, 'term', { int: true, min: 1 })!,
          wait: Boolean(o.wait),
          timeoutMs: num(o, 'timeout', { min: 0 })! * 1000,
          pollMs,
          log,
        });
        const d = res.decision;
        stdout.write(
          asJson
            ? jsonLine(res)
            : `loan request ${res.requestId} (quote ${res.quoteId}): ${formatEther(res.amount)} ETH over ${res.termDays} days\n  tx ${res.txHash}\n` +
                (d ? `  ${d.approved ? `approved: ${formatEther(BigInt(d.amount))} ETH at ${apr(d.rateBps)}` : 'declined'} (${d.reason})\n` : ''),
        );
        return 0;
      }
    }
    return 2;
  } catch (err) {
    if (err instanceof UsageError) {
      stderr.write(`hessian loan ${cmd}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof DataError) {
      stderr.write(`hessian loan ${cmd}: ${err.message}\n`);
      return 2;
    }
    log.error('failed', { err });
    stderr.write(`hessian loan ${cmd}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    desk?.destroy();
    repo?.destroy();
    await store?.close();
  }
}
