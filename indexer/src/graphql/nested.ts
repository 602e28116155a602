// Nested entity fields, resolved a whole level at a time: one store query per field for all
// parents (a parent window: each parent gets its own first/skip/orderBy/where), never one per
// parent. References by id are one `findMany` per field.
import { getArgumentValues, type FieldNode, type GraphQLObjectType, type GraphQLResolveInfo } from 'graphql';
import type { FieldDef } from '../schema.ts';
import { bytesToHex } from '../store/encoding.ts';
import type { Table } from '../store/layout.ts';
import type { BlockRef } from '../store/query-filter.ts';
import type { ParentWindow, Row } from '../store/query.ts';
import { filterOf, orderOf, range, type CollectionArgs } from './arguments.ts';
import { collectEnv, collectFields, subSelections } from './collect.ts';
import { counted, rowsStore, type ExecContext } from './context.ts';
import { LocatedQueryError } from './errors.ts';
import { materialize, RAW, REF, selection, sourceOf, type Obj, type Source } from './rows.ts';

function parentKey(t: Table, raw: unknown): string {
  if (raw === null || raw === undefined) return '';
  if (t.idKind === 'bytes') return bytesToHex(raw as Buffer);
  return String(raw);
}

export function prefetch(ctx: ExecContext, info: GraphQLResolveInfo, t: Source, objs: Obj[], nodes: readonly FieldNode[], block: BlockRef): void {
  if (objs.length === 0) return;
  if (t.implementers) {
    // a level of interface values holds objects of several entity types: plan each type's fields
    for (const impl of t.implementers) {
      const group = objs.filter((o) => o.__typename === impl.entity.name);
      if (group.length) prefetch(ctx, info, impl, group, nodes, block);
    }
    return;
  }
  const fields = collectFields(collectEnv(info), t.entity.name, t.entity.interfaces, subSelections(nodes));
  const gqlType = info.schema.getType(t.entity.name) as GraphQLObjectType;
  for (const [key, childNodes] of fields) {
    const f = t.entity.fieldMap.get(childNodes[0]!.name.value);
    if (!f || (f.type.kind !== 'entity' && f.type.kind !== 'interface')) continue;
    const child = sourceOf(ctx.api.layout, f.type.name);
    const args = getArgumentValues(gqlType.getFields()[f.name]!, childNodes[0]!, info.variableValues) as CollectionArgs;
    const level: Level = { ctx, child, block, select: selection(info, child, childNodes), load: (rows) => materialize(ctx, info, child, rows, childNodes) };
    const children = f.derivedFrom
      ? derivedChildren(level, t, f, objs, args, childNodes)
      : f.list
        ? listChildren(level, f, objs, args)
        : singleChildren(level, f, objs);
    const next: Obj[] = [];
    const seen = new Set<Obj>();
    for (let i = 0; i < objs.length; i++) {
      const v = children[i];
      objs[i]![REF + key] = v;
      for (const o of Array.isArray(v) ? v : v ? [v] : []) {
        if (!seen.has(o)) {
          seen.add(o);
          next.push(o);
        }
      }
    }
    prefetch(ctx, info, child, next, childNodes, block);
  }
}

/** One nested field's child type at one level: what to read of it and how rows become objects. */
interface Level {
  ctx: ExecContext;
  child: Source;
  block: BlockRef;
  select: string[];
  load: (rows: Row[]) => Obj[];
}

/** `field: Child` stored as the child's id. */
function singleChildren({ ctx, child, block, select, load }: Level, f: FieldDef, objs: Obj[]): (Obj | null)[] {
  const ids = new Set<string>();
  for (const o of objs) {
    const k = parentKey(child, o[RAW]![f.name]);
    if (k) ids.add(k);
  }
  const byId = new Map<string, Obj>();
  if (ids.size > 0) {
    const rows = counted(ctx, rowsStore(ctx).findMany(child.entity.name, [...ids], select, block, ctx));
    const loaded = load(rows);
    rows.forEach((r, i) => byId.set(parentKey(child, r.id), loaded[i]!));
  }
  return objs.map((o) => byId.get(parentKey(child, o[RAW]![f.name])) ?? null);
}

/** The children of a level's parents through `window`, by `__parent`. */
function windowed({ ctx, child, block, select, load }: Level, window: ParentWindow, args: CollectionArgs, single: boolean): Map<string, Obj[]> {
  // a single derived value fetches two rows to notice ambiguity, as graph-node reports it; its
  // arguments (none in the schema) are not read
  const filter = single ? null : filterOf(ctx, child, args.where);
  const order = single ? { kind: 'default' as const } : orderOf(args);
  const rows = counted(
    ctx,
    rowsStore(ctx).find({ entityType: child.entity.name, select, filter, order, range: single ? { first: 2, skip: 0 } : range(ctx, args), block, window }, ctx),
  );
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
function listChildren(level: Level, f: FieldDef, objs: Obj[], args: CollectionArgs): Obj[][] {
  const lists = objs.map((o) => (o[RAW]![f.name] === null || o[RAW]![f.name] === undefined ? [] : JSON.parse(o[RAW]![f.name] as string)));
  const byParent = windowed(level, { link: 'list', lists }, args, false);
  return objs.map((_, i) => byParent.get(String(i)) ?? []);
}

/** `@derivedFrom(field: back)`: children whose `back` points at the parent. */
function derivedChildren(level: Level, t: Table, f: FieldDef, objs: Obj[], args: CollectionArgs, nodes: readonly FieldNode[]): (Obj[] | Obj | null)[] {
  const parentIds = [...new Set(objs.map((o) => parentKey(t, o[RAW]!.id)))];
  const single = !f.list;
  const byParent = windowed(level, { link: 'derived', field: f.derivedFrom!, parentIdKind: t.idKind, parentIds }, args, single);
  return objs.map((o) => {
    const list = byParent.get(parentKey(t, o[RAW]!.id)) ?? [];
    if (single && list.length > 1) {
      // placed at the derived field, as graph-node's AmbiguousDerivedFromResult
      const back = level.child.columnMap.get(f.derivedFrom!)!;
      throw new LocatedQueryError(`Ambiguous result for derived field \`${f.name}\`: Multiple \`${level.child.entity.name}\` entities refer back via \`${back.field.name}\``, { nodes });
    }
    return single ? (list[0] ?? null) : list;
  });
}
