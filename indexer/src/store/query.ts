// The store's query interface (graph-node's EntityQuery and its relational store's query
// execution): the query layer says which entities it wants (type, filter tree, order, range,
// block, attributes to read) and gets rows back; the SQL over the versioned tables is built and
// run here. Interfaces are the UNION ALL of their implementers' tables.
import type { Database, Statement } from 'better-sqlite3';
import type { FieldDef } from '../schema.ts';
import type { FulltextDef, Interval } from '../schema-directives.ts';
import { Aggregator, bucketSource } from './aggregation.ts';
import { fulltextMatch } from './fulltext.ts';
import { idToSql, OPEN, type ColumnKind, type Layout, type Table } from './layout.ts';
import { blockCondition, filterSql, idAsJsonItem, idSetSql, QueryInputError, versionsAt, type BlockRef, type EntityFilter } from './query-filter.ts';
import { orderSql, type EntityOrder } from './query-order.ts';

export type { BlockRef, EntityFilter, FilterOp } from './query-filter.ts';
export { QueryInputError } from './query-filter.ts';
export type { EntityOrder, OrderKey } from './query-order.ts';

/** An entity table, or for an interface the UNION ALL of its implementers' tables. */
export interface Source extends Table {
  /** set for interfaces: rows carry `__typename` and `__vid` of the implementer they come from */
  implementers?: Table[];
}

/** What to read of each entity: these attributes (and `id`), or for an interface (type, version, id). */
export type Selection = readonly string[];

export interface EntityQuery {
  /** an entity type or an interface */
  entityType: string;
  /** attributes to read besides `id`; ignored for interfaces, whose rows are `__typename, __vid, id` */
  select: Selection;
  filter?: EntityFilter | null;
  order: EntityOrder;
  /** with a `window`, applied to each parent's children */
  range: { first: number; skip: number };
  block: BlockRef;
  /** set for a nested collection: the children of many parents at once, ranked per parent */
  window?: ParentWindow;
}

/**
 * graph-node's EntityWindow (its `EntityCollection::Window`): which parents a nested collection's
 * children belong to, so one statement answers a whole level. `list`: each parent stores a JSON
 * list of child ids, and a row's `__parent` is the parent's index in `lists`; `derived`: the
 * child's attribute `field` refers back to the parent, and a row's `__parent` is the parent's id
 * as a JSON item (hex for bytes, text for int8).
 */
export type ParentWindow =
  | { link: 'list'; lists: readonly unknown[][] }
  | { link: 'derived'; field: string; parentIdKind: ColumnKind; parentIds: readonly string[] };

/** graph-node's fulltext query: the matches of one `@fulltext` directive, best first. */
export interface FulltextQuery {
  fulltext: FulltextDef;
  /** an FTS5 MATCH expression (`toFts5Query` of the API's text) */
  match: string;
  select: Selection;
  filter?: EntityFilter | null;
  range: { first: number; skip: number };
  block: BlockRef;
}

/** graph-node's aggregation query: the buckets of one `@aggregation` interval. */
export interface BucketQuery {
  aggregation: string;
  interval: Interval;
  /** `current: include`: add the bucket still being filled */
  current: boolean;
  select: Selection;
  filter?: EntityFilter | null;
  /** null: graph-node's default for aggregations, the newest buckets first */
  order: EntityOrder | null;
  range: { first: number; skip: number };
  block: BlockRef;
}

/** An entity's versions (the extension's history): those begun by `upTo`, by start block. */
export interface HistoryQuery {
  entityType: string;
  id: string;
  select: Selection;
  upTo: number;
  desc: boolean;
  range: { first: number; skip: number };
}

/** The storage the entity tables take (graph-node's `subgraphSize`): bytes and rows, every version counted. */
export interface StoreSizes {
  rows: bigint;
  tableBytes: bigint;
  indexBytes: bigint;
}

/** Time budget of the request a query belongs to (ms since the epoch). */
export interface QueryDeadline {
  deadline: number;
}

export type Row = Record<string, unknown>;

const TIMED_OUT = 'Query timed out';
/** In every statement's WHERE, so a long scan stops soon after the deadline (see `registerDeadline`). */
export const DEADLINE = 'hessian_deadline()';

