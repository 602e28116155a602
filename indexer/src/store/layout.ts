// How each entity type maps onto a SQLite table: one typed column per stored field plus the
// version bookkeeping (`__vid`, block range `[__from, __to)`); shared by the store and the
// GraphQL layer's SQL translation. `__` names cannot collide with GraphQL field names.
import { HessianError } from '@hessian/common/errors';
import type { EntityDef, FieldDef, Interval, ScalarName, SubgraphSchema } from '../schema.ts';
import type { Value } from '../types.ts';
import {
  bytesToHex,
  decodeBigDecimal,
  decodeBigInt,
  encodeBigDecimal,
  encodeBigInt,
  hexToBytes,
  normalizeDecimal,
} from './encoding.ts';

/** `__to` of a version that is still current (graph-node's open-ended block range). */
export const OPEN = 2147483647;

export type ColumnKind = 'string' | 'int' | 'int8' | 'timestamp' | 'bigint' | 'bigdecimal' | 'bool' | 'bytes';

export interface Column {
  field: FieldDef;
  /** quoted SQL identifier */
  sql: string;
  /** the scalar kind stored (a reference stores the target's id kind) */
  kind: ColumnKind;
  list: boolean;
  /** entity or interface referenced, if any */
  ref?: string;
}

export interface Table {
  entity: EntityDef;
  /** quoted SQL identifier */
  sql: string;
  idKind: ColumnKind;
  /** stored columns in schema order (id included, derived fields excluded) */
  columns: Column[];
  columnMap: Map<string, Column>;
}

/**
 * The store refused a write or cannot be used: deterministic (fatal: the same block fails the
 * same way again), or the user's to fix (`kind: 'user'`: a database of another schema or layout).
 */
export class StoreError extends HessianError {
  override name = 'StoreError';
  constructor(message: string, options: { kind?: 'fatal' | 'user'; cause?: unknown } = {}) {
    super(message, { ...options, kind: options.kind ?? 'fatal' });
  }
}

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

export function scalarKind(name: ScalarName): ColumnKind {
  switch (name) {
    case 'ID':
    case 'String':
      return 'string';
    case 'Int':
      return 'int';
    case 'Int8':
      return 'int8';
    case 'Timestamp':
      return 'timestamp';
    case 'BigInt':
      return 'bigint';
    case 'BigDecimal':
      return 'bigdecimal';
    case 'Boolean':
      return 'bool';
    case 'Bytes':
      return 'bytes';
  }
}

function idKindOf(schema: SubgraphSchema, typeName: string): ColumnKind {
  const e = schema.entities.get(typeName);
  if (e) return scalarKind(e.idType);
  const i = schema.interfaces.get(typeName);
  const first = i?.implementedBy[0];
  if (first) return idKindOf(schema, first);
  return 'string';
}

export interface Layout {
  schema: SubgraphSchema;
  tables: Map<string, Table>;
  /**
   * `@aggregation` types: one immutable table per interval (graph-node's `Stats_hour`,
   * `Stats_day`), named `agg_<Type>_<interval>`; their `entity.name` is the aggregation's name,
   * so the query layer treats each like that type's table.
   */
  aggregations: Map<string, Map<Interval, Table>>;
}

export function buildLayout(schema: SubgraphSchema): Layout {
  const tables = new Map<string, Table>();
  for (const entity of schema.entities.values()) tables.set(entity.name, tableOf(schema, entity, 'e_' + entity.name));
  const aggregations = new Map<string, Map<Interval, Table>>();
  for (const agg of schema.aggregations.values()) {
    const entity: EntityDef = { name: agg.name, immutable: true, idType: agg.idType, fields: agg.fields, fieldMap: agg.fieldMap, interfaces: [] };
    aggregations.set(agg.name, new Map(agg.intervals.map((i) => [i, tableOf(schema, entity, `agg_${agg.name}_${i}`)])));
  }
  return { schema, tables, aggregations };
}

function tableOf(schema: SubgraphSchema, entity: EntityDef, sqlName: string): Table {
  {
    const columns: Column[] = [];
    for (const field of entity.fields) {
      if (field.derivedFrom) continue;
      let kind: ColumnKind;
      let ref: string | undefined;
      if (field.type.kind === 'scalar') kind = scalarKind(field.type.name);
      else if (field.type.kind === 'enum') kind = 'string';
      else {
        ref = field.type.name;
        kind = idKindOf(schema, field.type.name);
      }
      columns.push({ field, sql: quoteIdent(field.name), kind, list: field.list, ...(ref ? { ref } : {}) });
    }
    return {
      entity,
      sql: quoteIdent(sqlName),
      idKind: scalarKind(entity.idType),
      columns,
      columnMap: new Map(columns.map((c) => [c.field.name, c])),
    };
  }
}

