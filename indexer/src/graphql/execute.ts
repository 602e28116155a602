// Resolution of graph-node's query API over the versioned SQLite tables. A root field plans its
// whole subtree level by level (as graph-node's prefetch does): one SQL statement for the root
// collection, then one per nested entity field for all parents at once (window functions give
// each parent its own first/skip/orderBy), so a query costs O(depth) statements, never N+1.
import { getArgumentValues, GraphQLObjectType, type FieldNode, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import type { Statement } from 'better-sqlite3';
import type { FieldDef } from '../schema.ts';
import { bytesToHex, decodeBigDecimal, decodeBigInt } from '../store/encoding.ts';
import type { EntityStore, StoredFailure } from '../store/entity-store.ts';
import { idToSql, OPEN, type Column, type ColumnKind, type Layout, type Table } from '../store/layout.ts';
import type { BlockPtr } from '../types.ts';
import { collectFields, subSelections, type CollectEnv } from './collect.ts';
import { parseBytes } from './scalars.ts';
import { blockCondition, filterSql, idAsJsonItem, idSetSql, QueryError, type BlockRef, type FilterContext, type FilterKey } from './filters.ts';

/** Where nested entity values live on a parent object: REF + response key (aliases differ). */
export const REF = '\u0000';
const RAW = Symbol('row');

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
}

/** Per request: one snapshot of the head so every root field reads the same state. */
export interface ExecContext {
  store: EntityStore;
  api: ApiMeta;
  head: BlockPtr | null;
  failure: StoredFailure | null;
  deadline: number;
  entities: number;
  complexity: number;
  /** response keys of root fields that read a block with indexing errors, and their policy */
  indexingErrors: Map<string, 'allow' | 'deny'>;
  /** subscriptions: yields now and after each store commit, refreshing this context's head */
  heads?: () => AsyncIterable<unknown>;
}

/** Re-reads the head and restarts the budgets: once per request, and per subscription event. */
export function refreshExecContext(ctx: ExecContext): void {
  ctx.head = ctx.store.getCursor();
  ctx.failure = ctx.store.getFailed();
  ctx.deadline = Date.now() + ctx.api.limits.timeoutMs;
  ctx.entities = 0;
  ctx.complexity = 0;
  ctx.indexingErrors.clear();
}

export function newExecContext(store: EntityStore, api: ApiMeta): ExecContext {
  return {
    store,
    api,
    head: store.getCursor(),
    failure: store.getFailed(),
    deadline: Date.now() + api.limits.timeoutMs,
    entities: 0,
    complexity: 0,
    indexingErrors: new Map(),
  };
}

type Obj = Record<string, unknown> & { [RAW]?: Record<string, unknown> };

const stmtCache = new WeakMap<object, Map<string, Statement<unknown[]>>>();

// better-sqlite3 cannot interrupt a running statement, so every query's WHERE also calls
// `hessian_deadline()`, a SQL function that fails once the running request's deadline passed:
// a long scan stops within a few hundred rows of it. (Statements run synchronously, one at a
// time, so one module-level deadline is enough.)
let runningDeadline = Infinity;
let deadlineCalls = 0;
const TIMED_OUT = 'Query timed out';
export const DEADLINE = 'hessian_deadline()';

function registerDeadline(db: EntityStore['db']): void {
  db.function('hessian_deadline', { deterministic: false, directOnly: true }, () => {
    if ((++deadlineCalls & 255) === 0 && Date.now() > runningDeadline) throw new Error(TIMED_OUT);
    return 1;
  });
}

