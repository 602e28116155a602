// `block: { number | hash | number_gte }` as graph-node resolves it against the store's cursor,
// and whether a read at a block sees indexing errors.
import { OPEN } from '../store/layout.ts';
import type { BlockPtr } from '../types.ts';
import type { ExecContext } from './context.ts';
import { QueryError } from './errors.ts';
import { type BlockRef } from '../store/query-filter.ts';
import { parseBytes } from './scalars.ts';

export interface BlockHeightArg {
  /** Bytes input (or a plain string when a variable was declared `String`) */
  hash?: { hex: string } | string | null;
  number?: number | null;
  number_gte?: number | null;
}

export interface ResolvedBlock extends BlockRef {
  /** null when the query named a block by number (graph-node does not look the hash up) */
  hash: string | null;
  /** the block's header when it was looked up by hash */
  ptr?: BlockPtr;
}

function notYet(ctx: ExecContext, arg: string, head: number, wanted: number): QueryError {
  return new QueryError(
    `Failed to decode \`${arg}\` value: \`subgraph ${ctx.api.deployment} has only indexed up to block number ${head} and data for block number ${wanted} is therefore not yet available\``,
  );
}

/**
 * The block condition to put in SQL right now: while the store's cursor is still the block being
 * read, "valid at that block" is exactly "current" (`__to = OPEN`), an equality the `(__to, id)`
 * index serves in id order. Once a commit has moved the cursor past it, the general range applies.
 */
export function sqlBlock(ctx: ExecContext, block: ResolvedBlock): BlockRef {
  return ctx.store.getCursor()?.number === block.number ? { number: OPEN } : block;
}

/** graph-node's DeploymentState::block_queryable below the earliest block it keeps data for. */
function tooEarly(ctx: ExecContext, wanted: number): QueryError {
  return new QueryError(
    `Failed to decode \`block.number\` value: \`subgraph ${ctx.api.deployment} only has data starting at block number ${ctx.api.earliestBlock} and data for block number ${wanted} is therefore not available\``,
  );
}

/**
 * A block hash the store did not index (an eventless block, a header sync kept only for reorg
 * checks and then pruned): asked of `lookupBlock` (the indexer's JSON-RPC node), whose answers
 * are kept, since a hash names one block forever.
 */
async function blockOfHash(ctx: ExecContext, hex: string): Promise<BlockPtr | null> {
  const stored = ctx.store.blockByHash(hex);
  if (stored || !ctx.api.lookupBlock) return stored;
  const cache = ctx.api.lookedUp;
  let found = cache.get(hex);
  if (!found) {
    // root fields resolve concurrently: they share one request
    const lookup = ctx.api.lookupBlock;
    found = lookup(hex).then((b) => (b && b.hash.toLowerCase() === hex ? b : null));
    if (cache.size >= 10_000) cache.delete(cache.keys().next().value!);
    cache.set(hex, found);
    // unknown hashes and failed lookups are asked again next time
    found.then(
      (b) => b ?? cache.delete(hex),
      () => cache.delete(hex),
    );
  }
  return found;
}

export async function resolveBlock(ctx: ExecContext, block: BlockHeightArg | null | undefined): Promise<ResolvedBlock> {
  const head = ctx.head;
  if (!head) {
    // graph-node's StoreError::QueryExecutionError from deployment_state, as QueryExecutionError::StoreError prints it
    throw new QueryError(`Store error: query execution failed: Subgraph \`${ctx.api.deployment}\` has not started syncing yet. Wait for it to ingest a few blocks before querying it`);
  }
  if (block?.hash) {
    const hash = typeof block.hash === 'string' ? parseBytes(block.hash) : block.hash;
    const ptr = await blockOfHash(ctx, hash.hex.toLowerCase());
    if (!ptr) throw new QueryError('Failed to decode `block.hash` value: `no block with that hash found`');
    if (ptr.number > head.number) throw notYet(ctx, 'block.number', head.number, ptr.number);
    if (ptr.number < ctx.api.earliestBlock) throw tooEarly(ctx, ptr.number);
    return { number: ptr.number, hash: ptr.hash, ptr };
  }
  if (block?.number !== undefined && block.number !== null) {
    if (!Number.isInteger(block.number)) throw new QueryError(`Failed to decode \`block.number\` value: \`${String(block.number)}\``);
    if (block.number > head.number) throw notYet(ctx, 'block.number', head.number, block.number);
    if (block.number < 0) throw new QueryError(`Failed to decode \`block.number\` value: \`block number ${block.number} is negative\``);
    if (block.number < ctx.api.earliestBlock) throw tooEarly(ctx, block.number);
    return { number: block.number, hash: null };
  }
  if (block?.number_gte !== undefined && block.number_gte !== null) {
    if (head.number < block.number_gte) throw notYet(ctx, 'block.number_gte', head.number, block.number_gte);
  }
  return { number: head.number, hash: head.hash };
}

/**
 * Whether a read at `block` sees indexing errors. On a fatal error the embedded indexer stops at the failing block
 * (its cursor stays before it), so a failure is visible at the head and at or after its block.
 */
export function hasIndexingErrors(ctx: ExecContext, block: BlockRef): boolean {
  // non-fatal errors: graph-node's has_deterministic_errors, the first error's block <= the block read
  if (ctx.firstErrorBlock !== null && ctx.firstErrorBlock <= block.number) return true;
  const f = ctx.failure;
  if (!f) return false;
  const head = ctx.head?.number ?? -1;
  return block.number >= Math.min(f.blockNumber, head);
}
