// The runner's states, named, so its loop reads as a table of transitions (the shape of
// graph-node's core/src/subgraph/runner/state.rs, for a batch-at-a-time sync):
//
//   initializing ──▶ awaiting-step ◀───────────────────────────────┐
//        │              │                                          │
//        │              ├─ a batch ─────▶ processing-batch ─ ok ───┤
//        │              │                       └─ handler failed ─┼─▶ stopped (failed)
//        │              ├─ a reorg ─────▶ reverting ───────────────┤
//        │              ├─ nothing new ─▶ idle (waits) ────────────┤
//        │              └─ an error ────▶ retrying ─ retryable ────┘
//        │                                   └─ fatal: the run rejects
//        └─ failed before, replay failed, stop() ─▶ stopped
import type { BlockPtr } from '../types.ts';
import type { SyncStep } from '../sync/syncer.ts';

export type BatchStep = Extract<SyncStep, { kind: 'batch' }>;
export type ReorgStep = Extract<SyncStep, { kind: 'reorg' }>;
export type IdleStep = Extract<SyncStep, { kind: 'idle' }>;

/** canceled: stop() was called; failed: a deterministic failure marked the subgraph failed */
export type StopReason = 'canceled' | 'failed';

export type RunnerState =
  /** replays stored chain data the entity store is behind on, refuses a subgraph failed before */
  | { kind: 'initializing' }
  /** asks sync for the next step (or takes the one prefetched while the last batch ran) */
  | { kind: 'awaiting-step' }
  /** runs a batch's handlers and commits it with its event-store rows and cursor */
  | { kind: 'processing-batch'; step: BatchStep }
  /** reverts entity state, event store and created data sources to the fork point */
  | { kind: 'reverting'; step: ReorgStep }
  /** at the head (or the node's answers do not fit together yet): wait, then ask again */
  | { kind: 'idle'; step: IdleStep }
  /** a step failed: back off and ask again if the error is retryable, else the run fails */
  | { kind: 'retrying'; error: unknown }
  | { kind: 'stopped'; reason: StopReason };

export interface IndexerStatus {
  /** at the head (minus confirmations) as of the last sync step, and not failed */
  synced: boolean;
  failed: { message: string; block: number; handler: string | null } | null;
  /** the store's cursor */
  block: BlockPtr | null;
  chainHead: number | null;
  lag: number | null;
  /** a fatal error stopped indexing (other than a handler failure) */
  error: string | null;
  /** sync has been failing for several attempts in a row (an RPC outage); cleared by the next success */
  syncError: string | null;
}