function run(ctx: ExecContext, sql: string, params: unknown[]): Record<string, unknown>[] {
  if (Date.now() > ctx.deadline) throw new QueryError(TIMED_OUT);
  let cache = stmtCache.get(ctx.store.db);
  if (!cache) {
    registerDeadline(ctx.store.db);
    stmtCache.set(ctx.store.db, (cache = new Map()));
  }
  let stmt = cache.get(sql);
  if (!stmt) {
    stmt = ctx.store.db.prepare<unknown[]>(sql).safeIntegers(true);
    if (cache.size > 500) cache.clear();
    cache.set(sql, stmt);
  }
  let rows: Record<string, unknown>[];
  runningDeadline = ctx.deadline;
  try {
    rows = stmt.all(...params) as Record<string, unknown>[];
  } catch (err) {
    if ((err as Error).message === TIMED_OUT) throw new QueryError(TIMED_OUT);
    throw err;
  } finally {
    runningDeadline = Infinity;
  }
  ctx.entities += rows.length;
  if (ctx.entities > ctx.api.limits.maxResultEntities) {
    throw new QueryError(
      `the result size of more than ${ctx.api.limits.maxResultEntities} entities is larger than the allowed limit of ${ctx.api.limits.maxResultEntities}; query fewer entities (smaller \`first\`, fewer nested collections)`,
    );
  }
  return rows;
}

function outScalar(kind: ColumnKind, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  switch (kind) {
    case 'string':
      return raw;
    case 'int':
      return Number(raw);
    case 'int8':
    case 'timestamp':
      return String(raw);
    case 'bigint':
      return decodeBigInt(raw as string).toString();
    case 'bigdecimal':
      return decodeBigDecimal(raw as string);
    case 'bool':
      return Number(raw) !== 0;
    case 'bytes':
      return bytesToHex(raw as Buffer);
  }
}

function outValue(c: Column, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  if (c.list) return JSON.parse(raw as string);
  return outScalar(c.kind, raw);
}

// One class per entity table whose prototype getters convert a column only when graphql-js reads
// the field: a query selecting two fields of a 30-column entity converts two values per row.
const rowClasses = new WeakMap<Table, new (row: Record<string, unknown>) => Obj>();

function rowClass(t: Table): new (row: Record<string, unknown>) => Obj {
  let cls = rowClasses.get(t);
  if (!cls) {
    cls = class {
      constructor(row: Record<string, unknown>) {
        (this as unknown as Obj)[RAW] = row;
      }
    } as unknown as new (row: Record<string, unknown>) => Obj;
    Object.defineProperty(cls.prototype, '__typename', { value: t.entity.name, enumerable: true });
    for (const c of t.columns) {
      Object.defineProperty(cls.prototype, c.field.name, {
        enumerable: true,
        get(this: Obj) {
          return outValue(c, this[RAW]![c.field.name]);
        },
      });
    }
    rowClasses.set(t, cls);
  }
  return cls;
}

function toObject(t: Table, row: Record<string, unknown>): Obj {
  return new (rowClass(t))(row);
}

// ---- block constraints ----

export interface BlockHeightArg {
  /** Bytes input (or a plain string when a variable was declared `String`) */
  hash?: { hex: string } | string | null;
  number?: number | null;
  number_gte?: number | null;
}

export interface ResolvedBlock extends BlockRef {
  /** null when the query named a block by number (graph-node does not look the hash up) */
  hash: string | null;
}

function notYet(ctx: ExecContext, arg: string, head: number, wanted: number): QueryError {
  return new QueryError(
    `Failed to decode \`${arg}\` value: \`subgraph ${ctx.api.deployment} has only indexed up to block number ${head} and data for block number ${wanted} is therefore not yet available\``,
  );
}

/**
 * The block condition to put in SQL right now: while the store's cursor is still the block being
 * read, "valid at that block" is exactly "current" (`__to = OPEN`), an equality the `(__to, id)`
 * index serves in id order. Once a commit has moved the cursor past it, the general range applies.
 */
function sqlBlock(ctx: ExecContext, block: ResolvedBlock): BlockRef {
  return ctx.store.getCursor()?.number === block.number ? { number: OPEN } : block;
}

