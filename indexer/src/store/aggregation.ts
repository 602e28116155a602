// graph-node's timeseries rollups (store/postgres/src/relational/rollup.rs and Layout::rollup in
// relational.rs). Mappings write `@entity(timeseries: true)` data points like any entity; when a
// block's time falls into a new interval, the bucket the previous block was in is closed and
// rolled up into one row per dimension group of each `@aggregation` with that interval, stamped
// with that block (so a revert past it deletes the bucket, and time travel sees it from then on).
//
// graph-node computes the aggregates in SQL; here the bucket's data points are read in id order
// and aggregated in JavaScript with exact integer and decimal arithmetic, because the store keeps
// BigInt and BigDecimal as order-preserving text (SQLite's sum would not add them).
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db.ts';
import { compareNum, evalExpr, identifiers, numToString, type ExprValue, type Num } from '../aggregate-expr.ts';
import { parseBigDecimal } from '../runtime/big-decimal.ts';
import { INTERVAL_SECONDS, INTERVALS, type AggregateDef, type AggregationDef, type Interval } from '../schema-directives.ts';
import type { BlockPtr } from '../types.ts';
import { decodeBigDecimal, decodeBigInt, encodeBigDecimal, encodeBigInt } from './encoding.ts';
import { OPEN, quoteIdent, StoreError, tableDdl, type Column, type Layout, type Table } from './layout.ts';

const MICROS = 1_000_000;

/** DDL of every aggregation interval table. */
export function aggregationDdl(layout: Layout): string[] {
  const out: string[] = [];
  for (const tables of layout.aggregations.values()) for (const t of tables.values()) out.push(...tableDdl(t));
  return out;
}

