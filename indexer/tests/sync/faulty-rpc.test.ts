// An indexer behind a misbehaving RPC (errors, timeouts, truncated bodies, dropped connections,
// null blocks, range limits) ends with exactly the store of one talking to the node directly, without crashing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startIndexer, type IndexerConfig, type RunningIndexer } from '../../src/indexer.ts';
import { silentLogger } from '../../src/log.ts';
import { dumpOf, startHessianChain, waitFor, type HessianChain } from './helpers/hessian.ts';
import { startFaultyProxy, type FaultyProxy } from './helpers/faulty-proxy.ts';

let h: HessianChain;
let proxy: FaultyProxy;
const running: RunningIndexer[] = [];

before(async () => {
  h = await startHessianChain();
  // a longer chain, so final ranges and the head window both run
  for (let i = 0; i < 30; i++) await h.send('evm_mine');
  proxy = await startFaultyProxy(h.chain.url, Number(process.env.FAULT_SEED ?? 20261121));
});
after(async () => {
  for (const r of running) await r.stop();
  await proxy?.close();
  await h?.stop();
});

async function start(extra: Partial<IndexerConfig>): Promise<RunningIndexer> {
  const r = await startIndexer({
    rpcUrl: h.chain.url,
    subgraph: h.subgraphDir,
    db: ':memory:',
    port: null,
    pollIntervalMs: 20,
    maxReorgDepth: 6,
    headBatch: 8,
    logger: silentLogger,
    ...extra,
  });
  running.push(r);
  return r;
}

async function atHead(r: RunningIndexer) {
  const head = await h.head();
  await waitFor(`indexer at block ${head}`, () => (r.status().block?.number ?? -1) >= head, 120_000);
}

describe('faulty RPC', () => {
  test('errors, timeouts, truncated and dropped responses, range limits: same final store, no crash', async () => {
    const clean = await start({});
    await clean.ready;
    const faulty = await start({ rpcUrl: proxy.url, rpcTimeoutMs: 400, rpcBatchSize: 5, logRange: { initial: 50, max: 200 } });
    await faulty.ready;
    await atHead(faulty);

    // following the head through the same proxy
    await h.createModel('faulty1');
    await h.createModel('faulty2');
    await atHead(clean);
    await atHead(faulty);

    assert.deepEqual(dumpOf(faulty.store, faulty.events), dumpOf(clean.store, clean.events));
    assert.equal(faulty.status().error, null);
    // the default seed injects every kind; another FAULT_SEED may miss a rare one
    const kinds = process.env.FAULT_SEED ? ['http503', 'truncate', 'range'] : ['http503', 'hang', 'truncate', 'reset', 'rpcError', 'nullBlock', 'range'];
    for (const kind of kinds) {
      assert.ok((proxy.injected[kind] ?? 0) > 0, `the proxy injected ${kind} (${JSON.stringify(proxy.injected)})`);
    }
    const errors = await faulty.metrics.rpcErrors.get();
    const counted = new Set(errors.values.map((v) => v.labels.kind));
    for (const k of process.env.FAULT_SEED ? ['http', 'rpc'] : ['http', 'timeout', 'invalid-response', 'rpc']) {
      assert.ok(counted.has(k as never), `rpc errors of kind ${k} counted`);
    }
  });

  test('a reorg while following the head through the faulty proxy: the store equals a fresh index', async () => {
    const faulty = await start({ rpcUrl: proxy.url, rpcTimeoutMs: 400, rpcBatchSize: 5, maxReorgDepth: 8 });
    await faulty.ready;
    await atHead(faulty);
    const snap = await h.send<string>('evm_snapshot');
    for (let i = 0; i < 3; i++) await h.createModel(`faultyOrphan${i}`);
    await atHead(faulty);
    await h.send('evm_revert', [snap]);
    await h.send('evm_mine');
    for (let i = 0; i < 3; i++) await h.createModel(`faultyCanon${i}`, 3);
    const head = await h.head();
    const hash = (await h.send<{ hash: string }>('eth_getBlockByNumber', ['0x' + head.toString(16), false])).hash.toLowerCase();
    await waitFor('the new branch', () => faulty.status().block?.hash === hash, 120_000);
    assert.ok(((await faulty.metrics.reorgs.get()).values[0]?.value ?? 0) >= 1, 'a reorg was handled');
    const fresh = await start({ maxReorgDepth: 8 });
    await fresh.ready;
    assert.deepEqual(dumpOf(faulty.store, faulty.events), dumpOf(fresh.store, fresh.events));
  });

  test('an RPC outage shows in /health and /health/ready (503, syncError) but not in /health/live; indexing resumes when it ends', async () => {
    const down = await startFaultyProxy(h.chain.url, 5, { http503: 0, hang: 0, truncate: 0, reset: 0, rpcError: 0, nullBlock: 0 });
    try {
      const r = await start({ rpcUrl: down.url, port: 0, rpcRetries: 1 });
      await r.ready;
      const health = async (path = '/health') => {
        const res = await fetch(r.origin + path);
        return { status: res.status, body: (await res.json()) as { syncError: string | null; synced: boolean } };
      };
      assert.equal((await health()).status, 200);
      down.setRates({ http503: 1 });
      await waitFor('the outage to show', () => r.status().syncError !== null, 60_000);
      const during = await health();
      assert.equal(during.status, 503);
      assert.match(during.body.syncError!, /HTTP 503/);
      assert.equal((await health('/health/ready')).status, 503);
      // a liveness probe must not restart an indexer that only waits for its RPC
      const live = await health('/health/live');
      assert.equal(live.status, 200);
      assert.match(live.body.syncError!, /HTTP 503/);
      down.setRates({ http503: 0 });
      await h.createModel('afterOutage');
      await atHead(r);
      await waitFor('health to recover', async () => (await health()).status === 200, 60_000);
      assert.equal(r.status().syncError, null);
      assert.equal(r.status().error, null);
    } finally {
      await down.close();
    }
  });
});
