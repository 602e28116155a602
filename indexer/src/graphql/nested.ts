// Nested entity fields, resolved a whole level at a time: one statement per field for all parents
// (window functions give each parent its own first/skip/orderBy/where), never one per parent.
import { getArgumentValues, type FieldNode, type GraphQLObjectType, type GraphQLResolveInfo } from 'graphql';
import type { FieldDef } from '../schema.ts';
import { bytesToHex } from '../store/encoding.ts';
import { OPEN, type Table } from '../store/layout.ts';
import { whereSql, orderSql, range, type CollectionArgs } from './arguments.ts';
import { collectEnv, collectFields, subSelections } from './collect.ts';
import { DEADLINE, run, type ExecContext } from './context.ts';
import { LocatedQueryError } from './errors.ts';
import { blockCondition, idAsJsonItem, idSetSql, versionsAt, type BlockRef } from '../store/query-filter.ts';
import { columnsFor, materialize, RAW, REF, sourceOf, UNION_COLUMNS, type Obj, type Source } from './rows.ts';

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
    const cols = child.implementers ? UNION_COLUMNS('c') : columnsFor(info, child, childNodes, 'c');
    const load = (rows: Record<string, unknown>[]) => materialize(ctx, info, child, rows, childNodes);
    const children = f.derivedFrom
      ? derivedChildren(ctx, t, f, child, objs, args, block, cols, load, childNodes)
      : f.list
        ? listChildren(ctx, f, child, objs, args, block, cols, load)
        : singleChildren(ctx, f, child, objs, block, cols, load);
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

function singleChildren(ctx: ExecContext, f: FieldDef, child: Source, objs: Obj[], block: BlockRef, cols: string, load: Loader): (Obj | null)[] {
  const ids = new Set<string>();
  for (const o of objs) {
    const k = parentKey(child, o[RAW]![f.name]);
    if (k) ids.add(k);
  }
  const byId = new Map<string, Obj>();
  if (ids.size > 0) {
    const where =
      block.number < OPEN && !child.implementers
        ? `c.__vid IN (${versionsAt(child, idSetSql(child.idKind), block)}) AND c.__to > ${block.number}`
        : `c.id IN (${idSetSql(child.idKind)}) AND ${blockCondition('c', block)}`;
    const rows = run(ctx, `SELECT ${cols} FROM ${child.sql} c WHERE ${where}`, [
      JSON.stringify([...ids]),
    ]);
    const loaded = load(rows);
    rows.forEach((r, i) => byId.set(parentKey(child, r.id), loaded[i]!));
  }
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
function listChildren(ctx: ExecContext, f: FieldDef, child: Source, objs: Obj[], args: CollectionArgs, block: BlockRef, cols: string, load: Loader): Obj[][] {
  const lists = objs.map((o) => (o[RAW]![f.name] === null || o[RAW]![f.name] === undefined ? [] : JSON.parse(o[RAW]![f.name] as string)));
  const params: unknown[] = [JSON.stringify(lists)];
  const counter = { n: 0 };
  const where = args.where ? whereSql(ctx, block, params, counter, child, 'c', args.where) : '';
  const order = orderSql(ctx, child, 'c', args, block);
  const conv = child.idKind === 'bytes' ? 'unhex(substr(e.value, 3))' : child.idKind === 'int8' ? 'CAST(e.value AS INTEGER)' : 'e.value';
  const inner =
    `SELECT ${typeCol(child)}c.__vid AS __v, p.key AS __parent, ROW_NUMBER() OVER (PARTITION BY p.key ORDER BY ${order}) AS __rn ` +
    `FROM json_each(?) p JOIN ${child.sql} c ON c.id IN (SELECT ${conv} FROM json_each(p.value) e) ` +
    `WHERE ${blockCondition('c', block)}${where ? ` AND (${where})` : ''} AND ${DEADLINE}`;
  // the JSON parameter comes first in the text, then the filter's parameters
  const byParent = windowed(ctx, child, inner, params, args, false, cols, load);
  return objs.map((_, i) => byParent.get(String(i)) ?? []);
}

/** `@derivedFrom(field: back)`: children whose `back` points at the parent. */
function derivedChildren(
  ctx: ExecContext,
  t: Table,
  f: FieldDef,
  child: Source,
  objs: Obj[],
  args: CollectionArgs,
  block: BlockRef,
  cols: string,
  load: Loader,
  nodes: readonly FieldNode[],
): (Obj[] | Obj | null)[] {
  const back = child.columnMap.get(f.derivedFrom!)!;
  const ids = [...new Set(objs.map((o) => parentKey(t, o[RAW]!.id)))];
  const params: unknown[] = [JSON.stringify(ids)];
  const counter = { n: 0 };
  const single = !f.list;
  const where = !single && args.where ? whereSql(ctx, block, params, counter, child, 'c', args.where) : '';
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
      // placed at the derived field, as graph-node's AmbiguousDerivedFromResult
      throw new LocatedQueryError(`Ambiguous result for derived field \`${f.name}\`: Multiple \`${child.entity.name}\` entities refer back via \`${back.field.name}\``, { nodes });
    }
    return single ? (list[0] ?? null) : list;
  });
}
