// Sync against a real Hardhat node: backfill in final ranges and near the head, reorgs at several
// depths while following, and the event store always equal to what the canonical chain holds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceLogs, startTokenChain, TRANSFER, type TokenChain } from './helpers/chain.ts';
import { syncOnly } from './helpers/sync-loop.ts';
import { startCountingProxy } from './helpers/faulty-proxy.ts';
import { ReorgTooDeepError } from '../../src/sync/syncer.ts';

let c: TokenChain;

before(async () => {
  c = await startTokenChain();
});
after(async () => {
  await c?.stop();
});

function storedLogs(s: ReturnType<typeof syncOnly>) {
  return (s.events.dump().logs as Array<{ raw: string }>).map((r) => JSON.parse(r.raw));
}

function options(extra: Partial<Parameters<typeof syncOnly>[1]> = {}) {
  return { dataSources: [{ address: c.address, topic0s: [TRANSFER], startBlock: c.deployBlock }], ...extra };
}

describe('sync against a Hardhat node', () => {
  test('backfills final ranges and the unfinalised window: every Transfer log, headers of their blocks', async () => {
    for (let i = 0; i < 12; i++) {
      await c.mint(i, BigInt(i + 1));
      if (i % 3 === 0) await c.mine(40);
    }
    // a small window makes most of the chain final, so both fetch modes run
    const s = syncOnly({ url: c.chain.url }, options({ maxReorgDepth: 5, logRanges: { initialRange: 7, maxRange: 16 } }));
    try {
      await s.run();
      const ref = await referenceLogs(c);
      assert.equal(ref.length, 12);
      assert.deepEqual(storedLogs(s), ref);
      const head = s.events.head()!;
      assert.equal(head.number, await c.head());
      // blocks with logs keep their header and the minting transaction only
      const blocks = s.events.dump().blocks as Array<{ number: number; raw: string }>;
      assert.equal(blocks.length, 12);
      for (const b of blocks) {
        const raw = JSON.parse(b.raw);
        assert.equal(raw.transactions.length, 1);
        assert.equal(typeof raw.transactions[0], 'object');
      }
      assert.ok(s.steps.filter((k) => k === 'batch').length > 3, 'several ranges');
    } finally {
      s.close();
    }
  });

  test('logs before a data source start block are not taken', async () => {
    const start = await c.head();
    await c.mint(50, 5n);
    const s = syncOnly({ url: c.chain.url }, options({ dataSources: [{ address: c.address, topic0s: [TRANSFER], startBlock: start + 1 }] }));
    try {
      await s.run();
      assert.equal(storedLogs(s).length, 1);
    } finally {
      s.close();
    }
  });

  test('receipts are fetched only when a handler needs them; transactions only when the runtime does', async () => {
    await c.mint(60, 3n);
    const withReceipts = syncOnly({ url: c.chain.url }, options({ needsReceipts: true }));
    const bare = syncOnly({ url: c.chain.url }, options({ needsTransactions: false }));
    try {
      await withReceipts.run();
      await bare.run();
      const logs = storedLogs(withReceipts);
      const receipts = withReceipts.events.dump().receipts as Array<{ transaction_hash: string; block_number: number; raw: string }>;
      assert.deepEqual(receipts.map((r) => r.transaction_hash).sort(), [...new Set(logs.map((l) => l.transactionHash.toLowerCase()))].sort());
      for (const r of receipts) assert.equal(Number(BigInt(JSON.parse(r.raw).blockNumber)), r.block_number);
      const replayed = [...withReceipts.events.blocksWithLogs(0, Number.MAX_SAFE_INTEGER)];
      assert.ok(replayed.every((b) => b.receipts?.get(b.logs[0]!.transactionHash.toLowerCase())?.status === '0x1'));
      assert.equal(bare.events.dump().receipts.length, 0);
      for (const b of bare.events.dump().blocks as Array<{ raw: string }>) assert.deepEqual(JSON.parse(b.raw).transactions, []);
    } finally {
      withReceipts.close();
      bare.close();
    }
  });

  for (const depth of [1, 3, 6]) {
    test(`reorg of depth ${depth} while following: the store equals a fresh sync of the canonical chain`, async () => {
      const s = syncOnly({ url: c.chain.url }, options({ maxReorgDepth: 10 }));
      try {
        await c.mint(100, 1n);
        await s.run();
        const snap = await c.send<string>('evm_snapshot');
        for (let i = 0; i < depth; i++) await c.mint(200 + i, 7n);
        await s.run();
        const orphaned = storedLogs(s).at(-1);
        await c.send('evm_revert', [snap]);
        // the new branch: other transactions, and one block more so the head moves past the old one
        await c.mine(1);
        for (let i = 0; i < depth; i++) await c.mint(300 + i, 9n);
        await s.run();
        assert.ok(s.steps.includes('reorg'), 'the reorg was detected');
        const fresh = syncOnly({ url: c.chain.url }, options({ maxReorgDepth: 10 }));
        try {
          await fresh.run();
          assert.deepEqual(s.events.dump(), fresh.events.dump());
          assert.deepEqual(storedLogs(s), await referenceLogs(c));
          assert.ok(!storedLogs(s).some((l) => l.transactionHash === orphaned.transactionHash), 'orphaned log removed');
        } finally {
          fresh.close();
        }
      } finally {
        s.close();
      }
    });
  }

  test('a reorg that shortens the chain is detected while idle at the head', async () => {
    const s = syncOnly({ url: c.chain.url }, options({ maxReorgDepth: 10 }));
    try {
      await s.run();
      const snap = await c.send<string>('evm_snapshot');
      await c.mint(400, 1n);
      await c.mint(401, 1n);
      await s.run();
      await c.send('evm_revert', [snap]);
      await c.mint(402, 2n);
      await s.run();
      assert.deepEqual(storedLogs(s), await referenceLogs(c));
      assert.equal(s.events.head()!.hash, (await c.provider.getBlock(await c.head()))!.hash);
    } finally {
      s.close();
    }
  });

  test('a reorg deeper than the maximum depth is a clear fatal error', async () => {
    const s = syncOnly({ url: c.chain.url }, options({ maxReorgDepth: 2 }));
    try {
      await s.run();
      const snap = await c.send<string>('evm_snapshot');
      for (let i = 0; i < 4; i++) await c.mint(500 + i, 1n);
      await s.run();
      await c.send('evm_revert', [snap]);
      for (let i = 0; i < 5; i++) await c.mint(600 + i, 2n);
      await assert.rejects(s.run(), (err: Error) => {
        assert.ok(err instanceof ReorgTooDeepError);
        assert.match(err.message, /deeper than the maximum of 2 blocks/);
        assert.match(err.message, /--max-reorg-depth/);
        return true;
      });
    } finally {
      s.close();
    }
  });
  test('within the reorg window each block is fetched once, its transactions included where it has logs', async () => {
    const start = (await c.head()) + 1;
    for (let i = 0; i < 10; i++) await c.mint(400 + i, 3n);
    await c.mine(5);
    const proxy = await startCountingProxy(c.chain.url);
    const s = syncOnly({ url: proxy.url }, options({ maxReorgDepth: 1000, dataSources: [{ address: c.address, topic0s: [TRANSFER], startBlock: start }] }));
    try {
      await s.run();
      const blocks = (await c.head()) - start + 1;
      assert.equal(s.events.head()!.number, start + blocks - 1);
      const stored = s.events.dump().blocks as Array<{ raw: string }>;
      assert.equal(stored.length, 10);
      for (const b of stored) assert.equal(typeof JSON.parse(b.raw).transactions[0], 'object');
      // per batch step: the range end asked before the logs, then each block once; the idle step asks the head again
      const steps = s.steps.length;
      assert.equal(proxy.calls['eth_getBlockByNumber'], blocks + steps, `calls ${JSON.stringify(proxy.calls)} for ${blocks} blocks in steps ${s.steps}`);
    } finally {
      s.close();
      await proxy.close();
    }
  });

  test('near the head a step is no wider than the log range: no block is fetched for nothing when the range shrinks', async () => {
    const start = (await c.head()) + 1;
    for (let i = 0; i < 11; i++) await c.mint(700 + i, 1n);
    const proxy = await startCountingProxy(c.chain.url);
    // a provider whose answers keep the log range at 3 blocks, well under the 100-block head batch
    const s = syncOnly({ url: proxy.url }, options({ maxReorgDepth: 1000, logRanges: { initialRange: 3, maxRange: 3 }, dataSources: [{ address: c.address, topic0s: [TRANSFER], startBlock: start }] }));
    try {
      await s.run();
      const blocks = (await c.head()) - start + 1;
      assert.equal(blocks, 11);
      assert.deepEqual(storedLogs(s), (await referenceLogs(c)).filter((l) => Number(BigInt(l.blockNumber as string)) >= start));
      const batches = s.steps.filter((k) => k === 'batch').length;
      assert.equal(batches, Math.ceil(blocks / 3));
      assert.equal(proxy.calls['eth_getLogs'], batches);
      // each block once, plus the range end asked first per batch and the head re-asked by the idle step
      assert.equal(proxy.calls['eth_getBlockByNumber'], blocks + s.steps.length, `calls ${JSON.stringify(proxy.calls)} in steps ${s.steps}`);
    } finally {
      s.close();
      await proxy.close();
    }
  });

  test('a final range is asked for once and handed over a few blocks with logs at a time, the rest of its logs carried', async () => {
    const start = (await c.head()) + 1;
    for (let i = 0; i < 10; i++) await c.mint(800 + i, 2n);
    for (let i = 0; i < 2; i++) await c.mint(820 + i, 2n);
    const proxy = await startCountingProxy(c.chain.url);
    const s = syncOnly({ url: proxy.url }, options({ maxReorgDepth: 2, headBatch: 3, dataSources: [{ address: c.address, topic0s: [TRANSFER], startBlock: start }] }));
    try {
      const head = await c.head();
      const finalEnd = head - 2;
      const finalSteps: Array<{ blocks: number; getLogs: number; headers: number }> = [];
      for (let guard = 0; guard < 50; guard++) {
        const before = { ...proxy.calls };
        const step = await s.syncer.step();
        if (step.kind !== 'batch') break;
        s.db.transaction(() => s.events.append(step.batch))();
        if (step.batch.to.number > finalEnd) continue;
        const delta = (m: string) => (proxy.calls[m] ?? 0) - (before[m] ?? 0);
        finalSteps.push({ blocks: step.batch.blocks.length, getLogs: delta('eth_getLogs'), headers: delta('eth_getBlockByNumber') });
      }
      assert.equal(s.events.head()!.number, head);
      assert.deepEqual(storedLogs(s), (await referenceLogs(c)).filter((l) => Number(BigInt(l.blockNumber as string)) >= start));
      // blocks start..finalEnd all have one log: 3 + 3 + 3 + 1 blocks over four steps, one eth_getLogs for all of them
      assert.deepEqual(finalSteps.map((f) => f.blocks), [3, 3, 3, 1]);
      assert.deepEqual(finalSteps.map((f) => f.getLogs), [1, 0, 0, 0]);
      // each step fetches exactly its blocks: the step ends on its last block with logs
      assert.deepEqual(finalSteps.map((f) => f.headers), [3, 3, 3, 1]);
    } finally {
      s.close();
      await proxy.close();
    }
  });
});

