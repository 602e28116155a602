// Answers graph-node does not give, asked for by its users for years, served only in the extended
// schema (its own paths, see server.ts) under `hessian_` names so they never meet graph-node's:
// - `hessian_count_<xs>(where, block)`: how many entities a filter matches (graph-node issue 1309);
// - `hessian_versions_<x>(id, first, skip, orderDirection)`: every version an entity had, with
//   the blocks it was valid over (issue 3480);
// - `hessian_orderBy: [{ by, direction }]` on collections: ordering by several fields (issue 1807,
//   in arguments.ts).
// The versioned store already holds all of it (`QueryStore.count`: one SQL COUNT over the same
// filter; `QueryStore.history`: the entity's rows in `__from` order).
import type { FieldNode, GraphQLResolveInfo } from 'graphql';
import { OPEN } from '../store/layout.ts';
import { filterOf, range, type CollectionArgs } from './arguments.ts';
import { resolveBlock, sqlBlock, type BlockHeightArg } from './blocks.ts';
import { collectEnv, collectFields } from './collect.ts';
import { counted, rowsStore, type ExecContext } from './context.ts';
import { noteErrors } from './execute.ts';
import { prefetch } from './nested.ts';
import { materialize, selection, sourceOf, type Obj } from './rows.ts';

export function resolveCount(typeName: string) {
  return async (_src: unknown, args: { where?: Record<string, unknown> | null; block?: BlockHeightArg; subgraphError?: string }, ctx: ExecContext, info: GraphQLResolveInfo) => {
    const t = sourceOf(ctx.api.layout, typeName);
    const block = await resolveBlock(ctx, args.block);
    noteErrors(ctx, info, block, args.subgraphError);
    const at = sqlBlock(ctx, block);
    // one row, whatever it counts: the result-size budget is about rows read into memory
    return counted(ctx, [rowsStore(ctx).count(typeName, filterOf(ctx, t, args.where), at, ctx)])[0];
  };
}

interface VersionArgs {
  id: string;
  subgraphError?: string;
  first?: number | null;
  skip?: number | null;
  orderDirection?: 'asc' | 'desc' | null;
}

/** The `entity` selections of a `HessianVersion_T` selection. */
function entityNodes(info: GraphQLResolveInfo): FieldNode[] {
  const versionType = info.returnType.toString().replace(/[[\]!]/g, '');
  const fields = collectFields(collectEnv(info), versionType, [], info.fieldNodes.map((n) => n.selectionSet));
  return [...fields.values()].flat().filter((n) => n.name.value === 'entity');
}

export function resolveVersions(typeName: string) {
  return async (_src: unknown, args: VersionArgs, ctx: ExecContext, info: GraphQLResolveInfo) => {
    const t = sourceOf(ctx.api.layout, typeName);
    const at = await resolveBlock(ctx, null);
    noteErrors(ctx, info, at, args.subgraphError);
    const head = at.number;
    const { first, skip } = range(ctx, args as CollectionArgs);
    const nodes = entityNodes(info);
    const query = { entityType: typeName, id: String(args.id), select: selection(info, t, nodes), upTo: head, desc: args.orderDirection === 'desc', range: { first, skip } };
    const rows = counted(ctx, rowsStore(ctx).history(query, ctx));
    const entities = materialize(ctx, info, t, rows, nodes);
    // nested entities are read at the block each version started at
    const byBlock = new Map<number, Obj[]>();
    rows.forEach((r, i) => {
      const from = Number(r.__from);
      const group = byBlock.get(from);
      if (group) group.push(entities[i]!);
      else byBlock.set(from, [entities[i]!]);
    });
    for (const [from, group] of byBlock) prefetch(ctx, info, t, group, nodes, { number: from });
    return rows.map((r, i) => {
      const to = Number(r.__to);
      return { blockStart: Number(r.__from), blockEnd: to === OPEN || to > head ? null : to, entity: entities[i] };
    });
  };
}
