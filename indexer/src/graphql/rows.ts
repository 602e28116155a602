// Query results as objects graphql-js reads: one class per entity table whose getters convert a
// column when its field is read, interfaces as the union of their implementers' tables, and the
// column lists a level's selection needs.
import type { FieldNode, GraphQLResolveInfo } from 'graphql';
import { bytesToHex, decodeBigDecimal, decodeBigInt } from '../store/encoding.ts';
import type { Column, ColumnKind, Table } from '../store/layout.ts';
import { collectFields, collectEnv, subSelections } from './collect.ts';
import { counted, rowsStore, type ExecContext } from './context.ts';
import type { Source } from '../store/query.ts';

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

export { sourceOf, type Source } from '../store/query.ts';

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
    const found = counted(ctx, rowsStore(ctx).versions(type, [...vids], selection(info, t, nodes), ctx));
    for (const r of found) objects.set(`${type}:${String(r.__vid)}`, toObject(t, r));
  }
  return rows.map((r) => objects.get(`${String(r.__typename)}:${String(r.__vid)}`)!);
}

/**
 * The attributes a level's selection reads (the store adds `id`, which nested levels key on):
 * rows become JS objects column by column, so a query naming 3 fields of a 30-column entity
 * reads 4 columns.
 */
export function selection(info: GraphQLResolveInfo, t: Table, nodes: readonly FieldNode[]): string[] {
  const fields = collectFields(collectEnv(info), t.entity.name, t.entity.interfaces, subSelections(nodes));
  const names: string[] = [];
  for (const fieldNodes of fields.values()) names.push(fieldNodes[0]!.name.value);
  return names;
}