export function resolveBlock(ctx: ExecContext, block: BlockHeightArg | null | undefined): ResolvedBlock {
  const head = ctx.head;
  if (!head) {
    throw new QueryError(`Subgraph \`${ctx.api.deployment}\` has not started syncing yet. Wait for it to ingest a few blocks before querying it`);
  }
  if (block?.hash) {
    const hash = typeof block.hash === 'string' ? parseBytes(block.hash) : block.hash;
    const ptr = ctx.store.blockByHash(hash.hex);
    if (!ptr) throw new QueryError('Failed to decode `block.hash` value: `no block with that hash found`');
    if (ptr.number > head.number) throw notYet(ctx, 'block.number', head.number, ptr.number);
    return { number: ptr.number, hash: ptr.hash };
  }
  if (block?.number !== undefined && block.number !== null) {
    if (!Number.isInteger(block.number)) throw new QueryError(`Failed to decode \`block.number\` value: \`${String(block.number)}\``);
    if (block.number > head.number) throw notYet(ctx, 'block.number', head.number, block.number);
    if (block.number < 0) throw new QueryError(`Failed to decode \`block.number\` value: \`block number ${block.number} is negative\``);
    return { number: block.number, hash: null };
  }
  if (block?.number_gte !== undefined && block.number_gte !== null) {
    if (head.number < block.number_gte) throw notYet(ctx, 'block.number_gte', head.number, block.number_gte);
  }
  return { number: head.number, hash: head.hash };
}

/**
 * Whether a read at `block` sees indexing errors. The embedded indexer stops at a failing block
 * (its cursor stays before it), so a failure is visible at the head and at or after its block.
 */
export function hasIndexingErrors(ctx: ExecContext, block: BlockRef): boolean {
  const f = ctx.failure;
  if (!f) return false;
  const head = ctx.head?.number ?? -1;
  return block.number >= Math.min(f.blockNumber, head);
}

// ---- arguments ----

interface CollectionArgs {
  first?: number | null;
  skip?: number | null;
  orderBy?: string | null;
  orderDirection?: 'asc' | 'desc' | null;
  where?: Record<string, unknown> | null;
}

function range(ctx: ExecContext, args: CollectionArgs): { first: number; skip: number } {
  const { maxFirst, maxSkip } = ctx.api.limits;
  const first = args.first ?? 100;
  if (!(first > 0 && first <= maxFirst)) throw new QueryError(`The \`first\` argument must be between 0 and ${maxFirst}, but is ${first}`);
  const skip = args.skip ?? 0;
  if (!(skip >= 0 && skip <= maxSkip)) throw new QueryError(`The \`skip\` argument must be between 0 and ${maxSkip}, but is ${skip}`);
  return { first, skip };
}

function filterCtx(ctx: ExecContext, block: BlockRef, params: unknown[], counter: { n: number }): FilterContext {
  return { layout: ctx.api.layout, block, params, aliasCounter: counter, keys: ctx.api.filterKeys, source: (name) => sourceOf(ctx.api.layout, name) };
}

