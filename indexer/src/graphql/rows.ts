// Query results as objects graphql-js reads: one class per entity table whose getters convert a
// column when its field is read, interfaces as the union of their implementers' tables, and the
// column lists a level's selection needs.
import type { FieldNode, GraphQLResolveInfo } from 'graphql';
import type { FieldDef } from '../schema.ts';
import { bytesToHex, decodeBigDecimal, decodeBigInt } from '../store/encoding.ts';
import type { Column, ColumnKind, Layout, Table } from '../store/layout.ts';
import { collectFields, collectEnv, subSelections } from './collect.ts';
import { run, type ExecContext } from './context.ts';
import { QueryError } from './filters.ts';

/** Where nested entity values live on a parent object: REF + response key (aliases differ). */
export const REF = '\u0000';
export const RAW = Symbol('row');
export type Obj = Record<string, unknown> & { [RAW]?: Record<string, unknown> };

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

export function toObject(t: Table, row: Record<string, unknown>): Obj {
  return new (rowClass(t))(row);
}

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

export const UNION_COLUMNS = (alias: string) => `${alias}.__typename AS __typename, ${alias}.__vid AS __vid, ${alias}.id AS id`;

/**
 * Rows of an interface query name (type, version); read each implementer's selected columns
 * for them, one statement per implementer, keeping the rows' order.
 */
export function materialize(ctx: ExecContext, info: GraphQLResolveInfo, src: Source, rows: Record<string, unknown>[], nodes: readonly FieldNode[]): Obj[] {
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

/**
 * The columns a level's selection reads (plus `id`, which nested levels key on): rows become JS
 * objects column by column, so a query naming 3 fields of a 30-column entity reads 4 columns.
 */
export function columnsFor(info: GraphQLResolveInfo, t: Table, nodes: readonly FieldNode[], alias: string): string {
  const fields = collectFields(collectEnv(info), t.entity.name, t.entity.interfaces, subSelections(nodes));
  const names = new Set(['id']);
  for (const fieldNodes of fields.values()) {
    const name = fieldNodes[0]!.name.value;
    if (t.columnMap.has(name)) names.add(name);
  }
  return [...names].map((n) => `${alias}.${t.columnMap.get(n)!.sql}`).join(', ');
}
