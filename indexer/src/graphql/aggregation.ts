// graph-node's aggregation query fields (`Stats @aggregation` → `stats_collection(interval:, ...)`)
// over the interval tables store/aggregation.ts rolls up: graph-node's filters (dimensions,
// `timestamp_gt/gte/lt/lte/in`, `id`), newest bucket first unless `orderBy` says otherwise, and
// `current: include` adding the bucket still being filled (`QueryStore.findBuckets` reads them).
import type { GraphQLResolveInfo } from 'graphql';
import type { AggregationDef, Interval } from '../schema.ts';
import { filterOf, orderOf, range, type CollectionArgs } from './arguments.ts';
import { resolveBlock, sqlBlock, type BlockHeightArg } from './blocks.ts';
import { counted, rowsStore, type ExecContext } from './context.ts';
import { chargeComplexity, noteErrors, subtreeComplexity } from './execute.ts';
import { QueryError } from './errors.ts';
import { prefetch } from './nested.ts';
import { materialize, selection } from './rows.ts';

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
    const rows = rowsStore(ctx).findBuckets(
      {
        aggregation: agg.name,
        interval: args.interval,
        current: args.current === 'include',
        select: selection(info, t, info.fieldNodes),
        filter: filterOf(ctx, t, args.where),
        order: args.orderBy ? orderOf(args) : null,
        range: { first, skip },
        block: at,
      },
      ctx,
    );
    const objs = materialize(ctx, info, t, counted(ctx, rows), info.fieldNodes);
    prefetch(ctx, info, t, objs, info.fieldNodes, at);
    return objs;
  };
}
