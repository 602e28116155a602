// The indexing loop as a state machine (state.ts): each state is one method that does its work and
// returns the next state. Sync feeds steps (a batch, a reorg, nothing new); batches run through
// the handlers and commit (commit.ts); while catching up, the next range is fetched while the
// current one runs. Deterministic handler errors stop indexing at their block and mark the
// subgraph failed, as graph-node does; retryable errors (RPC trouble) are retried forever.
import { isRetryable } from '@hessian/common/errors';
import { AbortedError, sleep } from '../sync/rpc.ts';
import { dynamicFilters } from '../sync/dynamic-sources.ts';
import { Progress } from '../sync/progress.ts';
import type { SyncStep } from '../sync/syncer.ts';
import { Committer } from './commit.ts';
import type { RunnerContext } from './context.ts';
import { replayStored } from './replay.ts';
import { runBlocks } from './run-blocks.ts';
import type { BatchStep, IdleStep, IndexerStatus, ReorgStep, RunnerState } from './state.ts';

export interface RunnerOptions {
  pollIntervalMs: number;
  confirmations: number;
  /** between backfill progress lines; 0 = none */
  progressIntervalMs: number;
}

const FAILED_MSG = 'indexing stopped: the subgraph failed';
/** steps in a row whose answers did not fit together before it is reported as a sync error */
const UNSETTLED_REPORT_EVERY = 20;
/** failed steps in a row before they are reported as an outage */
const OUTAGE_AFTER = 3;

export class SubgraphRunner {
  /** resolves once the store has caught up with the chain head; rejects if indexing stops before */
  readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (err: Error) => void;
  private state: RunnerState = { kind: 'initializing' };
  private readonly committer: Committer;
  private readonly progress: Progress;
  private lastProgressLog = Date.now();

  // what status() reports
  /** caught up once: `ready` resolved */
  private synced = false;
  /** the last step left nothing to fetch (false again while catching up after falling behind) */
  private atHead = false;
  private chainHead: number | null = null;
  private error: string | null = null;
  private syncError: string | null = null;

  // the loop's bookkeeping
  /** failed steps in a row (the backoff's exponent) */
  private attempt = 0;
  /** idle steps in a row whose answers did not fit together */
  private unsettled = 0;
  private announced = false;
  /** the next range, fetched while the current batch runs through the handlers */
  private prefetched: Promise<SyncStep> | null = null;
  /** data sources created from templates that sync has been told about */
  private followed: number;

  private readonly ctx: RunnerContext;
  private readonly opts: RunnerOptions;

  constructor(ctx: RunnerContext, opts: RunnerOptions) {
    this.ctx = ctx;
    this.opts = opts;
    this.ready = new Promise<void>((res, rej) => {
      this.resolveReady = res;
      this.rejectReady = rej;
    });
    this.ready.catch(() => {});
    this.committer = new Committer(ctx);
    this.progress = new Progress(ctx.syncer.startBlock);
    ctx.runtime.dataSources.restore(ctx.dynamicStore.load());
    this.followed = ctx.runtime.dataSources.size;
    if (this.followed > 0) this.followCreatedSources();
  }

  get current(): RunnerState['kind'] {
    return this.state.kind;
  }

  status(): IndexerStatus {
    const { store, syncer } = this.ctx;
    const block = store.getCursor();
    const f = store.getFailed();
    return {
      synced: this.atHead && !f,
      failed: f ? { message: f.message, block: f.blockNumber, handler: f.handler } : null,
      block,
      chainHead: this.chainHead,
      lag: this.chainHead !== null ? Math.max(0, this.chainHead - (block?.number ?? syncer.startBlock - 1)) : null,
      error: this.error,
      syncError: this.syncError,
    };
  }

  /** graph-node's synced_at: set when the head was first reached, kept after */
  get hasSynced(): boolean {
    return this.synced;
  }

  refreshGauges(): void {
    const s = this.status();
    const { metrics } = this.ctx;
    if (s.block) metrics.indexedBlock.set(s.block.number);
    if (s.lag !== null) metrics.lagBlocks.set(s.lag);
    metrics.failed.set(s.failed ? 1 : 0);
  }

  /** Runs until stop() or a failure; rejects on a fatal error. `ready` settles on the way. */
  run(): Promise<void> {
    return this.loop().then(
      () => {
        // a failed subgraph serves its last state for good: with every index
        if (this.ctx.store.getFailed()) this.buildDeferredIndexes();
        this.rejectReady(new Error('indexer stopped before it caught up with the chain head'));
      },
      (err: Error) => {
        this.error = err.message;
        this.ctx.logger.error('indexing stopped', { error: err.message });
        this.rejectReady(err);
        throw err;
      },
    );
  }

