// Call handlers and call-filtered block handlers from the node's call traces (Hardhat 3.17 has
// debug_traceTransaction with callTracer, not debug_traceBlockByNumber): direct and internal
// calls decoded as graph-node does, in transaction order among the events, replayed by --rebuild
// from the stored traces; a node without traces is refused by name at start.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Contract } from 'ethers';
import { ConfigError, startIndexer, type IndexerConfig, type RunningIndexer } from '../../src/indexer.ts';
import { silentLogger } from '../../src/log.ts';
import { EOA, PINGER, RELAY, ping, startPingerChain, type PingerChain } from './pinger.ts';

let c: PingerChain;
let block = 0;
const tmp = mkdtempSync(join(tmpdir(), 'hessian-calls-'));
const running: RunningIndexer[] = [];
const addr: string[] = [];

before(async () => {
  c = await startPingerChain(); // blocks 1, 2: deployments
  for (const s of c.signers) addr.push((await s.getAddress()).toLowerCase());
  // block 3: tx 0 pokes through Relay (an internal call), tx 1 pings (an event), tx 2 pokes directly
  block = await c.block([
    () => (c.relay.connect(c.signers[1]!) as Contract).getFunction('relay')(PINGER, 5) as Promise<{ hash: string }>,
    ping(c, 2, 2, EOA),
    () => (c.pinger.connect(c.signers[3]!) as Contract).getFunction('poke')(7) as Promise<{ hash: string }>,
  ]);
});
after(async () => {
  for (const r of running) await r.stop();
  await c?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function traces(extra: Partial<IndexerConfig> = {}) {
  const r = await startIndexer({ rpcUrl: c.chain.url, subgraph: c.subgraphDir, db: ':memory:', port: null, pollIntervalMs: 20, logger: silentLogger, ...extra });
  running.push(r);
  await r.ready;
  while ((r.status().block?.number ?? 0) < block) await new Promise((res) => setTimeout(res, 20));
  const out = r.store
    .dump()
    .filter((row) => row.entityType === 'Trace' && Number(row.data.block) === block)
    .sort((a, b) => Number(a.data.seq) - Number(b.data.seq))
    .map((row) => `${row.data.kind}${row.data.detail ? ' ' + row.data.detail : ''}`);
  await r.stop();
  running.splice(running.indexOf(r), 1);
  return out;
}

// by hand: tx 0's internal poke (from Relay), tx 1's event, tx 2's poke (from its sender); then
// one WithCallTo(Pinger) for the calls to Pinger (tx 0's inner, tx 1, tx 2: one address, merged),
// then the every-block handler (block 3 is not a polling block: 2 + 3k)
const expected = () => [
  `call poke 5 -> 10 from ${RELAY} to ${PINGER} tx 0`,
  'event Ping 2',
  `call poke 7 -> 14 from ${addr[3]} to ${PINGER} tx 2`,
  'withCallTo',
  'every',
];

describe('call handlers', { timeout: 120_000 }, () => {
  test('direct and internal calls, decoded, in transaction order with the events', async () => {
    assert.deepEqual(await traces(), expected());
  });

  test('--rebuild replays the stored traces', async () => {
    const db = join(tmp, 'calls.sqlite');
    assert.deepEqual(await traces({ db }), expected());
    assert.deepEqual(await traces({ db, rebuild: true }), expected());
  });

  test('a node without traces is refused at start, naming the data source', async () => {
    // a proxy (own thread) that answers the trace methods as a node without them does
    const proxy = new Worker(
      `const { createServer } = require('node:http');
      const { parentPort, workerData } = require('node:worker_threads');
      const server = createServer(async (req, res) => {
        const chunks = [];
        for await (const ch of req) chunks.push(ch);
        const body = JSON.parse(Buffer.concat(chunks).toString());
        const batch = Array.isArray(body) ? body : [body];
        const up = await (await fetch(workerData, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) })).json();
        const answers = up.map((a, i) => (batch[i].method.startsWith('debug_') ? { jsonrpc: '2.0', id: a.id, error: { code: -32601, message: 'the method ' + batch[i].method + ' does not exist/is not available' } } : a));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(Array.isArray(body) ? answers : answers[0]));
      });
      server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));`,
      { eval: true, workerData: c.chain.url },
    );
    try {
      const port = await new Promise<number>((res) => proxy.once('message', res));
      await assert.rejects(
        startIndexer({ rpcUrl: `http://127.0.0.1:${port}`, subgraph: c.subgraphDir, db: ':memory:', port: null, logger: silentLogger }),
        (err: Error) => err instanceof ConfigError && /data sources Calls\) need call traces/.test(err.message) && /debug_traceTransaction/.test(err.message),
      );
    } finally {
      await proxy.terminate();
    }
  });
});
