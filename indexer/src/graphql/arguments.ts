// Collection arguments: graph-node's `first`/`skip` ranges, `where` and `orderBy` in SQL.
import type { ExecContext } from './context.ts';
import { blockCondition, idAsJsonItem, QueryError, type BlockRef, type FilterContext } from './filters.ts';
import { sourceOf } from './rows.ts';
import type { Column, Table } from '../store/layout.ts';

export interface CollectionArgs {
  first?: number | null;
  skip?: number | null;
  orderBy?: string | null;
  orderDirection?: 'asc' | 'desc' | null;
  where?: Record<string, unknown> | null;
  /** extension: several ordering keys (only in the extended schema) */
  hessian_orderBy?: { by: string; direction?: 'asc' | 'desc' | null }[] | null;
}

export function range(ctx: ExecContext, args: CollectionArgs): { first: number; skip: number } {
  const { maxFirst, maxSkip } = ctx.api.limits;
  const first = args.first ?? 100;
  if (!(first > 0 && first <= maxFirst)) throw new QueryError(`The \`first\` argument must be between 0 and ${maxFirst}, but is ${first}`);
  const skip = args.skip ?? 0;
  if (!(skip >= 0 && skip <= maxSkip)) throw new QueryError(`The \`skip\` argument must be between 0 and ${maxSkip}, but is ${skip}`);
  return { first, skip };
}

export function filterCtx(ctx: ExecContext, block: BlockRef, params: unknown[], counter: { n: number }): FilterContext {
  return { layout: ctx.api.layout, block, params, aliasCounter: counter, keys: ctx.api.filterKeys, source: (name) => sourceOf(ctx.api.layout, name) };
}

/**
 * graph-node orders only by fields whose type is a built-in scalar (`ValueType::from_str` of the
 * field's named type): lists, enums and entity references are refused although `X_orderBy`
 * lists them.
 */
function orderable(c: Column): boolean {
  return !c.list && c.ref === undefined && c.field.type.kind === 'scalar';
}

/** One ordering key as SQL (`expr DIR NULLS ...`), graph-node's rules for what can be ordered by. */
function orderKey(ctx: ExecContext, t: Table, alias: string, orderBy: string, desc: boolean, block: BlockRef, n: number): string {
  const dir = desc ? ' DESC' : '';
  const nulls = desc ? ' NULLS FIRST' : ' NULLS LAST';
  if (orderBy === 'id') return `${alias}.id${dir}`;
  const sep = orderBy.indexOf('__');
  if (sep > 0) {
    const parentName = orderBy.slice(0, sep);
    const childName = orderBy.slice(sep + 2);
    const f = t.entity.fieldMap.get(parentName);
    if (!f) throw new QueryError(`Entity \`${t.entity.name}\` has no attribute \`${parentName}\``);
    const child = sourceOf(ctx.api.layout, f.type.name);
    const cc = child.columnMap.get(childName);
    if (!child.entity.fieldMap.has(childName)) throw new QueryError(`Entity \`${child.entity.name}\` has no attribute \`${childName}\``);
    if (!cc || !orderable(cc)) throw new QueryError(`Ordering by \`${childName}\` is not supported for type \`${child.entity.name}\``);
    const x = `o${n || ''}_${alias}`;
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
    return `${expr}${dir}${nulls}`;
  }
  const c = t.columnMap.get(orderBy);
  if (!t.entity.fieldMap.has(orderBy)) throw new QueryError(`Entity \`${t.entity.name}\` has no attribute \`${orderBy}\``);
  if (!c || !orderable(c)) throw new QueryError(`Ordering by \`${orderBy}\` is not supported for type \`${t.entity.name}\``);
  return `${alias}.${c.sql}${dir}${nulls}`;
}

export function orderSql(ctx: ExecContext, t: Table, alias: string, args: CollectionArgs, block: BlockRef): string {
  const keys = args.hessian_orderBy;
  if (keys && keys.length > 0) {
    // the extension (issue 1807): several keys in turn, then id ascending to make the order total
    if (args.orderBy || args.orderDirection) throw new QueryError('give either `orderBy`/`orderDirection` or `hessian_orderBy`, not both');
    const parts = keys.map((k, i) => orderKey(ctx, t, alias, k.by, k.direction === 'desc', block, i + 1));
    if (!keys.some((k) => k.by === 'id')) parts.push(`${alias}.id`);
    return parts.join(', ');
  }
  const desc = args.orderDirection === 'desc';
  const orderBy = args.orderBy;
  // graph-node's EntityOrder::Default: without `orderBy`, `orderDirection` is ignored
  if (!orderBy) return `${alias}.id`;
  const key = orderKey(ctx, t, alias, orderBy, desc, block, 0);
  return orderBy === 'id' ? key : `${key}, ${alias}.id${desc ? ' DESC' : ''}`;
}