// better-sqlite3 cannot interrupt a running statement, so every query's WHERE also calls
// `hessian_deadline()`, a SQL function that fails once the running request's deadline passed:
// a long scan stops within a few hundred rows of it. (Statements run synchronously, one at a
// time, so one module-level deadline is enough.)
let runningDeadline = Infinity;
let deadlineCalls = 0;

function registerDeadline(db: Database): void {
  db.function('hessian_deadline', { deterministic: false, directOnly: true }, () => {
    if ((++deadlineCalls & 255) === 0 && Date.now() > runningDeadline) throw new Error(TIMED_OUT);
    return 1;
  });
}

const stmtCache = new WeakMap<object, Map<string, Statement<unknown[]>>>();

/** Runs one read statement (cached prepared) under a deadline; integers come back as bigint. */
export function runQuerySql(db: Database, sql: string, params: unknown[], budget: QueryDeadline): Row[] {
  if (Date.now() > budget.deadline) throw new QueryInputError(TIMED_OUT);
  let cache = stmtCache.get(db);
  if (!cache) {
    registerDeadline(db);
    stmtCache.set(db, (cache = new Map()));
  }
  let stmt = cache.get(sql);
  if (!stmt) {
    stmt = db.prepare<unknown[]>(sql).safeIntegers(true);
    if (cache.size > 500) cache.clear();
    cache.set(sql, stmt);
  }
  runningDeadline = budget.deadline;
  try {
    return stmt.all(...params) as Row[];
  } catch (err) {
    if ((err as Error).message === TIMED_OUT) throw new QueryInputError(TIMED_OUT);
    throw err;
  } finally {
    runningDeadline = Infinity;
  }
}

const unions = new WeakMap<Layout, Map<string, Source>>();

