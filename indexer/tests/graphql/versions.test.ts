// Time travel over versioned rows, `_change_block`, and graph-node's indexing-error responses
// (ported from graph-node's `non_fatal_errors`/`deterministic_error` query tests).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphqlServer, type GraphqlServer } from '../../src/graphql/server.ts';
import { openDatabase } from '../../src/db.ts';
import { parseSchema } from '../../src/schema.ts';
import { EntityStore } from '../../src/store/entity-store.ts';
import type { EntityChange } from '../../src/types.ts';
import { big, bytes, int, ptr, str } from '../store/fixtures.ts';
import { data, post } from './client.ts';
import { MUSIC_SCHEMA, musicStore } from './music.ts';

const thing = (id: string, n: number, owner?: string): EntityChange => ({
  entityType: 'Thing',
  id,
  data: { id: str(id), int: int(n), ...(owner ? { owner: bytes(owner) } : {}) },
});
const TX = '0x0102';

describe('time travel and _change_block', () => {
  let server: GraphqlServer;
  before(async () => {
    const store = new EntityStore(openDatabase(':memory:'), parseSchema(MUSIC_SCHEMA));
    store.applyBlock(ptr(0), [thing('a', 1), thing('b', 2)]);
    store.applyBlock(ptr(1), [thing('a', 10), thing('c', 3)]);
    store.advanceCursor(ptr(2));
    store.applyBlock(ptr(3), [
      { entityType: 'Thing', id: 'b', data: null },
      { entityType: 'Tx', id: TX, data: { id: bytes(TX), thing: str('a'), amount: big(5) } },
    ]);
    server = await createGraphqlServer({ store, schema: parseSchema(MUSIC_SCHEMA), subgraphName: 'v' });
  });
  after(() => server.close());

  const rows = (...r: [string, number][]) => ({ things: r.map(([id, n]) => ({ id, int: n })) });

  test('each block sees the versions valid at it', async () => {
    assert.deepEqual(await data(server.url, `{ things(block: { number: 0 }) { id int } }`), rows(['a', 1], ['b', 2]));
    assert.deepEqual(await data(server.url, `{ things(block: { number: 2 }) { id int } }`), rows(['a', 10], ['b', 2], ['c', 3]));
    assert.deepEqual(await data(server.url, `{ things { id int } }`), rows(['a', 10], ['c', 3]));
    assert.deepEqual(await data(server.url, `{ things(block: { hash: "${ptr(1).hash}" }) { id int } }`), rows(['a', 10], ['b', 2], ['c', 3]));
  });

  test('filters and single lookups use the past values', async () => {
    assert.deepEqual(await data(server.url, `{ things(block: { number: 0 }, where: { int_gt: 5 }) { id int } }`), rows());
    assert.deepEqual(await data(server.url, `{ things(block: { number: 1 }, where: { int_gt: 5 }) { id int } }`), rows(['a', 10]));
    assert.deepEqual(await data(server.url, `{ b2: thing(id: "b", block: { number: 2 }) { int } b: thing(id: "b") { int } }`), { b2: { int: 2 }, b: null });
    // the newest version at or before block 3 ended there (removed): nothing, not the old value
    assert.deepEqual(await data(server.url, `{ b3: thing(id: "b", block: { number: 3 }) { int } a0: thing(id: "a", block: { number: 0 }) { int } c0: thing(id: "c", block: { number: 0 }) { int } }`), {
      b3: null,
      a0: { int: 1 },
      c0: null,
    });
  });

  test('_change_block selects versions written at or after a block', async () => {
    assert.deepEqual(await data(server.url, `{ things(where: { _change_block: { number_gte: 1 } }) { id int } }`), rows(['a', 10], ['c', 3]));
    assert.deepEqual(await data(server.url, `{ things(block: { number: 0 }, where: { _change_block: { number_gte: 1 } }) { id int } }`), rows());
    assert.deepEqual(await data(server.url, `{ things(where: { _change_block: { number_gte: 2 } }) { id } txes(where: { _change_block: { number_gte: 3 } }) { id amount thing { id int } } }`), {
      things: [],
      txes: [{ id: TX, amount: '5', thing: { id: 'a', int: 10 } }],
    });
  });

  test('references resolve to the version valid at the queried block', async () => {
    assert.deepEqual(await data(server.url, `{ txes(block: { number: 3 }) { thing { id int } } }`), { txes: [{ thing: { id: 'a', int: 10 } }] });
    assert.deepEqual(await data(server.url, `{ txes(block: { number: 2 }) { id } }`), { txes: [] });
  });

  test('_meta follows the head', async () => {
    assert.deepEqual(await data(server.url, `{ _meta { block { number hash } } }`), { _meta: { block: { number: 3, hash: ptr(3).hash } } });
  });
});

