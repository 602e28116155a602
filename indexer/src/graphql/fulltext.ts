// graph-node's fulltext query fields (`@fulltext(name: ...)` → `name(text, first, skip, block,
// where, subgraphError)`), answered from the FTS5 index of store/fulltext.ts: the matches joined
// to the versions valid at the block, filtered by `where`, ordered as graph-node orders them.
import type { GraphQLResolveInfo } from 'graphql';
import type { FulltextDef } from '../schema.ts';
import { fulltextTable, FulltextQueryError, hitsSql, toFts5Query } from '../store/fulltext.ts';
import { whereSql, range, type CollectionArgs } from './arguments.ts';
import { resolveBlock, sqlBlock, type BlockHeightArg } from './blocks.ts';
import { DEADLINE, run, type ExecContext } from './context.ts';
import { chargeComplexity, noteErrors, subtreeComplexity } from './execute.ts';
import { QueryError } from './errors.ts';
import { blockCondition } from '../store/query-filter.ts';
import { prefetch } from './nested.ts';
import { columnsFor, materialize, sourceOf } from './rows.ts';

type FulltextArgs = Pick<CollectionArgs, 'first' | 'skip' | 'where'> & { text: string; block?: BlockHeightArg; subgraphError?: string };

export function resolveFulltext(def: FulltextDef) {
  return async (_src: unknown, args: FulltextArgs, ctx: ExecContext, info: GraphQLResolveInfo) => {
    const t = sourceOf(ctx.api.layout, def.entity);
    const block = await resolveBlock(ctx, args.block);
    noteErrors(ctx, info, block, args.subgraphError);
    const { first, skip } = range(ctx, args);
    chargeComplexity(ctx, first * (1 + subtreeComplexity(ctx, info, t, info.fieldNodes, 1)));
    let match: string | null;
    try {
      match = toFts5Query(args.text);
    } catch (err) {
      if (!(err instanceof FulltextQueryError)) throw err;
      // graph-node's QueryExecutionError::FulltextQueryInvalidSyntax, with Postgres' message
      if (err.syntax) {
        throw new QueryError(`Invalid fulltext search query syntax. Error: ${err.message}. Hint: Search terms with spaces need to be enclosed in single quotes`);
      }
      throw new QueryError(`fulltext query \`${args.text}\` cannot run on the embedded indexer: ${err.message}`);
    }
    // a query without words matches nothing, as an empty tsquery
    if (match === null) return [];
    const at = sqlBlock(ctx, block);
    const fts = fulltextTable(def);
    const params: unknown[] = [match];
    const where = args.where ? whereSql(ctx, at, params, { n: 0 }, t, 'a', args.where) : '';
    params.push(first, skip);
    // graph-node orders by `ts_rank(...)` (or `ts_rank_cd`) in its default direction, ascending,
    // then by id ascending: the field has no orderBy/orderDirection
    const sql =
      `SELECT ${columnsFor(info, t, info.fieldNodes, 'a')} FROM ${t.sql} a ` +
      `JOIN (SELECT rowid AS v, ${hitsSql(def)} AS hits FROM ${fts} WHERE ${fts} MATCH ?) m ON m.v = a.__vid ` +
      `WHERE ${blockCondition('a', at)}${where ? ` AND (${where})` : ''} AND ${DEADLINE} ORDER BY m.hits, a.id LIMIT ? OFFSET ?`;
    let rows: Record<string, unknown>[];
    try {
      rows = run(ctx, sql, params);
    } catch (err) {
      // FTS5 refuses what its own grammar cannot parse (e.g. a term that is only a tokenizer separator)
      if (err instanceof Error && /fts5/.test(err.message)) throw new QueryError(`fulltext query \`${args.text}\` cannot run on the embedded indexer: ${err.message}`);
      throw err;
    }
    const objs = materialize(ctx, info, t, rows, info.fieldNodes);
    prefetch(ctx, info, t, objs, info.fieldNodes, at);
    return objs;
  };
}
