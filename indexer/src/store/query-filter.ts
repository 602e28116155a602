// Filters as SQL over the versioned tables: the store's half of graph-node's EntityFilter (the
// query layer builds the tree from `X_filter` input; here it becomes a WHERE clause). Mirrors
// graph-node's relational_queries.rs: LIKE patterns are the user's string with `%` added (so `%`
// and `_` stay wildcards), `_in: []` and `_not_in: []` match nothing, list `_not_contains` means
// "shares no element", and child filters cannot nest.
import type { FieldDef } from '../schema.ts';
import { encodeBigDecimal, encodeBigInt, normalizeDecimal } from './encoding.ts';
import { OPEN, type Column, type ColumnKind, type Layout, type Table } from './layout.ts';

export type FilterOp =
  | ''
  | 'not'
  | 'gt'
  | 'lt'
  | 'gte'
  | 'lte'
  | 'in'
  | 'not_in'
  | 'contains'
  | 'contains_nocase'
  | 'not_contains'
  | 'not_contains_nocase'
  | 'starts_with'
  | 'starts_with_nocase'
  | 'not_starts_with'
  | 'not_starts_with_nocase'
  | 'ends_with'
  | 'ends_with_nocase'
  | 'not_ends_with'
  | 'not_ends_with_nocase'
  | 'child';

/** The block a query reads: versions with `__from <= number < __to`. */
export interface BlockRef {
  number: number;
}

/**
 * graph-node's EntityFilter: `all` is one `where` object (its keys ANDed), `and`/`or` its list
 * operators, `attr` one `field_op: value` key (the value as the query gave it; the store brings
 * it to the column's storage form), `child` a `field_: {...}` filter on the referenced entities.
 * `key` is the filter key as the user wrote it, for error messages.
 */
export type EntityFilter =
  | { kind: 'all'; filters: EntityFilter[] }
  | { kind: 'and' | 'or'; filters: EntityFilter[] }
  | { kind: 'changeBlock'; numberGte: number }
  | { kind: 'attr'; key: string; field: FieldDef; op: Exclude<FilterOp, 'child'>; value: unknown }
  | { kind: 'child'; key: string; field: FieldDef; filter: EntityFilter };

/**
 * A query the store refuses (a value it cannot store, an unknown or unorderable attribute, a
 * timeout): the query layer reports its message alone, as graph-node reports its store errors.
 * `located` marks the few graph-node places in the query (a malformed Bytes value).
 */
export class QueryInputError extends Error {
  located = false;
}

class LocatedInputError extends QueryInputError {
  override located = true;
}

/** Bytes as a query spells them (`0x`-hex, as graphql/scalars.ts parses them). */
export interface BytesInput {
  kind: 'bytes';
  bytes: Buffer;
  hex: string;
}

function parseBytes(value: string): BytesInput {
  const h = value.startsWith('0x') || value.startsWith('0X') ? value.slice(2) : value;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) {
    throw new LocatedInputError(`Failed to decode \`Bytes\` value: \`${value}\` is not valid hex (0x followed by an even number of hex digits)`);
  }
  return { kind: 'bytes', bytes: Buffer.from(h, 'hex'), hex: '0x' + h.toLowerCase() };
}

export function blockCondition(alias: string, block: BlockRef): string {
  const b = Math.trunc(block.number);
  if (b >= OPEN) return `${alias}.__to = ${OPEN}`;
  return `${alias}.__from <= ${b} AND ${alias}.__to > ${b}`;
}

/** SQL that yields a set of stored ids from a JSON array parameter of id strings. */
export function idSetSql(kind: ColumnKind): string {
  switch (kind) {
    case 'bytes':
      return `SELECT unhex(substr(value, 3)) AS v FROM json_each(?)`;
    case 'int8':
      return `SELECT CAST(value AS INTEGER) AS v FROM json_each(?)`;
    default:
      return `SELECT value AS v FROM json_each(?)`;
  }
}

/**
 * `__vid`s of the versions of the given ids (a subquery yielding ids) valid at `block`, found as
 * each id's newest version started at or before it: one index probe per id on `(id, __from)`,
 * however long the entity's history. `__to` still has to be checked by the caller.
 */
export function versionsAt(table: Table, ids: string, block: BlockRef): string {
  const b = Math.trunc(block.number);
  return `SELECT (SELECT x.__vid FROM ${table.sql} x WHERE x.id = ids.v AND x.__from <= ${b} ORDER BY x.__from DESC LIMIT 1) FROM (${ids}) ids`;
}