function sqlType(c: Column): string {
  if (c.list) return 'TEXT';
  switch (c.kind) {
    case 'int':
    case 'int8':
    case 'timestamp':
    case 'bool':
      return 'INTEGER';
    case 'bytes':
      return 'BLOB';
    default:
      return 'TEXT';
  }
}

/** DDL for one entity table and its indexes (`attributes: false`: without `attributeIndexes`). */
export function tableDdl(t: Table, opts: { attributes?: boolean } = {}): string[] {
  const cols = t.columns.map((c) => `${c.sql} ${sqlType(c)}${c.field.nonNull ? ' NOT NULL' : ''}`);
  const name = sqlName(t);
  const ddl = [
    `CREATE TABLE IF NOT EXISTS ${t.sql} (__vid INTEGER PRIMARY KEY, __from INTEGER NOT NULL, __to INTEGER NOT NULL, ${cols.join(', ')})`,
    // point lookups and time travel: id = ? AND __from <= B AND __to > B
    `CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdent(name + '__id')} ON ${t.sql} (id, __from)`,
    // current-state scans in id order, and reopening versions on revert
    `CREATE INDEX IF NOT EXISTS ${quoteIdent(name + '__to')} ON ${t.sql} (__to, id)`,
    `CREATE INDEX IF NOT EXISTS ${quoteIdent(name + '__from')} ON ${t.sql} (__from)`,
  ];
  if (opts.attributes !== false) ddl.push(...attributeIndexes(t).map((i) => i.create));
  return ddl;
}

export interface AttributeIndex {
  /** the index's SQL name, unquoted */
  name: string;
  create: string;
}

/**
 * The indexes only queries use (writes and reverts go by id, `__from` and `__to`): a backfill
 * may leave them out and build them once at the end (`EntityStore.deferAttributeIndexes`).
 * References: derived-field lookups and nested filters for many parents at once. Without `__to`
 * in the key, closing a version (the most common write) leaves these indexes alone. Immutable
 * types are the append-only histories (read newest-first by block or time): their numeric
 * columns are indexed too, which costs one insert each and no updates ever.
 */
export function attributeIndexes(t: Table): AttributeIndex[] {
  const ordered = new Set<ColumnKind>(['int', 'int8', 'timestamp', 'bigint', 'bigdecimal']);
  const out: AttributeIndex[] = [];
  for (const c of t.columns) {
    if (c.field.name === 'id' || c.list) continue;
    if (c.ref || (t.entity.immutable && ordered.has(c.kind))) {
      const name = sqlName(t) + '_' + c.field.name;
      out.push({ name, create: `CREATE INDEX IF NOT EXISTS ${quoteIdent(name)} ON ${t.sql} (${c.sql})` });
    }
  }
  return out;
}

/** the table's SQL name, unquoted */
function sqlName(t: Table): string {
  return t.sql.slice(1, -1).replace(/""/g, '"');
}

function kindMismatch(where: string, c: Column, v: Value): StoreError {
  return new StoreError(`${where}: field ${c.field.name} expects ${describe(c)}, got a ${v.kind} value`);
}

function describe(c: Column): string {
  const base = c.ref ? `a reference to ${c.ref}` : c.field.type.kind === 'enum' ? `enum ${c.field.type.name}` : c.kind;
  return c.list ? `a list of ${base}` : base;
}

/** A scalar Value → its SQL parameter (the column's storage form). */
export function scalarToSql(where: string, c: Column, v: Value): unknown {
  switch (c.kind) {
    case 'string':
      if (v.kind === 'String') return v.value;
      break;
    case 'int':
      if (v.kind === 'Int') return v.value;
      break;
    case 'int8':
      if (v.kind === 'Int8' || v.kind === 'BigInt') return v.value;
      if (v.kind === 'Int') return BigInt(v.value);
      break;
    case 'timestamp':
      if (v.kind === 'Timestamp' || v.kind === 'Int8') return v.value;
      break;
    case 'bigint':
      if (v.kind === 'BigInt') return encodeBigInt(v.value);
      break;
    case 'bigdecimal':
      if (v.kind === 'BigDecimal') return encodeBigDecimal(v.value);
      break;
    case 'bool':
      if (v.kind === 'Bool') return v.value ? 1 : 0;
      break;
    case 'bytes':
      if (v.kind === 'Bytes') return Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength);
      break;
  }
  throw kindMismatch(where, c, v);
}

