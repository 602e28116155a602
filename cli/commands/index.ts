// `hessian index`: the embedded indexer (@hessian/indexer's startIndexer) and its GraphQL API until
// SIGINT/SIGTERM, with the defaults that make it meet the other roles by hand: the RPC of `hessian
// chain`, the GraphQL port `hessian dashboard` queries (8000, graph-node's), and the subgraph
// retargeted at the deployment file `hessian chain` or `hessian deploy` wrote in the data
// directory. Flags win over environment variables.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IndexerConfig } from '@hessian/indexer';
import { createLogger, parseLogLevel } from '@hessian/common/log';
import { numberFlag } from '@hessian/common/args';
import type { FlagSpec, Flags } from '@hessian/common/args';
import { UsageError } from '@hessian/common/errors';
import { readCommandFlags, shutdownSignal } from '../command.ts';
import type { CommandHelp, CommandIo } from '../command.ts';
import { DEFAULT_DATA_DIR, deploymentFile } from '../data-dir.ts';
import { reportError } from '../errors.ts';

const repo = path.dirname(path.dirname(path.dirname(fileURLToPath(import.meta.url))));

export const INDEX_OPTIONS = {
  rpc: { type: 'string', env: 'HESSIAN_RPC_URL', arg: 'URL', default: 'http://127.0.0.1:8545', description: 'JSON-RPC endpoint of the chain (http or https; `hessian chain` serves the default)' },
  'data-dir': { type: 'string', env: 'HESSIAN_DATA_DIR', arg: 'DIR', default: DEFAULT_DATA_DIR, description: 'data directory: --db defaults to DIR/index.sqlite, the retargeted subgraph goes to DIR/subgraph' },
  deployment: { type: 'string', env: 'HESSIAN_DEPLOYMENT', arg: 'FILE', description: 'deployment file the subgraph is retargeted at (default DIR/deployment.json)' },
  subgraph: { type: 'string', env: 'HESSIAN_SUBGRAPH', arg: 'DIR', description: "built subgraph: the `graph build` output directory or its subgraph.yaml (default: the repository's build, retargeted at --deployment)" },
  db: { type: 'string', env: 'HESSIAN_DB', arg: 'FILE', description: 'SQLite file of the store, created if missing (default DIR/index.sqlite)' },
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
} as const satisfies Record<string, FlagSpec>;

const HELP: CommandHelp = { command: 'index', summary: 'Run the embedded indexer over the Hessian subgraph and serve its GraphQL API (the same API as graph-node).' };

export interface IndexArgs {
  /** without the logger: the command makes it */
  config: Omit<IndexerConfig, 'logger'> & { logLevel: NonNullable<IndexerConfig['logLevel']> };
  /** undefined: retarget the repository's subgraph build at `deployment` */
  subgraph: string | undefined;
  dataDir: string;
  deployment: string;
  exitWhenSynced: boolean;
  json: boolean;
}

/** Flags, then environment variables, then defaults, checked. Throws UsageError naming the bad flag. */
export function indexArgs(flags: Flags<typeof INDEX_OPTIONS>): IndexArgs {
  const int = (k: keyof typeof INDEX_OPTIONS, min: number, max?: number) => numberFlag(k, flags[k] as string, { int: true, min, ...(max !== undefined ? { max } : {}) })!;
  let logLevel;
  try {
    logLevel = parseLogLevel(flags['log-level']);
  } catch (err) {
    throw new UsageError(`--log-level: ${(err as Error).message}`, { cause: err });
  }
  const logInitial = int('log-range', 1);
  const logMax = int('max-log-range', 1);
  if (logMax < logInitial) throw new UsageError(`--max-log-range (${logMax}) is below --log-range (${logInitial})`);
  // the cache lives in this process's heap: a figure beyond any machine's memory (1 TB) is a typo
  const cacheMb = int('result-cache-mb', 0, 1_000_000);
  const port = int('port', 0);
  const indexNode = flags['index-node-port'];
  // graph-node's 8030, unless the API itself asked for any free port (tests, several indexers)
  const indexNodePort = indexNode === 'off' ? null : indexNode === undefined ? (port === 0 ? 0 : 8030) : int('index-node-port', 0);
  const dataDir = flags['data-dir']!;
  return {
    subgraph: flags.subgraph,
    dataDir,
    deployment: flags.deployment ?? deploymentFile(dataDir),
    exitWhenSynced: flags['exit-when-synced'],
    json: flags.json,
    config: {
      rpcUrl: flags.rpc!,
      subgraph: flags.subgraph ?? path.resolve(dataDir, 'subgraph'),
      db: flags.db ?? path.join(dataDir, 'index.sqlite'),
      port,
      indexNodePort,
      host: flags.host!,
      subgraphName: flags.name!,
      confirmations: int('confirmations', 0),
      pollIntervalMs: int('poll-interval', 1),
      maxReorgDepth: int('max-reorg-depth', 1),
      rebuild: flags.rebuild,
      rpcTimeoutMs: int('rpc-timeout', 1),
      rpcBatchSize: int('rpc-batch-size', 1),
      rpcRetries: int('rpc-retries', 0),
      logRange: { initial: logInitial, max: logMax },
      resultCacheBytes: cacheMb * 1_000_000,
      logLevel,
    },
  };
}

