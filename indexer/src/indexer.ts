// startIndexer: configuration → wiring. It checks the config, loads the subgraph, opens the RPC
// client and the store, serves the GraphQL and status APIs, and hands the pieces to the runner
// (runner/), which does the indexing: sync steps through the handlers into the store.
import { HessianError } from '@hessian/common/errors';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openDatabase, type Db } from './db.ts';
import { loadSubgraph, type LoadedSubgraph } from './manifest.ts';
import type { MappingLogEntry } from './runtime/runtime.ts';
import { EntityStore } from './store/entity-store.ts';
import { createGraphqlServer, type GraphqlServer } from './graphql/server.ts';
import { createIndexNodeServer, subgraphFeaturesOf, type IndexNodeServer } from './graphql/index-node.ts';
import { deploymentHash } from './deployment-hash.ts';
import { EventStore } from './store/event-store.ts';
import { JsonRpcClient } from './sync/rpc.ts';
import { Syncer, type DataSourceFilter } from './sync/syncer.ts';
import { DynamicSourceStore } from './store/dynamic-sources.ts';
import { SubgraphErrorStore } from './store/subgraph-errors.ts';
import { SubgraphRunner } from './runner/runner.ts';
import type { IndexerStatus } from './runner/state.ts';
import { EthChainReader, type ChainReaderStats } from './sync/chain-reader.ts';
import { BlockNeeds } from './sync/block-triggers.ts';
import { BlockTracer, detectTraceMethod } from './sync/traces.ts';
import { createLogger, type Logger, type LogLevel } from './log.ts';
import { createMetrics, type IndexerMetrics, type ResultCacheStats } from './metrics.ts';
import { blockPtrOf, type RpcBlock } from './types.ts';

export type { IndexerStatus };

export interface IndexerConfig {
  /** JSON-RPC endpoint (http/https) */
  rpcUrl: string;
  /** a built subgraph: the directory `graph build` wrote (or its subgraph.yaml) */
  subgraph: string;
  /** SQLite file; `:memory:` for a throwaway store */
  db: string;
  /** HTTP port of the GraphQL API, /health and /metrics; 0 = a free port; null = no server */
  port?: number | null;
  host?: string;
  /** served at /subgraphs/name/<name> */
  subgraphName?: string;
  /** stay this many blocks behind the head */
  confirmations?: number;
  pollIntervalMs?: number;
  /** deepest reorg handled; blocks deeper than this are final */
  maxReorgDepth?: number;
  /** re-index from the event store: a changed subgraph without refetching the chain */
  rebuild?: boolean;
  rpcTimeoutMs?: number;
  rpcBatchSize?: number;
  /** retries of a failed request before the sync step fails (and is itself retried) */
  rpcRetries?: number;
  /** first eth_getLogs span and its ceiling */
  logRange?: { initial?: number; max?: number };
  /** headers fetched per step near the head */
  headBatch?: number;
  /** seconds between progress lines during backfill; 0 = none */
  progressIntervalSeconds?: number;
  logLevel?: LogLevel;
  logger?: Logger;
  /** port of graph-node's index-node status API (`/graphql`: indexingStatuses, ...); 0 = a free port; null/undefined = none */
  indexNodePort?: number | null;
  /** characters of successful GraphQL answers kept for the current head (graphql/result-cache.ts); 0 = no cache. Default 32 MB */
  resultCacheBytes?: number;
  /** process-level Prometheus metrics (CPU, memory, event loop) next to the indexer's own */
  defaultMetrics?: boolean;
}

export interface RunningIndexer {
  /** the subgraph's GraphQL URL (null without a server) */
  url: string | null;
  /** http://host:port (null without a server) */
  origin: string | null;
  /** resolves once the store has caught up with the chain head; rejects if indexing stops before */
  ready: Promise<void>;
  /** resolves when the indexing loop ends (stop(), a handler failure); rejects on a fatal error */
  done: Promise<void>;
  status(): IndexerStatus;
  store: EntityStore;
  events: EventStore;
  db: Db;
  subgraph: LoadedSubgraph;
  metrics: IndexerMetrics;
  /** the deployment id graph-node would give this build: its IPFS hash (`graph build --ipfs`) */
  deployment: string;
  /** the index-node status API's URL, http://host:port/graphql (null without it) */
  indexNodeUrl: string | null;
  /** the GraphQL result cache's hits, misses, entries and bytes (null without a server) */
  cacheStats(): ResultCacheStats | null;
  /** ethereum.call/getBalance/hasCode answers from the cache vs. asked of the node (null: the mappings make none) */
  chainReads(): ChainReaderStats | null;
  stop(): Promise<void>;
}

