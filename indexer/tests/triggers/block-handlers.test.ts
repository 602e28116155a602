// Block handlers (no filter, polling every N, once, call filter) on a real node, in graph-node's
// order within a block (once first, then the events, then call-filtered, then every-block and
// polling handlers in manifest order),
// through both sync paths: final ranges (headers fetched only where needed) and the head window.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startIndexer, type IndexerConfig, type RunningIndexer } from '../../src/indexer.ts';
import { silentLogger } from '../../src/log.ts';
import { EOA, RELAY, PINGER, ping, startPingerChain, type PingerChain } from './pinger.ts';

let c: PingerChain;
const running: RunningIndexer[] = [];

before(async () => {
  c = await startPingerChain(); // blocks 1, 2: the two deployments
  await c.block([ping(c, 0, 4, RELAY)]); // 3
  await c.block([ping(c, 1, 3, EOA)]); // 4
  await c.block([ping(c, 0, 10, PINGER)]); // 5
  await c.block([ping(c, 2, 6, RELAY), ping(c, 3, 8, EOA)]); // 6
  await c.send('hardhat_mine', ['0x4']); // 7-10: no transactions
  await c.block([ping(c, 1, 2, EOA)]); // 11
});
after(async () => {
  for (const r of running) await r.stop();
  await c?.stop();
});

// Derived by hand from the manifest: Pinger (events, from 1), EveryBlock (no filter, from 3),
// Polling (polling every 3 and once, from 2: blocks 2, 5, 8, 11; once at 2), Calls (a
// call-filtered handler: once per block with calls to Pinger, repeats to the same address merged)
const EXPECTED: Array<[number, string, string]> = [
  [2, 'once', ''],
  [2, 'poll', ''],
  [3, 'event', 'Ping 4'],
  [3, 'withCallTo', ''],
  [3, 'every', ''],
  [4, 'event', 'Ping 3'],
  [4, 'withCallTo', ''],
  [4, 'every', ''],
  [5, 'event', 'Ping 10'],
  [5, 'withCallTo', ''],
  [5, 'every', ''],
  [5, 'poll', ''],
  [6, 'event', 'Ping 6'],
  [6, 'event', 'Ping 8'],
  [6, 'withCallTo', ''],
  [6, 'every', ''],
  [7, 'every', ''],
  [8, 'every', ''],
  [8, 'poll', ''],
  [9, 'every', ''],
  [10, 'every', ''],
  [11, 'event', 'Ping 2'],
  [11, 'withCallTo', ''],
  [11, 'every', ''],
  [11, 'poll', ''],
];

async function indexAll(extra: Partial<IndexerConfig>) {
  const r = await startIndexer({ rpcUrl: c.chain.url, subgraph: c.subgraphDir, db: ':memory:', port: null, pollIntervalMs: 20, logger: silentLogger, ...extra });
  running.push(r);
  await r.ready;
  const head = await c.head();
  while ((r.status().block?.number ?? 0) < head) await new Promise((res) => setTimeout(res, 20));
  const traces = r.store
    .dump()
    .filter((row) => row.entityType === 'Trace')
    .sort((a, b) => Number(a.data.seq) - Number(b.data.seq))
    .map((row) => [Number(row.data.block), row.data.kind, row.data.detail]);
  await r.stop();
  running.splice(running.indexOf(r), 1);
  return traces;
}

describe('block handlers', { timeout: 120_000 }, () => {
  test('near the head: every block, polling, once, in graph-node order', async () => {
    assert.deepEqual(await indexAll({}), EXPECTED);
  });

  test('over final ranges (headers only where a handler needs them), in small steps', async () => {
    assert.deepEqual(await indexAll({ maxReorgDepth: 1, headBatch: 2 }), EXPECTED);
  });
});
