// graph-node's aggregation query fields (`Stats @aggregation` → `stats_collection(interval:, ...)`)
// over the interval tables store/aggregation.ts rolls up: graph-node's filters (dimensions,
// `timestamp_gt/gte/lt/lte/in`, `id`), newest bucket first unless `orderBy` says otherwise, and
// `current: include` adding the bucket still being filled.
import type { GraphQLResolveInfo } from 'graphql';
import type { AggregationDef, Interval } from '../schema.ts';
import { OPEN } from '../store/layout.ts';
import { whereSql, orderSql, range, type CollectionArgs } from './arguments.ts';
import { resolveBlock, sqlBlock, type BlockHeightArg } from './blocks.ts';
import { DEADLINE, run, type ExecContext } from './context.ts';
import { chargeComplexity, noteErrors, subtreeComplexity } from './execute.ts';
import { QueryError } from './errors.ts';
import { blockCondition } from '../store/query-filter.ts';
import { prefetch } from './nested.ts';
import { columnsFor, materialize } from './rows.ts';

type AggregationArgs = CollectionArgs & { interval: Interval; current?: 'exclude' | 'include' | null; block?: BlockHeightArg; subgraphError?: string };

export function resolveAggregation(agg: AggregationDef) {
  return async (_src: unknown, args: AggregationArgs, ctx: ExecContext, info: GraphQLResolveInfo) => {
    const t = ctx.api.layout.aggregations.get(agg.name)!.get(args.interval);
    if (!t) throw new QueryError(`Aggregation \`${agg.name}\` has no \`${args.interval}\` interval (its intervals: ${agg.intervals.join(', ')})`);
    const block = await resolveBlock(ctx, args.block);
    noteErrors(ctx, info, block, args.subgraphError);
    const { first, skip } = range(ctx, args);
    chargeComplexity(ctx, first * (1 + subtreeComplexity(ctx, info, t, info.fieldNodes, 1)));
    const at = sqlBlock(ctx, block);
    const params: unknown[] = [];
    let source = t.sql;
    if (args.current === 'include') {
      const rows = ctx.store.aggregator.current(agg.name, args.interval, at.number >= OPEN ? null : at.number);
      if (rows.length > 0) {
        // the partial bucket joins the rolled-up rows as versions valid at every block
        const cols = t.columns.map((c) => c.sql).join(', ');
        const values = rows.map((r, i) => {
          params.push(-1 - i, ...r);
          return `(?, 0, ${OPEN}, ${r.map(() => '?').join(', ')})`;
        });
        source = `(SELECT __vid, __from, __to, ${cols} FROM ${t.sql} UNION ALL VALUES ${values.join(', ')})`;
      }
    }
    const where = args.where ? whereSql(ctx, at, params, { n: 0 }, t, 'a', args.where) : '';
    // graph-node's default for aggregations: the newest buckets first (EntityOrder::Descending(timestamp))
    const order = args.orderBy ? orderSql(ctx, t, 'a', args, at) : 'a.timestamp DESC, a.id DESC';
    params.push(first, skip);
    const sql = `SELECT ${columnsFor(info, t, info.fieldNodes, 'a')} FROM ${source} a WHERE ${blockCondition('a', at)}${where ? ` AND (${where})` : ''} AND ${DEADLINE} ORDER BY ${order} LIMIT ? OFFSET ?`;
    const objs = materialize(ctx, info, t, run(ctx, sql, params), info.fieldNodes);
    prefetch(ctx, info, t, objs, info.fieldNodes, at);
    return objs;
  };
}