/** How a stored id is spelled inside a JSON list column (and in GraphQL output). */
export function idAsJsonItem(expr: string, kind: ColumnKind): string {
  if (kind === 'bytes') return `('0x' || lower(hex(${expr})))`;
  if (kind === 'int8') return `CAST(${expr} AS TEXT)`;
  return expr;
}


export interface FilterContext {
  layout: Layout;
  block: BlockRef;
  params: unknown[];
  aliasCounter: { n: number };
  /** an entity's table, or an interface's union of them */
  source(name: string): Table;
}

function nextAlias(ctx: FilterContext): string {
  ctx.aliasCounter.n++;
  return `t${ctx.aliasCounter.n}`;
}

/** Describes a filter value in error messages the way graph-node prints query values. */
export function show(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object' && (v as BytesInput).kind === 'bytes') return (v as BytesInput).hex;
  if (Array.isArray(v)) return '[' + v.map(show).join(', ') + ']';
  if (typeof v === 'string') return `"${v}"`;
  return String(v);
}

/**
 * Values reach filters already coerced by their GraphQL input type, except through variables
 * declared with another type (graph-node tolerates `$id: String!` where `ID!` or `Bytes` is
 * expected, and so do we): bring those to the column's kind here, with a clear error.
 */
function normalize(kind: ColumnKind, v: unknown, key: string): unknown {
  try {
    switch (kind) {
      case 'bytes':
        return typeof v === 'string' ? parseBytes(v) : v;
      case 'bigint':
      case 'int8':
      case 'timestamp':
        if (typeof v === 'bigint') return v;
        if ((typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v.trim()))) return BigInt(String(v).trim());
        throw new Error('not an integer');
      case 'bigdecimal':
        if (typeof v === 'number' || typeof v === 'string') return normalizeDecimal(String(v));
        throw new Error('not a decimal');
      default:
        return v;
    }
  } catch (err) {
    if (err instanceof QueryInputError) throw err;
    throw new QueryInputError(`Failed to decode \`${kind}\` value: \`${show(v)}\` passed to filter \`${key}\``);
  }
}

/** A filter value → the column's storage form. */
function scalarParam(kind: ColumnKind, isRef: boolean, v: unknown, key: string): unknown {
  if (!isRef) v = normalize(kind, v, key);
  if (isRef) {
    // references are filtered with the target's id spelled as a string (Int for Int8 ids)
    if (kind === 'bytes') {
      const s = String(v);
      const h = s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s;
      if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) {
        throw new QueryInputError(`Failed to decode \`Bytes\` value: \`${s}\` passed to filter \`${key}\` is not valid hex`);
      }
      return Buffer.from(h, 'hex');
    }
    if (kind === 'int8') return BigInt(v as number);
    return v;
  }
  switch (kind) {
    case 'bigint':
      return encodeBigInt(v as bigint);
    case 'bigdecimal':
      return encodeBigDecimal(v as string);
    case 'bytes':
      return (v as BytesInput).bytes;
    case 'bool':
      return v ? 1 : 0;
    case 'int8':
    case 'timestamp':
      return v as bigint;
    default:
      return v;
  }
}

/** A filter value → how the item is spelled in a JSON list column. */
function jsonItem(kind: ColumnKind, isRef: boolean, v: unknown, key: string): unknown {
  if (!isRef && v !== null) v = normalize(kind, v, key);
  if (typeof v === 'object' && v !== null && (v as BytesInput).kind === 'bytes') return (v as BytesInput).hex;
  if (isRef && kind === 'bytes') return String(v).toLowerCase();
  if (typeof v === 'bigint') return v.toString();
  if (isRef && kind === 'int8') return String(v);
  return v;
}

/** Converts a Postgres LIKE pattern (with `\` escapes) to a case-sensitive SQLite GLOB pattern. */
export function likeToGlob(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) {
      const lit = pattern[++i]!;
      out += lit === '*' || lit === '?' || lit === '[' ? `[${lit}]` : lit;
    } else if (ch === '%') out += '*';
    else if (ch === '_') out += '?';
    else if (ch === '*' || ch === '?' || ch === '[') out += `[${ch}]`;
    else out += ch;
  }
  return out;
}

function likePattern(op: FilterOp, value: string): string {
  if (op.includes('starts_with')) return value + '%';
  if (op.includes('ends_with')) return '%' + value;
  if (value.startsWith('%') || value.endsWith('%')) return value;
  return '%' + value + '%';
}

function textExpr(col: string, c: Column): string {
  return c.kind === 'bytes' ? `('0x' || lower(hex(${col})))` : col;
}

function listValues(key: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new QueryInputError(`Non-list value passed to \`${key}\` filter`);
  return value;
}