export function dropAggregations(db: Db): void {
  const rows = db.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'agg\\_%' ESCAPE '\\'`).all();
  for (const r of rows) db.exec(`DROP TABLE IF EXISTS ${quoteIdent(r.name)}`);
}

/** A stored value as the aggregate functions see it. */
function decode(c: Column, raw: unknown): ExprValue {
  if (raw === null || raw === undefined) return null;
  switch (c.kind) {
    case 'int':
    case 'int8':
    case 'timestamp':
      return { int: BigInt(raw as bigint) };
    case 'bigint':
      return { int: decodeBigInt(raw as string) };
    case 'bigdecimal':
      return { dec: parseBigDecimal(decodeBigDecimal(raw as string))! };
    case 'bool':
      return Number(raw) !== 0;
    case 'bytes':
      return new Uint8Array(raw as Buffer);
    default:
      return raw as string;
  }
}

/** An aggregate's value in the aggregation column's storage form. */
function encode(c: Column, v: ExprValue): unknown {
  if (v === null) return null;
  if (typeof v === 'object' && v !== null && ('int' in v || 'dec' in v)) {
    const n = v as Num;
    const int = (): bigint => ('int' in n ? n.int : n.dec.scale <= 0 ? n.dec.digits * 10n ** BigInt(-n.dec.scale) : n.dec.digits / 10n ** BigInt(n.dec.scale));
    switch (c.kind) {
      case 'int':
        return Number(int());
      case 'int8':
      case 'timestamp':
        return int();
      case 'bigint':
        return encodeBigInt(int());
      case 'bigdecimal':
        return encodeBigDecimal(numToString(n));
      default:
        break;
    }
  }
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return v;
  throw new StoreError(`aggregate ${c.field.name}: cannot store ${JSON.stringify(String(v))} in a ${c.kind} column`);
}

const isNum = (v: ExprValue): v is Num => v !== null && typeof v === 'object' && ('int' in v || 'dec' in v);

function add(a: Num, b: Num): Num {
  return evalExpr({ k: 'bin', op: '+', l: { k: 'num', value: a }, r: { k: 'num', value: b } }, () => null) as Num;
}

function better(fn: 'min' | 'max', a: ExprValue, b: ExprValue): ExprValue {
  if (a === null) return b;
  if (b === null) return a;
  if (!isNum(a) || !isNum(b)) throw new StoreError(`${fn} needs numbers`);
  const c = compareNum(a, b);
  return fn === 'min' ? (c <= 0 ? a : b) : c >= 0 ? a : b;
}

/** One aggregate over a bucket's values (data points in id order), graph-node's SQL semantics. */
function aggregate(a: AggregateDef, values: ExprValue[], rows: number): ExprValue {
  switch (a.fn) {
    case 'count':
      return { int: BigInt(rows) };
    case 'sum': {
      let s: Num | null = null;
      for (const v of values) if (v !== null) s = s === null ? (v as Num) : add(s, v as Num);
      return s;
    }
    case 'min':
    case 'max': {
      let m: ExprValue = null;
      for (const v of values) m = better(a.fn, m, v);
      return m;
    }
    case 'first':
      // arg_min((value, id)): the value of the smallest id whose value is not null
      return values.find((v) => v !== null) ?? null;
    case 'last':
      return values.findLast((v) => v !== null) ?? null;
  }
}

/** A cumulative aggregate: the previous bucket's value combined with this one's (rollup.rs' `combine`). */
function combine(a: AggregateDef, prev: ExprValue, cur: ExprValue): ExprValue {
  switch (a.fn) {
    case 'sum':
    case 'count':
      return prev === null ? cur : cur === null ? prev : add(prev as Num, cur as Num);
    case 'min':
    case 'max':
      return better(a.fn, prev, cur);
    case 'first':
      return prev ?? cur;
    case 'last':
      return cur ?? prev;
  }
}

interface Plan {
  agg: AggregationDef;
  source: Table;
  tables: Map<Interval, Table>;
  /** SELECT of the bucket's data points, with and without a block bound */
  points: Statement<unknown[]>;
  pointsAt: Statement<unknown[]>;
  /** cumulative: the latest earlier row of the same group, per interval */
  prev: Map<Interval, { now: Statement<unknown[]>; at: Statement<unknown[]> }>;
  insert: Map<Interval, Statement<unknown[]>>;
  /** the newest data point's timestamp, and whether an interval table has a bucket (at a block) */
  latest: Statement<unknown[]>;
  rolled: Map<Interval, Statement<unknown[]>>;
  deleteAfter: Map<Interval, Statement<unknown[]>>;
  /** source columns read: id, timestamp, dimensions, then every field an arg names */
  read: Column[];
}

export class Aggregator {
  readonly #plans: Plan[] = [];

  constructor(db: Db, layout: Layout, readOnly = false) {
    for (const agg of layout.schema.aggregations.values()) {
      const source = layout.tables.get(agg.source)!;
      const tables = layout.aggregations.get(agg.name)!;
      const names = new Set(['id', 'timestamp', ...agg.dimensions.map((d) => d.name)]);
      for (const a of agg.aggregates) if (a.fn !== 'count') for (const n of identifiers(a.expr)) names.add(n);
      const read = [...names].map((n) => source.columnMap.get(n)!);
      const select = `SELECT ${read.map((c) => c.sql).join(', ')} FROM ${source.sql} WHERE timestamp >= ? AND timestamp < ?`;
      const prep = (sql: string) => db.prepare<unknown[]>(sql).safeIntegers(true);
      const plan: Plan = {
        agg,
        source,
        tables,
        points: prep(`${select} ORDER BY id`),
        pointsAt: prep(`${select} AND __from <= ? ORDER BY id`),
        prev: new Map(),
        insert: new Map(),
        latest: prep(`SELECT max(timestamp) FROM ${source.sql} WHERE __from <= ?`).pluck(),
        rolled: new Map(),
        deleteAfter: new Map(),
        read,
      };
      for (const [interval, t] of tables) {
        // graph-node's `prev.<dim> = bucket.<dim>`: a null dimension has no previous row
        const dims = agg.dimensions.map((d) => ` AND ${t.columnMap.get(d.name)!.sql} = ?`).join('');
        const prev = `SELECT * FROM ${t.sql} WHERE timestamp < ?${dims}`;
        plan.prev.set(interval, { now: prep(`${prev} ORDER BY timestamp DESC LIMIT 1`), at: prep(`${prev} AND __from <= ? ORDER BY timestamp DESC LIMIT 1`) });
        plan.rolled.set(interval, prep(`SELECT 1 FROM ${t.sql} WHERE timestamp = ? AND __from <= ? LIMIT 1`).pluck());
        if (!readOnly) {
          plan.insert.set(interval, prep(`INSERT INTO ${t.sql} (__from, __to, ${t.columns.map((c) => c.sql).join(', ')}) VALUES (${['?', '?', ...t.columns.map(() => '?')].join(', ')})`));
          plan.deleteAfter.set(interval, prep(`DELETE FROM ${t.sql} WHERE __from > ?`));
        }
      }
      this.#plans.push(plan);
    }
  }

  get active(): boolean {
    return this.#plans.length > 0;
  }

  /**
   * graph-node's Layout::rollup for one block: with `prev` the previous block's time (the store's
   * cursor) and `ptr` this one's, each interval whose bucket changed between them rolls up the
   * bucket `prev` was in (later buckets cannot have data points: nothing was written in between).
   * Intervals go smallest first; one without a new bucket ends the loop, as a larger cannot have one.
   */
  rollup(prev: BlockPtr | null, ptr: BlockPtr, flush: () => void): void {
    if (!prev || this.#plans.length === 0) return;
    let flushed = false;
    for (const interval of INTERVALS) {
      const secs = INTERVAL_SECONDS[interval];
      const start = Math.floor(prev.timestamp / secs) * secs;
      if (Math.floor(ptr.timestamp / secs) * secs <= start) break;
      for (const plan of this.#plans) {
        const t = plan.tables.get(interval);
        if (!t) continue;
        if (!flushed) {
          // the data points may still be in the entity store's write buffer
          flush();
          flushed = true;
        }
        const insert = plan.insert.get(interval)!;
        for (const row of this.bucket(plan.agg.name, interval, start, null)) insert.run(ptr.number, OPEN, ...row);
      }
    }
  }

  /**
   * The rows (column values in the interval table's column order) of the bucket starting at
   * `startSec`, from the data points and earlier rows visible at block `at` (null: all).
   */
  bucket(aggName: string, interval: Interval, startSec: number, at: number | null): unknown[][] {
    const plan = this.#plans.find((p) => p.agg.name === aggName)!;
    const t = plan.tables.get(interval)!;
    const secs = INTERVAL_SECONDS[interval];
    const from = BigInt(startSec) * BigInt(MICROS);
    const to = BigInt(startSec + secs) * BigInt(MICROS);
    const points = (at === null ? plan.points.all(from, to) : plan.pointsAt.all(from, to, at)) as Record<string, unknown>[];
    if (points.length === 0) return [];
    const groups = new Map<string, Record<string, unknown>[]>();
    for (const p of points) {
      const key = plan.agg.dimensions.map((d) => keyPart(p[d.name])).join('\u0000');
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(p);
    }
    const out: unknown[][] = [];
    const cumulative = plan.agg.aggregates.some((a) => a.cumulative);
    for (const rows of groups.values()) {
      const first = rows[0]!;
      const raw = new Map<string, unknown>();
      // graph-node's `max(id)` of the group's data points
      raw.set('id', rows.reduce((m, r) => ((r.id as bigint) > (m as bigint) ? r.id : m), first.id));
      raw.set('timestamp', from);
      for (const d of plan.agg.dimensions) raw.set(d.name, first[d.name]);
      let prevRow: Record<string, unknown> | undefined;
      if (cumulative && !plan.agg.dimensions.some((d) => first[d.name] === null)) {
        const stmts = plan.prev.get(interval)!;
        const dims = plan.agg.dimensions.map((d) => first[d.name]);
        prevRow = (at === null ? stmts.now.get(from, ...dims) : stmts.at.get(from, ...dims, at)) as Record<string, unknown> | undefined;
      }
      for (const a of plan.agg.aggregates) {
        const col = t.columnMap.get(a.field.name)!;
        const values = a.fn === 'count' ? [] : rows.map((r) => this.#arg(plan, a, r));
        let v = aggregate(a, values, rows.length);
        if (a.cumulative && prevRow) v = combine(a, decode(col, prevRow[a.field.name]), v);
        try {
          raw.set(a.field.name, encode(col, v));
        } catch (err) {
          throw new StoreError(`aggregation ${aggName}.${a.field.name}: ${(err as Error).message}`);
        }
      }
      out.push(t.columns.map((c) => raw.get(c.field.name) ?? null));
    }
    return out;
  }

  #arg(plan: Plan, a: AggregateDef, row: Record<string, unknown>): ExprValue {
    try {
      return evalExpr(a.expr, (name) => decode(plan.source.columnMap.get(name)!, row[name]));
    } catch (err) {
      // a deterministic failure, as Postgres' error would fail graph-node's rollup
      throw new StoreError(`aggregation ${plan.agg.name}.${a.field.name} (arg \`${a.arg}\`): ${(err as Error).message}`);
    }
  }

  /**
   * graph-node's `current: include` bucket: the data points not rolled up yet (those in the bucket
   * of the newest one, when that bucket has no rows), aggregated as a rollup would, at block `at`.
   */
  current(aggName: string, interval: Interval, at: number | null): unknown[][] {
    const plan = this.#plans.find((p) => p.agg.name === aggName)!;
    const bound = at ?? OPEN;
    const newest = plan.latest.get(bound) as bigint | null;
    if (newest === null) return [];
    const secs = INTERVAL_SECONDS[interval];
    const start = Math.floor(Number(newest / BigInt(MICROS)) / secs) * secs;
    if (plan.rolled.get(interval)!.get(BigInt(start) * BigInt(MICROS), bound) !== undefined) return [];
    return this.bucket(aggName, interval, start, at);
  }

  /** Rollups of blocks after `n` are undone with them. */
  revert(n: number): void {
    for (const plan of this.#plans) for (const del of plan.deleteAfter.values()) del.run(n);
  }
}

function keyPart(raw: unknown): string {
  if (raw === null || raw === undefined) return 'null';
  if (Buffer.isBuffer(raw)) return 'x' + raw.toString('hex');
  return typeof raw + ':' + String(raw);
}

/**
 * The rows an aggregation query reads from interval table `t`: the table itself, or with `current`
 * rows (`Aggregator.current`: the bucket still being filled) the table and those rows as versions
 * valid at every block; their values are appended to `params`.
 */
export function bucketSource(t: Table, current: unknown[][], params: unknown[]): string {
  if (current.length === 0) return t.sql;
  const cols = t.columns.map((c) => c.sql).join(', ');
  const values = current.map((r, i) => {
    params.push(-1 - i, ...r);
    return `(?, 0, ${OPEN}, ${r.map(() => '?').join(', ')})`;
  });
  return `(SELECT __vid, __from, __to, ${cols} FROM ${t.sql} UNION ALL VALUES ${values.join(', ')})`;
}
