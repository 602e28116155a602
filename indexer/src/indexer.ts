// The indexer as one running thing: sync feeds blocks, the runtime turns each block's logs into
// entity changes, and every batch (event-store rows, entity versions, cursor) commits in one
// SQLite transaction, so a kill -9 at any moment leaves the store at a batch boundary and a
// restart continues from there to the same result. Deterministic handler errors stop indexing at
// their block and mark the subgraph failed, as graph-node does; RPC trouble is retried forever.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openDatabase, type Db } from './db.ts';
import { loadSubgraph, type LoadedSubgraph } from './manifest.ts';
import { HandlerError } from './runtime/errors.ts';
import type { MappingLogEntry } from './runtime/runtime.ts';
import { EntityStore } from './store/entity-store.ts';
import { createGraphqlServer, type GraphqlServer } from './graphql/server.ts';
import { createIndexNodeServer, subgraphFeaturesOf, type IndexNodeServer } from './graphql/index-node.ts';
import { deploymentHash } from './deployment-hash.ts';
import { EventStore, type SyncBatch, type SyncedBlock } from './sync/event-store.ts';
import { AbortedError, JsonRpcClient, RpcError, TransportError, isTransient, sleep } from './sync/rpc.ts';
import { ReorgTooDeepError, Syncer, UnsettledError, type DataSourceFilter, type SyncStep } from './sync/syncer.ts';
import { Progress } from './sync/progress.ts';
import { dynamicFilters, fetchCreatedLogs } from './sync/dynamic-sources.ts';
import { DynamicSourceStore } from './store/dynamic-sources.ts';
import { SubgraphErrorStore, type NonFatalError } from './store/subgraph-errors.ts';
import type { DynamicDataSource } from './runtime/host/data-source.ts';
import { createLogger, type Logger, type LogLevel } from './log.ts';
import { createMetrics, type IndexerMetrics, type ResultCacheStats } from './metrics.ts';
import { blockPtrOf, type BlockPtr, type EntityChange, type EntityData, type EntityReader, type RpcBlock } from './types.ts';

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

export interface IndexerStatus {
  /** at the head (minus confirmations) as of the last sync step, and not failed */
  synced: boolean;
  failed: { message: string; block: number; handler: string | null } | null;
  /** the store's cursor */
  block: BlockPtr | null;
  chainHead: number | null;
  lag: number | null;
  /** a fatal error stopped indexing (other than a handler failure) */
  error: string | null;
  /** sync has been failing for several attempts in a row (an RPC outage); cleared by the next success */
  syncError: string | null;
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
  stop(): Promise<void>;
}

/** Configuration mistakes and unusable inputs, reported before anything runs. */
export class ConfigError extends Error {
  override name = 'ConfigError';
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
        (s.endBlock == null || (w.endBlock != null && w.endBlock <= s.endBlock)),
    ),
  );
}