function orderSql(ctx: ExecContext, t: Table, alias: string, args: CollectionArgs, block: BlockRef): string {
  const desc = args.orderDirection === 'desc';
  const dir = desc ? ' DESC' : '';
  const nulls = desc ? ' NULLS FIRST' : ' NULLS LAST';
  const orderBy = args.orderBy;
  if (!orderBy || orderBy === 'id') return `${alias}.id${dir}`;
  const sep = orderBy.indexOf('__');
  if (sep > 0) {
    const parentName = orderBy.slice(0, sep);
    const childName = orderBy.slice(sep + 2);
    const f = t.entity.fieldMap.get(parentName);
    if (!f) throw new QueryError(`Entity \`${t.entity.name}\` has no attribute \`${parentName}\``);
    const child = sourceOf(ctx.api.layout, f.type.name);
    const cc = child.columnMap.get(childName);
    if (!cc || cc.list) throw new QueryError(`Ordering by \`${childName}\` is not supported for type \`${child.entity.name}\``);
    const x = `o_${alias}`;
    let expr: string;
    if (f.derivedFrom) {
      const back = child.columnMap.get(f.derivedFrom)!;
      expr = back.list
        ? `(SELECT ${x}.${cc.sql} FROM ${child.sql} ${x}, json_each(${x}.${back.sql}) e WHERE e.value = ${idAsJsonItem(`${alias}.id`, t.idKind)} AND ${blockCondition(x, block)} ORDER BY ${x}.id LIMIT 1)`
        : `(SELECT ${x}.${cc.sql} FROM ${child.sql} ${x} WHERE ${x}.${back.sql} = ${alias}.id AND ${blockCondition(x, block)} ORDER BY ${x}.id LIMIT 1)`;
    } else {
      const c = t.columnMap.get(parentName)!;
      expr = `(SELECT ${x}.${cc.sql} FROM ${child.sql} ${x} WHERE ${x}.id = ${alias}.${c.sql} AND ${blockCondition(x, block)})`;
    }
    return `${expr}${dir}${nulls}, ${alias}.id${dir}`;
  }
  const c = t.columnMap.get(orderBy);
  if (!c || c.list) throw new QueryError(`Ordering by \`${orderBy}\` is not supported for type \`${t.entity.name}\``);
  return `${alias}.${c.sql}${dir}${nulls}, ${alias}.id${dir}`;
}

// ---- complexity ----

function typeOf(info: GraphQLResolveInfo, name: string): GraphQLObjectType {
  return info.schema.getType(name) as GraphQLObjectType;
}

function env(info: GraphQLResolveInfo): CollectEnv {
  return { fragments: info.fragments, variableValues: info.variableValues };
}

function subtreeComplexity(ctx: ExecContext, info: GraphQLResolveInfo, t: Table, nodes: readonly FieldNode[], depth: number): number {
  if (depth > ctx.api.limits.maxDepth) throw new QueryError(`query has a depth that exceeds the limit of \`${ctx.api.limits.maxDepth}\``);
  const fields = collectFields(env(info), t.entity.name, t.entity.interfaces, subSelections(nodes));
  const gqlType = typeOf(info, t.entity.name);
  let total = 0;
  for (const childNodes of fields.values()) {
    const f = t.entity.fieldMap.get(childNodes[0]!.name.value);
    if (!f || (f.type.kind !== 'entity' && f.type.kind !== 'interface')) continue;
    const child = sourceOf(ctx.api.layout, f.type.name);
    let n = 1;
    if (f.list) {
      const args = getArgumentValues(gqlType.getFields()[f.name]!, childNodes[0]!, info.variableValues) as CollectionArgs;
      n = Math.max(1, args.first ?? 100);
    }
    total += n * (1 + subtreeComplexity(ctx, info, child, childNodes, depth + 1));
  }
  return total;
}

function chargeComplexity(ctx: ExecContext, amount: number): void {
  ctx.complexity += amount;
  const max = ctx.api.limits.maxComplexity;
  if (ctx.complexity > max) {
    throw new QueryError(
      `query potentially returns \`${ctx.complexity}\` entities or more and thereby exceeds the limit of \`${max}\` entities. Possible solutions are reducing the depth of the query, querying fewer relationships or using \`first\` to return smaller collections`,
    );
  }
}

// ---- root fields ----

/** An entity table, or for an interface the UNION ALL of its implementers' tables. */
export interface Source extends Table {
  /** set for interfaces: rows carry `__typename` and `__vid` of the implementer they come from */
  implementers?: Table[];
}

const unions = new WeakMap<Layout, Map<string, Source>>();