describe('nested references at a past block', () => {
  test('a reference resolves to the version valid at the queried block, not the newest', async () => {
    const store = new EntityStore(openDatabase(':memory:'), parseSchema(MUSIC_SCHEMA));
    store.applyBlock(ptr(0), [thing('a', 1), { entityType: 'Tx', id: TX, data: { id: bytes(TX), thing: str('a'), amount: big(5) } }]);
    for (let b = 1; b <= 50; b++) store.applyBlock(ptr(b), [thing('a', 100 + b)]);
    store.applyBlock(ptr(51), [{ entityType: 'Thing', id: 'a', data: null }]);
    const server = await createGraphqlServer({ store, schema: parseSchema(MUSIC_SCHEMA), subgraphName: 'n' });
    try {
      const at = (n: number) => data(server.url, `{ txes(block: { number: ${n} }) { thing { int } } thing(id: "a", block: { number: ${n} }) { int } }`);
      assert.deepEqual(await at(0), { txes: [{ thing: { int: 1 } }], thing: { int: 1 } });
      assert.deepEqual(await at(17), { txes: [{ thing: { int: 117 } }], thing: { int: 117 } });
      assert.deepEqual(await at(50), { txes: [{ thing: { int: 150 } }], thing: { int: 150 } });
      assert.deepEqual(await data(server.url, `{ thing(id: "a", block: { number: 51 }) { int } }`), { thing: null });
    } finally {
      await server.close();
    }
  });
});

describe('indexing errors', () => {
  let server: GraphqlServer;
  let store: EntityStore;
  before(async () => {
    store = musicStore();
    store.advanceCursor(ptr(3));
    store.setFailed({ message: 'cow template handler could not moo event transaction', block: ptr(2), handler: 'handleMoo' });
    server = await createGraphqlServer({ store, schema: parseSchema(MUSIC_SCHEMA), subgraphName: 'e' });
  });
  after(() => server.close());

  const INDEXING_ERROR = { errors: [{ message: 'indexing_error' }] };

  test('deny (the default) omits the data', async () => {
    assert.deepEqual((await post(server.url, `{ musician(id: "m1") { id } }`)).body, INDEXING_ERROR);
    assert.deepEqual((await post(server.url, `{ musician(id: "m1", subgraphError: deny) { id } }`)).body, INDEXING_ERROR);
  });

  test('_meta is still returned', async () => {
    assert.deepEqual((await post(server.url, `{ musician(id: "m1") { id } _meta { hasIndexingErrors } }`)).body, {
      data: { _meta: { hasIndexingErrors: true } },
      ...INDEXING_ERROR,
    });
    assert.deepEqual((await post(server.url, `{ _meta { hasIndexingErrors } }`)).body, { data: { _meta: { hasIndexingErrors: true } } });
  });

  test('introspection keeps its data but is flagged', async () => {
    assert.deepEqual((await post(server.url, `{ __schema { queryType { name } } __type(name: "Musician") { name } }`)).body, {
      data: { __schema: { queryType: { name: 'Query' } }, __type: { name: 'Musician' } },
      ...INDEXING_ERROR,
    });
  });

  test('allow returns the data with the error', async () => {
    assert.deepEqual((await post(server.url, `{ musician(id: "m1", subgraphError: allow) { id } }`)).body, {
      data: { musician: { id: 'm1' } },
      ...INDEXING_ERROR,
    });
  });

  test('blocks before the failure are clean', async () => {
    assert.deepEqual((await post(server.url, `{ musician(id: "m1", block: { number: 1 }) { id } _meta(block: { number: 1 }) { hasIndexingErrors } }`)).body, {
      data: { musician: { id: 'm1' }, _meta: { hasIndexingErrors: false } },
    });
  });

  test('reverting below the failed block clears the error', async () => {
    store.revertTo(ptr(1));
    assert.deepEqual((await post(server.url, `{ musician(id: "m1") { id } _meta { hasIndexingErrors } }`)).body, {
      data: { musician: { id: 'm1' }, _meta: { hasIndexingErrors: false } },
    });
  });
});

describe('an empty store', () => {
  test('queries say the subgraph has not started syncing', async () => {
    const store = new EntityStore(openDatabase(':memory:'), parseSchema(MUSIC_SCHEMA));
    const server = await createGraphqlServer({ store, schema: parseSchema(MUSIC_SCHEMA), subgraphName: 'empty', deployment: 'QmEmpty' });
    try {
      assert.deepEqual((await post(server.url, `{ musicians { id } }`)).body, {
        errors: [
          {
            // graph-node's wording and shape: a store error, with no `locations`
            message: 'Store error: query execution failed: Subgraph `QmEmpty` has not started syncing yet. Wait for it to ingest a few blocks before querying it',
          },
        ],
      });
    } finally {
      await server.close();
    }
  });
});
