// The HTTP result cache (src/graphql/result-cache.ts): answers are reused only at the head they
// were computed at. A new block, a reorg, a revert, a recorded failure or a write by another
// connection to the same database is seen by the very next request, `_meta` included.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGraphqlServer, type GraphqlServer } from '../../src/graphql/server.ts';
import { ResultCache } from '../../src/graphql/result-cache.ts';
import { openDatabase } from '../../src/db.ts';
import { parseSchema } from '../../src/schema.ts';
import { EntityStore } from '../../src/store/entity-store.ts';
import type { BlockPtr, EntityChange } from '../../src/types.ts';
import { int, ptr, str } from '../store/fixtures.ts';
import { data, post } from './client.ts';
import { MUSIC_SCHEMA } from './music.ts';

const thing = (id: string, n: number): EntityChange => ({ entityType: 'Thing', id, data: { id: str(id), int: int(n) } });
/** block `n` of another branch: same number, other hash */
const fork = (n: number): BlockPtr => ({ ...ptr(n), hash: '0x' + (0xf000 + n).toString(16).padStart(64, '0') });

const Q = `{ _meta { block { number hash } hasIndexingErrors } things(orderBy: id) { id int } }`;
const answer = (n: number, hash: string, things: [string, number][]) => ({
  _meta: { block: { number: n, hash }, hasIndexingErrors: false },
  things: things.map(([id, v]) => ({ id, int: v })),
});

describe('result cache', () => {
  let dir: string;
  let store: EntityStore;
  let server: GraphqlServer;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hessian-result-cache-'));
    store = new EntityStore(openDatabase(path.join(dir, 'index.sqlite')), parseSchema(MUSIC_SCHEMA));
    store.applyBlock(ptr(0), [thing('a', 1)]);
    store.applyBlock(ptr(1), [thing('b', 2)]);
    server = await createGraphqlServer({ store, schema: parseSchema(MUSIC_SCHEMA), subgraphName: 'c' });
  });
  after(async () => {
    await server.close();
    store.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** the answer, and whether it came from the cache */
  const ask = async (query = Q, variables?: Record<string, unknown>) => {
    const before = server.cacheStats().hits;
    const body = await data(server.url, query, variables);
    return { body, hit: server.cacheStats().hits > before };
  };

  test('the same query at the same head is answered from the cache, with the same answer', async () => {
    const first = await ask();
    assert.equal(first.hit, false);
    assert.deepEqual(first.body, answer(1, ptr(1).hash, [['a', 1], ['b', 2]]));
    const second = await ask();
    assert.equal(second.hit, true);
    assert.deepEqual(second.body, first.body);
    // other variables are another query
    const q = `query($id: ID!) { thing(id: $id) { int } }`;
    assert.deepEqual((await ask(q, { id: 'a' })).body, { thing: { int: 1 } });
    assert.deepEqual((await ask(q, { id: 'b' })).body, { thing: { int: 2 } });
    assert.equal((await ask(q, { id: 'b' })).hit, true);
  });

  test('a new block is seen by the next request', async () => {
    await ask();
    store.applyBlock(ptr(2), [thing('a', 10)]);
    const next = await ask();
    assert.equal(next.hit, false);
    assert.deepEqual(next.body, answer(2, ptr(2).hash, [['a', 10], ['b', 2]]));
    // a block without changes moves `_meta` alone
    store.advanceCursor(ptr(3));
    assert.deepEqual((await ask()).body, answer(3, ptr(3).hash, [['a', 10], ['b', 2]]));
  });

  test('a reorg (revert, then another branch at the same height) invalidates', async () => {
    assert.equal((await ask()).hit, true);
    store.revertTo(ptr(1));
    assert.deepEqual((await ask()).body, answer(1, ptr(1).hash, [['a', 1], ['b', 2]]));
    store.applyBlock(fork(2), [thing('a', 20), thing('c', 3)]);
    store.advanceCursor(fork(3));
    const after = await ask();
    assert.equal(after.hit, false);
    assert.deepEqual(after.body, answer(3, fork(3).hash, [['a', 20], ['b', 2], ['c', 3]]));
    // time travel into the replaced range reads the new branch
    assert.deepEqual((await ask(`{ thing(id: "a", block: { number: 2 }) { int } }`)).body, { thing: { int: 20 } });
  });

  test('a failure recorded at the same head shows at once', async () => {
    await ask();
    store.setFailed({ message: 'boom', block: fork(3), handler: 'handleX' });
    const r = await post(server.url, Q);
    assert.deepEqual(r.body.errors, [{ message: 'indexing_error' }]);
    assert.deepEqual(r.body.data, { _meta: { block: { number: 3, hash: fork(3).hash }, hasIndexingErrors: true } });
    store.clearFailed();
    assert.deepEqual((await ask()).body, answer(3, fork(3).hash, [['a', 20], ['b', 2], ['c', 3]]));
  });

  test('errors are never cached', async () => {
    const bad = `{ things(first: 5000) { id } }`;
    for (let i = 0; i < 2; i++) {
      const r = await post(server.url, bad);
      assert.match(r.body.errors?.[0]?.message ?? '', /first/);
    }
    const stats = server.cacheStats();
    await post(server.url, bad);
    assert.equal(server.cacheStats().hits, stats.hits);
  });

  test('a write through another connection to the same database is seen', async () => {
    await ask();
    const other = new EntityStore(openDatabase(path.join(dir, 'index.sqlite')), parseSchema(MUSIC_SCHEMA));
    try {
      other.applyBlock(fork(4), [thing('d', 4)]);
    } finally {
      other.db.close();
    }
    const next = await ask();
    assert.equal(next.hit, false);
    assert.deepEqual(next.body, answer(4, fork(4).hash, [['a', 20], ['b', 2], ['c', 3], ['d', 4]]));
  });

  test('resultCacheBytes: 0 turns it off', async () => {
    const s = await createGraphqlServer({ store, schema: parseSchema(MUSIC_SCHEMA), subgraphName: 'off', resultCacheBytes: 0 });
    try {
      await data(s.url, Q);
      await data(s.url, Q);
      assert.deepEqual(s.cacheStats(), { hits: 0, misses: 0, entries: 0, bytes: 0 });
    } finally {
      await s.close();
    }
    await assert.rejects(createGraphqlServer({ store, schema: parseSchema(MUSIC_SCHEMA), subgraphName: 'bad', resultCacheBytes: -1 }), /invalid resultCacheBytes: -1/);
  });
});

