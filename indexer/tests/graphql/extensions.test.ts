// The `hessian_` extensions (graph-node issues 1309, 3480, 1807), served only under /hessian/…:
// counts of a filtered collection, an entity's versions, ordering by several fields; and that
// graph-node's paths do not know them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphqlServer, type GraphqlServer } from '../../src/graphql/server.ts';
import { parseSchema } from '../../src/schema.ts';
import { int8, str } from '../store/fixtures.ts';
import { data, errors } from './client.ts';
import { MUSIC_SCHEMA, musicStore, ptr } from './music.ts';

let server: GraphqlServer;
let ext: string;

before(async () => {
  const store = musicStore();
  // m1 renamed at block 3 (and moves to band b2), removed at block 4; m2 changes at block 4
  store.applyBlock(ptr(3), [{ entityType: 'Musician', id: 'm1', data: { id: str('m1'), name: str('Johnny'), mainBand: str('b2'), bands: { kind: 'List', value: [] }, favoriteCount: int8(11), birthDate: { kind: 'Timestamp', value: 1n } } }]);
  store.applyBlock(ptr(4), [
    { entityType: 'Musician', id: 'm1', data: null },
    { entityType: 'Band', id: 'b2', data: { id: str('b2'), name: str('The Pros'), originalSongs: { kind: 'List', value: [] } } },
  ]);
  server = await createGraphqlServer({ store, schema: parseSchema(MUSIC_SCHEMA), subgraphName: 'ext', deployment: 'QmExt' });
  ext = server.extendedUrl;
});
after(() => server.close());

describe('graph-node`s paths are unchanged', () => {
  test('no extension field, argument or type is known there', async () => {
    assert.equal(ext, `${server.origin}/hessian/subgraphs/name/ext`);
    assert.deepEqual(await errors(server.url, `{ hessian_count_musicians }`), ['Type `Query` has no field `hessian_count_musicians`']);
    const schema = JSON.stringify(await data(server.url, `{ __schema { types { name fields { name args { name } } inputFields { name } } } }`));
    assert.doesNotMatch(schema, /hessian/i);
    // an unknown argument is ignored there, as graph-node ignores it: the order stays graph-node's
    assert.deepEqual(await data(server.url, `{ musicians(hessian_orderBy: [{ by: name, direction: desc }]) { id } }`), {
      musicians: [{ id: 'm2' }, { id: 'm3' }, { id: 'm4' }, { id: 'm5' }],
    });
  });

  test('the extended path answers graph-node`s queries the same', async () => {
    const q = `{ musicians(orderBy: name) { id name mainBand { name } } _meta { deployment block { number } } }`;
    assert.deepEqual(await data(ext, q), await data(server.url, q));
  });
});

describe('hessian_count_<xs> (graph-node issue 1309)', () => {
  test('counts what `where` matches, at any block', async () => {
    assert.deepEqual(await data(ext, `{ all: hessian_count_musicians banded: hessian_count_musicians(where: { mainBand_not: null }) at0: hessian_count_musicians(block: { number: 0 }) bands: hessian_count_bands(where: { name_contains: "Pro" }) }`), {
      all: 4,
      banded: 3,
      at0: 2,
      bands: 1,
    });
    assert.deepEqual(await data(ext, `{ hessian_count_musicians(where: { bands_: { name: "The Musicians" } }, block: { number: 2 }) }`), { hessian_count_musicians: 3 });
  });

  test('filter errors are graph-node`s', async () => {
    assert.deepEqual(await errors(ext, `{ hessian_count_musicians(where: { name: "x", or: [{ name: "y" }] }) }`), [
      "Cannot mix column filters with 'or' operator at the same level. Found column filter(s) 'name' alongside 'or' operator.\n\nInstead of:\nwhere: { 'name', or: [...] }\n\nUse:\nwhere: { or: [{ 'name', ... }, { 'name', ... }] }",
    ]);
  });
});

describe('hessian_versions_<x> (graph-node issue 3480)', () => {
  test('every version with its block range; references as of the version`s first block', async () => {
    assert.deepEqual(await data(ext, `{ hessian_versions_musician(id: "m1") { blockStart blockEnd entity { name favoriteCount mainBand { name } } } }`), {
      hessian_versions_musician: [
        { blockStart: 0, blockEnd: 3, entity: { name: 'John', favoriteCount: '10', mainBand: { name: 'The Musicians' } } },
        { blockStart: 3, blockEnd: 4, entity: { name: 'Johnny', favoriteCount: '11', mainBand: { name: 'The Amateurs' } } },
      ],
    });
    assert.deepEqual(await data(ext, `{ hessian_versions_band(id: "b2", orderDirection: desc, first: 1) { blockStart blockEnd entity { name } } }`), {
      hessian_versions_band: [{ blockStart: 4, blockEnd: null, entity: { name: 'The Pros' } }],
    });
    assert.deepEqual(await data(ext, `{ hessian_versions_musician(id: "nobody") { blockStart } }`), { hessian_versions_musician: [] });
  });
});

describe('hessian_orderBy (graph-node issue 1807)', () => {
  test('several keys in turn, child fields included, at the root and nested', async () => {
    const q = `{ musicians(block: { number: 2 }, hessian_orderBy: [{ by: mainBand__name, direction: desc }, { by: name }]) { name } }`;
    assert.deepEqual(await data(ext, q), { musicians: ['Valerie', 'John', 'Lisa', 'Paul', 'Tom'].map((name) => ({ name })) });
    const nested = `{ band(id: "b2", block: { number: 2 }) { members(hessian_orderBy: [{ by: favoriteCount, direction: desc }]) { name } } }`;
    assert.deepEqual(await data(ext, nested), { band: { members: [{ name: 'John' }, { name: 'Tom' }, { name: 'Paul' }] } });
  });

  test('graph-node`s ordering rules apply to each key; mixing with orderBy is refused', async () => {
    assert.deepEqual(await errors(ext, `{ things(hessian_orderBy: [{ by: str }, { by: color }]) { id } }`), ['Ordering by `color` is not supported for type `Thing`']);
    assert.deepEqual(await errors(ext, `{ things(orderBy: str, hessian_orderBy: [{ by: int }]) { id } }`), ['give either `orderBy`/`orderDirection` or `hessian_orderBy`, not both']);
  });
});