  private async loop(): Promise<void> {
    // every exit (stop, a handler failure, a fatal error) waits for a prefetch in flight: stop()
    // closes the database next, under a step that may still be running
    try {
      for (;;) {
        const s = this.state;
        if (s.kind === 'stopped') return;
        // stop() is looked at before each step is asked for: a step in hand is still processed
        if (s.kind === 'awaiting-step' && this.ctx.signal.aborted) {
          this.state = { kind: 'stopped', reason: 'canceled' };
          continue;
        }
        try {
          this.state = await this.transition(s);
        } catch (error) {
          // replaying stored data asks nothing of the node: what fails there fails the run
          if (s.kind === 'initializing' || s.kind === 'retrying') throw error;
          this.state = { kind: 'retrying', error };
        }
      }
    } finally {
      await this.prefetched?.catch(() => {});
    }
  }

  private transition(s: Exclude<RunnerState, { kind: 'stopped' }>): Promise<RunnerState> {
    switch (s.kind) {
      case 'initializing':
        return this.initialize();
      case 'awaiting-step':
        return this.awaitStep();
      case 'processing-batch':
        return this.processBatch(s.step);
      case 'reverting':
        return Promise.resolve(this.revert(s.step));
      case 'idle':
        return this.idle(s.step);
      case 'retrying':
        return this.retry(s.error);
    }
  }

  private async initialize(): Promise<RunnerState> {
    const { store, logger } = this.ctx;
    const failedBefore = store.getFailed();
    if (failedBefore) {
      logger.error('the subgraph has failed before; not indexing (fix the subgraph and run with --rebuild)', { block: failedBefore.blockNumber, error: failedBefore.message });
      return this.fail();
    }
    // an empty store is far behind: it updates only the indexes writes need until it catches up
    if (!store.getCursor()) store.deferAttributeIndexes();
    if (!(await replayStored(this.ctx, this.committer))) {
      if (store.getFailed()) return this.fail();
      return { kind: 'stopped', reason: 'canceled' };
    }
    this.followIfCreated();
    return { kind: 'awaiting-step' };
  }

  private async awaitStep(): Promise<RunnerState> {
    const { syncer } = this.ctx;
    let step: SyncStep;
    if (this.prefetched) {
      const p = this.prefetched;
      this.prefetched = null;
      step = await p.catch(() => syncer.step());
      // it was fetched from the head just committed; a reorg or idle verdict is asked again
      if (step.kind !== 'batch') step = await syncer.step();
    } else step = await syncer.step();
    this.attempt = 0;
    if (step.kind !== 'idle' || step.reason === 'synced') this.syncError = null;
    this.chainHead = step.chainHead;
    if (step.kind === 'batch') return { kind: 'processing-batch', step };
    if (step.kind === 'reorg') return { kind: 'reverting', step };
    return { kind: 'idle', step };
  }

  private async processBatch(step: BatchStep): Promise<RunnerState> {
    const { store, syncer, logger, metrics, events } = this.ctx;
    if (!this.synced && !this.announced) {
      this.announced = true;
      logger.info('indexing', { from: (store.getCursor()?.number ?? syncer.startBlock - 1) + 1, chainHead: step.chainHead, target: step.target });
    }
    // near the head too: the prefetch links its blocks to this batch's last one, and if this
    // batch is not committed after all (a handler failure) it is dropped
    if (step.batch.to.number < step.target) {
      this.prefetched = syncer.step(step.batch.to);
      this.prefetched.catch(() => {});
    }
    const before = events.head();
    const run = await runBlocks(this.ctx, step.batch.blocks, true);
    const outcome = this.committer.commitBatch(step.batch, run, this.chainHead);
    if (outcome === 'store-refused') return this.fail();
    const to = store.getCursor();
    const covered = (to?.number ?? 0) - (before?.number ?? syncer.startBlock - 1);
    if (covered > 0) metrics.blocksProcessed.inc(covered);
    this.progress.record(to?.number ?? 0, run.done.reduce((n, d) => n + d.b.logs.length, 0));
    this.refreshGauges();
    if (outcome === 'handler-failed') return this.fail();
    if (this.ctx.runtime.dataSources.size !== this.followed) {
      // the prefetch asked for the old addresses (and from the end of a batch that was cut)
      await this.dropPrefetch();
      this.followIfCreated();
    }
    // a batch cut after a block that created data sources ends before its `to`
    this.atHead = (store.getCursor()?.number ?? -1) >= step.target;
    if (!this.synced && this.atHead) this.markSynced();
    else if (!this.atHead) this.maybeLogProgress(step.chainHead);
    return { kind: 'awaiting-step' };
  }