/** The table of an entity type, or the union of an interface's implementers. */
export function sourceOf(layout: Layout, name: string): Source {
  const t = layout.tables.get(name);
  if (t) return t;
  let cache = unions.get(layout);
  if (!cache) unions.set(layout, (cache = new Map()));
  const cached = cache.get(name);
  if (cached) return cached;
  const i = layout.schema.interfaces.get(name);
  if (!i) throw new QueryInputError(`Type \`${name}\` is neither an entity nor an interface`);
  const impls = i.implementedBy.map((n) => layout.tables.get(n)!);
  const first = impls[0];
  if (!first) throw new QueryInputError(`no entity type implements interface \`${name}\``);
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

export const UNION_COLUMNS = (alias: string) => `${alias}.__typename AS __typename, ${alias}.__vid AS __vid, ${alias}.id AS id`;

/** The columns of `id` and the selected attributes that are stored (derived ones are not). */
export function selectSql(t: Table, select: Selection, alias: string): string {
  const names = new Set(['id']);
  for (const name of select) if (t.columnMap.has(name)) names.add(name);
  return [...names].map((n) => `${alias}.${t.columnMap.get(n)!.sql}`).join(', ');
}

/**
 * Reads entities for the query layer. Every method returns raw rows (stored forms, integers as
 * bigint): converting them to API values is the query layer's job.
 */
export interface QueryStore {
  readonly layout: Layout;
  /**
   * the entities of one collection query, in its order, `range` applied; with a `window`, rows
   * carry `__parent` and come grouped by parent, each parent's in the query's order
   */
  find(q: EntityQuery, budget: QueryDeadline): Row[];
  /** one entity by id at `block`, or undefined */
  findOne(entityType: string, id: string, select: Selection, block: BlockRef, budget: QueryDeadline): Row | undefined;
  /** the entities with these ids (API form: hex for bytes) at `block`, in no order; missing ones are left out */
  findMany(entityType: string, ids: readonly string[], select: Selection, block: BlockRef, budget: QueryDeadline): Row[];
  /** the entities matching a fulltext query, best match first; FTS5 refuses some MATCH expressions with an error naming fts5 */
  findFulltext(q: FulltextQuery, budget: QueryDeadline): Row[];
  /** the buckets of one aggregation interval (the interval must exist) */
  findBuckets(q: BucketQuery, budget: QueryDeadline): Row[];
  /** how many entities of a type (or interface) match `filter` at `block` */
  count(entityType: string, filter: EntityFilter | null, block: BlockRef, budget: QueryDeadline): number;
  /** versions of one entity with the blocks they were valid over (`__from`, `__to`) */
  history(q: HistoryQuery, budget: QueryDeadline): Row[];
  /** entities current at the head, over every entity table (graph-node's `entity_count`) */
  entityCount(): bigint;
  /** the entity tables' sizes (SQLite's dbstat) */
  sizes(): StoreSizes;
  /** the selected columns (and `__vid`) of the given versions of one entity type, in no order */
  versions(entityType: string, vids: readonly string[], select: Selection, budget: QueryDeadline): Row[];
}

export class SqliteQueryStore implements QueryStore {
  readonly db: Database;
  readonly layout: Layout;

  constructor(db: Database, layout: Layout) {
    this.db = db;
    this.layout = layout;
  }

  source = (name: string): Source => sourceOf(this.layout, name);

  find(q: EntityQuery, budget: QueryDeadline): Row[] {
    if (q.window) return this.findWindowed(q, q.window, budget);
    const t = this.source(q.entityType);
    const params: unknown[] = [];
    const where = q.filter ? filterSql({ layout: this.layout, block: q.block, params, aliasCounter: { n: 0 }, source: this.source }, t, 'a', q.filter) : '';
    const order = orderSql(this.source, t, 'a', q.order, q.block);
    params.push(q.range.first, q.range.skip);
    const select = t.implementers ? UNION_COLUMNS('a') : selectSql(t, q.select, 'a');
    const sql = `SELECT ${select} FROM ${t.sql} a WHERE ${blockCondition('a', q.block)}${where ? ` AND (${where})` : ''} AND ${DEADLINE} ORDER BY ${order} LIMIT ? OFFSET ?`;
    return runQuerySql(this.db, sql, params, budget);
  }

  findOne(entityType: string, id: string, select: Selection, block: BlockRef, budget: QueryDeadline): Row | undefined {
    const t = this.source(entityType);
    let key: unknown;
    try {
      key = idToSql(t, id);
    } catch (err) {
      throw new QueryInputError((err as Error).message);
    }
    const cols = t.implementers ? UNION_COLUMNS('a') : selectSql(t, select, 'a');
    const past = block.number < OPEN && !t.implementers;
    const rows = past
      ? runQuerySql(this.db, `SELECT ${cols} FROM ${t.sql} a WHERE a.__vid IN (${versionsAt(t, 'SELECT ? AS v', block)}) AND a.__to > ${block.number}`, [key], budget)
      : runQuerySql(this.db, `SELECT ${cols} FROM ${t.sql} a WHERE a.id = ? AND ${blockCondition('a', block)} LIMIT 1`, [key], budget);
    return rows[0];
  }

  findMany(entityType: string, ids: readonly string[], select: Selection, block: BlockRef, budget: QueryDeadline): Row[] {
    const t = this.source(entityType);
    const cols = t.implementers ? UNION_COLUMNS('c') : selectSql(t, select, 'c');
    const where =
      block.number < OPEN && !t.implementers
        ? `c.__vid IN (${versionsAt(t, idSetSql(t.idKind), block)}) AND c.__to > ${block.number}`
        : `c.id IN (${idSetSql(t.idKind)}) AND ${blockCondition('c', block)}`;
    return runQuerySql(this.db, `SELECT ${cols} FROM ${t.sql} c WHERE ${where}`, [JSON.stringify(ids)], budget);
  }

  // One statement per level: ROW_NUMBER() over each parent's children gives every parent its own
  // first/skip/order/filter. The window runs over version ids only; full rows are read for the
  // page that survives it.
  private findWindowed(q: EntityQuery, w: ParentWindow, budget: QueryDeadline): Row[] {
    const child = this.source(q.entityType);
    // the JSON parameter comes first in the text, then the filter's parameters
    const params: unknown[] = [JSON.stringify(w.link === 'list' ? w.lists : w.parentIds)];
    const where = q.filter ? filterSql({ layout: this.layout, block: q.block, params, aliasCounter: { n: 0 }, source: this.source }, child, 'c', q.filter) : '';
    const order = orderSql(this.source, child, 'c', q.order, q.block);
    const typeCol = child.implementers ? 'c.__typename AS __t, ' : '';
    const rest = `${blockCondition('c', q.block)}${where ? ` AND (${where})` : ''} AND ${DEADLINE}`;
    let inner: string;
    if (w.link === 'list') {
      const conv = child.idKind === 'bytes' ? 'unhex(substr(e.value, 3))' : child.idKind === 'int8' ? 'CAST(e.value AS INTEGER)' : 'e.value';
      inner =
        `SELECT ${typeCol}c.__vid AS __v, p.key AS __parent, ROW_NUMBER() OVER (PARTITION BY p.key ORDER BY ${order}) AS __rn ` +
        `FROM json_each(?) p JOIN ${child.sql} c ON c.id IN (SELECT ${conv} FROM json_each(p.value) e) WHERE ${rest}`;
    } else {
      const back = child.columnMap.get(w.field)!;
      inner = back.list
        ? `SELECT ${typeCol}c.__vid AS __v, e.value AS __parent, ROW_NUMBER() OVER (PARTITION BY e.value ORDER BY ${order}) AS __rn ` +
          `FROM ${child.sql} c, json_each(c.${back.sql}) e WHERE e.value IN (SELECT value FROM json_each(?)) AND ${rest}`
        : `SELECT ${typeCol}c.__vid AS __v, ${idAsJsonItem(`c.${back.sql}`, w.parentIdKind)} AS __parent, ROW_NUMBER() OVER (PARTITION BY c.${back.sql} ORDER BY ${order}) AS __rn ` +
          `FROM ${child.sql} c WHERE c.${back.sql} IN (${idSetSql(w.parentIdKind)}) AND ${rest}`;
    }
    const { first, skip } = q.range;
    params.push(skip, skip + first);
    const sql = child.implementers
      ? `SELECT w.__t AS __typename, w.__v AS __vid, w.__parent AS __parent FROM (${inner}) w WHERE w.__rn > ? AND w.__rn <= ? ORDER BY w.__parent, w.__rn`
      : `SELECT ${selectSql(child, q.select, 'c')}, w.__parent AS __parent FROM (${inner}) w JOIN ${child.sql} c ON c.__vid = w.__v WHERE w.__rn > ? AND w.__rn <= ? ORDER BY w.__parent, w.__rn`;
    return runQuerySql(this.db, sql, params, budget);
  }

  findFulltext(q: FulltextQuery, budget: QueryDeadline): Row[] {
    const t = this.source(q.fulltext.entity);
    const m = fulltextMatch(q.fulltext, 'a');
    const params: unknown[] = [q.match];
    const where = q.filter ? filterSql({ layout: this.layout, block: q.block, params, aliasCounter: { n: 0 }, source: this.source }, t, 'a', q.filter) : '';
    params.push(q.range.first, q.range.skip);
    const sql =
      `SELECT ${selectSql(t, q.select, 'a')} FROM ${t.sql} a ${m.join} ` +
      `WHERE ${blockCondition('a', q.block)}${where ? ` AND (${where})` : ''} AND ${DEADLINE} ORDER BY ${m.order} LIMIT ? OFFSET ?`;
    return runQuerySql(this.db, sql, params, budget);
  }

  count(entityType: string, filter: EntityFilter | null, block: BlockRef, budget: QueryDeadline): number {
    const t = this.source(entityType);
    const params: unknown[] = [];
    const where = filter ? filterSql({ layout: this.layout, block, params, aliasCounter: { n: 0 }, source: this.source }, t, 'a', filter) : '';
    const rows = runQuerySql(this.db, `SELECT count(*) AS n FROM ${t.sql} a WHERE ${blockCondition('a', block)}${where ? ` AND (${where})` : ''} AND ${DEADLINE}`, params, budget);
    return Number(rows[0]!.n);
  }

  history(q: HistoryQuery, budget: QueryDeadline): Row[] {
    const t = this.source(q.entityType);
    let id: unknown;
    try {
      id = idToSql(t, q.id);
    } catch (err) {
      throw new QueryInputError((err as Error).message);
    }
    const sql =
      `SELECT ${selectSql(t, q.select, 'a')}, a.__from AS __from, a.__to AS __to FROM ${t.sql} a ` +
      `WHERE a.id = ? AND a.__from <= ${Math.trunc(q.upTo)} AND ${DEADLINE} ORDER BY a.__from${q.desc ? ' DESC' : ''} LIMIT ? OFFSET ?`;
    return runQuerySql(this.db, sql, [id, q.range.first, q.range.skip], budget);
  }

  entityCount(): bigint {
    let n = 0n;
    for (const t of this.layout.tables.values()) n += this.db.prepare(`SELECT count(*) FROM ${t.sql} WHERE __to = ${OPEN}`).pluck().safeIntegers(true).get() as bigint;
    return n;
  }

  sizes(): StoreSizes {
    const tables = [...this.layout.tables.values()].map((t) => t.sql.replace(/^"|"$/g, '').replace(/""/g, '"'));
    const json = JSON.stringify(tables);
    const sum = (sql: string) => BigInt((this.db.prepare(sql).pluck().safeIntegers(true).get(json) as bigint | null) ?? 0n);
    const tableBytes = sum(`SELECT sum(pgsize) FROM dbstat WHERE name IN (SELECT value FROM json_each(?))`);
    const indexBytes = sum(`SELECT sum(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name IN (SELECT value FROM json_each(?)))`);
    let rows = 0n;
    for (const t of this.layout.tables.values()) rows += this.db.prepare(`SELECT count(*) FROM ${t.sql}`).pluck().safeIntegers(true).get() as bigint;
    return { rows, tableBytes, indexBytes };
  }

  #aggregator: Aggregator | undefined;

  findBuckets(q: BucketQuery, budget: QueryDeadline): Row[] {
    const t = this.layout.aggregations.get(q.aggregation)!.get(q.interval)!;
    const params: unknown[] = [];
    // the open bucket is aggregated from the data points here, as a rollup would (read only)
    this.#aggregator ??= new Aggregator(this.db, this.layout, true);
    const current = q.current ? this.#aggregator.current(q.aggregation, q.interval, q.block.number >= OPEN ? null : q.block.number) : [];
    const source = bucketSource(t, current, params);
    const where = q.filter ? filterSql({ layout: this.layout, block: q.block, params, aliasCounter: { n: 0 }, source: this.source }, t, 'a', q.filter) : '';
    // graph-node's default for aggregations: EntityOrder::Descending(timestamp)
    const order = q.order ? orderSql(this.source, t, 'a', q.order, q.block) : 'a.timestamp DESC, a.id DESC';
    params.push(q.range.first, q.range.skip);
    const sql = `SELECT ${selectSql(t, q.select, 'a')} FROM ${source} a WHERE ${blockCondition('a', q.block)}${where ? ` AND (${where})` : ''} AND ${DEADLINE} ORDER BY ${order} LIMIT ? OFFSET ?`;
    return runQuerySql(this.db, sql, params, budget);
  }

  versions(entityType: string, vids: readonly string[], select: Selection, budget: QueryDeadline): Row[] {
    const t = this.layout.tables.get(entityType)!;
    return runQuerySql(this.db, `SELECT ${selectSql(t, select, 'c')}, c.__vid AS __vid FROM ${t.sql} c WHERE c.__vid IN (SELECT value FROM json_each(?))`, [
      JSON.stringify(vids.map(Number)),
    ], budget);
  }
}

const stores = new WeakMap<Database, WeakMap<Layout, SqliteQueryStore>>();

/** The query store over a connection and layout (one per pair, so statements are prepared once). */
export function queryStore(db: Database, layout: Layout): SqliteQueryStore {
  let byLayout = stores.get(db);
  if (!byLayout) stores.set(db, (byLayout = new WeakMap()));
  let s = byLayout.get(layout);
  if (!s) byLayout.set(layout, (s = new SqliteQueryStore(db, layout)));
  return s;
}
