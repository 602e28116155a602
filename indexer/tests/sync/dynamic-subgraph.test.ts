// The dynamic-subgraph fixture against a real Hardhat node. Templates: a Factory's handlers
// create Pair data sources (dataSource.create / createWithContext), which the indexer follows
// from their creating block on in graph-node's order, keeps across restarts (kill -9 included)
// and drops in a reorg. An anonymous event matched by the manifest's `topic0`. Non-fatal errors
// (`features: [nonFatalErrors]`) with graph-node's query and status API answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startIndexer, type IndexerConfig, type RunningIndexer } from '../../src/indexer.ts';
import { silentLogger } from '../../src/log.ts';
import { openDatabase, type Db } from '../../src/db.ts';
import { DynamicSourceStore } from '../../src/store/dynamic-sources.ts';
import type { DumpRow } from '../../src/store/entity-store.ts';
import { dumpFile, dumpOf, waitFor } from './helpers/hessian.ts';
import { startFactoryChain, type FactoryChain } from './helpers/factory-chain.ts';
import { id as keccakText } from 'ethers';

const hessian = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'cli', 'hessian.ts');
let h: FactoryChain;
let work: string;
const running: RunningIndexer[] = [];

before(async () => {
  h = await startFactoryChain();
  work = await mkdtemp(path.join(tmpdir(), 'hessian-dynamic-'));
});
after(async () => {
  for (const r of running) await r.stop();
  await h?.stop();
  await rm(work, { recursive: true, force: true });
});

async function start(extra: Partial<IndexerConfig> = {}): Promise<RunningIndexer> {
  const r = await startIndexer({ rpcUrl: h.chain.url, subgraph: h.subgraphDir, db: ':memory:', port: null, pollIntervalMs: 20, logger: silentLogger, ...extra });
  running.push(r);
  return r;
}
async function stop(r: RunningIndexer) {
  await r.stop();
  running.splice(running.indexOf(r), 1);
}
async function synced(r: RunningIndexer) {
  const head = await h.head();
  const hash = (await h.send<{ hash: string }>('eth_getBlockByNumber', ['0x' + head.toString(16), false])).hash.toLowerCase();
  await waitFor(`indexer at block ${head}`, () => r.status().block?.hash === hash);
}
const dynamicRows = (db: Db) => new DynamicSourceStore(db).load();
const current = (rows: DumpRow[], type: string) => rows.filter((d) => d.entityType === type && d.blockEnd === null);
const pings = (r: RunningIndexer) =>
  current(r.store.dump(), 'Ping')
    .map((d) => d.data)
    .sort((a, b) => Number(a.seq) - Number(b.seq));
const ping = (address: string, value: number, note: string) => h.pair(address).getFunction('ping')(value, note).then((tx: { wait(): Promise<unknown> }) => tx.wait());

// pairs the template tests create; the later tests use them too
let alpha: string;
let gamma: string;
let plain: string;

