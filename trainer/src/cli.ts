// `hessian train <lender|evaluate|owner|withdraw|close>`: flags with environment fallbacks,
// JSON-lines logs on stderr, results on stdout, clean shutdown on SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEther, formatEther } from 'ethers';
import { readDeployment } from '@hessian/contracts';
import { ModelRepositoryClient } from './chain/client.ts';
import type { ChainConfig } from './chain/client.ts';
import { REWARD_RULE } from './chain/abi.ts';
import type { RewardRuleName } from './chain/abi.ts';
import { openContentStore } from './ipfs/index.ts';
import type { ContentStore } from './ipfs/store.ts';
import { createLogger, parseLogLevel } from './log.ts';
import type { Logger } from './log.ts';
import { loadWallet } from './wallet.ts';
import { openModel, closeModel } from './roles/lender.ts';
import { startEvaluator } from './roles/evaluator.ts';
import { startOwner } from './roles/owner.ts';
import { METRICS } from './ml/metrics.ts';
import type { Metric } from './ml/metrics.ts';

type Spec = { type: 'string' | 'boolean'; env?: string; default?: string; help: string };

const COMMON: Record<string, Spec> = {
  rpc: { type: 'string', env: 'HESSIAN_RPC_URL', default: 'http://127.0.0.1:8545', help: 'Ethereum JSON-RPC URL' },
  deployment: { type: 'string', env: 'HESSIAN_DEPLOYMENT', default: '.hessian/deployment.json', help: 'deployment file (contract address, start block)' },
  contract: { type: 'string', env: 'HESSIAN_CONTRACT', help: 'ModelRepository address (overrides the deployment file)' },
  'start-block': { type: 'string', env: 'HESSIAN_START_BLOCK', help: 'first block to scan for events' },
  confirmations: { type: 'string', env: 'HESSIAN_CONFIRMATIONS', default: '0', help: 'blocks before a log is trusted' },
  'state-dir': { type: 'string', env: 'HESSIAN_STATE_DIR', help: 'journal and key directory (default .hessian/<role>)' },
  'ipfs-dir': { type: 'string', env: 'HESSIAN_IPFS_DIR', default: '.hessian/ipfs', help: 'embedded content store directory' },
  'ipfs-api': { type: 'string', env: 'IPFS_API', help: 'Kubo RPC URL (use Kubo instead of the embedded store)' },
  keystore: { type: 'string', env: 'HESSIAN_KEYSTORE', help: 'encrypted JSON keystore of the account' },
  'password-file': { type: 'string', env: 'HESSIAN_KEYSTORE_PASSWORD_FILE', help: 'file holding the keystore password (or set HESSIAN_KEYSTORE_PASSWORD)' },
  'poll-ms': { type: 'string', env: 'HESSIAN_POLL_MS', default: '1000', help: 'chain polling interval' },
  'log-level': { type: 'string', env: 'HESSIAN_LOG_LEVEL', default: 'info', help: 'debug | info | warn | error' },
};

