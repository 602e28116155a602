// Prometheus metrics for one indexer. Each indexer owns its registry so several can run in one
// process (tests, the demo) without their counters colliding.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface IndexerMetrics {
  registry: Registry;
  blocksProcessed: Counter;
  eventsProcessed: Counter;
  handlerSeconds: Histogram;
  rpcRequests: Counter<'method'>;
  rpcErrors: Counter<'method' | 'kind'>;
  chainHead: Gauge;
  indexedBlock: Gauge;
  lagBlocks: Gauge;
  reorgs: Counter;
  reorgDepth: Histogram;
  failed: Gauge;
  /** reads the GraphQL result cache's figures at each scrape (the server's `cacheStats`) */
  watchResultCache(stats: () => ResultCacheStats): void;
}

export interface ResultCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): IndexerMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'hessian_indexer_' });
  const registers = [registry];
  // the cache counts for itself; the metrics copy its figures when scraped instead of being told of each request
  let cacheStats: (() => ResultCacheStats) | null = null;
  const cacheCounter = (name: string, help: string, pick: (s: ResultCacheStats) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        if (!cacheStats) return;
        this.reset();
        this.inc(pick(cacheStats()));
      },
    });
  const cacheGauge = (name: string, help: string, pick: (s: ResultCacheStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        if (cacheStats) this.set(pick(cacheStats()));
      },
    });
  cacheCounter('hessian_indexer_graphql_cache_hits_total', 'GraphQL answers served from the result cache', (s) => s.hits);
  cacheCounter('hessian_indexer_graphql_cache_misses_total', 'GraphQL answers computed because the result cache had none for the request at the current head', (s) => s.misses);
  cacheGauge('hessian_indexer_graphql_cache_entries', 'Answers kept in the GraphQL result cache (all for the current head)', (s) => s.entries);
  cacheGauge('hessian_indexer_graphql_cache_bytes', 'Characters of the answers and request keys kept in the GraphQL result cache (the size --result-cache-mb bounds)', (s) => s.bytes);
  return {
    watchResultCache(stats) {
      cacheStats = stats;
    },
    registry,
    blocksProcessed: new Counter({
      name: 'hessian_indexer_blocks_processed_total',
      help: 'Blocks whose range the indexer has committed (with or without events)',
      registers,
    }),
    eventsProcessed: new Counter({
      name: 'hessian_indexer_events_processed_total',
      help: 'Matching logs run through the subgraph handlers',
      registers,
    }),
    handlerSeconds: new Histogram({
      name: 'hessian_indexer_block_handler_seconds',
      help: 'Time spent running the handlers of one block',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    rpcRequests: new Counter({
      name: 'hessian_indexer_rpc_requests_total',
      help: 'JSON-RPC calls sent (each call of a batch counts once)',
      labelNames: ['method'],
      registers,
    }),
    rpcErrors: new Counter({
      name: 'hessian_indexer_rpc_errors_total',
      help: 'Failed JSON-RPC calls by kind (http, timeout, network, invalid-response, rpc, range)',
      labelNames: ['method', 'kind'],
      registers,
    }),
    chainHead: new Gauge({ name: 'hessian_indexer_chain_head_block', help: 'Latest block number the RPC reported', registers }),
    indexedBlock: new Gauge({ name: 'hessian_indexer_indexed_block', help: 'Block number the store is indexed up to', registers }),
    lagBlocks: new Gauge({ name: 'hessian_indexer_head_lag_blocks', help: 'Chain head minus indexed block', registers }),
    reorgs: new Counter({ name: 'hessian_indexer_reorgs_total', help: 'Chain reorganisations handled', registers }),
    reorgDepth: new Histogram({
      name: 'hessian_indexer_reorg_depth_blocks',
      help: 'Blocks reverted per reorganisation',
      buckets: [1, 2, 3, 5, 8, 13, 21, 34, 55, 89],
      registers,
    }),
    failed: new Gauge({ name: 'hessian_indexer_failed', help: '1 when a deterministic handler error stopped indexing', registers }),
  };
}
