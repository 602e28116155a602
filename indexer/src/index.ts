// @hessian/indexer: the embedded subgraph indexer. `startIndexer` is what `hessian index` and the demo
// use; the parts are exported for tests and tools that need one of them alone.
export { startIndexer, deploymentId, ConfigError } from './indexer.ts';
export type { IndexerConfig, IndexerStatus, RunningIndexer } from './indexer.ts';
export type { ResultCacheStats } from './metrics.ts';
export { loadSubgraph, readManifest, ManifestError } from './manifest.ts';
export type { SubgraphManifest, DataSourceDef, EventHandlerDef, LoadedSubgraph } from './manifest.ts';
export { HandlerError } from './runtime/errors.ts';
export { openDatabase } from './db.ts';
export type { Db } from './db.ts';
export { EntityStore } from './store/entity-store.ts';
export { createGraphqlServer } from './graphql/server.ts';
export { buildApiSchema } from './graphql/api-schema.ts';
export type { GraphqlServer, GraphqlServerOptions } from './graphql/server.ts';
export { loadSchema, parseSchema } from './schema.ts';
export type { SubgraphSchema } from './schema.ts';
export { EventStore } from './store/event-store.ts';
export type { SyncBatch, SyncedBlock } from './store/event-store.ts';
export { Syncer, ReorgTooDeepError, UnsettledError } from './sync/syncer.ts';
export type { SyncOptions, SyncStep, DataSourceFilter } from './sync/syncer.ts';
export { JsonRpcClient, RpcError, TransportError } from './sync/rpc.ts';
export { LogRangeFetcher, isRangeError, rangeHint } from './sync/log-ranges.ts';
export { createLogger, parseLogLevel, silentLogger } from './log.ts';
export type { Logger, LogLevel } from './log.ts';
export { createMetrics } from './metrics.ts';
export type { IndexerMetrics } from './metrics.ts';
export type * from './types.ts';
export { blockPtrOf } from './types.ts';