export function sourceOf(layout: Layout, name: string): Source {
  const t = layout.tables.get(name);
  if (t) return t;
  let cache = unions.get(layout);
  if (!cache) unions.set(layout, (cache = new Map()));
  const cached = cache.get(name);
  if (cached) return cached;
  const i = layout.schema.interfaces.get(name);
  if (!i) throw new QueryError(`Type \`${name}\` is neither an entity nor an interface`);
  const impls = i.implementedBy.map((n) => layout.tables.get(n)!);
  const first = impls[0];
  if (!first) throw new QueryError(`no entity type implements interface \`${name}\``);
  // an interface field stored by its implementers is a column of the union; one they derive
  // (`@derivedFrom` on the implementer) is derived here too
  const fields: FieldDef[] = i.fields.map((f) => {
    const impl = first.entity.fieldMap.get(f.name);
    return impl?.derivedFrom ? { ...f, derivedFrom: impl.derivedFrom } : f;
  });
  const columns = fields.filter((f) => !f.derivedFrom).map((f) => ({ ...first.columnMap.get(f.name)!, field: f }));
  const sql =
    '(' +
    impls
      .map((t) => `SELECT '${t.entity.name.replace(/'/g, "''")}' AS __typename, __vid, __from, __to, ${columns.map((c) => c.sql).join(', ')} FROM ${t.sql}`)
      .join(' UNION ALL ') +
    ')';
  const src: Source = {
    entity: { name, immutable: false, idType: first.entity.idType, fields, fieldMap: new Map(fields.map((f) => [f.name, f])), interfaces: [] },
    sql,
    idKind: first.idKind,
    columns,
    columnMap: new Map(columns.map((c) => [c.field.name, c])),
    implementers: impls,
  };
  cache.set(name, src);
  return src;
}

function tableOf(ctx: ExecContext, name: string): Source {
  return sourceOf(ctx.api.layout, name);
}

const UNION_COLUMNS = (alias: string) => `${alias}.__typename AS __typename, ${alias}.__vid AS __vid, ${alias}.id AS id`;

/**
 * Rows of an interface query name (type, version); read each implementer's selected columns
 * for them, one statement per implementer, keeping the rows' order.
 */
function materialize(ctx: ExecContext, info: GraphQLResolveInfo, src: Source, rows: Record<string, unknown>[], nodes: readonly FieldNode[]): Obj[] {
  if (!src.implementers) return rows.map((r) => toObject(src, r));
  const byType = new Map<string, Set<string>>();
  for (const r of rows) {
    const type = String(r.__typename);
    let set = byType.get(type);
    if (!set) byType.set(type, (set = new Set()));
    set.add(String(r.__vid));
  }
  const objects = new Map<string, Obj>();
  for (const [type, vids] of byType) {
    const t = ctx.api.layout.tables.get(type)!;
    const found = run(ctx, `SELECT ${columnsFor(info, t, nodes, 'c')}, c.__vid AS __vid FROM ${t.sql} c WHERE c.__vid IN (SELECT value FROM json_each(?))`, [
      JSON.stringify([...vids].map(Number)),
    ]);
    for (const r of found) objects.set(`${type}:${String(r.__vid)}`, toObject(t, r));
  }
  return rows.map((r) => objects.get(`${String(r.__typename)}:${String(r.__vid)}`)!);
}

function noteErrors(ctx: ExecContext, info: GraphQLResolveInfo, block: BlockRef, policy: unknown): void {
  if (hasIndexingErrors(ctx, block)) ctx.indexingErrors.set(String(info.path.key), policy === 'allow' ? 'allow' : 'deny');
}

export function resolveCollection(typeName: string) {
  return (_src: unknown, args: CollectionArgs & { block?: BlockHeightArg; subgraphError?: string }, ctx: ExecContext, info: GraphQLResolveInfo) => {
    const t = tableOf(ctx, typeName);
    const block = resolveBlock(ctx, args.block);
    noteErrors(ctx, info, block, args.subgraphError);
    const { first, skip } = range(ctx, args);
    chargeComplexity(ctx, first * (1 + subtreeComplexity(ctx, info, t, info.fieldNodes, 1)));
    const at = sqlBlock(ctx, block);
    const params: unknown[] = [];
    const counter = { n: 0 };
    const where = args.where ? filterSql(filterCtx(ctx, at, params, counter), t, 'a', args.where, false) : '';
    const order = orderSql(ctx, t, 'a', args, at);
    params.push(first, skip);
    const select = t.implementers ? UNION_COLUMNS('a') : columnsFor(info, t, info.fieldNodes, 'a');
    const sql = `SELECT ${select} FROM ${t.sql} a WHERE ${blockCondition('a', at)}${where ? ` AND (${where})` : ''} AND ${DEADLINE} ORDER BY ${order} LIMIT ? OFFSET ?`;
    const objs = materialize(ctx, info, t, run(ctx, sql, params), info.fieldNodes);
    prefetch(ctx, info, t, objs, info.fieldNodes, at);
    return objs;
  };
}