describe('ResultCache', () => {
  const a = (body: string) => ({ status: 200, headers: [], body });

  test('evicts the least recently used answers beyond its size, and skips answers too large to keep', () => {
    const c = new ResultCache({ maxBytes: 25, maxEntryBytes: 20 });
    assert.equal(c.get('h', 'q1'), undefined);
    c.set('h', 'q1', a('x'.repeat(8)));
    c.set('h', 'q2', a('y'.repeat(8)));
    assert.equal(c.get('h', 'q1')?.body, 'x'.repeat(8));
    c.set('h', 'q3', a('z'.repeat(8)));
    // q2 was the least recently used
    assert.equal(c.get('h', 'q2'), undefined);
    assert.ok(c.get('h', 'q1'));
    assert.ok(c.get('h', 'q3'));
    c.set('h', 'big', a('w'.repeat(30)));
    assert.equal(c.get('h', 'big'), undefined);
  });

  test('another head empties it, and an answer computed at a head it left is dropped', () => {
    const c = new ResultCache({ maxBytes: 1000, maxEntryBytes: 1000 });
    c.get('h1', 'q');
    c.set('h1', 'q', a('old'));
    assert.equal(c.get('h1', 'q')?.body, 'old');
    assert.equal(c.get('h2', 'q'), undefined);
    assert.equal(c.size, 0);
    c.set('h1', 'q', a('late'));
    assert.equal(c.get('h2', 'q'), undefined);
  });
});