  private revert(step: ReorgStep): RunnerState {
    const { store, events, metrics, logger } = this.ctx;
    store.transaction(() => {
      events.revertTo(step.forkPoint);
      this.committer.revertStore(step.forkPoint);
    });
    this.followIfCreated();
    metrics.reorgs.inc();
    metrics.reorgDepth.observe(step.depth);
    logger.warn('reverted a chain reorganisation', { forkPoint: step.forkPoint?.number ?? null, depth: step.depth });
    this.refreshGauges();
    return { kind: 'awaiting-step' };
  }

  private async idle(step: IdleStep): Promise<RunnerState> {
    this.unsettled = step.reason === 'unsettled' ? this.unsettled + 1 : 0;
    if (this.unsettled > 0 && this.unsettled % UNSETTLED_REPORT_EVERY === 0) {
      // a node whose headers never link up (or whose logs name other blocks) would loop here silently
      this.syncError = `the node's answers keep disagreeing (parent hashes or log block hashes) after ${this.unsettled} attempts`;
      this.ctx.logger.warn('the node keeps answering inconsistently; retrying', { attempts: this.unsettled });
    }
    if (step.reason === 'synced') this.atHead = true;
    if (step.reason === 'synced' && !this.synced) this.markSynced();
    this.refreshGauges();
    const { pollIntervalMs } = this.opts;
    await sleep(step.reason === 'synced' ? pollIntervalMs : Math.min(pollIntervalMs, 250), this.ctx.signal);
    return { kind: 'awaiting-step' };
  }

  private async retry(err: unknown): Promise<RunnerState> {
    // a prefetch started from a batch that did not commit would continue from the wrong head;
    // it is let finish first so that two steps never run at once
    await this.dropPrefetch();
    if (err instanceof AbortedError || this.ctx.signal.aborted) return { kind: 'stopped', reason: 'canceled' };
    // the node said no for good, a reorg deeper than allowed, a bug: the run fails
    if (!isRetryable(err)) throw err;
    const wait = this.ctx.rpc.backoff(Math.min(this.attempt++, 6));
    const message = (err as Error).message;
    // one failed step is routine with public endpoints; several in a row are an outage
    if (this.attempt >= OUTAGE_AFTER) this.syncError = message;
    this.ctx.logger.warn('sync step failed, retrying', { error: message, attempt: this.attempt, waitMs: Math.round(wait) });
    await sleep(wait, this.ctx.signal).catch(() => {});
    return { kind: 'awaiting-step' };
  }

  /** The subgraph failed (now or before): `ready` rejects with where and why. */
  private fail(): RunnerState {
    const f = this.ctx.store.getFailed()!;
    this.rejectReady(new Error(`${FAILED_MSG} at block ${f.blockNumber}: ${f.message}`));
    return { kind: 'stopped', reason: 'failed' };
  }

  private async dropPrefetch(): Promise<void> {
    const abandoned = this.prefetched;
    this.prefetched = null;
    await abandoned?.catch(() => {});
  }

  /** sync asks for what the data sources created so far need (called while no step runs) */
  private followIfCreated(): void {
    if (this.ctx.runtime.dataSources.size === this.followed) return;
    this.followed = this.ctx.runtime.dataSources.size;
    this.followCreatedSources();
  }

  private followCreatedSources(): void {
    const { runtime, syncer } = this.ctx;
    syncer.setDynamicSources(dynamicFilters(runtime.dataSources.all(), (name) => runtime.dataSources.template(name)));
  }

  /** the query-only indexes a backfill from scratch left out (EntityStore.deferAttributeIndexes) */
  private buildDeferredIndexes(): void {
    const { store, logger } = this.ctx;
    if (!store.attributeIndexesDeferred()) return;
    const t0 = Date.now();
    const indexes = store.createAttributeIndexes();
    logger.info('created the query indexes deferred during backfill', { indexes, seconds: (Date.now() - t0) / 1000 });
  }

  private markSynced(): void {
    this.buildDeferredIndexes();
    this.synced = true;
    const c = this.ctx.store.getCursor();
    this.ctx.logger.info('caught up with the chain head', { block: c?.number ?? null, chainHead: this.chainHead });
    this.resolveReady();
  }

  private maybeLogProgress(chainHead: number): void {
    const every = this.opts.progressIntervalMs;
    if (!every || Date.now() - this.lastProgressLog < every) return;
    this.lastProgressLog = Date.now();
    this.ctx.logger.info('backfill progress', { ...this.progress.report(chainHead - this.opts.confirmations) });
  }
}
