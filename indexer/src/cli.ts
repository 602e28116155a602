// `hessian index`: flags with env-var fallbacks → startIndexer, until SIGINT/SIGTERM. Runnable on
// its own too: `node indexer/src/cli.ts --rpc URL --subgraph DIR --db FILE`.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IndexerConfig } from './indexer.ts';
import { createLogger, parseLogLevel } from './log.ts';
import { readFlags, FlagError } from '@hessian/common/args';
import type { FlagSpec, FlagValues } from '@hessian/common/args';

interface OptionSpec extends FlagSpec {
  env: string;
  default?: string;
  arg?: string;
  description: string;
}

export const INDEX_OPTIONS = {
  rpc: { type: 'string', env: 'HESSIAN_RPC_URL', arg: 'URL', description: 'JSON-RPC endpoint of the chain (http or https)' },
  subgraph: { type: 'string', env: 'HESSIAN_SUBGRAPH', default: 'subgraph/build', arg: 'DIR', description: 'built subgraph: the `graph build` output directory or its subgraph.yaml' },
  db: { type: 'string', env: 'HESSIAN_DB', default: '.hessian/index.sqlite', arg: 'FILE', description: 'SQLite file of the store (created if missing)' },
  port: { type: 'string', env: 'HESSIAN_INDEXER_PORT', default: '8000', arg: 'N', description: 'HTTP port of the GraphQL API, /health and /metrics (0 = any free port)' },
  'index-node-port': { type: 'string', env: 'HESSIAN_INDEX_NODE_PORT', arg: 'N', description: "port of graph-node's index-node status API (/graphql); default 8030, any free port with --port 0; off = none" },
  host: { type: 'string', env: 'HESSIAN_INDEXER_HOST', default: '127.0.0.1', arg: 'HOST', description: 'address to listen on' },
  name: { type: 'string', env: 'HESSIAN_SUBGRAPH_NAME', default: 'hessian', arg: 'NAME', description: 'queries are served at /subgraphs/name/NAME (and /graphql)' },
  confirmations: { type: 'string', env: 'HESSIAN_CONFIRMATIONS', default: '0', arg: 'N', description: 'stay N blocks behind the chain head' },
  'poll-interval': { type: 'string', env: 'HESSIAN_POLL_INTERVAL', default: '1000', arg: 'MS', description: 'how often to poll for new blocks once synced' },
  'max-reorg-depth': { type: 'string', env: 'HESSIAN_MAX_REORG_DEPTH', default: '250', arg: 'N', description: 'deepest reorg handled (deeper is fatal); older blocks are final' },
  rebuild: { type: 'boolean', env: 'HESSIAN_REBUILD', description: 're-index every entity from the stored chain data (after changing the subgraph)' },
  'rpc-timeout': { type: 'string', env: 'HESSIAN_RPC_TIMEOUT', default: '30000', arg: 'MS', description: 'timeout of one JSON-RPC request' },
  'rpc-retries': { type: 'string', env: 'HESSIAN_RPC_RETRIES', default: '8', arg: 'N', description: 'retries of a failed JSON-RPC request (with backoff) before the sync step is retried' },
  'rpc-batch-size': { type: 'string', env: 'HESSIAN_RPC_BATCH_SIZE', default: '50', arg: 'N', description: 'calls per JSON-RPC batch (1 = no batching)' },
  'log-range': { type: 'string', env: 'HESSIAN_LOG_RANGE', default: '2000', arg: 'N', description: 'first eth_getLogs block span (adapts to the provider)' },
  'max-log-range': { type: 'string', env: 'HESSIAN_MAX_LOG_RANGE', default: '100000', arg: 'N', description: 'largest eth_getLogs block span' },
  'result-cache-mb': { type: 'string', env: 'HESSIAN_RESULT_CACHE_MB', default: '32', arg: 'N', description: 'MB (10^6 characters) of GraphQL answers kept for the current head; each new block empties it (0 = off)' },
  'log-level': { type: 'string', env: 'HESSIAN_LOG_LEVEL', default: 'info', arg: 'LEVEL', description: 'debug | info | warn | error (JSON lines on stderr)' },
  'exit-when-synced': { type: 'boolean', env: 'HESSIAN_EXIT_WHEN_SYNCED', description: 'exit once caught up with the head (scripts, benchmarks); exit code 1 if the subgraph failed' },
  json: { type: 'boolean', env: 'HESSIAN_JSON', description: 'print the endpoints as one JSON line (for scripts) instead of text' },
} as const satisfies Record<string, OptionSpec>;

