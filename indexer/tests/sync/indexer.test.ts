// startIndexer end to end: real Hardhat node, real ModelRepository history, the compiled subgraph,
// the SQLite store. Parity with the mapping tests' expectations, the HTTP surface, reorgs while
// following the head, --rebuild from local history, and a deterministic handler failure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expectedEntities } from '@hessian/test-kit/expected';
import { tx } from '@hessian/test-kit/history';
import { plainEntity } from '@hessian/subgraph/tests/helpers';
import { startIndexer, type IndexerConfig, type RunningIndexer } from '../../src/indexer.ts';
import { createLogger, silentLogger } from '../../src/log.ts';
import { dumpOf, startHessianChain, waitFor, type HessianChain } from './helpers/hessian.ts';
import { startCountingProxy } from './helpers/faulty-proxy.ts';
import { SubgraphRuntime } from '../../src/runtime/runtime.ts';
import { EventStore } from '../../src/store/event-store.ts';

let h: HessianChain;
const running: RunningIndexer[] = [];

before(async () => {
  h = await startHessianChain();
});
after(async () => {
  for (const r of running) await r.stop();
  await h?.stop();
});

async function start(extra: Partial<IndexerConfig> = {}): Promise<RunningIndexer> {
  const r = await startIndexer({
    rpcUrl: h.chain.url,
    subgraph: h.subgraphDir,
    db: ':memory:',
    port: null,
    pollIntervalMs: 20,
    logger: silentLogger,
    ...extra,
  });
  running.push(r);
  return r;
}

async function stop(r: RunningIndexer) {
  await r.stop();
  running.splice(running.indexOf(r), 1);
}

async function synced(r: RunningIndexer) {
  const head = await h.head();
  const hash = ((await h.send<{ hash: string }>('eth_getBlockByNumber', ['0x' + head.toString(16), false])).hash).toLowerCase();
  await waitFor(`indexer at block ${head}`, () => r.status().block?.hash === hash);
}

