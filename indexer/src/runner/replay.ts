// Entity state behind the event store (a --rebuild, or a crash between the two commits of an
// older layout): the stored chain data runs through the handlers again, without the node.
import type { RunnerContext } from './context.ts';
import type { Committer } from './commit.ts';
import { runBlocks } from './run-blocks.ts';
import type { SyncedBlock } from '../store/event-store.ts';

// a chunk is run and committed at once: bounded by logs too, so dense blocks (hundreds of logs
// each) do not hold hundreds of thousands of parsed logs and their changes in memory
const REPLAY_CHUNK_BLOCKS = 500;
const REPLAY_CHUNK_LOGS = 20_000;

/** Brings the entity store up to the event store's head; false if stopped or the subgraph failed. */
export async function replayStored(ctx: RunnerContext, committer: Committer): Promise<boolean> {
  const { events, store, logger, signal } = ctx;
  const head = events.head();
  const cursor = store.getCursor();
  if (!head) return true;
  if (cursor && cursor.number > head.number) {
    store.transaction(() => committer.revertStore(head));
    return true;
  }
  if (cursor && cursor.number === head.number) return true;
  const from = cursor ? cursor.number + 1 : 0;
  logger.info('re-indexing from the stored chain data', { from, to: head.number, blocks: events.counts().blocks });
  const t0 = Date.now();
  let chunk: SyncedBlock[] = [];
  let chunkLogs = 0;
  let eventsDone = 0;
  const flush = async () => {
    const run = await runBlocks(ctx, chunk);
    const ok = committer.commitReplayed(run);
    eventsDone += run.done.reduce((n, d) => n + d.b.logs.length, 0);
    chunk = [];
    chunkLogs = 0;
    return ok;
  };
  for (const b of events.blocksWithLogs(from, head.number)) {
    if (signal.aborted) return false;
    chunk.push(b);
    chunkLogs += b.logs.length;
    if ((chunk.length >= REPLAY_CHUNK_BLOCKS || chunkLogs >= REPLAY_CHUNK_LOGS) && !(await flush())) return false;
  }
  if (chunk.length && !(await flush())) return false;
  store.transaction(() => {
    if (head.number > (store.getCursor()?.number ?? -1)) store.advanceCursor(head);
  });
  logger.info('re-indexed from the stored chain data', { to: head.number, events: eventsDone, seconds: (Date.now() - t0) / 1000 });
  return true;
}