const COMMANDS: Record<string, { summary: string; options: Record<string, Spec> }> = {
  lender: {
    summary: 'generate keys, publish the model (metadata, public keys, encrypted weights) and open it on-chain',
    options: {
      data: { type: 'string', help: "the lender's held-out CSV (fits the encoding; scores gradients)" },
      label: { type: 'string', help: 'label column' },
      positive: { type: 'string', help: 'label value meaning 1 (when the column is not 0/1)' },
      'label-kind': { type: 'string', default: 'binary', help: 'binary | numeric (numeric: linear regression scored by r2)' },
      features: { type: 'string', help: 'comma-separated feature columns (default: all but the label)' },
      categorical: { type: 'string', help: 'comma-separated categorical columns (default: non-numeric ones)' },
      exclude: { type: 'string', help: 'comma-separated columns to leave out' },
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
      stake: { type: 'string', default: '0', help: 'ETH each submission must carry' },
      evaluator: { type: 'string', help: 'evaluator address (default: the lender)' },
      name: { type: 'string', help: 'model name' },
      'skip-bad-rows': { type: 'boolean', help: 'skip (and count) rows that cannot be encoded instead of failing' },
    },
  },
  evaluate: {
    summary: "the lender's evaluator daemon: scores each gradient on the held-out data and records the result",
    options: {
      data: { type: 'string', help: 'held-out CSV (default: the one the model was opened with)' },
      'no-auto-close': { type: 'boolean', help: 'do not close models once their target is reached' },
    },
  },
  owner: {
    summary: "the data owner's daemon: computes encrypted gradients on its rows for matching models",
    options: {
      data: { type: 'string', help: "the owner's CSV" },
      'min-bounty': { type: 'string', default: '0', help: 'ignore models with a smaller bounty (ETH)' },
      metric: { type: 'string', help: 'comma-separated metrics to accept (default: any)' },
      model: { type: 'string', help: 'comma-separated model ids to work on (default: any)' },
      'batch-size': { type: 'string', help: "rows per gradient (default: the model's minimum batch)" },
      'min-batch': { type: 'string', default: '256', help: "never fewer rows per gradient than this, whatever the model's minimum" },
      'max-submissions': { type: 'string', help: 'gradients per model at most' },
      seed: { type: 'string', default: 'hessian', help: 'batch shuffle seed' },
      epsilon: { type: 'string', help: 'differential privacy epsilon per gradient (enables clipping + noise)' },
      delta: { type: 'string', default: '1e-6', help: 'differential privacy delta per gradient' },
      clip: { type: 'string', default: '6', help: 'L2 bound on each encoded row when noise is on' },
      'skip-bad-rows': { type: 'boolean', help: 'skip (and count) rows that cannot be encoded instead of failing' },
      workers: { type: 'string', default: '0', help: 'worker threads for the encrypted gradient (0: main thread)' },
      indexer: { type: 'string', env: 'HESSIAN_GRAPHQL_URL', help: "read models from the indexer's GraphQL URL instead of scanning logs" },
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

function usage(cmd?: string): string {
  if (!cmd || !COMMANDS[cmd]) {
    return ['Usage: hessian train <command> [options]', '', ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(9)} ${c.summary}`)].join('\n');
  }
  const specs = { ...COMMANDS[cmd].options, ...COMMON };
  const rows = Object.entries(specs).map(([k, s]) => {
    const extra = [s.env ? `env ${s.env}` : '', s.default ? `default ${s.default}` : ''].filter(Boolean).join(', ');
    return `  --${k}${s.type === 'string' ? ' <v>' : ''}`.padEnd(30) + ` ${s.help}${extra ? ` (${extra})` : ''}`;
  });
  return [`Usage: hessian train ${cmd} [options]`, '', COMMANDS[cmd].summary, '', ...rows].join('\n');
}

function parse(cmd: string, argv: string[], env: NodeJS.ProcessEnv): Record<string, string | boolean | undefined> | undefined {
  const specs = { ...COMMANDS[cmd]!.options, ...COMMON };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { help: { type: 'boolean', short: 'h' }, ...Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, { type: s.type }])) },
    }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError(`train ${cmd}: ${(err as Error).message}\n\n${usage(cmd)}`);
  }
  if (values.help) return undefined;
  for (const [k, s] of Object.entries(specs)) {
    if (values[k] === undefined && s.env && env[s.env] !== undefined && env[s.env] !== '') values[k] = s.type === 'boolean' ? env[s.env] === '1' || env[s.env] === 'true' : env[s.env];
    if (values[k] === undefined && s.default !== undefined) values[k] = s.default;
  }
  return values;
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

async function chainConfig(o: Record<string, unknown>): Promise<ChainConfig> {
  let address = o.contract as string | undefined;
  let startBlock = num(o, 'start-block', { int: true, min: 0 });
  if (!address) {
    const dep = await readDeployment(req(o, 'deployment'));
    address = dep.contracts.ModelRepository.address;
    startBlock ??= dep.contracts.ModelRepository.startBlock;
  }
  const pollMs = num(o, 'poll-ms', { int: true, min: 10 }) ?? 1000;
  return { rpcUrl: req(o, 'rpc'), address, startBlock: startBlock ?? 0, confirmations: num(o, 'confirmations', { int: true, min: 0 }) ?? 0, pollMs };
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
    const wallet = await account(o, env, log);
    client = await ModelRepositoryClient.connect(await chainConfig(o), wallet);
    const stateDir = path.resolve((o['state-dir'] as string | undefined) ?? path.join('.hessian', cmd === 'evaluate' ? 'lender' : cmd));
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
          data: req(o, 'data'),
          encoding: {
            label: req(o, 'label'),
            ...(o.positive ? { positive: String(o.positive) } : {}),
            ...(list(o, 'features') ? { features: list(o, 'features') } : {}),
            ...(list(o, 'categorical') ? { categorical: list(o, 'categorical') } : {}),
            ...(list(o, 'exclude') ? { exclude: list(o, 'exclude') } : {}),
            labelKind: labelKind(String(o['label-kind'])),
          },
          badRows: o['skip-bad-rows'] ? 'skip' : 'error',
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
          submissionStake: eth(o, 'stake') ?? 0n,
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
              ? await startEvaluator({ client, store: await openStore(), stateDir, ...(o.data ? { data: String(o.data) } : {}), pollMs, autoClose: !o['no-auto-close'], log })
              : await startOwner({
                  client,
                  store: await openStore(),
                  stateDir,
                  data: req(o, 'data'),
                  badRows: o['skip-bad-rows'] ? 'skip' : 'error',
                  filter: {
                    minBounty: eth(o, 'min-bounty') ?? 0n,
                    ...(list(o, 'metric') ? { metrics: list(o, 'metric') as Metric[] } : {}),
                    ...(list(o, 'model') ? { modelIds: list(o, 'model')!.map(Number) } : {}),
                  },
                  ...(o['batch-size'] ? { batchSize: num(o, 'batch-size', { int: true, min: 1 }) } : {}),
                  minBatch: num(o, 'min-batch', { int: true, min: 1 })!,
                  ...(o['max-submissions'] ? { maxSubmissionsPerModel: num(o, 'max-submissions', { int: true, min: 1 }) } : {}),
                  seed: String(o.seed),
                  ...(o.indexer ? { indexerUrl: String(o.indexer) } : {}),
                  workers: num(o, 'workers', { int: true, min: 0 })!,
                  ...(o.epsilon ? { privacy: { epsilon: num(o, 'epsilon')!, delta: num(o, 'delta')!, clipNorm: num(o, 'clip')! } } : {}),
                  pollMs,
                  log,
                });
          if ('withdraw' in handle) {
            // long work gets progress lines: a gradient over many rows takes a while
            let last = 0;
            handle.events.on('progress', (e) => {
              const now = Date.now();
              if (e.rowsDone !== undefined && e.rowsDone !== e.rowsTotal && now - last < 2000) return;
              last = now;
              log.info('progress', e);
            });
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
    if (err instanceof UsageError) {
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