describe('startIndexer over the scripted history', () => {
  test('handler parity: every entity equals what the mapping tests expect', async () => {
    const r = await start();
    await r.ready;
    // two contracts, each its own address and start block (LoanDesk is deployed after ModelRepository)
    const { ModelRepository: repo, LoanDesk: desk } = h.record.deployment.contracts;
    assert.deepEqual(
      r.subgraph.manifest.dataSources.map((ds) => [ds.name, ds.address, ds.startBlock]),
      [['ModelRepository', repo.address.toLowerCase(), repo.startBlock], ['LoanDesk', desk!.address.toLowerCase(), desk!.startBlock]],
    );
    assert.ok(desk!.startBlock > repo.startBlock);
    const expected = expectedEntities(h.record);
    for (const [entityType, rows] of Object.entries(expected)) {
      const def = r.subgraph.schema.entities.get(entityType)!;
      const fields = def.fields.filter((f) => !f.derivedFrom).map((f) => f.name);
      const current = r.store.dump().filter((d) => d.entityType === entityType && d.blockEnd === null);
      assert.deepEqual(current.map((d) => d.id).sort(), Object.keys(rows).sort(), `${entityType} ids`);
      for (const [id, want] of Object.entries(rows)) {
        const got = r.store.get(entityType, id);
        assert.ok(got, `${entityType} ${id} missing`);
        assert.deepStrictEqual(plainEntity(got, fields), want, `${entityType} ${id}`);
      }
    }
    const s = r.status();
    assert.equal(s.synced, true);
    assert.equal(s.block!.number, await h.head());
    assert.equal(s.failed, null);
    await stop(r);
  });

  test('while catching up, the next range is fetched while the handlers run the current one', async () => {
    const proxy = await startCountingProxy(h.chain.url);
    // handlers made slower from outside (the real ones still run), so that one batch outlasts several turns of the event loop
    const processBlockSync = SubgraphRuntime.prototype.processBlockSync;
    const append = EventStore.prototype.append;
    SubgraphRuntime.prototype.processBlockSync = function (this: SubgraphRuntime, ...args: Parameters<typeof processBlockSync>) {
      const until = performance.now() + 20;
      while (performance.now() < until);
      return processBlockSync.apply(this, args);
    };
    EventStore.prototype.append = function (this: EventStore, batch: Parameters<typeof append>[0]) {
      proxy.received.push({ method: 'commit', params: [batch.to.number] });
      return append.call(this, batch);
    };
    try {
      const r = await start({ rpcUrl: proxy.url, headBatch: 10 });
      await r.ready;
      SubgraphRuntime.prototype.processBlockSync = processBlockSync;
      EventStore.prototype.append = append;
      const parity = await start();
      await parity.ready;
      assert.deepEqual(dumpOf(r.store, r.events), dumpOf(parity.store, parity.events));
      await stop(parity);
      await stop(r);
      // was the next range's eth_getLogs (asked after the range end's header) received before the
      // current batch committed? Without turns of the event loop during the handlers, never.
      const commits: number[] = [];
      let ahead = 0;
      let lastCommit = -1;
      for (const c of proxy.received) {
        if (c.method === 'commit') {
          commits.push(c.params[0] as number);
          lastCommit = c.params[0] as number;
        } else if (c.method === 'eth_getLogs' && lastCommit >= 0) {
          const from = Number(BigInt((c.params[0] as { fromBlock: string }).fromBlock));
          if (from > lastCommit + 1) ahead++;
        }
      }
      assert.ok(commits.length >= 5, `several batches (${commits.length})`);
      // not all: the node's answer may come after a batch's handlers are done
      assert.ok(ahead >= Math.floor(commits.length / 2), `eth_getLogs of the next range before the commit of the current one: ${ahead} of ${commits.length} batches`);
    } finally {
      SubgraphRuntime.prototype.processBlockSync = processBlockSync;
      EventStore.prototype.append = append;
      await proxy.close();
    }
  });

  test('structured JSON logs with backfill progress (blocks/s, events/s, ETA)', async () => {
    const lines: string[] = [];
    const r = await start({
      logger: createLogger({ level: 'info', write: (l) => lines.push(l) }),
      progressIntervalSeconds: 0.001,
      logRange: { initial: 1, max: 1 },
      maxReorgDepth: 3,
    });
    await r.ready;
    await stop(r);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(entries.every((e) => typeof e.time === 'string' && typeof e.level === 'string' && typeof e.msg === 'string'));
    const progress = entries.filter((e) => e.msg === 'backfill progress');
    assert.ok(progress.length > 3, `${progress.length} progress lines`);
    for (const p of progress) {
      assert.equal(typeof p.blocksPerSecond, 'number');
      assert.equal(typeof p.eventsPerSecond, 'number');
      assert.ok(p.etaSeconds === null || typeof p.etaSeconds === 'number');
      assert.ok((p.block as number) < (p.chainHead as number));
    }
    assert.ok(progress.some((p) => (p.blocksPerSecond as number) > 0 && (p.etaSeconds as number) > 0));
    assert.ok(entries.some((e) => e.msg === 'caught up with the chain head'));
  });

  test('serves GraphQL, /health and /metrics', async () => {
    const r = await start({ port: 0 });
    await r.ready;
    const res = await fetch(r.url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ _meta { block { number } hasIndexingErrors } models(orderBy: id) { id } }' }),
    });
    const body = (await res.json()) as { data: { _meta: { block: { number: number }; hasIndexingErrors: boolean }; models: { id: string }[] } };
    assert.equal(body.data._meta.block.number, await h.head());
    assert.equal(body.data._meta.hasIndexingErrors, false);
    assert.deepEqual(body.data.models.map((m) => m.id).sort(), Object.keys(expectedEntities(h.record).Model!).sort());

    const health = await fetch(r.origin + '/health');
    assert.equal(health.status, 200);
    const hb = (await health.json()) as { synced: boolean; lag: number; healthy: boolean };
    assert.equal(hb.synced, true);
    assert.equal(hb.healthy, true);
    assert.equal(hb.lag, 0);

    const metrics = await (await fetch(r.origin + '/metrics')).text();
    const value = (name: string) => Number(metrics.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm'))?.[1]);
    const events = h.record.txs.reduce((n, t) => n + t.logIndexes.length, 0);
    assert.equal(value('hessian_indexer_events_processed_total'), events);
    assert.equal(value('hessian_indexer_indexed_block'), await h.head());
    assert.equal(value('hessian_indexer_head_lag_blocks'), 0);
    assert.ok(value('hessian_indexer_rpc_requests_total') > 0);
    assert.match(metrics, /hessian_indexer_block_handler_seconds_bucket/);
    await stop(r);
  });

  test('/metrics counts the GraphQL result cache: hits, misses, entries, bytes; a new block empties it', async () => {
    const r = await start({ port: 0 });
    await r.ready;
    const query = (q: string) => fetch(r.url!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q }) }).then((res) => res.json());
    const scrape = async () => {
      const text = await (await fetch(r.origin + '/metrics')).text();
      const value = (name: string) => {
        const m = text.match(new RegExp(`^hessian_indexer_graphql_cache_${name} (\\S+)$`, 'm'));
        assert.ok(m, `hessian_indexer_graphql_cache_${name} is exposed`);
        return Number(m[1]);
      };
      return { hits: value('hits_total'), misses: value('misses_total'), entries: value('entries'), bytes: value('bytes') };
    };
    assert.deepEqual(await scrape(), { hits: 0, misses: 0, entries: 0, bytes: 0 });
    const models = '{ models(orderBy: id) { id } }';
    const first = await query(models);
    await query(models);
    await query(models);
    await query('{ accounts(first: 3, orderBy: id) { id } }');
    const s1 = await scrape();
    assert.deepEqual({ hits: s1.hits, misses: s1.misses, entries: s1.entries }, { hits: 2, misses: 2, entries: 2 });
    assert.ok(s1.bytes > JSON.stringify(first).length, `bytes ${s1.bytes} cover the kept answers`);
    assert.deepEqual(await scrape(), s1, 'a scrape does not count as a query');
    assert.deepEqual(r.cacheStats(), s1);

    // a new (eventless) block moves the head: the next answer is computed again and the old ones are gone
    await h.send('evm_mine', []);
    await synced(r);
    assert.deepEqual(await query(models), first);
    const s2 = await scrape();
    assert.deepEqual({ hits: s2.hits, misses: s2.misses, entries: s2.entries }, { hits: 2, misses: 3, entries: 1 });
    assert.ok(s2.bytes < s1.bytes);
    await stop(r);

    const off = await start({ port: 0, resultCacheBytes: 0 });
    await off.ready;
    const text = async () => (await (await fetch(off.origin + '/metrics')).text());
    for (let i = 0; i < 2; i++) await fetch(off.url!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: models }) });
    assert.match(await text(), /^hessian_indexer_graphql_cache_hits_total 0$/m);
    assert.match(await text(), /^hessian_indexer_graphql_cache_entries 0$/m);
    assert.deepEqual(off.cacheStats(), { hits: 0, misses: 0, entries: 0, bytes: 0 });
    await stop(off);
    await assert.rejects(start({ resultCacheBytes: -1 }), /invalid resultCacheBytes: -1/);
  });

  for (const depth of [1, 3, 5]) {
    test(`reorg of depth ${depth} while following the head: the store equals a fresh index of the canonical chain`, async () => {
      const r = await start({ maxReorgDepth: 10 });
      await r.ready;
      const snap = await h.send<string>('evm_snapshot');
      for (let i = 0; i < depth; i++) await h.createModel(`orphan${depth}x${i}`);
      await synced(r);
      const orphanedModels = r.store.dump().filter((d) => d.entityType === 'Model').length;
      await h.send('evm_revert', [snap]);
      // the new branch: other transactions from another lender, one block longer
      await h.send('evm_mine');
      for (let i = 0; i < depth; i++) await h.createModel(`canon${depth}x${i}`, 2);
      await synced(r);
      assert.ok(((await r.metrics.reorgs.get()).values[0]?.value ?? 0) >= 1, 'a reorg was handled');
      const fresh = await start({ maxReorgDepth: 10 });
      await fresh.ready;
      await synced(fresh);
      assert.deepEqual(dumpOf(r.store, r.events), dumpOf(fresh.store, fresh.events));
      const cids = r.store.dump().filter((d) => d.entityType === 'Model').map((d) => String(d.data.weightsCid ?? d.data.initialWeightsCid ?? ''));
      assert.ok(!cids.some((c) => c.includes('orphan')), 'no entity of the orphaned branch survives');
      assert.ok(orphanedModels > 0);
      await stop(fresh);
      await stop(r);
    });
  }

  test('confirmations: blocks are indexed only once that many blocks sit on top of them', async () => {
    const r = await start({ confirmations: 3 });
    await r.ready;
    assert.equal(r.status().block!.number, (await h.head()) - 3);
    assert.equal(r.status().lag, 3);
    await h.createModel('confirm');
    const created = await h.head();
    const models = () => r.store.dump().filter((d) => d.entityType === 'Model' && d.data.initialWeightsCid === 'bafkreiweightsconfirm');
    await h.send('evm_mine');
    await h.send('evm_mine');
    await waitFor('cursor two blocks below the new model', () => r.status().block!.number === created - 1);
    assert.equal(models().length, 0, 'not indexed with two confirmations');
    await h.send('evm_mine');
    await waitFor('the new model', () => models().length === 1);
    assert.equal(r.status().block!.number, created);
    await stop(r);
  });

  test('--rebuild re-indexes from the stored chain data to the same store', async () => {
    const file = path.join(h.workDir, 'rebuild.sqlite');
    const first = await start({ db: file });
    await first.ready;
    const before = dumpOf(first.store, first.events);
    await stop(first);
    const again = await start({ db: file, rebuild: true });
    await again.ready;
    assert.deepEqual(dumpOf(again.store, again.events), before);
    // every block was re-run through the handlers, not copied
    const stored = again.events.counts().logs;
    assert.ok(stored >= h.record.txs.reduce((n, t) => n + t.logIndexes.length, 0));
    assert.equal((await again.metrics.eventsProcessed.get()).values[0]!.value, stored);
    await stop(again);
  });

  test('a changed subgraph build is refused without --rebuild, with a clear message', async () => {
    const file = path.join(h.workDir, 'changed.sqlite');
    const first = await start({ db: file });
    await first.ready;
    await stop(first);
    const manifest = path.join(h.subgraphDir, 'subgraph.yaml');
    const original = readFileSync(manifest, 'utf8');
    try {
      writeFileSync(manifest, original.replace('description:', 'description: changed'));
      await assert.rejects(start({ db: file }), /different build of the subgraph.*--rebuild/s);
      // with --rebuild the changed build re-indexes from the stored logs: no eth_getLogs at all
      const rebuilt = await start({ db: file, rebuild: true });
      await rebuilt.ready;
      const getLogs = (await rebuilt.metrics.rpcRequests.get()).values.find((v) => v.labels.method === 'eth_getLogs')?.value ?? 0;
      assert.equal(getLogs, 0);
      assert.equal(rebuilt.status().block!.number, await h.head());
      assert.ok(rebuilt.store.dump().length > 0);
      await stop(rebuilt);
    } finally {
      writeFileSync(manifest, original);
    }
  });

  test('--rebuild after a data source change: refetches only when the stored logs do not cover it', async () => {
    const file = path.join(h.workDir, 'sources.sqlite');
    const first = await start({ db: file });
    await first.ready;
    await stop(first);
    const manifest = path.join(h.subgraphDir, 'subgraph.yaml');
    const original = readFileSync(manifest, 'utf8');
    const getLogs = async (r: RunningIndexer) => (await r.metrics.rpcRequests.get()).values.find((v) => v.labels.method === 'eth_getLogs')?.value ?? 0;
    // after the history: handlers would (rightly) fail on gradients of models created before the start
    const afterHistory = h.record.lastBlock + 1;
    try {
      // a later start block (both data sources): the stored logs still cover it
      writeFileSync(manifest, original.replace(/startBlock: \d+/g, `startBlock: ${afterHistory}`));
      const later = await start({ db: file, rebuild: true });
      await later.ready;
      assert.equal(await getLogs(later), 0);
      const historyModels = Object.keys(expectedEntities(h.record).Model!);
      assert.ok(!later.store.dump().some((d) => d.entityType === 'Model' && historyModels.includes(d.id)), 'the history is before the new start block');
      await stop(later);
      // another address (both data sources): the stored logs say nothing about it
      const token = h.record.deployment.contracts.TestToken!.address.toLowerCase();
      writeFileSync(manifest, original.replace(/address: "?0x[0-9a-fA-F]{40}"?/g, `address: "${token}"`));
      const lines: string[] = [];
      const other = await start({ db: file, rebuild: true, logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }) });
      await other.ready;
      assert.ok((await getLogs(other)) > 0, 'chain data fetched again');
      assert.ok(lines.some((l) => l.includes('the data sources changed')));
      assert.equal(other.events.counts().logs, 0);
      assert.equal(other.store.dump().length, 0);
      await stop(other);
    } finally {
      writeFileSync(manifest, original);
    }
  });

  test('a deterministic handler error stops indexing at its block and marks the subgraph failed', async () => {
    // route ModelCreated to the handler of another event: its params do not fit, the handler aborts
    const manifest = path.join(h.subgraphDir, 'subgraph.yaml');
    const original = readFileSync(manifest, 'utf8');
    const broken = original.replace(/(event: BountyAdded\([^)]*\)\s*\n\s*handler: )(\w+)/, '$1handleModelCreated');
    assert.notEqual(broken, original, 'the manifest was rewritten');
    writeFileSync(manifest, broken);
    const file = path.join(h.workDir, 'failed.sqlite');
    try {
      const r = await start({ port: 0, db: file });
      await assert.rejects(r.ready, /the subgraph failed at block \d+/);
      const failed = r.store.getFailed()!;
      assert.ok(failed, 'failure recorded');
      const firstTopUp = tx(h.record, 'top up m1');
      assert.equal(failed.blockNumber, firstTopUp.blockNumber);
      assert.equal(r.store.getCursor()!.number, firstTopUp.blockNumber - 1, 'indexed up to the block before, not beyond');
      // the blocks before the failure are all there
      assert.ok(r.store.get('Model', '1'), 'model 1, created before the failure');
      assert.match(failed.handler ?? '', /handleModelCreated/);
      const health = await fetch(r.origin + '/health');
      assert.equal(health.status, 503);
      assert.equal(((await health.json()) as { failed: unknown }).failed !== null, true);
      await r.done;
      const dump = dumpOf(r.store, r.events);
      await stop(r);
      // a restart does not retry a deterministic failure, and changes nothing
      const again = await start({ db: file });
      await assert.rejects(again.ready, /the subgraph failed at block/);
      assert.deepEqual(dumpOf(again.store, again.events), dump);
      await stop(again);
    } finally {
      writeFileSync(manifest, original);
    }
  });
});
