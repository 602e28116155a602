// Runs the handlers of a sequence of blocks (one sync batch, or a chunk of a replay) without
// committing anything: the result says which blocks ran, which one failed deterministically and
// where a batch was cut because a block created data sources.
import { HandlerError } from '../runtime/errors.ts';
import type { DynamicDataSource } from '../runtime/host/data-source.ts';
import type { NonFatalError } from '../store/subgraph-errors.ts';
import type { SyncedBlock } from '../store/event-store.ts';
import { fetchCreatedLogs } from '../sync/dynamic-sources.ts';
import type { EntityChange, EntityData, EntityReader } from '../types.ts';
import type { RunnerContext } from './context.ts';

/** One block whose handlers ran: what it changes, creates and (non-fatally) failed at. */
export interface ProcessedBlock {
  b: SyncedBlock;
  changes: EntityChange[];
  created: DynamicDataSource[];
  errors: NonFatalError[];
}

export interface BlockRun {
  done: ProcessedBlock[];
  /** the block a handler failed at deterministically (not in `done`); the run stopped there */
  failure: { b: SyncedBlock; err: HandlerError } | null;
  /** the last block run: it created data sources, so the blocks after it need fetching again */
  cut: SyncedBlock | null;
}

const YIELD_EVERY_MS = 10;

/**
 * Runs the handlers of `blocks` in order; stops at the first deterministic failure. `fetch`
 * (sync, not a replay of stored data): a block whose handlers create data sources gets their
 * logs of that block from the node and ends the run (`cut`): the blocks after it were fetched
 * without the new addresses.
 */
export async function runBlocks(ctx: RunnerContext, blocks: SyncedBlock[], fetch = false): Promise<BlockRun> {
  const { runtime, store, metrics, logger, rpc } = ctx;
  const template = (name: string) => runtime.dataSources.template(name);
  const overlay = new Map<string, EntityData | null>();
  // blocks of a batch commit together, so a block must see the changes of the ones before it
  const reader: EntityReader = {
    get: (type, id) => {
      const seen = overlay.get(type + '\0' + id);
      return seen !== undefined ? seen : store.get(type, id);
    },
  };
  const done: ProcessedBlock[] = [];
  let failure: BlockRun['failure'] = null;
  let cut: SyncedBlock | null = null;
  let yielded = performance.now();
  for (const b of blocks) {
    // handlers run synchronously: without a turn of the event loop now and then, the next
    // range's requests (prefetched meanwhile) would not even be sent until the batch is done
    if (performance.now() - yielded > YIELD_EVERY_MS) {
      await new Promise<void>((r) => setImmediate(r));
      yielded = performance.now();
    }
    const t0 = performance.now();
    try {
      const logsFor = fetch
        ? (created: DynamicDataSource[]) => fetchCreatedLogs(rpc, b, created, template, { needsTransactions: runtime.needsTransactions, needsReceipts: runtime.needsReceipts })
        : undefined;
      const skipped: HandlerError[] = [];
      const changes = await runtime.processBlock(b.block, b.logs, reader, {
        ...(b.receipts ? { receipts: b.receipts } : {}),
        ...(logsFor ? { logsFor } : {}),
        nonFatalErrors: skipped,
      });
      for (const c of changes) overlay.set(c.entityType + '\0' + c.id, c.data);
      const created = runtime.dataSources.createdIn(b.ptr.number);
      const errors = skipped.map((e) => {
        // graph-node's wording: the error with its trigger's context (`transaction <hash>`) in front
        const message = `transaction ${e.transactionHash.replace(/^0x/, '')}: ${e.reason}`;
        logger.error('Handler skipped due to execution failure', { handler: e.handler, dataSource: e.dataSource, block: e.block, logIndex: e.logIndex, error: message });
        return { message, blockNumber: e.block, blockHash: e.blockHash, handler: e.handler };
      });
      done.push({ b, changes, created, errors });
      metrics.eventsProcessed.inc(b.logs.length);
      if (fetch && created.length > 0) {
        cut = b;
        break;
      }
    } catch (err) {
      if (!(err instanceof HandlerError)) throw err;
      failure = { b, err };
      break;
    } finally {
      metrics.handlerSeconds.observe((performance.now() - t0) / 1000);
    }
  }
  return { done, failure, cut };
}