export function resolveSingle(typeName: string) {
  return (_src: unknown, args: { id: string; block?: BlockHeightArg; subgraphError?: string }, ctx: ExecContext, info: GraphQLResolveInfo) => {
    const t = tableOf(ctx, typeName);
    const block = resolveBlock(ctx, args.block);
    noteErrors(ctx, info, block, args.subgraphError);
    chargeComplexity(ctx, 1 + subtreeComplexity(ctx, info, t, info.fieldNodes, 1));
    let id: unknown;
    try {
      id = idToSql(t, String(args.id));
    } catch (err) {
      throw new QueryError((err as Error).message);
    }
    const at = sqlBlock(ctx, block);
    const select = t.implementers ? UNION_COLUMNS('a') : columnsFor(info, t, info.fieldNodes, 'a');
    const rows = run(ctx, `SELECT ${select} FROM ${t.sql} a WHERE a.id = ? AND ${blockCondition('a', at)} LIMIT 1`, [id]);
    if (rows.length === 0) return null;
    const objs = materialize(ctx, info, t, rows, info.fieldNodes);
    prefetch(ctx, info, t, objs, info.fieldNodes, at);
    return objs[0];
  };
}

export function resolveMeta() {
  return (_src: unknown, args: { block?: BlockHeightArg }, ctx: ExecContext) => {
    const block = resolveBlock(ctx, args.block);
    const ptr = block.hash ? ctx.store.blockByHash(block.hash) : null;
    return {
      block: {
        number: block.number,
        hash: block.hash,
        timestamp: ptr ? ptr.timestamp : null,
        parentHash: ptr ? ptr.parentHash : null,
      },
      deployment: ctx.api.deployment,
      hasIndexingErrors: hasIndexingErrors(ctx, block),
    };
  };
}

/** Resolver of entity-valued fields: the value the prefetch stored under the response key. */
export function resolveNested(src: Record<string, unknown>, _args: unknown, _ctx: unknown, info: GraphQLResolveInfo): unknown {
  const v = src[REF + String(info.path.key)];
  return v === undefined ? null : v;
}

/**
 * The columns a level's selection reads (plus `id`, which nested levels key on): rows become JS
 * objects column by column, so a query naming 3 fields of a 30-column entity reads 4 columns.
 */
function columnsFor(info: GraphQLResolveInfo, t: Table, nodes: readonly FieldNode[], alias: string): string {
  const fields = collectFields(env(info), t.entity.name, t.entity.interfaces, subSelections(nodes));
  const names = new Set(['id']);
  for (const fieldNodes of fields.values()) {
    const name = fieldNodes[0]!.name.value;
    if (t.columnMap.has(name)) names.add(name);
  }
  return [...names].map((n) => `${alias}.${t.columnMap.get(n)!.sql}`).join(', ');
}

// ---- nested levels ----

function parentKey(t: Table, raw: unknown): string {
  if (raw === null || raw === undefined) return '';
  if (t.idKind === 'bytes') return bytesToHex(raw as Buffer);
  return String(raw);
}