/** `a OP b OP c ...` as a balanced tree: SQLite refuses expression trees deeper than 1000. */
function balanced(items: string[], op: string): string {
  if (items.length === 1) return items[0]!;
  const mid = items.length >> 1;
  return `(${balanced(items.slice(0, mid), op)}${op}${balanced(items.slice(mid), op)})`;
}

/** SQL for a filter tree on table `t` aliased `alias` (`''` when it filters nothing). */
export function filterSql(ctx: FilterContext, t: Table, alias: string, f: EntityFilter): string {
  switch (f.kind) {
    case 'all':
      return f.filters.map((x) => filterSql(ctx, t, alias, x)).join(' AND ');
    case 'and':
    case 'or': {
      if (f.filters.length === 0) return f.kind === 'and' ? '1' : '0';
      const items = f.filters.map((x) => `(${filterSql(ctx, t, alias, x) || '1'})`);
      return balanced(items, f.kind === 'and' ? ' AND ' : ' OR ');
    }
    case 'changeBlock':
      return `${alias}.__from >= ${Math.trunc(f.numberGte)}`;
    case 'child':
      return childFilterSql(ctx, t, alias, f.field, f.filter);
    case 'attr':
      return attrFilterSql(ctx, t, alias, f.key, f.field, f.op, f.value);
  }
}

function attrFilterSql(ctx: FilterContext, t: Table, alias: string, key: string, field: FieldDef, op: Exclude<FilterOp, 'child'>, value: unknown): string {
  const c = t.columnMap.get(field.name);
  if (!c) throw new QueryInputError(`Entity \`${t.entity.name}\` has no attribute \`${field.name}\``);
  const col = `${alias}.${c.sql}`;
  const isRef = c.ref !== undefined;
  const p = ctx.params;

  if (c.list) return listFilterSql(ctx, c, col, key, op, value);

  if (value === null) {
    if (op === '') return `${col} IS NULL`;
    if (op === 'not') return `${col} IS NOT NULL`;
    if (op === 'in' || op === 'not_in') throw new QueryInputError(`Non-list value passed to \`${key}\` filter`);
    throw new QueryInputError(`Filter not supported by value \`null\`: \`${key}\``);
  }
  switch (op) {
    case '':
    case 'not':
    case 'gt':
    case 'lt':
    case 'gte':
    case 'lte': {
      const sqlOp = { '': '=', not: '<>', gt: '>', lt: '<', gte: '>=', lte: '<=' }[op];
      p.push(scalarParam(c.kind, isRef, value, key));
      return `${col} ${sqlOp} ?`;
    }
    case 'in':
    case 'not_in': {
      const values = listValues(key, value);
      if (values.length === 0) return '0';
      const nulls = values.some((v) => v === null);
      const nonNull = values.filter((v) => v !== null);
      const negated = op === 'not_in';
      const clauses: string[] = [];
      if (nulls) clauses.push(`${col} IS ${negated ? 'NOT ' : ''}NULL`);
      if (nonNull.length > 0) {
        p.push(JSON.stringify(nonNull.map((v) => jsonParam(c, isRef, v, key))));
        clauses.push(`${col} ${negated ? 'NOT IN' : 'IN'} (${valueSetSql(c, isRef)})`);
      }
      return clauses.length === 1 ? clauses[0]! : `(${clauses.join(' OR ')})`;
    }
    default: {
      if (c.kind === 'bytes' && isRef) return bytesRefPatternSql(c, col, key, op, value, p);
      if (c.kind === 'bytes' && !isRef) value = normalize('bytes', value, key);
      if (typeof value === 'object' && (value as BytesInput).kind === 'bytes') {
        if (op !== 'contains' && op !== 'not_contains') throw new QueryInputError(`Filter not supported by value \`${show(value)}\`: \`${key}\``);
        p.push((value as BytesInput).bytes);
        return `instr(${col}, ?) ${op === 'contains' ? '>' : '='} 0`;
      }
      if (typeof value !== 'string') throw new QueryInputError(`Filter not supported by value \`${show(value)}\`: \`${key}\``);
      const pattern = likePattern(op, value);
      const negated = op.startsWith('not_');
      if (op.endsWith('_nocase')) {
        p.push(pattern);
        return `${textExpr(col, c)} ${negated ? 'NOT LIKE' : 'LIKE'} ? ESCAPE '\\'`;
      }
      p.push(likeToGlob(pattern));
      return `${textExpr(col, c)} ${negated ? 'NOT GLOB' : 'GLOB'} ?`;
    }
  }
}