const FAILED_MSG = 'indexing stopped: the subgraph failed';
const YIELD_EVERY_MS = 10;

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
  try {
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
      logRanges: { initialRange: config.logRange?.initial, maxRange: config.logRange?.max, signal: stop.signal },
      logger: logger.child({ component: 'sync' }),
      metrics,
    });
    runtime.dataSources.restore(dynamicStore.load());
    const template = (name: string) => runtime.dataSources.template(name);
    /** sync asks for what the data sources created so far need (call while no step runs) */
    const followDynamic = () => syncer.setDynamicSources(dynamicFilters(runtime.dataSources.all(), template));
    let followed = runtime.dataSources.size;
    if (followed > 0) followDynamic();
    /** reverts the entity state and the data sources created after `ptr` together */
    const revertStore = (ptr: BlockPtr | null) => {
      store.revertTo(ptr);
      dynamicStore.revertTo(ptr?.number ?? null);
      errorStore.revertTo(ptr?.number ?? null);
      runtime.dataSources.revertTo(ptr?.number ?? null);
    };

    const state = {
      /** caught up once: `ready` resolved */
      synced: false,
      /** the last step left nothing to fetch (false again while catching up after falling behind) */
      atHead: false,
      chainHead: null as number | null,
      error: null as string | null,
      syncError: null as string | null,
    };
    const status = (): IndexerStatus => {
      const block = store.getCursor();
      const f = store.getFailed();
      return {
        synced: state.atHead && !f,
        failed: f ? { message: f.message, block: f.blockNumber, handler: f.handler } : null,
        block,
        chainHead: state.chainHead,
        lag: state.chainHead !== null ? Math.max(0, state.chainHead - (block?.number ?? syncer.startBlock - 1)) : null,
        error: state.error,
        syncError: state.syncError,
      };
    };
    const refreshGauges = () => {
      const s = status();
      if (s.block) metrics.indexedBlock.set(s.block.number);
      if (s.lag !== null) metrics.lagBlocks.set(s.lag);
      metrics.failed.set(s.failed ? 1 : 0);
    };

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
            refreshGauges();
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
          status: () => ({ synced: state.synced, latestBlock: store.getCursor() }),
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

    const progress = new Progress(syncer.startBlock);
    let lastProgressLog = Date.now();
    const progressEvery = (config.progressIntervalSeconds ?? 10) * 1000;

    /**
     * Runs the handlers of `blocks` in order; stops at the first deterministic failure. `fetch`
     * (sync, not a replay of stored data): a block whose handlers create data sources gets their
     * logs of that block from the node and ends the run (`cut`): the blocks after it were fetched
     * without the new addresses.
     */
    const runBlocks = async (blocks: SyncedBlock[], fetch = false) => {
      const overlay = new Map<string, EntityData | null>();
      // blocks of a batch commit together, so a block must see the changes of the ones before it
      const reader: EntityReader = {
        get: (type, id) => {
          const k = type + '\0' + id;
          return overlay.has(k) ? overlay.get(k)! : store.get(type, id);
        },
      };
      const done: Array<{ b: SyncedBlock; changes: EntityChange[]; created: DynamicDataSource[]; errors: NonFatalError[] }> = [];
      let failure: { b: SyncedBlock; err: HandlerError } | null = null;
      let cut: SyncedBlock | null = null;
      let yielded = performance.now();
      for (const b of blocks) {
        // handlers run synchronously: without a turn of the event loop now and then, the next
        // range's requests (prefetched meanwhile) would not even be sent until the batch is done
        if (performance.now() - yielded > YIELD_EVERY_MS) {
          await new Promise<void>((r) => setImmediate(r));
          yielded = performance.now();
        }
        const t0 = performance.now();
        try {
          const logsFor = fetch
            ? (created: DynamicDataSource[]) => fetchCreatedLogs(rpc, b, created, template, { needsTransactions: runtime.needsTransactions, needsReceipts: runtime.needsReceipts })
            : undefined;
          const skipped: HandlerError[] = [];
          const changes = await runtime.processBlock(b.block, b.logs, reader, {
            ...(b.receipts ? { receipts: b.receipts } : {}),
            ...(logsFor ? { logsFor } : {}),
            nonFatalErrors: skipped,
          });
          for (const c of changes) overlay.set(c.entityType + '\0' + c.id, c.data);
          const created = runtime.dataSources.createdIn(b.ptr.number);
          const errors = skipped.map((e) => {
            // graph-node's wording: the error with its trigger's context (`transaction <hash>`) in front
            const message = `transaction ${e.transactionHash.replace(/^0x/, '')}: ${e.reason}`;
            logger.error('Handler skipped due to execution failure', { handler: e.handler, dataSource: e.dataSource, block: e.block, logIndex: e.logIndex, error: message });
            return { message, blockNumber: e.block, blockHash: e.blockHash, handler: e.handler };
          });
          done.push({ b, changes, created, errors });
          metrics.eventsProcessed.inc(b.logs.length);
          if (fetch && created.length > 0) {
            cut = b;
            break;
          }
        } catch (err) {
          if (!(err instanceof HandlerError)) throw err;
          failure = { b, err };
          break;
        } finally {
          metrics.handlerSeconds.observe((performance.now() - t0) / 1000);
        }
      }
      return { done, failure, cut };
    };
    const applyDone = (d: { b: SyncedBlock; changes: EntityChange[]; created: DynamicDataSource[]; errors: NonFatalError[] }) => {
      store.applyBlock(d.b.ptr, d.changes);
      dynamicStore.add(d.created);
      errorStore.add(d.errors);
    };

    const markFailed = (ptr: BlockPtr, message: string, handler: string | null, fields: Record<string, unknown> = {}) => {
      store.setFailed({ message, block: ptr, ...(handler ? { handler } : {}) });
      metrics.failed.set(1);
      logger.error('subgraph failed: indexing stopped at the failing block', { block: ptr.number, handler, error: message, ...fields });
    };
    const markHandlerFailed = (failure: { b: SyncedBlock; err: HandlerError }) =>
      markFailed(failure.b.ptr, failure.err.message, `${failure.err.dataSource}.${failure.err.handler}`, { logIndex: failure.err.logIndex, reason: failure.err.reason });

    /**
     * The store refused a block's changes (a schema rule the runtime let through): deterministic
     * like a handler error. The batch rolled back as a whole, so its blocks are committed one by
     * one to stop exactly at the refused one.
     */
    const commitOneByOne = (batch: SyncBatch, done: Array<{ b: SyncedBlock; changes: EntityChange[]; created: DynamicDataSource[]; errors: NonFatalError[] }>, original: Error): false => {
      let prev = events.head()?.number ?? -1;
      for (const d of done) {
        const headers = batch.headers.filter((h) => h.number > prev && h.number < d.b.ptr.number);
        try {
          store.transaction(() => {
            events.append({ blocks: [d.b], headers, to: d.b.ptr });
            applyDone(d);
          });
        } catch (err) {
          if ((err as Error).name !== 'StoreError') throw err;
          markFailed(d.b.ptr, (err as Error).message, null);
          return false;
        }
        prev = d.b.ptr.number;
      }
      throw original;
    };

    /** One sync batch: handlers, then event-store rows + entity versions + cursor in one transaction. */
    const applyBatch = async (batch: SyncBatch): Promise<boolean> => {
      const before = events.head();
      const { done, failure, cut } = await runBlocks(batch.blocks, true);
      const commit = () => store.transaction(() => {
        if (cut && !failure) {
          // the rest of the batch is fetched again with the new data sources' addresses
          const n = cut.ptr.number;
          events.append({ blocks: done.map((d) => d.b), headers: batch.headers.filter((h) => h.number < n), to: cut.ptr });
          for (const d of done) applyDone(d);
          if (n > (store.getCursor()?.number ?? -1)) store.advanceCursor(cut.ptr);
          return;
        }
        if (failure) {
          const n = failure.b.ptr.number;
          const known = [...done.map((d) => d.b.ptr), ...batch.headers.filter((h) => h.number < n)].sort((a, b) => a.number - b.number);
          const to = known.at(-1);
          if (to) {
            events.append({ blocks: done.map((d) => d.b), headers: batch.headers.filter((h) => h.number < n), to });
            for (const d of done) applyDone(d);
            if (to.number > (store.getCursor()?.number ?? -1)) store.advanceCursor(to);
          }
          markHandlerFailed(failure);
          return;
        }
        events.append(batch);
        for (const d of done) applyDone(d);
        if (batch.to.number > (store.getCursor()?.number ?? -1)) store.advanceCursor(batch.to);
        events.prune((state.chainHead ?? batch.to.number) - (config.maxReorgDepth ?? 250));
      });
      try {
        commit();
      } catch (err) {
        if ((err as Error).name !== 'StoreError') throw err;
        return commitOneByOne(batch, done, err as Error);
      }
      const to = store.getCursor();
      const covered = (to?.number ?? 0) - (before?.number ?? syncer.startBlock - 1);
      if (covered > 0) metrics.blocksProcessed.inc(covered);
      progress.record(to?.number ?? 0, done.reduce((n, d) => n + d.b.logs.length, 0));
      refreshGauges();
      return failure === null;
    };

    /** Entity state behind the event store (a rebuild, or a crash between the two): replay locally. */
    const replay = async () => {
      const head = events.head();
      const cursor = store.getCursor();
      if (!head) return true;
      if (cursor && cursor.number > head.number) {
        store.transaction(() => revertStore(head));
        return true;
      }
      if (cursor && cursor.number === head.number) return true;
      const from = cursor ? cursor.number + 1 : 0;
      logger.info('re-indexing from the stored chain data', { from, to: head.number, blocks: events.counts().blocks });
      const t0 = Date.now();
      let chunk: SyncedBlock[] = [];
      let eventsDone = 0;
      const flush = async () => {
        const { done, failure } = await runBlocks(chunk);
        try {
          store.transaction(() => {
            for (const d of done) applyDone(d);
            if (failure) markHandlerFailed(failure);
          });
        } catch (err) {
          if ((err as Error).name !== 'StoreError') throw err;
          for (const d of done) {
            try {
              store.transaction(() => applyDone(d));
            } catch (e) {
              if ((e as Error).name !== 'StoreError') throw e;
              markFailed(d.b.ptr, (e as Error).message, null);
              return false;
            }
          }
          throw err;
        }
        eventsDone += done.reduce((n, d) => n + d.b.logs.length, 0);
        chunk = [];
        return !failure;
      };
      for (const b of events.blocksWithLogs(from, head.number)) {
        if (stop.signal.aborted) return false;
        chunk.push(b);
        if (chunk.length >= 500 && !(await flush())) return false;
      }
      if (chunk.length && !(await flush())) return false;
      store.transaction(() => {
        if (head.number > (store.getCursor()?.number ?? -1)) store.advanceCursor(head);
      });
      logger.info('re-indexed from the stored chain data', { to: head.number, events: eventsDone, seconds: (Date.now() - t0) / 1000 });
      return true;
    };

    let resolveReady!: () => void;
    let rejectReady!: (err: Error) => void;
    const ready = new Promise<void>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    ready.catch(() => {});

    /** the query-only indexes a backfill from scratch left out (EntityStore.deferAttributeIndexes) */
    const buildDeferredIndexes = () => {
      if (!store.attributeIndexesDeferred()) return;
      const t0 = Date.now();
      const indexes = store.createAttributeIndexes();
      logger.info('created the query indexes deferred during backfill', { indexes, seconds: (Date.now() - t0) / 1000 });
    };

    const loop = async (): Promise<void> => {
      // an empty store is far behind: it updates only the indexes writes need until it catches up
      if (!store.getCursor() && !store.getFailed()) store.deferAttributeIndexes();
      if (store.getFailed()) {
        const f = store.getFailed()!;
        logger.error('the subgraph has failed before; not indexing (fix the subgraph and run with --rebuild)', { block: f.blockNumber, error: f.message });
        rejectReady(new Error(`${FAILED_MSG} at block ${f.blockNumber}: ${f.message}`));
        return;
      }
      if (!(await replay())) {
        const f = store.getFailed();
        if (f) rejectReady(new Error(`${FAILED_MSG} at block ${f.blockNumber}: ${f.message}`));
        return;
      }
      if (runtime.dataSources.size !== followed) {
        followed = runtime.dataSources.size;
        followDynamic();
      }
      let attempt = 0;
      // while catching up, the next range is fetched while this one runs through the handlers:
      // backfill speed is then the slower of the two, not their sum
      let prefetched: Promise<SyncStep> | null = null;
      let announced = false;
      let unsettled = 0;
      // every exit (stop, a handler failure, a fatal error) waits for a prefetch in flight: stop()
      // closes the database next, under a step that may still be running
      try {
        while (!stop.signal.aborted) {
          try {
            let step: SyncStep;
            if (prefetched) {
              const p = prefetched;
              prefetched = null;
              step = await p.catch(() => syncer.step());
              // it was fetched from the head just committed; a reorg or idle verdict is asked again
              if (step.kind !== 'batch') step = await syncer.step();
            } else step = await syncer.step();
            attempt = 0;
            if (step.kind !== 'idle' || step.reason === 'synced') state.syncError = null;
            state.chainHead = step.chainHead;
            if (step.kind === 'batch') {
              if (!state.synced && !announced) {
                announced = true;
                logger.info('indexing', { from: (store.getCursor()?.number ?? syncer.startBlock - 1) + 1, chainHead: step.chainHead, target: step.target });
              }
              // near the head too: the prefetch links its blocks to this batch's last one, and if
              // this batch is not committed after all (a handler failure) it is dropped
              if (step.batch.to.number < step.target) {
                prefetched = syncer.step(step.batch.to);
                prefetched.catch(() => {});
              }
              if (!(await applyBatch(step.batch))) {
                const f = store.getFailed()!;
                rejectReady(new Error(`${FAILED_MSG} at block ${f.blockNumber}: ${f.message}`));
                return;
              }
              if (runtime.dataSources.size !== followed) {
                // the prefetch asked for the old addresses (and from the end of a batch that was cut)
                const abandoned = prefetched;
                prefetched = null;
                await abandoned?.catch(() => {});
                followed = runtime.dataSources.size;
                followDynamic();
              }
              // a batch cut after a block that created data sources ends before its `to`
              state.atHead = (store.getCursor()?.number ?? -1) >= step.target;
              if (!state.synced && state.atHead) markSynced();
              else if (!state.atHead) maybeLogProgress(step.chainHead);
            } else if (step.kind === 'reorg') {
              store.transaction(() => {
                events.revertTo(step.forkPoint);
                revertStore(step.forkPoint);
              });
              if (runtime.dataSources.size !== followed) {
                followed = runtime.dataSources.size;
                followDynamic();
              }
              metrics.reorgs.inc();
              metrics.reorgDepth.observe(step.depth);
              logger.warn('reverted a chain reorganisation', { forkPoint: step.forkPoint?.number ?? null, depth: step.depth });
              refreshGauges();
            } else {
              unsettled = step.reason === 'unsettled' ? unsettled + 1 : 0;
              if (unsettled > 0 && unsettled % 20 === 0) {
                // a node whose headers never link up (or whose logs name other blocks) would loop here silently
                state.syncError = `the node's answers keep disagreeing (parent hashes or log block hashes) after ${unsettled} attempts`;
                logger.warn('the node keeps answering inconsistently; retrying', { attempts: unsettled });
              }
              if (step.reason === 'synced') state.atHead = true;
              if (step.reason === 'synced' && !state.synced) markSynced();
              refreshGauges();
              await sleep(step.reason === 'synced' ? pollIntervalMs : Math.min(pollIntervalMs, 250), stop.signal);
            }
          } catch (err) {
            // a prefetch started from a batch that did not commit would continue from the wrong head;
            // it is let finish first so that two steps never run at once
            const abandoned = prefetched;
            prefetched = null;
            await abandoned?.catch(() => {});
            if (err instanceof AbortedError || stop.signal.aborted) break;
            if (err instanceof ReorgTooDeepError || (err instanceof RpcError && !isTransient(err))) throw err;
            if (!(err instanceof UnsettledError || err instanceof TransportError || isTransient(err))) throw err;
            const wait = rpc.backoff(Math.min(attempt++, 6));
            // one failed step is routine with public endpoints; several in a row are an outage
            if (attempt >= 3) state.syncError = (err as Error).message;
            logger.warn('sync step failed, retrying', { error: (err as Error).message, attempt, waitMs: Math.round(wait) });
            await sleep(wait, stop.signal).catch(() => {});
          }
        }
      } finally {
        await prefetched?.catch(() => {});
      }
    };

    const markSynced = () => {
      buildDeferredIndexes();
      state.synced = true;
      const c = store.getCursor();
      logger.info('caught up with the chain head', { block: c?.number ?? null, chainHead: state.chainHead });
      resolveReady();
    };
    const maybeLogProgress = (chainHead: number) => {
      if (!progressEvery || Date.now() - lastProgressLog < progressEvery) return;
      lastProgressLog = Date.now();
      logger.info('backfill progress', { ...progress.report(chainHead - (config.confirmations ?? 0)) });
    };

    const done = loop().then(
      () => {
        // a failed subgraph serves its last state for good: with every index
        if (store.getFailed()) buildDeferredIndexes();
        rejectReady(new Error('indexer stopped before it caught up with the chain head'));
      },
      (err: Error) => {
        state.error = err.message;
        logger.error('indexing stopped', { error: err.message });
        rejectReady(err);
        throw err;
      },
    );
    done.catch(() => {});

    let stopping: Promise<void> | undefined;
    return {
      url: server?.url ?? null,
      origin: server?.origin ?? null,
      ready,
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
      stop() {
        stopping ??= (async () => {
          stop.abort();
          await done.catch(() => {});
          await server?.close();
          await indexNode?.close();
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
    readDb?.close();
    db.close();
    throw err;
  }
}
