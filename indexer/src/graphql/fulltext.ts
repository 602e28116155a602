// graph-node's fulltext query fields (`@fulltext(name: ...)` → `name(text, first, skip, block,
// where, subgraphError)`): the API's text as an FTS5 expression and its errors as graph-node's;
// the store (`QueryStore.findFulltext`, store/fulltext.ts's index) finds and orders the matches.
import type { GraphQLResolveInfo } from 'graphql';
import type { FulltextDef } from '../schema.ts';
import { FulltextQueryError, toFts5Query } from '../store/fulltext.ts';
import type { Row } from '../store/query.ts';
import { filterOf, range, type CollectionArgs } from './arguments.ts';
import { resolveBlock, sqlBlock, type BlockHeightArg } from './blocks.ts';
import { counted, rowsStore, type ExecContext } from './context.ts';
import { chargeComplexity, noteErrors, subtreeComplexity } from './execute.ts';
import { QueryError } from './errors.ts';
import { prefetch } from './nested.ts';
import { materialize, selection, sourceOf } from './rows.ts';

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
    const query = { fulltext: def, match, select: selection(info, t, info.fieldNodes), filter: filterOf(ctx, t, args.where), range: { first, skip }, block: at };
    let rows: Row[];
    try {
      rows = counted(ctx, rowsStore(ctx).findFulltext(query, ctx));
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
