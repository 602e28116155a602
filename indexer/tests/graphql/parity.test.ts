// Answers where the embedded API used to differ from graph-node (issue 19): ordering graph-node
// refuses, `_nocase` on references to Bytes-id entities, blocks before the start block, block
// hashes the store did not record, and the JSON shape of errors. Expected texts are graph-node's
// (graph/src/data/query/error.rs, graph/src/data/subgraph/mod.rs, store/postgres/src/relational_queries.rs).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphqlServer, type GraphqlServer } from '../../src/graphql/server.ts';
import { parseSchema } from '../../src/schema.ts';
import type { BlockPtr } from '../../src/types.ts';
import { data, errors, post } from './client.ts';
import { MUSIC_SCHEMA, musicStore, ptr } from './music.ts';

/** a block the store never recorded (as an eventless block sync did not keep), known to the node */
const UNRECORDED: BlockPtr = { number: 1, hash: '0x' + 'ab'.repeat(32), parentHash: ptr(0).hash, timestamp: 4242 };

let server: GraphqlServer;
let url: string;
const lookups: string[] = [];

before(async () => {
  server = await createGraphqlServer({
    store: musicStore(),
    schema: parseSchema(MUSIC_SCHEMA),
    subgraphName: 'parity',
    deployment: 'QmParity',
    // graph-node's earliest block is the one before the lowest start block: 1 here
    startBlock: 2,
    lookupBlock: async (hash) => {
      lookups.push(hash);
      return hash === UNRECORDED.hash ? UNRECORDED : null;
    },
  });
  url = server.url;
});
after(() => server.close());

describe('ordering graph-node refuses', () => {
  test('by an enum field', async () => {
    assert.deepEqual(await errors(url, `{ things(orderBy: color) { id } }`), ['Ordering by `color` is not supported for type `Thing`']);
  });

  test('by an entity reference, String or Bytes id', async () => {
    assert.deepEqual(await errors(url, `{ songs(orderBy: writtenBy) { id } }`), ['Ordering by `writtenBy` is not supported for type `Song`']);
    assert.deepEqual(await errors(url, `{ songs(orderBy: publisher, orderDirection: desc) { id } }`), ['Ordering by `publisher` is not supported for type `Song`']);
    assert.deepEqual(await errors(url, `{ musicians(orderBy: mainBand) { id } }`), ['Ordering by `mainBand` is not supported for type `Musician`']);
  });

  test('by a derived field, and in nested collections', async () => {
    assert.deepEqual(await errors(url, `{ songStats(orderBy: song) { id } }`), ['Ordering by `song` is not supported for type `SongStat`']);
    assert.deepEqual(await errors(url, `{ band(id: "b1") { originalSongs(orderBy: writtenBy) { id } } }`), ['Ordering by `writtenBy` is not supported for type `Song`']);
  });

  test('by a child entity field that is itself a reference', async () => {
    // `song__writtenBy` is not in the enum (graph-node leaves references out of child values) ...
    assert.deepEqual(await errors(url, `{ songStats(orderBy: song__writtenBy) { id } }`), ['Invalid value provided for argument `orderBy`: Enum("song__writtenBy")']);
    // ... but scalars of the child still order
    assert.deepEqual(await data(url, `{ songStats(orderBy: song__title) { id } }`), { songStats: [{ id: 's1' }, { id: 's2' }] });
  });
});

describe('_nocase on a reference to a Bytes-id entity', () => {
  test('contains_nocase and not_contains_nocase are unsupported filters', async () => {
    assert.deepEqual(await errors(url, `{ things(where: { owner_contains_nocase: "0xB1" }) { id } }`), ['Store error: unsupported filter `contains_nocase` for value `0xB1`']);
    assert.deepEqual(await errors(url, `{ songs(where: { publisher_not_contains_nocase: "b1" }) { id } }`), [
      'Store error: unsupported filter `not_contains_nocase` for value `b1`',
    ]);
  });

  test('starts_with/ends_with forms fail as in Postgres (no LIKE between bytea and text)', async () => {
    assert.deepEqual(await errors(url, `{ things(where: { owner_starts_with_nocase: "0xb" }) { id } }`), [
      'Failed to get entities from store: operator does not exist: bytea ~~* text',
    ]);
    assert.deepEqual(await errors(url, `{ things(where: { owner_not_ends_with: "b1" }) { id } }`), ['Failed to get entities from store: operator does not exist: bytea !~~ text']);
  });

  test('a String-id reference keeps every _nocase form', async () => {
    assert.deepEqual(await data(url, `{ songs(where: { writtenBy_contains_nocase: "M1" }) { id } }`), { songs: [{ id: 's1' }, { id: 's3' }] });
    assert.deepEqual(await data(url, `{ songs(where: { writtenBy_starts_with_nocase: "M3" }) { id } }`), { songs: [{ id: 's4' }] });
  });
});