function prefetch(ctx: ExecContext, info: GraphQLResolveInfo, t: Source, objs: Obj[], nodes: readonly FieldNode[], block: BlockRef): void {
  if (objs.length === 0) return;
  if (t.implementers) {
    // a level of interface values holds objects of several entity types: plan each type's fields
    for (const impl of t.implementers) {
      const group = objs.filter((o) => o.__typename === impl.entity.name);
      if (group.length) prefetch(ctx, info, impl, group, nodes, block);
    }
    return;
  }
  const fields = collectFields(env(info), t.entity.name, t.entity.interfaces, subSelections(nodes));
  const gqlType = typeOf(info, t.entity.name);
  for (const [key, childNodes] of fields) {
    const f = t.entity.fieldMap.get(childNodes[0]!.name.value);
    if (!f || (f.type.kind !== 'entity' && f.type.kind !== 'interface')) continue;
    const child = tableOf(ctx, f.type.name);
    const args = getArgumentValues(gqlType.getFields()[f.name]!, childNodes[0]!, info.variableValues) as CollectionArgs;
    const cols = child.implementers ? UNION_COLUMNS('c') : columnsFor(info, child, childNodes, 'c');
    const load = (rows: Record<string, unknown>[]) => materialize(ctx, info, child, rows, childNodes);
    const children = f.derivedFrom
      ? derivedChildren(ctx, t, f, child, objs, args, block, cols, load)
      : f.list
        ? listChildren(ctx, t, f, child, objs, args, block, cols, load)
        : singleChildren(ctx, t, f, child, objs, block, cols, load);
    const level: Obj[] = [];
    const seen = new Set<Obj>();
    for (let i = 0; i < objs.length; i++) {
      const v = children[i];
      objs[i]![REF + key] = v;
      for (const o of Array.isArray(v) ? v : v ? [v] : []) {
        if (!seen.has(o)) {
          seen.add(o);
          level.push(o);
        }
      }
    }
    prefetch(ctx, info, child, level, childNodes, block);
  }
}

/** `field: Child` stored as the child's id. */
const typeCol = (child: Source) => (child.implementers ? 'c.__typename AS __t, ' : '');

type Loader = (rows: Record<string, unknown>[]) => Obj[];

function singleChildren(ctx: ExecContext, t: Table, f: FieldDef, child: Source, objs: Obj[], block: BlockRef, cols: string, load: Loader): (Obj | null)[] {
  const ids = new Set<string>();
  for (const o of objs) {
    const k = parentKey(child, o[RAW]![f.name]);
    if (k) ids.add(k);
  }
  const byId = new Map<string, Obj>();
  if (ids.size > 0) {
    const rows = run(ctx, `SELECT ${cols} FROM ${child.sql} c WHERE c.id IN (${idSetSql(child.idKind)}) AND ${blockCondition('c', block)}`, [
      JSON.stringify([...ids]),
    ]);
    const loaded = load(rows);
    rows.forEach((r, i) => byId.set(parentKey(child, r.id), loaded[i]!));
  }
  void t;
  return objs.map((o) => byId.get(parentKey(child, o[RAW]![f.name])) ?? null);
}

function windowed(ctx: ExecContext, child: Source, inner: string, params: unknown[], args: CollectionArgs, single: boolean, cols: string, load: Loader): Map<string, Obj[]> {
  // a single derived value fetches two rows to notice ambiguity, as graph-node reports it
  const { first, skip } = single ? { first: 2, skip: 0 } : range(ctx, args);
  params.push(skip, skip + first);
  // the window runs over version ids only; full rows are read for the page that survives it
  const sql = child.implementers
    ? `SELECT w.__t AS __typename, w.__v AS __vid, w.__parent AS __parent FROM (${inner}) w WHERE w.__rn > ? AND w.__rn <= ? ORDER BY w.__parent, w.__rn`
    : `SELECT ${cols}, w.__parent AS __parent FROM (${inner}) w JOIN ${child.sql} c ON c.__vid = w.__v WHERE w.__rn > ? AND w.__rn <= ? ORDER BY w.__parent, w.__rn`;
  const rows = run(ctx, sql, params);
  const objs = load(rows);
  const out = new Map<string, Obj[]>();
  rows.forEach((r, i) => {
    const k = String(r.__parent);
    const list = out.get(k);
    if (list) list.push(objs[i]!);
    else out.set(k, [objs[i]!]);
  });
  return out;
}

