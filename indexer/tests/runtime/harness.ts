// Runs blocks through the runtime into a real (in-memory SQLite) EntityStore, the way sync does.
import { openDatabase } from '../../src/db.ts';
import { loadSubgraph, type LoadedSubgraph } from '../../src/manifest.ts';
import type { MappingLogEntry } from '../../src/runtime/runtime.ts';
import { EntityStore } from '../../src/store/entity-store.ts';
import { blockPtrOf, type EntityChange, type EntityData, type RpcBlock, type RpcLog, type RpcReceipt } from '../../src/types.ts';
import { buildFixture } from './fixture.ts';

export interface Harness extends LoadedSubgraph {
  store: EntityStore;
  logs: MappingLogEntry[];
  run(entry: { block: RpcBlock; logs: RpcLog[]; receipts: Map<string, RpcReceipt> }): Promise<EntityChange[]>;
  get(entityType: string, id: string): EntityData | null;
}

export function harness(fixture = 'host-subgraph', options: { reuseInstances?: boolean } = {}): Harness {
  const logs: MappingLogEntry[] = [];
  const loaded = loadSubgraph(buildFixture(fixture), { logger: (e) => logs.push(e), ...options });
  const store = new EntityStore(openDatabase(':memory:'), loaded.schema);
  return {
    ...loaded,
    store,
    logs,
    async run({ block, logs: blockLogs, receipts }) {
      const changes = await loaded.runtime.processBlock(block, blockLogs, store, { receipts });
      store.applyBlock(blockPtrOf(block), changes);
      return changes;
    },
    get: (entityType, id) => store.get(entityType, id),
  };
}

/** Entity data as plain JSON-friendly values, for deepEqual. */
export function plain(data: EntityData | null): Record<string, unknown> | null {
  if (data === null) return null;
  const conv = (v: EntityData[string]): unknown => {
    switch (v.kind) {
      case 'Bytes':
        return `0x${Buffer.from(v.value).toString('hex')}`;
      case 'List':
        return v.value.map(conv);
      case 'Null':
        return null;
      default:
        return v.value;
    }
  };
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, conv(v)]));
}