/** A list item as stored in the JSON array of a list column. */
function itemToJson(where: string, c: Column, v: Value): unknown {
  switch (c.kind) {
    case 'string':
    case 'int':
    case 'bool':
      if (v.kind === 'String' || v.kind === 'Int' || v.kind === 'Bool') return v.value;
      break;
    case 'int8':
    case 'timestamp':
    case 'bigint':
      if (v.kind === 'Int8' || v.kind === 'Timestamp' || v.kind === 'BigInt') return v.value.toString();
      break;
    case 'bigdecimal':
      if (v.kind === 'BigDecimal') return normalizeDecimal(v.value);
      break;
    case 'bytes':
      if (v.kind === 'Bytes') return bytesToHex(v.value);
      break;
  }
  throw kindMismatch(where, c, v);
}

export function valueToSql(where: string, c: Column, v: Value): unknown {
  if (v.kind === 'Null') {
    if (c.field.nonNull) throw new StoreError(`${where}: required field ${c.field.name} is null`);
    return null;
  }
  if (c.list) {
    if (v.kind !== 'List') throw kindMismatch(where, c, v);
    return JSON.stringify(v.value.map((item) => itemToJson(where, c, item)));
  }
  return scalarToSql(where, c, v);
}

function scalarValue(kind: ColumnKind, raw: unknown): Value {
  switch (kind) {
    case 'string':
      return { kind: 'String', value: raw as string };
    case 'int':
      return { kind: 'Int', value: Number(raw) };
    case 'int8':
      return { kind: 'Int8', value: BigInt(raw as bigint) };
    case 'timestamp':
      return { kind: 'Timestamp', value: BigInt(raw as bigint) };
    case 'bigint':
      return { kind: 'BigInt', value: decodeBigInt(raw as string) };
    case 'bigdecimal':
      return { kind: 'BigDecimal', value: decodeBigDecimal(raw as string) };
    case 'bool':
      return { kind: 'Bool', value: Number(raw) !== 0 };
    case 'bytes':
      return { kind: 'Bytes', value: new Uint8Array(raw as Buffer) };
  }
}

function itemValue(kind: ColumnKind, raw: unknown): Value {
  switch (kind) {
    case 'int8':
      return { kind: 'Int8', value: BigInt(raw as string) };
    case 'timestamp':
      return { kind: 'Timestamp', value: BigInt(raw as string) };
    case 'bigint':
      return { kind: 'BigInt', value: BigInt(raw as string) };
    case 'bigdecimal':
      return { kind: 'BigDecimal', value: raw as string };
    case 'bytes':
      return { kind: 'Bytes', value: new Uint8Array(hexToBytes(raw as string)) };
    case 'int':
      return { kind: 'Int', value: raw as number };
    case 'bool':
      return { kind: 'Bool', value: raw as boolean };
    default:
      return { kind: 'String', value: raw as string };
  }
}

/** A stored column value (read with safe integers) → Value; null stays null. */
export function sqlToValue(c: Column, raw: unknown): Value | null {
  if (raw === null || raw === undefined) return null;
  if (c.list) return { kind: 'List', value: (JSON.parse(raw as string) as unknown[]).map((x) => itemValue(c.kind, x)) };
  return scalarValue(c.kind, raw);
}

/** An entity id string (Bytes ids as 0x-hex, Int8 ids decimal) → SQL parameter. */
export function idToSql(t: Table, id: string): unknown {
  switch (t.idKind) {
    case 'bytes':
      try {
        return hexToBytes(id);
      } catch {
        throw new StoreError(`${t.entity.name}: id ${JSON.stringify(id)} is not 0x-hex bytes`);
      }
    case 'int8':
      if (!/^-?\d+$/.test(id)) throw new StoreError(`${t.entity.name}: id ${JSON.stringify(id)} is not an Int8`);
      return BigInt(id);
    default:
      return id;
  }
}

export function idFromSql(t: Table, raw: unknown): string {
  if (t.idKind === 'bytes') return bytesToHex(raw as Buffer);
  return String(raw);
}
