// What the runner's steps work with: the pieces startIndexer wires together.
import type { SubgraphRuntime } from '../runtime/runtime.ts';
import type { EntityStore } from '../store/entity-store.ts';
import type { DynamicSourceStore } from '../store/dynamic-sources.ts';
import type { SubgraphErrorStore } from '../store/subgraph-errors.ts';
import type { EventStore } from '../store/event-store.ts';
import type { JsonRpcClient } from '../sync/rpc.ts';
import type { Syncer } from '../sync/syncer.ts';
import type { Logger } from '../log.ts';
import type { IndexerMetrics } from '../metrics.ts';

export interface RunnerContext {
  runtime: SubgraphRuntime;
  store: EntityStore;
  events: EventStore;
  /** data sources created from templates, stored with their creation block */
  dynamicStore: DynamicSourceStore;
  /** non-fatal handler errors (features: [nonFatalErrors]) */
  errorStore: SubgraphErrorStore;
  syncer: Syncer;
  rpc: JsonRpcClient;
  metrics: IndexerMetrics;
  logger: Logger;
  /** aborted by stop() */
  signal: AbortSignal;
  /** event-store rows deeper than this below the head are pruned */
  maxReorgDepth: number;
}