/** Configuration mistakes and unusable inputs, reported before anything runs. */
export class ConfigError extends HessianError {
  override name = 'ConfigError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { kind: 'user', ...options });
  }
}

/** A content hash of the build (manifest, schema, ABIs by content, WASM): what the store was indexed with. */
export function deploymentId(sub: LoadedSubgraph): string {
  const h = createHash('sha256');
  const add = (label: string, data: string | Buffer) => {
    h.update(label + '\0');
    h.update(data);
    h.update('\0');
  };
  add('manifest', readFileSync(sub.manifest.file));
  add('schema', sub.schema.source);
  for (const ds of sub.manifest.dataSources) {
    add('wasm', readFileSync(ds.mapping.file));
    for (const abi of ds.abis) add('abi', readFileSync(abi.file));
  }
  return '0x' + h.digest('hex');
}

function filtersOf(sub: LoadedSubgraph): DataSourceFilter[] {
  return sub.manifest.dataSources.map((ds) => ({
    address: ds.address,
    topic0s: [...new Set(ds.mapping.eventHandlers.map((h) => h.topic0.toLowerCase()))].sort(),
    startBlock: ds.startBlock,
    endBlock: ds.endBlock,
    // the blocks its block handlers need: data fetched without them does not cover it
    ...(ds.mapping.blockHandlers.length ? { blocks: new BlockNeeds([ds]).describe() } : {}),
  }));
}

/** Whether chain data fetched for `stored` contains every log `wanted` needs. */
function covers(stored: DataSourceFilter[], wanted: DataSourceFilter[]): boolean {
  return wanted.every((w) =>
    stored.some(
      (s) =>
        (s.address === null || s.address === w.address) &&
        w.topic0s.every((t) => s.topic0s.includes(t)) &&
        s.startBlock <= w.startBlock &&
        (s.endBlock == null || (w.endBlock != null && w.endBlock <= s.endBlock)) &&
        (w.blocks ?? []).every((b) => (s.blocks ?? []).includes(b)),
    ),
  );
}

