// Committing what the handlers produced. Every batch (event-store rows, entity versions, data
// sources and errors its blocks created, the cursor) commits in one SQLite transaction, so a
// kill -9 at any moment leaves the store at a batch boundary. A deterministic failure commits
// everything before its block and marks the subgraph failed there, as graph-node does.
import { StoreError } from '../store/layout.ts';
import type { SyncBatch } from '../store/event-store.ts';
import type { BlockPtr } from '../types.ts';
import type { RunnerContext } from './context.ts';
import type { BlockRun, ProcessedBlock } from './run-blocks.ts';

/** handler-failed: a handler failed deterministically; store-refused: the store refused a block's changes */
export type BatchOutcome = 'committed' | 'handler-failed' | 'store-refused';

export class Committer {
  private readonly ctx: RunnerContext;
  constructor(ctx: RunnerContext) {
    this.ctx = ctx;
  }

  /** One block's entity changes, created data sources and non-fatal errors (inside a transaction). */
  apply(d: ProcessedBlock): void {
    this.ctx.store.applyBlock(d.b.ptr, d.changes);
    this.ctx.dynamicStore.add(d.created);
    this.ctx.errorStore.add(d.errors);
  }

  /** Entity state and the data sources and errors recorded after `ptr` go back together (inside a transaction). */
  revertStore(ptr: BlockPtr | null): void {
    const { store, dynamicStore, errorStore, runtime } = this.ctx;
    store.revertTo(ptr);
    dynamicStore.revertTo(ptr?.number ?? null);
    errorStore.revertTo(ptr?.number ?? null);
    runtime.dataSources.revertTo(ptr?.number ?? null);
  }

  markFailed(ptr: BlockPtr, message: string, handler: string | null, fields: Record<string, unknown> = {}): void {
    this.ctx.store.setFailed({ message, block: ptr, ...(handler ? { handler } : {}) });
    this.ctx.metrics.failed.set(1);
    this.ctx.logger.error('subgraph failed: indexing stopped at the failing block', { block: ptr.number, handler, error: message, ...fields });
  }

  markHandlerFailed(failure: NonNullable<BlockRun['failure']>): void {
    this.markFailed(failure.b.ptr, failure.err.message, `${failure.err.dataSource}.${failure.err.handler}`, { logIndex: failure.err.logIndex, reason: failure.err.reason });
  }

  /**
   * A sync batch: its chain data and what its handlers did, in one transaction. If the subgraph
   * failed in it, everything before the failing block is committed.
   */
  commitBatch(batch: SyncBatch, run: BlockRun, chainHead: number | null): BatchOutcome {
    const { store, events } = this.ctx;
    const { done, failure, cut } = run;
    const commit = () =>
      store.transaction(() => {
        if (cut && !failure) {
          // the rest of the batch is fetched again with the new data sources' addresses
          const n = cut.ptr.number;
          events.append({ blocks: done.map((d) => d.b), headers: batch.headers.filter((h) => h.number < n), to: cut.ptr });
          for (const d of done) this.apply(d);
          if (n > (store.getCursor()?.number ?? -1)) store.advanceCursor(cut.ptr);
          return;
        }
        if (failure) {
          const n = failure.b.ptr.number;
          const known = [...done.map((d) => d.b.ptr), ...batch.headers.filter((h) => h.number < n)].sort((a, b) => a.number - b.number);
          const to = known.at(-1);
          if (to) {
            events.append({ blocks: done.map((d) => d.b), headers: batch.headers.filter((h) => h.number < n), to });
            for (const d of done) this.apply(d);
            if (to.number > (store.getCursor()?.number ?? -1)) store.advanceCursor(to);
          }
          this.markHandlerFailed(failure);
          return;
        }
        events.append(batch);
        for (const d of done) this.apply(d);
        if (batch.to.number > (store.getCursor()?.number ?? -1)) store.advanceCursor(batch.to);
        events.prune((chainHead ?? batch.to.number) - this.ctx.maxReorgDepth);
      });
    try {
      commit();
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      this.commitOneByOne(batch, done, err);
      return 'store-refused';
    }
    return failure === null ? 'committed' : 'handler-failed';
  }

  /**
   * The store refused a block's changes (a schema rule the runtime let through): deterministic
   * like a handler error. The batch rolled back as a whole, so its blocks are committed one by
   * one to stop exactly at the refused one.
   */
  private commitOneByOne(batch: SyncBatch, done: ProcessedBlock[], original: Error): false {
    const { store, events } = this.ctx;
    let prev = events.head()?.number ?? -1;
    for (const d of done) {
      const headers = batch.headers.filter((h) => h.number > prev && h.number < d.b.ptr.number);
      try {
        store.transaction(() => {
          events.append({ blocks: [d.b], headers, to: d.b.ptr });
          this.apply(d);
        });
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        this.markFailed(d.b.ptr, err.message, null);
        return false;
      }
      prev = d.b.ptr.number;
    }
    throw original;
  }

  /** A chunk of a replay (the chain data is stored already); false if the subgraph failed in it. */
  commitReplayed(run: BlockRun): boolean {
    const { store } = this.ctx;
    const { done, failure } = run;
    try {
      store.transaction(() => {
        for (const d of done) this.apply(d);
        if (failure) this.markHandlerFailed(failure);
      });
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      for (const d of done) {
        try {
          store.transaction(() => this.apply(d));
        } catch (e) {
          if (!(e instanceof StoreError)) throw e;
          this.markFailed(d.b.ptr, e.message, null);
          return false;
        }
      }
      throw err;
    }
    return !failure;
  }
}