/** `[Child]` stored on the parent as a JSON list of ids. */
function listChildren(ctx: ExecContext, t: Table, f: FieldDef, child: Source, objs: Obj[], args: CollectionArgs, block: BlockRef, cols: string, load: Loader): Obj[][] {
  const lists = objs.map((o) => (o[RAW]![f.name] === null || o[RAW]![f.name] === undefined ? [] : JSON.parse(o[RAW]![f.name] as string)));
  const params: unknown[] = [JSON.stringify(lists)];
  const counter = { n: 0 };
  const where = args.where ? filterSql(filterCtx(ctx, block, params, counter), child, 'c', args.where, false) : '';
  const order = orderSql(ctx, child, 'c', args, block);
  const conv = child.idKind === 'bytes' ? 'unhex(substr(e.value, 3))' : child.idKind === 'int8' ? 'CAST(e.value AS INTEGER)' : 'e.value';
  const inner =
    `SELECT ${typeCol(child)}c.__vid AS __v, p.key AS __parent, ROW_NUMBER() OVER (PARTITION BY p.key ORDER BY ${order}) AS __rn ` +
    `FROM json_each(?) p JOIN ${child.sql} c ON c.id IN (SELECT ${conv} FROM json_each(p.value) e) ` +
    `WHERE ${blockCondition('c', block)}${where ? ` AND (${where})` : ''} AND ${DEADLINE}`;
  // the JSON parameter comes first in the text, then the filter's parameters
  const byParent = windowed(ctx, child, inner, params, args, false, cols, load);
  void t;
  return objs.map((_, i) => byParent.get(String(i)) ?? []);
}

/** `@derivedFrom(field: back)`: children whose `back` points at the parent. */
function derivedChildren(ctx: ExecContext, t: Table, f: FieldDef, child: Source, objs: Obj[], args: CollectionArgs, block: BlockRef, cols: string, load: Loader): (Obj[] | Obj | null)[] {
  const back = child.columnMap.get(f.derivedFrom!)!;
  const ids = [...new Set(objs.map((o) => parentKey(t, o[RAW]!.id)))];
  const params: unknown[] = [JSON.stringify(ids)];
  const counter = { n: 0 };
  const single = !f.list;
  const where = !single && args.where ? filterSql(filterCtx(ctx, block, params, counter), child, 'c', args.where, false) : '';
  const order = single ? 'c.id' : orderSql(ctx, child, 'c', args, block);
  let inner: string;
  if (back.list) {
    inner =
      `SELECT ${typeCol(child)}c.__vid AS __v, e.value AS __parent, ROW_NUMBER() OVER (PARTITION BY e.value ORDER BY ${order}) AS __rn ` +
      `FROM ${child.sql} c, json_each(c.${back.sql}) e WHERE e.value IN (SELECT value FROM json_each(?)) AND ${blockCondition('c', block)}${where ? ` AND (${where})` : ''} AND ${DEADLINE}`;
  } else {
    inner =
      `SELECT ${typeCol(child)}c.__vid AS __v, ${idAsJsonItem(`c.${back.sql}`, t.idKind)} AS __parent, ROW_NUMBER() OVER (PARTITION BY c.${back.sql} ORDER BY ${order}) AS __rn ` +
      `FROM ${child.sql} c WHERE c.${back.sql} IN (${idSetSql(t.idKind)}) AND ${blockCondition('c', block)}${where ? ` AND (${where})` : ''} AND ${DEADLINE}`;
  }
  const byParent = windowed(ctx, child, inner, params, args, single, cols, load);
  return objs.map((o) => {
    const list = byParent.get(parentKey(t, o[RAW]!.id)) ?? [];
    if (single && list.length > 1) {
      throw new QueryError(`Ambiguous result for derived field \`${f.name}\`: Multiple \`${child.entity.name}\` entities refer back via \`${back.field.name}\``);
    }
    return single ? (list[0] ?? null) : list;
  });
}

export type { GraphQLSchema };