export async function startIndexer(config: IndexerConfig): Promise<RunningIndexer> {
  const logger = config.logger ?? createLogger({ level: config.logLevel ?? 'info', fields: { component: 'indexer' } });
  const metrics = createMetrics({ defaultMetrics: config.defaultMetrics });
  const pollIntervalMs = config.pollIntervalMs ?? 1000;
  for (const [k, v, min] of [
    ['confirmations', config.confirmations ?? 0, 0],
    ['pollIntervalMs', pollIntervalMs, 1],
    ['maxReorgDepth', config.maxReorgDepth ?? 250, 1],
    ['resultCacheBytes', config.resultCacheBytes ?? 0, 0],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < min) throw new ConfigError(`invalid ${k}: ${v} (expected an integer >= ${min})`);
  }
  if (!config.rpcUrl) throw new ConfigError('no JSON-RPC URL given (--rpc or HESSIAN_RPC_URL)');
  if (!config.subgraph) throw new ConfigError('no subgraph given (--subgraph or HESSIAN_SUBGRAPH)');
  if (!config.db) throw new ConfigError('no database file given (--db or HESSIAN_DB)');

  const mappingLog = logger.child({ component: 'mapping' });
  const sub = loadSubgraph(config.subgraph, {
    logger: (e: MappingLogEntry) => {
      const fields = { dataSource: e.dataSource, handler: e.handler, block: e.block, logIndex: e.logIndex };
      if (e.level === 'debug') mappingLog.debug(e.message, fields);
      else if (e.level === 'info') mappingLog.info(e.message, fields);
      else if (e.level === 'warning') mappingLog.warn(e.message, fields);
      else mappingLog.error(e.message, fields);
    },
  });
  const { runtime } = sub;
  if (sub.runtime.unimplementedImports.length) {
    logger.warn('the mappings import host functions this indexer does not implement; a handler calling one fails', {
      imports: sub.runtime.unimplementedImports,
    });
  }
  // the build's content hash guards the stored data; the IPFS hash is the id the API shows
  const buildId = deploymentId(sub);
  const deployment = await deploymentHash(sub.manifest.file);
  const filters = filtersOf(sub);
  const blockNeeds = new BlockNeeds(sub.manifest.dataSources);

  const stop = new AbortController();
  const rpc = new JsonRpcClient({
    url: config.rpcUrl,
    timeoutMs: config.rpcTimeoutMs,
    maxBatchSize: config.rpcBatchSize,
    retries: config.rpcRetries,
    metrics,
    logger: logger.child({ component: 'rpc' }),
    signal: stop.signal,
  });
  // an endpoint that does not answer now is most likely a wrong URL: say so instead of retrying forever
  try {
    await rpc.call<string>('eth_chainId', [], { retries: 2 });
  } catch (err) {
    throw new ConfigError(`cannot reach the JSON-RPC endpoint ${rpc.displayUrl}: ${(err as Error).message}`);
  }

  const db = openDatabase(config.db);
  /** GraphQL's own read-only connection (a file database only: `:memory:` is one connection's) */
  let readDb: Db | null = null;
  let server: GraphqlServer | null = null;
  let indexNode: IndexNodeServer | null = null;
  // ethereum.call & co. read through a cache in the store's file; only mappings that import them get one
  const chainReader = runtime.readsChain ? new EthChainReader(db, rpc, { url: config.rpcUrl, timeoutMs: config.rpcTimeoutMs }) : null;
  runtime.setChainReader(chainReader);
  try {
    if (runtime.needsCalls) {
      // call handlers and call-filtered block handlers are refused up front on a node without traces
      const method = await detectTraceMethod(rpc);
      if (!method) {
        const names = sub.manifest.dataSources
          .filter((ds) => ds.mapping.callHandlers.length > 0 || ds.mapping.blockHandlers.some((h) => h.filter.kind === 'call'))
          .map((ds) => ds.name);
        throw new ConfigError(
          `call handlers and \`filter: { kind: call }\` block handlers (data sources ${names.join(', ')}) need call traces, and ${rpc.displayUrl} ` +
            'offers neither debug_traceBlockByHash nor debug_traceTransaction (callTracer)',
        );
      }
      runtime.setCallSource(new BlockTracer(db, rpc, method));
    }
    const events = new EventStore(db);
    const storedDeployment = events.getMeta('deployment');
    if (storedDeployment && storedDeployment !== buildId && !config.rebuild) {
      throw new ConfigError(
        `${config.db} was indexed with a different build of the subgraph (${storedDeployment.slice(0, 18)}…, now ${buildId.slice(0, 18)}…): ` +
          're-index it from the stored chain data with --rebuild, or use another --db',
      );
    }
    const store = new EntityStore(db, sub.schema, { reset: config.rebuild === true });
    // data sources created from templates live and die with the entity state of their block
    const dynamicStore = new DynamicSourceStore(db);
    const errorStore = new SubgraphErrorStore(db);
    store.transaction(() => {
      if (config.rebuild) {
        dynamicStore.revertTo(null);
        errorStore.revertTo(null);
      }
      const storedFilters = events.getMeta('filters');
      if (storedFilters && !covers(JSON.parse(storedFilters) as DataSourceFilter[], filters)) {
        logger.warn('the data sources changed: the stored chain data does not cover them and is fetched again');
        events.clear();
        store.revertTo(null);
        dynamicStore.revertTo(null);
        errorStore.revertTo(null);
      }
      events.setMeta('filters', JSON.stringify(filters));
      events.setMeta('deployment', buildId);
    });

    const syncer = new Syncer(rpc, events, {
      dataSources: filters,
      confirmations: config.confirmations,
      maxReorgDepth: config.maxReorgDepth,
      headBatch: config.headBatch,
      needsTransactions: runtime.needsTransactions,
      needsReceipts: runtime.needsReceipts,
      matches: (log, n) => runtime.matches(log, n),
      blockNeeds: blockNeeds.empty ? null : blockNeeds,
      logRanges: { initialRange: config.logRange?.initial, maxRange: config.logRange?.max, signal: stop.signal },
      logger: logger.child({ component: 'sync' }),
      metrics,
    });
    const runner = new SubgraphRunner(
      { runtime, store, events, dynamicStore, errorStore, syncer, rpc, metrics, logger, signal: stop.signal, maxReorgDepth: config.maxReorgDepth ?? 250 },
      { pollIntervalMs, confirmations: config.confirmations ?? 0, progressIntervalMs: (config.progressIntervalSeconds ?? 10) * 1000 },
    );
    const status = () => runner.status();

    const sendHealth = (res: ServerResponse, probe: 'live' | 'ready') => {
      const s = status();
      const healthy = s.synced && !s.failed && !s.error && !s.syncError;
      res.statusCode = probe === 'live' || healthy ? 200 : 503;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ ...s, healthy, live: true, deployment }));
    };
    if (config.port !== null) {
      // queries read on their own connection: they never run inside sync's transaction nor hold
      // its connection, and in WAL mode each one sees the last committed batch
      readDb = config.db === ':memory:' ? null : openDatabase(config.db, { readonly: true });
      server = await createGraphqlServer({
        store: readDb ? EntityStore.reader(readDb, store) : store,
        schema: sub.schema,
        subgraphName: config.subgraphName ?? 'hessian',
        port: config.port ?? 0,
        host: config.host ?? '127.0.0.1',
        deployment,
        startBlock: syncer.startBlock,
        // `block: { hash }` of a block the store did not record (an eventless one): the node knows it
        lookupBlock: async (hash) => {
          const block = await rpc.call<RpcBlock | null>('eth_getBlockByHash', [hash, false], { retries: 1 });
          return block ? blockPtrOf(block) : null;
        },
        resultCacheBytes: config.resultCacheBytes,
        routes: {
          // readiness: only an indexer at the head, not failed, with its RPC answering serves
          // current answers; a load balancer should route around it otherwise
          '/health': (_req: IncomingMessage, res: ServerResponse) => sendHealth(res, 'ready'),
          '/health/ready': (_req: IncomingMessage, res: ServerResponse) => sendHealth(res, 'ready'),
          // liveness: the process serves requests. A long backfill, an RPC outage or a failed
          // subgraph are not cured by a restart, so a liveness probe must not see them as dead
          '/health/live': (_req: IncomingMessage, res: ServerResponse) => sendHealth(res, 'live'),
          '/metrics': async (_req: IncomingMessage, res: ServerResponse) => {
            runner.refreshGauges();
            res.setHeader('content-type', metrics.registry.contentType);
            res.end(await metrics.registry.metrics());
          },
        },
      });
      metrics.watchResultCache(server.cacheStats);
      if (config.indexNodePort !== null && config.indexNodePort !== undefined) {
        indexNode = await createIndexNodeServer({
          store,
          deployment,
          subgraphName: config.subgraphName ?? 'hessian',
          network: sub.manifest.dataSources[0]?.network ?? 'mainnet',
          earliestBlock: Math.max(0, syncer.startBlock - 1),
          // graph-node's synced_at: set when the head was first reached, kept after
          status: () => ({ synced: runner.hasSynced, latestBlock: store.getCursor() }),
          chainHead: async () => {
            const b = await rpc.call<RpcBlock | null>('eth_getBlockByNumber', ['latest', false], { retries: 1 });
            return b ? blockPtrOf(b) : null;
          },
          features: subgraphFeaturesOf(sub.manifest, sub.schema),
          blockHashAt: async (n) => (await rpc.call<RpcBlock | null>('eth_getBlockByNumber', ['0x' + n.toString(16), false], { retries: 1 }))?.hash ?? null,
          port: config.indexNodePort,
          host: config.host ?? '127.0.0.1',
        });
        logger.info('serving the index-node status API', { url: indexNode.url });
      }
      logger.info('serving', { url: server.url, health: server.origin + '/health', metrics: server.origin + '/metrics' });
    }

    const done = runner.run();
    done.catch(() => {});

    let stopping: Promise<void> | undefined;
    return {
      url: server?.url ?? null,
      origin: server?.origin ?? null,
      ready: runner.ready,
      done,
      status,
      store,
      events,
      db,
      subgraph: sub,
      metrics,
      deployment,
      indexNodeUrl: indexNode?.url ?? null,
      cacheStats: () => server?.cacheStats() ?? null,
      chainReads: () => (chainReader ? { ...chainReader.stats } : null),
      stop() {
        stopping ??= (async () => {
          stop.abort();
          await done.catch(() => {});
          await server?.close();
          await indexNode?.close();
          await chainReader?.close();
          readDb?.close();
          db.close();
        })();
        return stopping;
      },
    };
  } catch (err) {
    stop.abort();
    await server?.close();
    await indexNode?.close();
    await chainReader?.close();
    readDb?.close();
    db.close();
    throw err;
  }
}
