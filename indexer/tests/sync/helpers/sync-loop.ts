// Sync alone (no handlers, no entity store): steps until the event store holds the chain's head.
import Database from 'better-sqlite3';
import { EventStore } from '../../../src/store/event-store.ts';
import { JsonRpcClient, type RpcClientOptions } from '../../../src/sync/rpc.ts';
import { Syncer, UnsettledError, type SyncOptions, type SyncStep } from '../../../src/sync/syncer.ts';

export interface SyncOnly {
  db: Database.Database;
  events: EventStore;
  syncer: Syncer;
  steps: SyncStep['kind'][];
  /** steps until the event store's head is the node's head (target) */
  run(maxSteps?: number): Promise<void>;
  close(): void;
}

export function syncOnly(rpc: Partial<RpcClientOptions> & { url: string }, opts: SyncOptions): SyncOnly {
  const db = new Database(':memory:');
  const events = new EventStore(db);
  const client = new JsonRpcClient({ retries: 20, backoffMs: 5, maxBackoffMs: 50, ...rpc });
  const syncer = new Syncer(client, events, opts);
  const steps: SyncStep['kind'][] = [];
  return {
    db,
    events,
    syncer,
    steps,
    async run(maxSteps = 10_000) {
      for (let i = 0; i < maxSteps; i++) {
        let step: SyncStep;
        try {
          step = await syncer.step();
        } catch (err) {
          if (err instanceof UnsettledError) continue;
          throw err;
        }
        steps.push(step.kind);
        if (step.kind === 'batch') db.transaction(() => events.append(step.batch))();
        else if (step.kind === 'reorg') db.transaction(() => events.revertTo(step.forkPoint))();
        else if (step.reason === 'synced') return;
      }
      throw new Error(`sync did not reach the head in ${maxSteps} steps`);
    },
    close: () => db.close(),
  };
}