describe('blocks before the start block', () => {
  const tooEarly = (n: number) =>
    `Failed to decode \`block.number\` value: \`subgraph QmParity only has data starting at block number 1 and data for block number ${n} is therefore not available\``;

  test('by number and by hash', async () => {
    assert.deepEqual(await errors(url, `{ musicians(block: { number: 0 }) { id } }`), [tooEarly(0)]);
    assert.deepEqual(await errors(url, `{ _meta(block: { number: 0 }) { block { number } } }`), [tooEarly(0)]);
    assert.deepEqual(await errors(url, `{ musician(id: "m1", block: { hash: "${ptr(0).hash}" }) { id } }`), [tooEarly(0)]);
  });

  test('the block before the start block and later ones answer', async () => {
    assert.deepEqual(await data(url, `{ musicians(block: { number: 1 }, first: 1) { id } }`), { musicians: [{ id: 'm1' }] });
    assert.deepEqual(await data(url, `{ musicians(block: { number_gte: 0 }, first: 1) { id } }`), { musicians: [{ id: 'm1' }] });
  });
});

describe('block: { hash } of a block the store did not record', () => {
  test('is asked of the node once, then answers at its number', async () => {
    lookups.length = 0;
    const q = `{ musicians(block: { hash: "${UNRECORDED.hash}" }) { id } _meta(block: { hash: "${UNRECORDED.hash}" }) { block { number hash timestamp parentHash } } }`;
    const expected = {
      musicians: ['m1', 'm2', 'm3', 'm4', 'm5'].map((id) => ({ id })),
      _meta: { block: { number: 1, hash: UNRECORDED.hash, timestamp: 4242, parentHash: ptr(0).hash } },
    };
    assert.deepEqual(await data(url, q), expected);
    assert.deepEqual(await data(url, q), expected);
    assert.deepEqual(lookups, [UNRECORDED.hash], 'one lookup: a hash names one block forever');
  });

  test('recorded blocks are not asked; unknown hashes are still not found', async () => {
    lookups.length = 0;
    assert.deepEqual(await data(url, `{ musicians(block: { hash: "${ptr(2).hash}" }, first: 1) { id } }`), { musicians: [{ id: 'm1' }] });
    assert.deepEqual(lookups, []);
    const unknown = '0x' + 'cd'.repeat(32);
    assert.deepEqual(await errors(url, `{ musicians(block: { hash: "${unknown}" }) { id } }`), ['Failed to decode `block.hash` value: `no block with that hash found`']);
    assert.deepEqual(lookups, [unknown]);
  });
});

describe('error JSON as graph-node writes it', () => {
  test('execution errors carry only a message', async () => {
    for (const q of [
      `{ musicians(first: 5000) { id } }`,
      `{ musicians(block: { number: 99 }) { id } }`,
      `{ things(orderBy: color) { id } }`,
      `{ musicians(where: { name: "x", or: [{ name: "y" }] }) { id } }`,
    ]) {
      const r = await post(url, q);
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.body), ['errors'], q);
      assert.deepEqual(Object.keys(r.body.errors![0]!), ['message'], q);
    }
  });

  test('the depth limit, too', async () => {
    const deep = `{ musicians { ${'bands { members { '.repeat(20)}id${' } }'.repeat(20)} } }`;
    assert.deepEqual((await post(url, deep)).body, { errors: [{ message: 'query has a depth that exceeds the limit of `32`' }] });
  });

  test('unknown fields and syntax errors are placed, locations first', async () => {
    const unknown = await post(url, `{ musicians {\n  nope } }`);
    assert.deepEqual(unknown.body, { errors: [{ locations: [{ line: 2, column: 3 }], message: 'Type `Musician` has no field `nope`' }] });
    assert.deepEqual(Object.keys(unknown.body.errors![0]!), ['locations', 'message']);
    const syntax = await post(url, `{ musicians { id }`);
    assert.deepEqual(Object.keys(syntax.body.errors![0]!), ['locations', 'message']);
  });

  test('an ambiguous derived field is placed, as graph-node does', async () => {
    // song s1 is in both bands' originalSongs, so its `band` (derived from them) is ambiguous
    const r = await post(url, `{ songs(where: { id: "s1" }) {\n band { id } } }`);
    assert.deepEqual(r.body, {
      errors: [{ locations: [{ line: 2, column: 2 }], message: 'Ambiguous result for derived field `band`: Multiple `Band` entities refer back via `originalSongs`' }],
    });
  });
});
