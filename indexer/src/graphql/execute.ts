// Resolution of graph-node's query API over the versioned SQLite tables. A root field plans its
// whole subtree level by level (as graph-node's prefetch does): one SQL statement for the root
// collection, then one per nested entity field for all parents at once (nested.ts), so a query
// costs O(depth) statements, never N+1.
import { getArgumentValues, GraphQLObjectType, type FieldNode, type GraphQLResolveInfo } from 'graphql';
import type { Table } from '../store/layout.ts';
import type { BlockRef } from '../store/query.ts';
import { filterOf, orderOf, range, type CollectionArgs } from './arguments.ts';
import { hasIndexingErrors, resolveBlock, sqlBlock, type BlockHeightArg } from './blocks.ts';
import { collectEnv, collectFields, subSelections } from './collect.ts';
import { counted, rowsStore, type ExecContext } from './context.ts';
import { QueryError } from './errors.ts';
import { prefetch } from './nested.ts';
import { materialize, REF, selection, sourceOf, type Source } from './rows.ts';

export { DEFAULT_LIMITS, newExecContext, refreshExecContext, type ApiMeta, type ExecContext, type QueryLimits } from './context.ts';
export { hasIndexingErrors } from './blocks.ts';
export { REF } from './rows.ts';

// ---- complexity ----

function typeOf(info: GraphQLResolveInfo, name: string): GraphQLObjectType {
  return info.schema.getType(name) as GraphQLObjectType;
}

export function subtreeComplexity(ctx: ExecContext, info: GraphQLResolveInfo, t: Table, nodes: readonly FieldNode[], depth: number): number {
  if (depth > ctx.api.limits.maxDepth) throw new QueryError(`query has a depth that exceeds the limit of \`${ctx.api.limits.maxDepth}\``);
  const fields = collectFields(collectEnv(info), t.entity.name, t.entity.interfaces, subSelections(nodes));
  const gqlType = typeOf(info, t.entity.name);
  let total = 0;
  for (const childNodes of fields.values()) {
    const f = t.entity.fieldMap.get(childNodes[0]!.name.value);
    if (!f || (f.type.kind !== 'entity' && f.type.kind !== 'interface')) continue;
    const child = sourceOf(ctx.api.layout, f.type.name);
    let n = 1;
    if (f.list) {
      const args = getArgumentValues(gqlType.getFields()[f.name]!, childNodes[0]!, info.variableValues) as CollectionArgs;
      n = Math.max(1, args.first ?? 100);
    }
    total += n * (1 + subtreeComplexity(ctx, info, child, childNodes, depth + 1));
  }
  return total;
}

export function chargeComplexity(ctx: ExecContext, amount: number): void {
  ctx.complexity += amount;
  const max = ctx.api.limits.maxComplexity;
  if (ctx.complexity > max) {
    throw new QueryError(
      `query potentially returns \`${ctx.complexity}\` entities or more and thereby exceeds the limit of \`${max}\` entities. Possible solutions are reducing the depth of the query, querying fewer relationships or using \`first\` to return smaller collections`,
    );
  }
}

// ---- root fields ----

function tableOf(ctx: ExecContext, name: string): Source {
  return sourceOf(ctx.api.layout, name);
}

export function noteErrors(ctx: ExecContext, info: GraphQLResolveInfo, block: BlockRef, policy: unknown): void {
  if (hasIndexingErrors(ctx, block)) ctx.indexingErrors.set(String(info.path.key), policy === 'allow' ? 'allow' : 'deny');
}

export function resolveCollection(typeName: string) {
  return async (_src: unknown, args: CollectionArgs & { block?: BlockHeightArg; subgraphError?: string }, ctx: ExecContext, info: GraphQLResolveInfo) => {
    const t = tableOf(ctx, typeName);
    const block = await resolveBlock(ctx, args.block);
    noteErrors(ctx, info, block, args.subgraphError);
    const { first, skip } = range(ctx, args);
    chargeComplexity(ctx, first * (1 + subtreeComplexity(ctx, info, t, info.fieldNodes, 1)));
    const at = sqlBlock(ctx, block);
    const rows = rowsStore(ctx).find(
      { entityType: typeName, select: selection(info, t, info.fieldNodes), filter: filterOf(ctx, t, args.where), order: orderOf(args), range: { first, skip }, block: at },
      ctx,
    );
    const objs = materialize(ctx, info, t, counted(ctx, rows), info.fieldNodes);
    prefetch(ctx, info, t, objs, info.fieldNodes, at);
    return objs;
  };
}

export function resolveSingle(typeName: string) {
  return async (_src: unknown, args: { id: string; block?: BlockHeightArg; subgraphError?: string }, ctx: ExecContext, info: GraphQLResolveInfo) => {
    const t = tableOf(ctx, typeName);
    const block = await resolveBlock(ctx, args.block);
    noteErrors(ctx, info, block, args.subgraphError);
    chargeComplexity(ctx, 1 + subtreeComplexity(ctx, info, t, info.fieldNodes, 1));
    const at = sqlBlock(ctx, block);
    const row = rowsStore(ctx).findOne(typeName, String(args.id), selection(info, t, info.fieldNodes), at, ctx);
    const rows = counted(ctx, row ? [row] : []);
    if (rows.length === 0) return null;
    const objs = materialize(ctx, info, t, rows, info.fieldNodes);
    prefetch(ctx, info, t, objs, info.fieldNodes, at);
    return objs[0];
  };
}

export function resolveMeta() {
  return async (_src: unknown, args: { block?: BlockHeightArg }, ctx: ExecContext) => {
    const block = await resolveBlock(ctx, args.block);
    const ptr = block.ptr ?? (block.hash ? ctx.store.blockByHash(block.hash) : null);
    return {
      block: {
        number: block.number,
        hash: block.hash,
        timestamp: ptr ? ptr.timestamp : null,
        parentHash: ptr ? ptr.parentHash : null,
      },
      deployment: ctx.api.deployment,
      hasIndexingErrors: hasIndexingErrors(ctx, block),
    };
  };
}

/** Resolver of entity-valued fields: the value the prefetch stored under the response key. */
export function resolveNested(src: Record<string, unknown>, _args: unknown, _ctx: unknown, info: GraphQLResolveInfo): unknown {
  const v = src[REF + String(info.path.key)];
  return v === undefined ? null : v;
}
