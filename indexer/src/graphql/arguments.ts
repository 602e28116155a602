// Collection arguments as the store's query parts: graph-node's `first`/`skip` ranges, `where` as
// a filter tree, `orderBy`/`orderDirection` (or the extension's `hessian_orderBy`) as an order.
import type { ExecContext } from './context.ts';
import { QueryError } from './errors.ts';
import { sourceOf } from './rows.ts';
import { entityFilter, type WhereContext } from './where.ts';
import type { Table } from '../store/layout.ts';
import type { EntityFilter } from '../store/query-filter.ts';
import type { EntityOrder } from '../store/query-order.ts';

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

function whereContext(ctx: ExecContext): WhereContext {
  return { keys: ctx.api.filterKeys, source: (name) => sourceOf(ctx.api.layout, name) };
}

/** `where` as the store's filter tree (null without one). */
export function filterOf(ctx: ExecContext, t: Table, where: Record<string, unknown> | null | undefined): EntityFilter | null {
  return where ? entityFilter(whereContext(ctx), t, where) : null;
}

/** `orderBy`/`orderDirection` or `hessian_orderBy` as the store's order. */
export function orderOf(args: CollectionArgs): EntityOrder {
  const keys = args.hessian_orderBy;
  if (keys && keys.length > 0) {
    // the extension (issue 1807): several keys in turn, then id ascending to make the order total
    if (args.orderBy || args.orderDirection) throw new QueryError('give either `orderBy`/`orderDirection` or `hessian_orderBy`, not both');
    return { kind: 'keys', keys: keys.map((k) => ({ attribute: k.by, desc: k.direction === 'desc' })) };
  }
  // graph-node's EntityOrder::Default: without `orderBy`, `orderDirection` is ignored
  if (!args.orderBy) return { kind: 'default' };
  return { kind: 'by', attribute: args.orderBy, desc: args.orderDirection === 'desc' };
}