/**
 * Runs the indexer until a signal (or until synced with --exit-when-synced) and resolves with the
 * exit code. Bad input (flags, subgraph, database, unreachable RPC) is one line naming the problem
 * with exit code 2; any other failure exit code 1.
 */
export async function index(argv: string[], io: CommandIo = {}): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    const stderr = io.stderr ?? process.stderr;
    return reportError(err, { prefix: 'hessian index', verbose: Boolean(io.verbose), write: (s) => stderr.write(s) });
  }
}

async function run(argv: string[], io: CommandIo): Promise<number> {
  const flags = readCommandFlags(HELP, INDEX_OPTIONS, argv, io);
  if (!flags) return 0;
  const args = indexArgs(flags);
  const stdout = io.stdout ?? process.stdout;
  if (args.subgraph === undefined) {
    // the repository's build indexes a placeholder address: point a copy at the real deployment
    if (!existsSync(args.deployment)) {
      throw new UsageError(`no deployment file at ${args.deployment}: start \`hessian chain\` (or \`hessian deploy\`) with the same data directory first, or pass --deployment FILE or --subgraph DIR`);
    }
    const [{ readDeployment }, { retargetBuild, deploymentTarget }] = await Promise.all([import('@hessian/contracts'), import('@hessian/subgraph/scripts/render-manifest')]);
    args.config.subgraph = await retargetBuild(path.join(repo, 'subgraph', 'build'), deploymentTarget(await readDeployment(args.deployment)), path.resolve(args.dataDir, 'subgraph'));
  }
  const { config } = args;
  if (config.db !== ':memory:') mkdirSync(path.dirname(path.resolve(config.db)), { recursive: true });
  const logger = createLogger({ level: config.logLevel, fields: { component: 'indexer' } });
  // loaded here so --help and flag errors answer without loading the runtime, store and server
  const { startIndexer } = await import('@hessian/indexer');
  const indexer = await startIndexer({ ...config, logger, port: args.exitWhenSynced ? null : config.port, indexNodePort: args.exitWhenSynced ? null : config.indexNodePort });
  if (args.json) {
    const endpoints = indexer.url
      ? { graphql: indexer.url, graphiql: `${indexer.url}/graphql`, live: `${indexer.origin}/health/live`, ready: `${indexer.origin}/health/ready`, metrics: `${indexer.origin}/metrics` }
      : {};
    const node = indexer.indexNodeUrl ? { deployment: indexer.deployment, byId: `${indexer.origin}/subgraphs/id/${indexer.deployment}`, indexNode: indexer.indexNodeUrl } : {};
    stdout.write(JSON.stringify({ ...endpoints, ...node }) + '\n');
  } else {
    if (indexer.url) stdout.write(`GraphQL API: ${indexer.url}\nGraphiQL: ${indexer.url}/graphql\nhealth: ${indexer.origin}/health/live (liveness), ${indexer.origin}/health/ready (readiness)  metrics: ${indexer.origin}/metrics\n`);
    if (indexer.indexNodeUrl) stdout.write(`deployment: ${indexer.deployment} (also at ${indexer.origin}/subgraphs/id/${indexer.deployment})\nindex-node status API: ${indexer.indexNodeUrl}\n`);
  }

  const stop = shutdownSignal(io);
  const synced = args.exitWhenSynced
    ? indexer.ready.then(
        () => 0,
        (err: Error) => {
          logger.error('not synced', { error: err.message });
          return 1;
        },
      )
    : new Promise<number>(() => {});
  // a fatal error ends the process; a failed subgraph keeps serving what it indexed, as graph-node does
  const failed = indexer.done.then(
    () => new Promise<number>(() => {}),
    () => 1,
  );
  const code = await Promise.race([
    stop.promise.then(() => {
      logger.info('stopping');
      return 0;
    }),
    synced,
    failed,
  ]);
  stop.dispose();
  await indexer.stop();
  return code;
}