/**
 * String filters on a reference to a Bytes-id entity, as graph-node runs them on its `bytea`
 * column: `_contains`/`_not_contains` look for the value's bytes; the `_nocase` forms of contains
 * are refused before SQL (relational_queries.rs), and `LIKE`-based ones (`starts_with`,
 * `ends_with` and their `_nocase` and `_not` forms) fail in Postgres, which has no such operator
 * for `bytea` and `text` (graph-node's message then goes on with its SQL text).
 */
function bytesRefPatternSql(c: Column, col: string, key: string, op: FilterOp, value: unknown, p: unknown[]): string {
  const shown = typeof value === 'string' ? value : show(value);
  if (op === 'contains_nocase' || op === 'not_contains_nocase') throw new QueryInputError(`Store error: unsupported filter \`${op}\` for value \`${shown}\``);
  if (op === 'contains' || op === 'not_contains') {
    p.push(scalarParam(c.kind, true, value, key));
    return `instr(${col}, ?) ${op === 'contains' ? '>' : '='} 0`;
  }
  const sqlOp = `${op.startsWith('not_') ? '!' : ''}~~${op.endsWith('_nocase') ? '*' : ''}`;
  throw new QueryInputError(`Failed to get entities from store: operator does not exist: bytea ${sqlOp} text`);
}

/** JSON spelling of a value for `valueSetSql` (bigints as text, bytes as hex without 0x). */
function jsonParam(c: Column, isRef: boolean, v: unknown, key: string): unknown {
  const stored = scalarParam(c.kind, isRef, v, key);
  if (Buffer.isBuffer(stored)) return stored.toString('hex');
  if (typeof stored === 'bigint') return stored.toString();
  return stored;
}

function valueSetSql(c: Column, _isRef: boolean): string {
  switch (c.kind) {
    case 'bytes':
      return `SELECT unhex(value) FROM json_each(?)`;
    case 'int8':
    case 'timestamp':
      return `SELECT CAST(value AS INTEGER) FROM json_each(?)`;
    default:
      return `SELECT value FROM json_each(?)`;
  }
}

function listFilterSql(ctx: FilterContext, c: Column, col: string, key: string, op: FilterOp, value: unknown): string {
  const p = ctx.params;
  const isRef = c.ref !== undefined;
  if (value === null) {
    if (op === '') return `${col} IS NULL`;
    if (op === 'not') return `${col} IS NOT NULL`;
    throw new QueryInputError(`Filter not supported by value \`null\`: \`${key}\``);
  }
  const items = listValues(key, value).map((v) => jsonItem(c.kind, isRef, v, key));
  p.push(JSON.stringify(items));
  switch (op) {
    case '':
      return `${col} = ?`;
    case 'not':
      return `${col} <> ?`;
    case 'contains':
      return `(${col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM json_each(?) v WHERE v.value NOT IN (SELECT e.value FROM json_each(${col}) e)))`;
    case 'not_contains':
      return `(${col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM json_each(${col}) e WHERE e.value IN (SELECT v.value FROM json_each(?) v)))`;
    case 'contains_nocase':
      return `(${col} IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(?) v, json_each(${col}) e WHERE e.value LIKE v.value ESCAPE '\\'))`;
    case 'not_contains_nocase':
      return `(${col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM json_each(?) v, json_each(${col}) e WHERE e.value LIKE v.value ESCAPE '\\'))`;
    default:
      throw new QueryInputError(`Filter not supported by value \`${show(value)}\`: \`${key}\``);
  }
}

function childFilterSql(ctx: FilterContext, t: Table, alias: string, field: FieldDef, filter: EntityFilter): string {
  const child = ctx.source(field.type.name);
  const ca = nextAlias(ctx);
  const block = blockCondition(ca, ctx.block);
  const sub = filterSql(ctx, child, ca, filter);
  const cond = `${block}${sub ? ` AND ${sub}` : ''}`;
  if (field.derivedFrom) {
    const back = child.columnMap.get(field.derivedFrom)!;
    if (back.list) {
      return `EXISTS (SELECT 1 FROM ${child.sql} ${ca}, json_each(${ca}.${back.sql}) e WHERE e.value = ${idAsJsonItem(`${alias}.id`, t.idKind)} AND ${cond})`;
    }
    return `${alias}.id IN (SELECT ${ca}.${back.sql} FROM ${child.sql} ${ca} WHERE ${cond})`;
  }
  const c = t.columnMap.get(field.name)!;
  if (c.list) {
    return `EXISTS (SELECT 1 FROM json_each(${alias}.${c.sql}) e WHERE e.value IN (SELECT ${idAsJsonItem(`${ca}.id`, child.idKind)} FROM ${child.sql} ${ca} WHERE ${cond}))`;
  }
  return `${alias}.${c.sql} IN (SELECT ${ca}.id FROM ${child.sql} ${ca} WHERE ${cond})`;
}
