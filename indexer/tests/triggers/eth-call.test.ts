// ethereum.call / tryCall / getBalance / hasCode at the handler's block, declared calls, the call
// cache on replay, reverts vs. RPC failures: the trigger fixture on a real Hardhat node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { startIndexer, type IndexerConfig, type RunningIndexer } from '../../src/indexer.ts';
import { silentLogger } from '../../src/log.ts';
import { EOA, PINGER, RELAY, ping, startPingerChain, type PingerChain } from './pinger.ts';

let c: PingerChain;
const tmp = mkdtempSync(join(tmpdir(), 'hessian-ethcall-'));
const running: RunningIndexer[] = [];
/** block numbers of the scripted pings, in order */
const pings: Array<{ block: number; sender: number; value: number; target: string }> = [];

before(async () => {
  c = await startPingerChain();
  const script: Array<Array<[number, number, string]>> = [
    [[0, 4, RELAY]],
    [[1, 3, EOA]],
    [[0, 10, PINGER]],
    // two in one block: both handlers see the block's end state
    [
      [2, 6, RELAY],
      [3, 8, EOA],
    ],
  ];
  for (const txs of script) {
    const block = await c.block(txs.map(([s, v, t]) => ping(c, s, v, t)));
    for (const [sender, value, target] of txs) pings.push({ block, sender, value, target });
  }
});
after(async () => {
  for (const r of running) await r.stop();
  await c?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function run(extra: Partial<IndexerConfig> = {}): Promise<RunningIndexer> {
  const r = await startIndexer({ rpcUrl: c.chain.url, subgraph: c.subgraphDir, db: ':memory:', port: null, pollIntervalMs: 20, logger: silentLogger, ...extra });
  running.push(r);
  return r;
}
async function stop(r: RunningIndexer) {
  await r.stop();
  running.splice(running.indexOf(r), 1);
}

/** The PingRecords derived by hand from the script (count and scores after each block). */
async function expected() {
  const out = [];
  let count = 0;
  const scores = new Map<number, number>();
  const byBlock = new Map<number, typeof pings>();
  for (const p of pings) byBlock.set(p.block, [...(byBlock.get(p.block) ?? []), p]);
  for (const [block, ps] of byBlock) {
    count += ps.length;
    for (const p of ps) scores.set(p.sender, (scores.get(p.sender) ?? 0) + p.value);
    for (const p of ps) {
      const sender = (await c.signers[p.sender]!.getAddress()).toLowerCase();
      out.push({
        sender,
        value: String(p.value),
        count: String(count),
        score: String(scores.get(p.sender)),
        // a reverted tryCall leaves the optional field unset
        ...(p.value % 2 === 0 ? { half: String(p.value / 2) } : {}),
        halfReverted: p.value % 2 !== 0,
        // the node's own answer at that block: the balance after the block's transactions
        senderBalance: String(await c.provider.getBalance(sender, block)),
        targetHasCode: p.target !== EOA,
        block: String(block),
      });
    }
  }
  return out;
}

function records(r: RunningIndexer) {
  return r.store
    .dump()
    .filter((row) => row.entityType === 'PingRecord' && row.blockEnd === null)
    .map((row) => {
      const { id: _id, ...rest } = row.data;
      return rest;
    })
    .sort((a, b) => Number(a.block) - Number(b.block) || Number(a.value) - Number(b.value));
}

async function indexed(r: RunningIndexer) {
  await r.ready;
  const head = await c.head();
  while ((r.status().block?.number ?? 0) < head) await new Promise((res) => setTimeout(res, 20));
}

describe('ethereum.call and friends at the handler block', { timeout: 120_000 }, () => {
  test('call, tryCall (reverted and not), getBalance and hasCode answer as the node did at each block', async () => {
    const r = await run();
    await indexed(r);
    const want = (await expected()).sort((a, b) => Number(a.block) - Number(b.block) || Number(a.value) - Number(b.value));
    assert.deepEqual(records(r), want);
    // declared calls (count, scores) were fetched before the handlers: no handler waited on them.
    // Each ping's own reads (half, balance, code) are distinct, so each was one blocking request.
    const reads = r.chainReads()!;
    assert.equal(reads.blocking, pings.length * 3);
    assert.ok(reads.prefetched >= 1 + pings.length, `prefetched ${reads.prefetched}`);
    await stop(r);
  });

  test('a rebuild replays the cached answers without asking the node', async () => {
    const db = join(tmp, 'replay.sqlite');
    const first = await run({ db });
    await indexed(first);
    const before = records(first);
    await stop(first);
    const again = await run({ db, rebuild: true });
    await indexed(again);
    assert.deepEqual(records(again), before);
    assert.deepEqual({ blocking: again.chainReads()!.blocking, prefetched: again.chainReads()!.prefetched }, { blocking: 0, prefetched: 0 });
    await stop(again);
  });

  test('RPC failures of eth_call are retried, never taken for reverts', async () => {
    // the node answers the first eth_calls with an internal error (not a revert message). The
    // proxy runs in its own thread: a handler's blocking eth_call holds this one
    const proxy = new Worker(
      `const { createServer } = require('node:http');
      const { parentPort, workerData } = require('node:worker_threads');
      let failures = 6;
      const server = createServer(async (req, res) => {
        const chunks = [];
        for await (const ch of req) chunks.push(ch);
        const body = JSON.parse(Buffer.concat(chunks).toString());
        const batch = Array.isArray(body) ? body : [body];
        const up = await (await fetch(workerData, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) })).json();
        const answers = up.map((a, i) => (batch[i].method === 'eth_call' && failures-- > 0 ? { jsonrpc: '2.0', id: a.id, error: { code: -32603, message: 'Internal error' } } : a));
        parentPort.postMessage({ failures });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(Array.isArray(body) ? answers : answers[0]));
      });
      server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));`,
      { eval: true, workerData: c.chain.url },
    );
    let failures = 6;
    const port = await new Promise<number>((res) =>
      proxy.on('message', (m: { port?: number; failures?: number }) => {
        if (m.port) res(m.port);
        if (m.failures !== undefined) failures = m.failures;
      }),
    );
    try {
      const r = await run({ rpcUrl: `http://127.0.0.1:${port}` });
      await indexed(r);
      assert.ok(failures < 0, 'the proxy injected its failures');
      const want = (await expected()).sort((a, b) => Number(a.block) - Number(b.block) || Number(a.value) - Number(b.value));
      assert.deepEqual(records(r), want);
      assert.equal(r.status().failed, null);
      await stop(r);
    } finally {
      await proxy.terminate();
    }
  });
});

describe('a reverting call without try_', { timeout: 60_000 }, () => {
  test('fails the handler with graph-ts\'s "Call reverted" message at that block', async () => {
    const block = await c.block([ping(c, 4, 99, EOA)]);
    const r = await run();
    await assert.rejects(r.ready, /Call reverted, probably because an `assert` or `require` in the contract failed, consider using `try_half` to handle this in the mapping/);
    assert.equal(r.status().failed?.block, block);
    assert.equal(r.status().block?.number, block - 1);
    await stop(r);
  });
});
