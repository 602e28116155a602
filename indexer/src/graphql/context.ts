// Per-request state and budgets: one snapshot of the head for every root field, the deadline (the
// store enforces it inside long scans), and the result-size bound rows are counted against.
import { firstErrorBlock } from '../store/subgraph-errors.ts';
import type { EntityStore, StoredFailure } from '../store/entity-store.ts';
import type { Layout } from '../store/layout.ts';
import type { BlockPtr } from '../types.ts';
import { queryStore, type QueryStore } from '../store/query.ts';
import { QueryError } from './errors.ts';
import type { FilterKey } from './where.ts';

export interface QueryLimits {
  /** graph-node's GRAPH_GRAPHQL_MAX_FIRST */
  maxFirst: number;
  /** graph-node's GRAPH_GRAPHQL_MAX_SKIP */
  maxSkip: number;
  /** graph-node's GRAPH_GRAPHQL_MAX_COMPLEXITY: sum over fields of the product of `first`s above */
  maxComplexity: number;
  /** selection depth */
  maxDepth: number;
  /** entities in one response */
  maxResultEntities: number;
  /** wall time per query, checked between SQL statements */
  timeoutMs: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxFirst: 1000,
  maxSkip: 4294967295,
  maxComplexity: 10_000_000,
  maxDepth: 32,
  maxResultEntities: 100_000,
  timeoutMs: 10_000,
};

export interface ApiMeta {
  layout: Layout;
  /** filter keys per entity type, from the generated `X_filter` inputs */
  filterKeys: Map<string, Map<string, FilterKey>>;
  deployment: string;
  limits: QueryLimits;
  /**
   * The first block with data, as graph-node's `earliest_block_number`: the manifest's lowest
   * `startBlock` minus one (0 for a start at genesis); earlier blocks are refused.
   */
  earliestBlock: number;
  /** finds a block the store did not record by its hash (the indexer asks its JSON-RPC node) */
  lookupBlock?: (hash: string) => Promise<BlockPtr | null>;
  /** `lookupBlock`'s answers by hash (pending ones included) */
  lookedUp: Map<string, Promise<BlockPtr | null>>;
}

/** Per request: one snapshot of the head so every root field reads the same state. */
export interface ExecContext {
  store: EntityStore;
  api: ApiMeta;
  head: BlockPtr | null;
  failure: StoredFailure | null;
  /** block of the first non-fatal handler error (`features: [nonFatalErrors]`), or null */
  firstErrorBlock: number | null;
  deadline: number;
  entities: number;
  complexity: number;
  /** response keys of root fields that read a block with indexing errors, and their policy */
  indexingErrors: Map<string, 'allow' | 'deny'>;
  /** subscriptions: yields now and after each store commit, refreshing this context's head */
  heads?: () => AsyncIterable<unknown>;
  /**
   * Set when the answer has data and no error of any kind: it may be served again at the same
   * head. An object, because Apollo hands plugins a shallow copy of the context.
   */
  outcome: { cacheable: boolean };
}

/** Re-reads the head and restarts the budgets: once per request, and per subscription event. */
export function refreshExecContext(ctx: ExecContext): void {
  ctx.head = ctx.store.getCursor();
  ctx.failure = ctx.store.getFailed();
  ctx.firstErrorBlock = firstErrorBlock(ctx.store.db);
  ctx.deadline = Date.now() + ctx.api.limits.timeoutMs;
  ctx.entities = 0;
  ctx.complexity = 0;
  ctx.indexingErrors.clear();
  ctx.outcome = { cacheable: false };
}

export function newExecContext(store: EntityStore, api: ApiMeta): ExecContext {
  return {
    store,
    api,
    head: store.getCursor(),
    failure: store.getFailed(),
    firstErrorBlock: firstErrorBlock(store.db),
    deadline: Date.now() + api.limits.timeoutMs,
    entities: 0,
    complexity: 0,
    indexingErrors: new Map(),
    outcome: { cacheable: false },
  };
}

/** The store's query interface over this request's connection and the API's layout. */
export function rowsStore(ctx: ExecContext): QueryStore {
  return queryStore(ctx.store.db, ctx.api.layout);
}

/** Counts rows read against the request's `maxResultEntities`. */
export function counted<T>(ctx: ExecContext, rows: T[]): T[] {
  ctx.entities += rows.length;
  if (ctx.entities > ctx.api.limits.maxResultEntities) {
    throw new QueryError(
      `the result size of more than ${ctx.api.limits.maxResultEntities} entities is larger than the allowed limit of ${ctx.api.limits.maxResultEntities}; query fewer entities (smaller \`first\`, fewer nested collections)`,
    );
  }
  return rows;
}