describe('data source templates', () => {
  test('created data sources are indexed from their creating block on, in graph-node order, with their context', async () => {
    const creator = (await h.signer.getAddress()).toLowerCase();
    // PairCreated, then (same transaction) the new pair's first Ping: the creating block's own log
    alpha = await h.create('alpha', 7);
    // a pair that pings before (and after) the factory registers it, all in one block: graph-node
    // runs the block's triggers first, then the block again for the new data source only
    gamma = await h.deployPair();
    await h.oneBlock([
      (o) => h.pair(gamma).getFunction('ping')(5, 'before', o),
      (o) => h.factory.getFunction('register')(gamma, 'gamma', o),
      (o) => h.pair(gamma).getFunction('ping')(6, 'after', o),
    ]);
    plain = await h.create('plain', 0);
    await ping(plain, 1, 'no context');
    await ping(alpha, 8, 'later');
    // the same template, address and context again: a duplicate, not a second data source
    await (await h.factory.getFunction('register')(gamma, 'gamma')).wait();
    await ping(gamma, 9, 'once');
    // a pair no handler created a data source for
    const stray = await h.deployPair();
    await ping(stray, 99, 'nobody');

    const r = await start();
    await r.ready;
    await synced(r);
    const got = pings(r);
    assert.deepEqual(
      got.map((p) => [p.pair, p.value, p.note, p.seq]),
      [
        [alpha, '7', 'born', 1],
        [gamma, '5', 'before', 3],
        [gamma, '6', 'after', 4],
        [plain, '1', 'no context', 6],
        [alpha, '8', 'later', 7],
        [gamma, '9', 'once', 9],
      ],
    );
    assert.deepEqual(current(r.store.dump(), 'Sequence')[0]!.data.next, 10);
    const first = got[0]!;
    assert.equal(first.dsAddress, alpha);
    assert.equal(first.network, 'hardhat');
    assert.deepEqual(
      [first.ctxTag, first.ctxBig, first.ctxBytes, first.ctxFlag, first.ctxInt, first.ctxDecimal, first.ctxList, first.ctxKeys],
      ['alpha', '-123456789012345678901234567890', creator, true, -7, '1.25', ['a', 'alpha'], 7],
    );
    assert.deepEqual([got[3]!.ctxKeys, got[3]!.ctxTag ?? null], [0, null]);
    const rows = dynamicRows(r.db);
    assert.deepEqual(
      rows.map((d) => [d.seq, d.template, d.address, d.context === null ? null : (d.context.tag as { value: string }).value]),
      [
        [0, 'Pair', alpha, 'alpha'],
        [1, 'Pair', gamma, 'gamma'],
        [2, 'Pair', plain, null],
      ],
    );
    const blockOf = async (address: string) => {
      const logs = await h.send<Array<{ blockNumber: string }>>('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address, topics: [] }]);
      return Number(BigInt(logs[0]!.blockNumber));
    };
    assert.equal(rows[0]!.creationBlock, await blockOf(alpha));
    assert.equal(rows[1]!.creationBlock, await blockOf(gamma));

    // a second run over the same chain, from scratch, with one block per step: the same store
    const small = await start({ logRange: { initial: 1, max: 1 }, headBatch: 1 });
    await small.ready;
    await synced(small);
    assert.deepEqual(dumpOf(small.store, small.events), dumpOf(r.store, r.events));
    assert.deepEqual(dynamicRows(small.db), rows);
    await stop(small);
    // and with nearly every block final: wide eth_getLogs ranges whose carried logs predate the new addresses
    const final = await start({ maxReorgDepth: 2 });
    await final.ready;
    await synced(final);
    assert.deepEqual(dumpOf(final.store, final.events).entities, dumpOf(r.store, r.events).entities);
    assert.deepEqual(dynamicRows(final.db), rows);
    await stop(final);

    // --rebuild replays the stored chain data, creating the same data sources again
    const file = path.join(work, 'rebuild.sqlite');
    const a = await start({ db: file });
    await a.ready;
    await stop(a);
    const rebuilt = await start({ db: file, rebuild: true });
    await rebuilt.ready;
    assert.deepEqual(dumpOf(rebuilt.store, rebuilt.events).entities, dumpOf(r.store, r.events).entities);
    assert.deepEqual(dynamicRows(rebuilt.db), rows);
    await stop(rebuilt);
    await stop(r);
  });

  test('kill -9 and a restart: the created data sources are loaded from the store and followed', async () => {
    const db = path.join(work, 'killed.sqlite');
    const child = spawn(process.execPath, [hessian, 'index', '--rpc', h.chain.url, '--subgraph', h.subgraphDir, '--db', db, '--port', '0', '--index-node-port', 'off', '--poll-interval', '20', '--log-level', 'warn'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise((res) => child.once('exit', res));
    const head = await h.head();
    const cursor = () => {
      try {
        const d = openDatabase(db, { readonly: true });
        try {
          const row = d.prepare(`SELECT value FROM store_meta WHERE key = 'cursor'`).get() as { value: string } | undefined;
          return row ? (JSON.parse(row.value) as { number: number }).number : -1;
        } finally {
          d.close();
        }
      } catch {
        return -1;
      }
    };
    await waitFor(`the CLI at block ${head} (${stderr})`, () => cursor() >= head);
    child.kill('SIGKILL');
    await exited;
    // pings of data sources created before the kill: only a restored data source sees them
    await ping(alpha, 21, 'after the kill');
    await ping(plain, 22, 'after the kill');
    const second = spawn(process.execPath, [hessian, 'index', '--rpc', h.chain.url, '--subgraph', h.subgraphDir, '--db', db, '--port', '0', '--index-node-port', 'off', '--exit-when-synced', '--log-level', 'warn'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err2 = '';
    second.stderr!.on('data', (c: Buffer) => (err2 += c.toString()));
    assert.equal(await new Promise((res) => second.once('exit', res)), 0, err2);

    const fresh = await start();
    await fresh.ready;
    await synced(fresh);
    const after = dumpFile(db, h.subgraphDir);
    assert.deepEqual(after, dumpOf(fresh.store, fresh.events));
    assert.deepEqual(
      current(after.entities, 'Ping').filter((p) => p.data.note === 'after the kill').map((p) => p.data.pair).sort(),
      [alpha, plain].sort(),
    );
    const file = openDatabase(db, { readonly: true });
    try {
      assert.deepEqual(dynamicRows(file), dynamicRows(fresh.db));
    } finally {
      file.close();
    }
    await stop(fresh);
  });

  test('a reorg below the creating block drops the data source; the new branch creates its own', async () => {
    const r = await start({ maxReorgDepth: 10 });
    await r.ready;
    const before = dynamicRows(r.db).length;
    const snap = await h.send<string>('evm_snapshot');
    const orphan = await h.create('orphan', 3);
    await ping(orphan, 4, 'orphaned');
    await synced(r);
    assert.equal(dynamicRows(r.db).length, before + 1);
    await h.send('evm_revert', [snap]);
    // the new branch is longer; the factory's nonce is back, so its next pair has the same address
    await h.send('evm_mine');
    const canon = await h.create('canon', 0);
    assert.equal(canon, orphan);
    await ping(canon, 5, 'canonical');
    await synced(r);
    assert.ok(((await r.metrics.reorgs.get()).values[0]?.value ?? 0) >= 1, 'a reorg was handled');
    const rows = dynamicRows(r.db);
    assert.deepEqual(rows.slice(before).map((d) => (d.context!.tag as { value: string }).value), ['canon']);
    // a data source that survived the reorg would have run handlePing with the orphan's context too
    const of = pings(r).filter((p) => p.pair === canon);
    assert.deepEqual(of.map((p) => [p.note, p.ctxTag]), [['canonical', 'canon']]);
    const fresh = await start({ maxReorgDepth: 10 });
    await fresh.ready;
    await synced(fresh);
    assert.deepEqual(dumpOf(r.store, r.events), dumpOf(fresh.store, fresh.events));
    assert.deepEqual(rows, dynamicRows(fresh.db));
    await stop(fresh);
    await stop(r);
  });

  test('an anonymous event is matched by the manifest\'s topic0 (its first indexed parameter), as graph-node does', async () => {
    const marker = keccakText('hessian.marker');
    await (await h.factory.getFunction('mark')(marker, 42)).wait();
    // the same anonymous event with another first topic: no handler's topic0
    await (await h.factory.getFunction('mark')(keccakText('another marker'), 43)).wait();
    const logs = await h.send<Array<{ topics: string[] }>>('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: h.factory.target, topics: [marker] }]);
    assert.deepEqual(logs.map((l) => l.topics.length), [1], 'no signature topic: the marker is the only one');
    const r = await start();
    await r.ready;
    await synced(r);
    const marks = current(r.store.dump(), 'Mark').map((d) => [d.data.marker, d.data.value]);
    assert.deepEqual(marks, [[marker, '42']]);
    await stop(r);
  });
});

describe('non-fatal errors (features: [nonFatalErrors])', () => {
  test('a failing handler is skipped with its writes; queries answer indexing_error unless subgraphError: allow; the status API lists the errors', async () => {
    const r = await start({ port: 0, indexNodePort: 0 });
    await r.ready;
    await synced(r);
    const cleanBlock = await h.head();
    const seqBefore = current(r.store.dump(), 'Sequence')[0]!.data.next as number;
    const pingsBefore = Number(current(r.store.dump(), 'Pair').find((p) => p.id === alpha)!.data.pings);
    // one block: the middle handler writes a Ping, bumps the sequence and the pair, then fails
    await h.oneBlock([
      (o) => h.pair(alpha).getFunction('ping')(12, 'fine before', o),
      (o) => h.pair(alpha).getFunction('ping')(13, 'unlucky', o),
      (o) => h.pair(alpha).getFunction('ping')(14, 'fine after', o),
    ]);
    const errorBlock = await h.head();
    // a handler asking for a template that does not exist: its Pair entity is discarded too
    const bad = await h.create('bad-template', 0);
    await synced(r);
    assert.deepEqual(r.status().failed, null, 'not failed: indexing went on');
    const all = r.store.dump();
    const notes = current(all, 'Ping').filter((p) => p.data.pair === alpha && [12, 13, 14].includes(Number(p.data.value)));
    assert.deepEqual(notes.map((p) => [p.data.note, p.data.seq]), [['fine before', seqBefore], ['fine after', seqBefore + 1]]);
    assert.equal(Number(current(all, 'Pair').find((p) => p.id === alpha)!.data.pings), pingsBefore + 2);
    assert.equal(current(all, 'Pair').find((p) => p.id === bad), undefined);
    // the bad-template handler's nextSeq() was discarded with it
    assert.equal(current(all, 'Sequence')[0]!.data.next, seqBefore + 2);

    const query = async (q: string) => (await fetch(r.url!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q }) })).json();
    // graph-node's StoreResolver::post_process: deny (the default) keeps only _meta; allow keeps the data
    assert.deepEqual(await query('{ pings(where: { note: "fine after" }) { value } }'), { errors: [{ message: 'indexing_error' }] });
    assert.deepEqual(await query('{ pings(where: { note: "fine after" }, subgraphError: allow) { value } }'), {
      data: { pings: [{ value: '14' }] },
      errors: [{ message: 'indexing_error' }],
    });
    assert.deepEqual(await query('{ pings(where: { note: "fine after" }) { value } _meta { hasIndexingErrors } }'), {
      data: { _meta: { hasIndexingErrors: true } },
      errors: [{ message: 'indexing_error' }],
    });
    // only debugging fields: no error added
    assert.deepEqual(await query('{ _meta { hasIndexingErrors } }'), { data: { _meta: { hasIndexingErrors: true } } });
    // one field denying makes the whole query deny (Query::block_constraint)
    assert.deepEqual(await query('{ a: pings(first: 1, subgraphError: allow) { id } b: pairs(first: 1) { id } }'), { errors: [{ message: 'indexing_error' }] });
    // a block before the first error has none
    const before = (await query(`{ pings(first: 1, block: { number: ${cleanBlock} }) { id } _meta(block: { number: ${cleanBlock} }) { hasIndexingErrors } }`)) as { data: { _meta: unknown }; errors?: unknown };
    assert.deepEqual([before.data._meta, before.errors], [{ hasIndexingErrors: false }, undefined]);

    const status = async (q: string) =>
      (await (await fetch(r.indexNodeUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q }) })).json()) as { data: Record<string, unknown>; errors?: { message: string }[] };
    const s = await status('{ indexingStatuses { health fatalError { message } nonFatalErrors { message handler deterministic block { number } } } }');
    const [st] = s.data.indexingStatuses as Array<{ health: string; fatalError: unknown; nonFatalErrors: Array<{ message: string; handler: string; deterministic: boolean; block: { number: number } }> }>;
    assert.equal(st!.health, 'unhealthy');
    assert.equal(st!.fatalError, null);
    assert.deepEqual(st!.nonFatalErrors.map((e) => [e.handler, e.deterministic, e.block.number]), [
      ['handlePing', true, errorBlock],
      ['handlePairCreated', true, errorBlock + 1],
    ]);
    assert.match(st!.nonFatalErrors[0]!.message, /^transaction [0-9a-f]{64}: Mapping aborted at .*, with message: unlucky ping$/);
    assert.match(
      st!.nonFatalErrors[1]!.message,
      /: Failed to create data source from name `NoSuchTemplate`: No template with this name in parent data source `Factory`\. Available names: Pair\.$/,
    );

    // subgraphFeatures, blockHashFromNumber, apiVersions as graph-node answers them
    const f = await status(`{ subgraphFeatures(subgraphId: "${r.deployment}") { specVersion apiVersion features dataSources handlers network } apiVersions(subgraphId: "${r.deployment}") { version } blockHashFromNumber(network: "hardhat", blockNumber: 1) other: blockHashFromNumber(network: "mainnet", blockNumber: 1) }`);
    const block1 = await h.send<{ hash: string }>('eth_getBlockByNumber', ['0x1', false]);
    assert.deepEqual(f, {
      data: {
        subgraphFeatures: { specVersion: '1.0.0', apiVersion: '0.0.9', features: ['nonFatalErrors', 'immutableEntities', 'bytesAsIds'], dataSources: ['ethereum'], handlers: ['event'], network: 'hardhat' },
        apiVersions: [{ version: '1.0.0' }],
        blockHashFromNumber: block1.hash.slice(2),
        other: null,
      },
    });
    const unknown = await status('{ subgraphFeatures(subgraphId: "not-a-hash!") { specVersion } }');
    assert.deepEqual(unknown.errors?.map((e) => e.message), ['Failed to get subgraph ID from type: `not-a-hash!`']);

    // a reorg below the error's block takes the error with it
    const snap = await h.send<string>('evm_snapshot');
    await ping(alpha, 13, 'unlucky again');
    await synced(r);
    const count = async () => ((await status('{ indexingStatuses { nonFatalErrors { message } } }')).data.indexingStatuses as Array<{ nonFatalErrors: unknown[] }>)[0]!.nonFatalErrors.length;
    assert.equal(await count(), 3);
    await h.send('evm_revert', [snap]);
    await h.send('evm_mine');
    await h.send('evm_mine');
    await synced(r);
    assert.equal(await count(), 2);
    await stop(r);
  });
});
