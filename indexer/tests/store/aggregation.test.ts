// @aggregation rollups in the store: buckets close when a block's time enters a new interval (as
// graph-node's Layout::rollup), every aggregate function, expressions, cumulative aggregates,
// dimensions, and reverts. Expected rows derived by hand from aggregation-fixture.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db.ts';
import { parseSchema } from '../../src/schema.ts';
import { EntityStore } from '../../src/store/entity-store.ts';
import { AGG_SCHEMA, aggStore, applyBlocks, at, BLOCKS, D0, H0, H1, TOKEN_A, TOKEN_B, tsId, us } from './aggregation-fixture.ts';

function rollups(store: EntityStore, type: string) {
  return store
    .dump()
    .filter((r) => r.entityType === type)
    .map((r) => ({ block: r.blockStart, ...r.data }));
}

const tokenRow = (block: number, id: bigint, time: number, token: string, v: Record<string, string | number>) => ({
  block,
  id: id.toString(),
  timestamp: us(time),
  token,
  ...v,
});

test('an hour closes when a block enters the next one: one row per token, every aggregate', () => {
  const store = aggStore(BLOCKS.slice(0, 3));
  // block 3 (H1 + 10) closes H0: A had 10 @ 2 (count 1) and 20 @ 4 (count 7); B had 5 @ 3 (count 3)
  assert.deepEqual(rollups(store, 'TokenStats_hour'), [
    tokenRow(3, tsId(1, 1), H0, TOKEN_B, { volume: '5', value: '15', trades: '1', totalTrades: '1', low: '3', high: '3', open: '3', close: '3', maxCount: 3 }),
    tokenRow(3, tsId(2, 0), H0, TOKEN_A, { volume: '30', value: '100', trades: '2', totalTrades: '2', low: '2', high: '4', open: '2', close: '4', maxCount: 7 }),
  ]);
  assert.deepEqual(rollups(store, 'TokenStats_day'), [], 'the day has not ended');
  assert.deepEqual(rollups(store, 'Stats_hour'), [{ block: 3, id: tsId(2, 0).toString(), timestamp: us(H0), volume: '35' }]);
});

test('cumulative aggregates carry the previous bucket; a day closes with its hours', () => {
  const store = aggStore();
  // block 5 (H2 + 5 = the next day) closes H1 (A: 1 @ 5, count 0) and the day (all of blocks 1-3)
  assert.deepEqual(rollups(store, 'TokenStats_hour'), [
    tokenRow(3, tsId(1, 1), H0, TOKEN_B, { volume: '5', value: '15', trades: '1', totalTrades: '1', low: '3', high: '3', open: '3', close: '3', maxCount: 3 }),
    tokenRow(3, tsId(2, 0), H0, TOKEN_A, { volume: '30', value: '100', trades: '2', totalTrades: '2', low: '2', high: '4', open: '2', close: '4', maxCount: 7 }),
    tokenRow(5, tsId(3, 0), H1, TOKEN_A, { volume: '1', value: '5', trades: '1', totalTrades: '3', low: '5', high: '5', open: '5', close: '5', maxCount: 2 }),
  ]);
  assert.deepEqual(rollups(store, 'TokenStats_day'), [
    tokenRow(5, tsId(1, 1), D0, TOKEN_B, { volume: '5', value: '15', trades: '1', totalTrades: '1', low: '3', high: '3', open: '3', close: '3', maxCount: 3 }),
    tokenRow(5, tsId(3, 0), D0, TOKEN_A, { volume: '31', value: '105', trades: '3', totalTrades: '3', low: '2', high: '5', open: '2', close: '5', maxCount: 7 }),
  ]);
  assert.deepEqual(rollups(store, 'Stats_hour'), [
    { block: 3, id: tsId(2, 0).toString(), timestamp: us(H0), volume: '35' },
    { block: 5, id: tsId(3, 0).toString(), timestamp: us(H1), volume: '36' },
  ]);
});

test('the bucket still being filled is computed on demand (current: include)', () => {
  const store = aggStore();
  // H2 holds block 5's swap (2 @ 1, count 4); totalTrades continues from H1's 3
  const cols = store.layout.aggregations.get('TokenStats')!.get('hour')!.columns.map((c) => c.field.name);
  const rows = store.aggregator.current('TokenStats', 'hour', null).map((r) => Object.fromEntries(cols.map((c, i) => [c, r[i]])));
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.id, tsId(5, 0));
  assert.equal(rows[0]!.trades, 1n);
  assert.equal(rows[0]!.totalTrades, 4n);
  assert.equal(rows[0]!.maxCount, 4);
  // at block 4 the newest data point is block 3's, in H1, which had not been rolled up then
  assert.equal(store.aggregator.current('TokenStats', 'hour', 4).length, 1);
  assert.equal(store.aggregator.current('TokenStats', 'hour', 4)[0]![0], tsId(3, 0));
});

test('a revert deletes the rollups of the reverted blocks; re-indexing equals a fresh store', () => {
  const store = aggStore();
  store.revertTo(at(4, BLOCKS[3]!.ptr.timestamp));
  assert.deepEqual(
    rollups(store, 'TokenStats_hour').map((r) => r.block),
    [3, 3],
  );
  assert.deepEqual(rollups(store, 'TokenStats_day'), []);
  // another branch for block 5, at a different time: still rolls up H1 and the day
  const other = [...BLOCKS.slice(0, 4), { ptr: { ...at(5, H1 + 7200 + 60), hash: '0x' + 'e5'.repeat(32) }, changes: BLOCKS[4]!.changes }];
  applyBlocks(store, other.slice(4));
  const fresh = new EntityStore(openDatabase(':memory:'), parseSchema(AGG_SCHEMA));
  applyBlocks(fresh, other);
  assert.deepEqual(store.dump(), fresh.dump());
});

test('the first block ever, and blocks within one interval, roll nothing up', () => {
  const store = aggStore(BLOCKS.slice(0, 2));
  assert.deepEqual(rollups(store, 'TokenStats_hour'), []);
  assert.deepEqual(rollups(store, 'Stats_hour'), []);
});

test('a restart between two blocks of an hour still rolls that hour up (the cursor is the last rollup time)', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-agg-'));
  try {
    const file = path.join(dir, 'index.sqlite');
    const first = new EntityStore(openDatabase(file), parseSchema(AGG_SCHEMA));
    applyBlocks(first, BLOCKS.slice(0, 2));
    first.db.close();
    const second = new EntityStore(openDatabase(file), parseSchema(AGG_SCHEMA));
    applyBlocks(second, BLOCKS.slice(2));
    assert.deepEqual(second.dump(), aggStore().dump());
    second.db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
