// Timeseries data points through the runtime's store.set path (EntityCache, as graph-ts 0.35+
// mappings write them): graph-node generates the Int8 id and sets the block's timestamp whatever
// the mapping passed (runtime/wasm/src/host_exports.rs store_set), and the store accepts them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EntityCache, emptySlots } from '../../src/runtime/entity-cache.ts';
import type { Value } from '../../src/types.ts';
import { aggStore, AGG_SCHEMA, TOKEN_A } from '../store/aggregation-fixture.ts';
import { parseSchema } from '../../src/schema.ts';
import { bytes, dec, int, int8, ptr, ts } from '../store/fixtures.ts';

test('store.set of a timeseries: generated ids (block << 32 | seq) and the block timestamp in µs', () => {
  const store = aggStore([]);
  const cache = new EntityCache(parseSchema(AGG_SCHEMA), store, 7, 1_700_000_123);
  const shape = cache.shape('Swap', 'set');
  // what store.set reads from the mapping: the values by the type's field positions
  const point = () => {
    const slots = emptySlots(shape);
    const fields: Record<string, Value> = { id: int8(1), timestamp: ts(5), token: bytes(TOKEN_A), amount: dec('1.5'), price: dec('2'), count: int(1) };
    for (const [name, value] of Object.entries(fields)) slots[shape.index.get(name)!] = value;
    return { slots, unknown: null };
  };
  cache.set(shape, '1', point(), true);
  cache.set(shape, 'auto', point(), true);
  const changes = cache.changes();
  assert.deepEqual(
    changes.map((c) => [c.id, c.data!.id, c.data!.timestamp]),
    [
      [String((7n << 32n) + 0n), int8((7n << 32n) + 0n), ts(1_700_000_123_000_000n)],
      [String((7n << 32n) + 1n), int8((7n << 32n) + 1n), ts(1_700_000_123_000_000n)],
    ],
  );
  store.applyBlock(ptr(7, 1_700_000_123), changes);
  assert.deepEqual(store.get('Swap', String(7n << 32n))?.amount, dec('1.5'));
});