type Key = keyof typeof INDEX_OPTIONS;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function usage(): string {
  const rows = Object.entries(INDEX_OPTIONS).map(([k, s]) => {
    const spec = s as OptionSpec;
    const flag = `--${k}${spec.arg ? ' ' + spec.arg : ''}`;
    const dflt = spec.default !== undefined ? ` (default ${spec.default})` : '';
    return `  ${flag.padEnd(24)} ${spec.description}${dflt}\n  ${''.padEnd(24)} env ${spec.env}`;
  });
  return ['Usage: hessian index --rpc URL [--subgraph DIR] [--db FILE] [--port N] [options]', '', 'Options (flags win over environment variables):', ...rows, '  -h, --help'].join('\n');
}

function int(key: Key, raw: string, min: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new UsageError(`--${key}: expected a whole number, got "${raw}"`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${key}: must be at least ${min}, got ${raw}`);
  return n;
}

export interface ParsedArgs {
  help: boolean;
  config: IndexerConfig;
  exitWhenSynced: boolean;
  json: boolean;
}

function readIndexFlags(argv: string[], env: NodeJS.ProcessEnv): FlagValues | undefined {
  try {
    return readFlags(INDEX_OPTIONS, argv, { env, usage });
  } catch (err) {
    throw err instanceof FlagError ? new UsageError(err.message) : err;
  }
}

/** Flags, then env vars, then defaults. Throws UsageError naming the bad flag. */
export function parseIndexArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  const flags = readIndexFlags(argv, env);
  if (!flags) return { help: true, config: {} as IndexerConfig, exitWhenSynced: false, json: false };
  const get = (k: Key) => flags[k] as string | undefined;
  const flag = (k: Key) => flags[k] as boolean;
  const rpcUrl = get('rpc');
  if (!rpcUrl) throw new UsageError(`--rpc is required (or set HESSIAN_RPC_URL)\n\n${usage()}`);
  let logLevel;
  try {
    logLevel = parseLogLevel(get('log-level'));
  } catch (err) {
    throw new UsageError(`--log-level: ${(err as Error).message}`);
  }
  const logInitial = int('log-range', get('log-range')!, 1);
  const logMax = int('max-log-range', get('max-log-range')!, 1);
  if (logMax < logInitial) throw new UsageError(`--max-log-range (${logMax}) is below --log-range (${logInitial})`);
  const cacheMb = int('result-cache-mb', get('result-cache-mb')!, 0);
  // the cache lives in this process's heap: a figure beyond any machine's memory is a typo
  if (cacheMb > 1_000_000) throw new UsageError(`--result-cache-mb: must be at most 1000000 (1 TB), got ${cacheMb}`);
  const port = int('port', get('port')!, 0);
  const indexNode = get('index-node-port');
  // graph-node's 8030, unless the API itself asked for any free port (tests, several indexers)
  const indexNodePort = indexNode === 'off' ? null : indexNode === undefined ? (port === 0 ? 0 : 8030) : int('index-node-port', indexNode, 0);
  return {
    help: false,
    exitWhenSynced: flag('exit-when-synced'),
    json: flag('json'),
    config: {
      rpcUrl,
      subgraph: get('subgraph')!,
      db: get('db')!,
      port,
      indexNodePort,
      host: get('host')!,
      subgraphName: get('name')!,
      confirmations: int('confirmations', get('confirmations')!, 0),
      pollIntervalMs: int('poll-interval', get('poll-interval')!, 1),
      maxReorgDepth: int('max-reorg-depth', get('max-reorg-depth')!, 1),
      rebuild: flag('rebuild'),
      rpcTimeoutMs: int('rpc-timeout', get('rpc-timeout')!, 1),
      rpcBatchSize: int('rpc-batch-size', get('rpc-batch-size')!, 1),
      rpcRetries: int('rpc-retries', get('rpc-retries')!, 0),
      logRange: { initial: logInitial, max: logMax },
      resultCacheBytes: cacheMb * 1_000_000,
      logLevel,
    },
  };
}

// errors a user can fix: reported as one line, without a stack
const USER_ERRORS = new Set(['UsageError', 'ConfigError', 'ManifestError', 'StoreError', 'SchemaError']);

/**
 * Runs the indexer until a signal (or until synced with --exit-when-synced) and resolves with the
 * exit code. Bad input (flags, subgraph, database, unreachable RPC) is reported on stderr as one
 * line naming the problem, with exit code 2; anything else is thrown.
 */
export async function runIndexCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    return await run(argv, env);
  } catch (err) {
    if (!(err instanceof Error) || !USER_ERRORS.has(err.name)) throw err;
    process.stderr.write(`hessian index: ${err.message}\n`);
    return 2;
  }
}

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = parseIndexArgs(argv, env);
  if (args.help) {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const { config } = args;
  if (config.db !== ':memory:') mkdirSync(path.dirname(path.resolve(config.db)), { recursive: true });
  const logger = createLogger({ level: config.logLevel, fields: { component: 'indexer' } });
  // loaded here so --help and flag errors answer without loading the runtime, store and server
  const { startIndexer } = await import('./indexer.ts');
  const indexer = await startIndexer({ ...config, logger, port: args.exitWhenSynced ? null : config.port, indexNodePort: args.exitWhenSynced ? null : config.indexNodePort });
  if (args.json) {
    const endpoints = indexer.url
      ? { graphql: indexer.url, graphiql: `${indexer.url}/graphql`, live: `${indexer.origin}/health/live`, ready: `${indexer.origin}/health/ready`, metrics: `${indexer.origin}/metrics` }
      : {};
    const node = indexer.indexNodeUrl ? { deployment: indexer.deployment, byId: `${indexer.origin}/subgraphs/id/${indexer.deployment}`, indexNode: indexer.indexNodeUrl } : {};
    process.stdout.write(JSON.stringify({ ...endpoints, ...node }) + '\n');
  } else {
    if (indexer.url) process.stdout.write(`GraphQL API: ${indexer.url}\nGraphiQL: ${indexer.url}/graphql\nhealth: ${indexer.origin}/health/live (liveness), ${indexer.origin}/health/ready (readiness)  metrics: ${indexer.origin}/metrics\n`);
    if (indexer.indexNodeUrl) process.stdout.write(`deployment: ${indexer.deployment} (also at ${indexer.origin}/subgraphs/id/${indexer.deployment})\nindex-node status API: ${indexer.indexNodeUrl}\n`);
  }

  return await new Promise<number>((resolve) => {
    let finished = false;
    const finish = async (code: number) => {
      if (finished) return;
      finished = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await indexer.stop();
      resolve(code);
    };
    const onSignal = () => {
      logger.info('stopping');
      void finish(0);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (args.exitWhenSynced) {
      indexer.ready.then(
        () => finish(0),
        (err: Error) => {
          logger.error('not synced', { error: err.message });
          void finish(1);
        },
      );
    }
    // a fatal error ends the process; a failed subgraph keeps serving what it indexed, as graph-node does
    indexer.done.catch(() => finish(1));
  });
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  runIndexCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`hessian index: ${err.stack ?? err.message}\n`);
      process.exitCode = 1;
    },
  );
}
