// Queries and expected answers ported from graph-node's own query tests
// (store/test-store/tests/graphql/query.rs), run over HTTP against the Apollo server on top of
// the versioned store holding the same fixture.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphqlServer, type GraphqlServer } from '../../src/graphql/server.ts';
import { parseSchema } from '../../src/schema.ts';
import { data, errors, post } from './client.ts';
import { MUSIC_SCHEMA, musicStore, ptr } from './music.ts';

let server: GraphqlServer;
let url: string;

before(async () => {
  server = await createGraphqlServer({ store: musicStore(), schema: parseSchema(MUSIC_SCHEMA), subgraphName: 'test/music', deployment: 'QmMusic' });
  url = server.url;
});
after(() => server.close());

const ALL = ['m1', 'm2', 'm3', 'm4', 'm5'];

describe('relationships', () => {
  test('one-to-one, Int8 and Timestamp serialized as strings', async () => {
    const q = `{
      musicians(first: 100, orderBy: id) { name mainBand { name } favoriteCount birthDate }
      songStats(first: 100, orderBy: id) { id song { id title } played }
    }`;
    assert.deepEqual(await data(url, q), {
      musicians: [
        { name: 'John', mainBand: { name: 'The Musicians' }, favoriteCount: '10', birthDate: '1710837304040956' },
        { name: 'Lisa', mainBand: { name: 'The Musicians' }, favoriteCount: '100', birthDate: '1710837304040956' },
        { name: 'Tom', mainBand: { name: 'The Amateurs' }, favoriteCount: '5', birthDate: '1710837304040956' },
        { name: 'Valerie', mainBand: null, favoriteCount: '20', birthDate: '1710837304040956' },
        { name: 'Paul', mainBand: { name: 'The Amateurs' }, favoriteCount: '2', birthDate: '1710837304040956' },
      ],
      songStats: [
        { id: 's1', song: { id: 's1', title: 'Cheesy Tune' }, played: 10 },
        { id: 's2', song: { id: 's2', title: 'Rock Tune' }, played: 15 },
      ],
    });
  });

  test('filter by timestamp', async () => {
    assert.deepEqual(await data(url, `{ musicians(first: 100, orderBy: id, where: { birthDate_gt: "1710837304040955" }) { name } }`), {
      musicians: [{ name: 'John' }, { name: 'Lisa' }, { name: 'Tom' }, { name: 'Valerie' }, { name: 'Paul' }],
    });
    assert.deepEqual(await data(url, `{ musicians(first: 100, orderBy: id, where: { birthDate_lt: "1710837304040955" }) { name } }`), { musicians: [] });
  });

  test('one-to-many in both directions', async () => {
    const q = `{ musicians(first: 100, orderBy: id) { name writtenSongs(first: 100, orderBy: id) { title writtenBy { name } } } }`;
    const song = (title: string, author: string) => ({ title, writtenBy: { name: author } });
    assert.deepEqual(await data(url, q), {
      musicians: [
        { name: 'John', writtenSongs: [song('Cheesy Tune', 'John'), song('Pop Tune', 'John')] },
        { name: 'Lisa', writtenSongs: [song('Rock Tune', 'Lisa')] },
        { name: 'Tom', writtenSongs: [song('Folk Tune', 'Tom')] },
        { name: 'Valerie', writtenSongs: [] },
        { name: 'Paul', writtenSongs: [] },
      ],
    });
  });

  test('many-to-many', async () => {
    const q = `{ musicians(first: 100, orderBy: id) { name bands(first: 100, orderBy: id) { name members(first: 100, orderBy: id) { name } } } }`;
    const members = (...names: string[]) => names.map((name) => ({ name }));
    const musicians = { name: 'The Musicians', members: members('John', 'Lisa', 'Tom') };
    const amateurs = { name: 'The Amateurs', members: members('John', 'Tom', 'Paul') };
    assert.deepEqual(await data(url, q), {
      musicians: [
        { name: 'John', bands: [musicians, amateurs] },
        { name: 'Lisa', bands: [musicians] },
        { name: 'Tom', bands: [musicians, amateurs] },
        { name: 'Valerie', bands: [] },
        { name: 'Paul', bands: [amateurs] },
      ],
    });
  });

  test('root fragments, variables, @skip and @include', async () => {
    assert.deepEqual(await data(url, `query { ...F } fragment F on Query { musician(id: "m1") { name } }`), { musician: { name: 'John' } });
    assert.deepEqual(await data(url, `query q($id: ID!) { musician(id: $id) { name } }`, { id: 'm2' }), { musician: { name: 'Lisa' } });
    const q = `query q($s: Boolean!) { musician(id: "m1") { id name @skip(if: $s) mainBand @include(if: $s) { id } } }`;
    assert.deepEqual(await data(url, q, { s: true }), { musician: { id: 'm1', mainBand: { id: 'b1' } } });
    assert.deepEqual(await data(url, q, { s: false }), { musician: { id: 'm1', name: 'John' } });
  });

  test('mixed parent/child ids and aliases with different arguments', async () => {
    const q = `{ band(id: "b2") { a: originalSongs(orderBy: id, first: 1) { id } b: originalSongs(orderBy: id, orderDirection: desc) { id } } }`;
    assert.deepEqual(await data(url, q), { band: { a: [{ id: 's1' }], b: [{ id: 's4' }, { id: 's3' }, { id: 's1' }] } });
  });
});

describe('ordering', () => {
  test('by a child entity field, nulls last ascending and first descending', async () => {
    const q = `{
      desc: musicians(first: 100, orderBy: mainBand__name, orderDirection: desc) { name mainBand { name } }
      asc: musicians(first: 100, orderBy: mainBand__name, orderDirection: asc) { name mainBand { name } }
    }`;
    assert.deepEqual(await data(url, q), {
      desc: [
        { name: 'Valerie', mainBand: null },
        { name: 'Lisa', mainBand: { name: 'The Musicians' } },
        { name: 'John', mainBand: { name: 'The Musicians' } },
        { name: 'Paul', mainBand: { name: 'The Amateurs' } },
        { name: 'Tom', mainBand: { name: 'The Amateurs' } },
      ],
      asc: [
        { name: 'Tom', mainBand: { name: 'The Amateurs' } },
        { name: 'Paul', mainBand: { name: 'The Amateurs' } },
        { name: 'John', mainBand: { name: 'The Musicians' } },
        { name: 'Lisa', mainBand: { name: 'The Musicians' } },
        { name: 'Valerie', mainBand: null },
      ],
    });
  });

  test('by a derived child entity field and id', async () => {
    const q = `{
      desc: songStats(first: 100, orderBy: song__title, orderDirection: desc) { id song { id title } played }
      asc: songStats(first: 100, orderBy: song__id, orderDirection: asc) { id played }
    }`;
    assert.deepEqual(await data(url, q), {
      desc: [
        { id: 's2', song: { id: 's2', title: 'Rock Tune' }, played: 15 },
        { id: 's1', song: { id: 's1', title: 'Cheesy Tune' }, played: 10 },
      ],
      asc: [
        { id: 's1', played: 10 },
        { id: 's2', played: 15 },
      ],
    });
  });

  test('by a child entity id', async () => {
    const q = `{
      desc: bandReviews(first: 100, orderBy: author__id, orderDirection: desc) { body author { name } }
      asc: bandReviews(first: 100, orderBy: author__id, orderDirection: asc) { body author { name } }
    }`;
    assert.deepEqual(await data(url, q), {
      desc: [
        { body: 'Very Bad musicians', author: { name: 'Anonymous 3' } },
        { body: 'Good amateurs', author: { name: 'Goodwill' } },
        { body: 'Bad musicians', author: { name: 'Baden' } },
      ],
      asc: [
        { body: 'Bad musicians', author: { name: 'Baden' } },
        { body: 'Good amateurs', author: { name: 'Goodwill' } },
        { body: 'Very Bad musicians', author: { name: 'Anonymous 3' } },
      ],
    });
  });

  test('default order is by id, and orderDirection alone does not change it (EntityOrder::Default)', async () => {
    const ascending = { songs: [{ sid: 's1' }, { sid: 's2' }, { sid: 's3' }, { sid: 's4' }] };
    assert.deepEqual(await data(url, `{ songs { sid } }`), ascending);
    assert.deepEqual(await data(url, `{ songs(orderDirection: desc) { sid } }`), ascending);
    assert.deepEqual(await data(url, `{ band(id: "b2") { originalSongs(orderDirection: desc) { id } } }`), { band: { originalSongs: [{ id: 's1' }, { id: 's3' }, { id: 's4' }] } });
    assert.deepEqual(await data(url, `{ songs(orderBy: id, orderDirection: desc) { sid } }`), { songs: [...ascending.songs].reverse() });
  });

  test('ties are broken by id in the same direction', async () => {
    assert.deepEqual(await data(url, `{ songs(orderBy: writtenBy__name, orderDirection: desc) { sid } }`), {
      songs: [{ sid: 's4' }, { sid: 's2' }, { sid: 's3' }, { sid: 's1' }],
    });
  });

  test('ordering by a list field is refused', async () => {
    assert.deepEqual(await errors(url, `{ musicians(orderBy: bands) { id } }`), ['Ordering by `bands` is not supported for type `Musician`']);
  });
});

describe('filters on relationships', () => {
  test('child filter on a list field', async () => {
    const q = `{ musicians(first: 100, orderBy: id, where: { bands_: { name: "The Amateurs" } }) { name bands(first: 100, orderBy: id) { name } } }`;
    assert.deepEqual(await data(url, q), {
      musicians: [
        { name: 'John', bands: [{ name: 'The Musicians' }, { name: 'The Amateurs' }] },
        { name: 'Tom', bands: [{ name: 'The Musicians' }, { name: 'The Amateurs' }] },
        { name: 'Paul', bands: [{ name: 'The Amateurs' }] },
      ],
    });
  });

  test('child filter on a derived list field', async () => {
    assert.deepEqual(await data(url, `{ musicians(first: 100, orderBy: id, where: { writtenSongs_: { title_contains: "Rock" } }) { name } }`), {
      musicians: [{ name: 'Lisa' }],
    });
  });

  test('child filter on a named (single) field', async () => {
    assert.deepEqual(await data(url, `{ musicians(first: 100, orderBy: id, where: { mainBand_: { name_contains: "The Amateurs" } }) { name mainBand { id } } }`), {
      musicians: [
        { name: 'Tom', mainBand: { id: 'b2' } },
        { name: 'Paul', mainBand: { id: 'b2' } },
      ],
    });
  });

  test('child filter on a derived named field', async () => {
    assert.deepEqual(await data(url, `{ songs(first: 100, orderBy: id, where: { band_: { name_contains: "The Musicians" } }) { title } }`), {
      songs: [{ title: 'Cheesy Tune' }, { title: 'Rock Tune' }],
    });
  });

  test('filter by relationship fields (id and id list)', async () => {
    const q = `{
      musicians(orderBy: id, where: { mainBand: "b2" }) { id name mainBand { id } }
      bands(orderBy: id, where: { originalSongs: ["s1", "s3", "s4"] }) { id name originalSongs { id } }
    }`;
    assert.deepEqual(await data(url, q), {
      musicians: [
        { id: 'm3', name: 'Tom', mainBand: { id: 'b2' } },
        { id: 'm5', name: 'Paul', mainBand: { id: 'b2' } },
      ],
      bands: [{ id: 'b2', name: 'The Amateurs', originalSongs: [{ id: 's1' }, { id: 's3' }, { id: 's4' }] }],
    });
  });

  test('derived fields cannot be filtered by value', async () => {
    const r = await post(url, `{ musicians(orderBy: id, where: { writtenSongs: ["s1"] }) { id } }`);
    assert.deepEqual(
      r.body.errors?.map((e) => e.message),
      ['Field "writtenSongs" is not defined by type "Musician_filter". Did you mean "writtenSongs_"?'],
    );
  });

  test('filters on nested collections', async () => {
    const q = `{ musicians(orderBy: id) { name bands(where: { originalSongs: ["s1", "s3", "s4"] }) { id } } }`;
    assert.deepEqual(await data(url, q), {
      musicians: [
        { name: 'John', bands: [{ id: 'b2' }] },
        { name: 'Lisa', bands: [] },
        { name: 'Tom', bands: [{ id: 'b2' }] },
        { name: 'Valerie', bands: [] },
        { name: 'Paul', bands: [{ id: 'b2' }] },
      ],
    });
  });

  test('list contains_nocase matches any element', async () => {
    assert.deepEqual(await data(url, `{ musicians(where: { bands_contains_nocase: ["B1", "B2"] }) { name bands { id } } }`), {
      musicians: [
        { name: 'John', bands: [{ id: 'b1' }, { id: 'b2' }] },
        { name: 'Lisa', bands: [{ id: 'b1' }] },
        { name: 'Tom', bands: [{ id: 'b1' }, { id: 'b2' }] },
        { name: 'Paul', bands: [{ id: 'b2' }] },
      ],
    });
  });

  test('child filters cannot nest', async () => {
    const msgs = await errors(url, `{ musicians(where: { mainBand_: { originalSongs_: { title: "x" } } }) { id } }`);
    assert.equal(msgs.length, 1);
    assert.match(msgs[0]!, /^Child filter nesting not supported by value `originalSongs`/);
  });
});

describe('and / or', () => {
  test('or', async () => {
    assert.deepEqual(await data(url, `{ musicians(where: { or: [{ name: "John" }, { id: "m2" }] }) { name id } }`), {
      musicians: [
        { name: 'John', id: 'm1' },
        { name: 'Lisa', id: 'm2' },
      ],
    });
  });
  test('fields inside one or branch are and-ed', async () => {
    assert.deepEqual(await data(url, `{ musicians(where: { or: [{ name: "John", id: "m2" }] }) { name id } }`), { musicians: [] });
    assert.deepEqual(await data(url, `{ musicians(where: { and: [{ name: "John", id: "m2" }] }) { name id } }`), { musicians: [] });
  });
  test('or of and', async () => {
    const expected = {
      musicians: [
        { name: 'John', id: 'm1' },
        { name: 'Tom', id: 'm3' },
        { name: 'Paul', id: 'm5' },
      ],
    };
    assert.deepEqual(await data(url, `{ musicians(where: { or: [{ name: "John", id: "m1" }, { mainBand: "b2" }] }) { name id } }`), expected);
    assert.deepEqual(await data(url, `{ musicians(where: { or: [{ and: [{ name: "John", id: "m1" }] }, { mainBand: "b2" }] }) { name id } }`), expected);
  });
  test('column filters next to or are refused with graph-node`s explanation', async () => {
    const msgs = await errors(url, `{ musicians(where: { name: "John", or: [{ id: "m2" }] }) { id } }`);
    assert.deepEqual(msgs, [
      "Cannot mix column filters with 'or' operator at the same level. Found column filter(s) 'name' alongside 'or' operator.\n\n" +
        "Instead of:\nwhere: { 'name', or: [...] }\n\nUse:\nwhere: { or: [{ 'name', ... }, { 'name', ... }] }",
    ]);
  });
});

describe('ids', () => {
  const checks: [string, string[]][] = [
    ['id_gt: "s2"', ['s3', 's4']],
    ['id_gte: "s2"', ['s2', 's3', 's4']],
    ['id_lt: "s2"', ['s1']],
    ['id_lte: "s2"', ['s1', 's2']],
    ['id_not: "s2"', ['s1', 's3', 's4']],
    ['id_in: ["s4", "s1", "nope"]', ['s1', 's4']],
    ['id_not_in: ["s4", "s1"]', ['s2', 's3']],
  ];
  for (const [cond, sids] of checks) {
    test(`songs(where: { ${cond} })`, async () => {
      assert.deepEqual(await data(url, `{ songs(where: { ${cond} }) { sid } }`), { songs: sids.map((sid) => ({ sid })) });
    });
  }
  test('Bytes ids and references', async () => {
    assert.deepEqual(await data(url, `{ publisher(id: "0xB1") { id } publishers { id } songs(where: { publisher: "0xb1" }, first: 1) { publisher { id } } }`), {
      publisher: { id: '0xb1' },
      publishers: [{ id: '0xb1' }],
      songs: [{ publisher: { id: '0xb1' } }],
    });
    assert.deepEqual(await data(url, `{ publisher(id: "0xb2") { id } }`), { publisher: null });
  });
});

describe('time travel', () => {
  const at = (block: string) => `{ musicians(block: { ${block} }) { id } }`;
  const ids = (list: string[]) => ({ musicians: list.map((id) => ({ id })) });
  const notIndexed = (n: number) =>
    `Failed to decode \`block.number\` value: \`subgraph QmMusic has only indexed up to block number 2 and data for block number ${n} is therefore not yet available\``;

  test('by number', async () => {
    assert.deepEqual(await errors(url, at('number: 7000')), [notIndexed(7000)]);
    assert.deepEqual(await data(url, at('number: 0')), ids(['m1', 'm2']));
    assert.deepEqual(await data(url, at('number: 1')), ids(ALL));
  });

  test('by hash', async () => {
    assert.deepEqual(await data(url, at(`hash: "${ptr(0).hash}"`)), ids(['m1', 'm2']));
    assert.deepEqual(await data(url, at(`hash: "${ptr(1).hash}"`)), ids(ALL));
    assert.deepEqual(await data(url, at(`hash: "${ptr(2).hash}"`)), ids(ALL));
    assert.deepEqual(await errors(url, at(`hash: "${ptr(4).hash}"`)), ['Failed to decode `block.hash` value: `no block with that hash found`']);
  });

  test('with variables', async () => {
    assert.deepEqual(await data(url, `query by_nr($block: Int!) { musicians(block: { number: $block }) { id } }`, { block: 0 }), ids(['m1', 'm2']));
    assert.deepEqual(await data(url, `query by_nr($block: Block_height!) { musicians(block: $block) { id } }`, { block: { number: 1 } }), ids(ALL));
    assert.deepEqual(await errors(url, `query by_nr($block: Int!) { musicians(block: { number_gte: $block }) { id } }`, { block: 7000 }), [
      'Failed to decode `block.number_gte` value: `subgraph QmMusic has only indexed up to block number 2 and data for block number 7000 is therefore not yet available`',
    ]);
    assert.deepEqual(await data(url, `query by_nr($block: Int!) { musicians(block: { number_gte: $block }) { id } }`, { block: 0 }), ids(ALL));
    assert.deepEqual(await data(url, `query by_hash($block: Bytes!) { musicians(block: { hash: $block }) { id } }`, { block: ptr(0).hash }), ids(['m1', 'm2']));
  });

  test('nested fields read the same block', async () => {
    const q = `{ bands(block: { number: 0 }, orderBy: id) { id members(orderBy: id) { id } } }`;
    assert.deepEqual(await data(url, q), {
      bands: [
        { id: 'b1', members: [{ id: 'm1' }, { id: 'm2' }] },
        { id: 'b2', members: [{ id: 'm1' }] },
      ],
    });
  });
});

describe('_meta', () => {
  test('latest block', async () => {
    assert.deepEqual(await data(url, `{ _meta { deployment block { hash number parentHash timestamp __typename } hasIndexingErrors __typename } }`), {
      _meta: {
        deployment: 'QmMusic',
        block: { hash: ptr(2).hash, number: 2, parentHash: ptr(1).hash, timestamp: ptr(2).timestamp, __typename: '_Block_' },
        hasIndexingErrors: false,
        __typename: '_Meta_',
      },
    });
  });
  test('by number: no hash', async () => {
    assert.deepEqual(await data(url, `{ _meta(block: { number: 0 }) { deployment block { hash number } } }`), {
      _meta: { deployment: 'QmMusic', block: { hash: null, number: 0 } },
    });
  });
  test('by hash, with or without 0x', async () => {
    assert.deepEqual(await data(url, `{ _meta(block: { hash: "${ptr(0).hash.slice(2)}" }) { deployment block { hash number } } }`), {
      _meta: { deployment: 'QmMusic', block: { hash: ptr(0).hash, number: 0 } },
    });
  });
  test('beyond the head is an error; number_gte gives the head', async () => {
    assert.equal((await errors(url, `{ _meta(block: { number: 3 }) { block { number } } }`)).length, 1);
    assert.deepEqual(await data(url, `{ _meta(block: { number_gte: 1 }) { block { hash number } } }`), {
      _meta: { block: { hash: ptr(2).hash, number: 2 } },
    });
  });
  test('root __typename', async () => {
    assert.deepEqual(await data(url, `{ __typename }`), { __typename: 'Query' });
  });
});

describe('pagination', () => {
  test('first and skip', async () => {
    assert.deepEqual(await data(url, `{ musicians(first: 2, skip: 1) { id } }`), { musicians: [{ id: 'm2' }, { id: 'm3' }] });
    assert.deepEqual(await data(url, `{ musicians(first: 1000, skip: 4) { id } }`), { musicians: [{ id: 'm5' }] });
    assert.deepEqual(await data(url, `{ musicians(skip: 5) { id } }`), { musicians: [] });
    assert.deepEqual(await data(url, `{ musicians(first: null, skip: null) { id } }`), { musicians: ALL.map((id) => ({ id })) });
  });
  test('first and skip on nested collections apply per parent', async () => {
    assert.deepEqual(await data(url, `{ bands(orderBy: id) { members(first: 1, skip: 1, orderBy: name) { name } } }`), {
      bands: [{ members: [{ name: 'Lisa' }] }, { members: [{ name: 'Paul' }] }],
    });
  });
  test('range errors use graph-node`s text', async () => {
    assert.deepEqual(await errors(url, `{ musicians(first: 1001) { id } }`), ['The `first` argument must be between 0 and 1000, but is 1001']);
    assert.deepEqual(await errors(url, `{ musicians(first: 0) { id } }`), ['The `first` argument must be between 0 and 1000, but is 0']);
    assert.deepEqual(await errors(url, `{ musicians(skip: -1) { id } }`), ['The `skip` argument must be between 0 and 4294967295, but is -1']);
    assert.deepEqual(await errors(url, `{ band(id: "b1") { members(first: 100000) { id } } }`), ['The `first` argument must be between 0 and 1000, but is 100000']);
  });
});

describe('graph-node`s lenient validation (its graphql-bug-compat tests)', () => {
  const all = { musicians: ALL.map((id) => ({ id })) };
  test('unknown arguments are ignored', async () => {
    assert.deepEqual(await data(url, `query { musicians(id: "m1") { id } }`), all);
  });
  test('undefined variables take the argument`s default', async () => {
    assert.deepEqual(await data(url, `query { musicians(first: $first) { id } }`), all);
    assert.deepEqual(await data(url, `query { musicians(where: $where) { id } }`), all);
  });
  test('variable defaults, and null meaning the argument`s default', async () => {
    const q = `query musicians($orderDir: OrderDirection = desc) { bands(first: 2, orderBy: id, orderDirection: $orderDir) { id } }`;
    assert.deepEqual(await data(url, q, {}), { bands: [{ id: 'b2' }, { id: 'b1' }] });
    assert.deepEqual(await data(url, q, { orderDir: null }), { bands: [{ id: 'b1' }, { id: 'b2' }] });
    assert.deepEqual(await data(url, `query musicians($name: String) { musicians(first: 100, where: { name: $name }) { name } }`, { name: 'Lisa' }), {
      musicians: [{ name: 'Lisa' }],
    });
  });
  test('sub-selections of scalar fields are ignored', async () => {
    assert.deepEqual(await data(url, `query { musician(id: "m1") { id name { wat } } }`), { musician: { id: 'm1', name: 'John' } });
  });
  test('variables declared with a looser type still work', async () => {
    assert.deepEqual(await data(url, `query q($id: String!) { musician(id: $id) { name } }`, { id: 'm2' }), { musician: { name: 'Lisa' } });
    assert.deepEqual(await data(url, `query q($h: String!) { musicians(block: { hash: $h }) { id } }`, { h: ptr(0).hash }), { musicians: [{ id: 'm1' }, { id: 'm2' }] });
    assert.deepEqual(await data(url, `query q($b: String, $x: String) { things(where: { big_gt: $b, bytes: $x }) { id } }`, { b: '-1000000000000000000000000000001', x: '0xDEADBEEF' }), {
      things: [{ id: 't1' }],
    });
    assert.deepEqual(await errors(url, `query q($b: String) { things(where: { big_gt: $b }) { id } }`, { b: 'lots' }), [
      'Failed to decode `bigint` value: `"lots"` passed to filter `big_gt`',
    ]);
  });
  test('fields that cannot be merged are still an error', async () => {
    assert.equal((await errors(url, `query { musicians { t: id t: mainBand { id } } }`)).length, 1);
  });
  test('an ambiguous derived single value is an error', async () => {
    assert.deepEqual(await errors(url, `{ songs(first: 100, orderBy: id) { id band { id } } }`), [
      'Ambiguous result for derived field `band`: Multiple `Band` entities refer back via `originalSongs`',
    ]);
  });
});

describe('complexity', () => {
  test('a query exactly at the limit passes, one above fails', async () => {
    const s = await createGraphqlServer({
      store: musicStore(),
      schema: parseSchema(MUSIC_SCHEMA),
      subgraphName: 'test/music',
      limits: { maxComplexity: 1_010_100 },
    });
    try {
      const q1 = `{ musicians(orderBy: id) { name bands(first: 100, orderBy: id) { name members(first: 100, orderBy: id) { name } } } }`;
      const r1 = await post(s.url, q1);
      assert.equal(r1.body.errors, undefined);
      const q2 = `{ musicians(orderBy: id) { name bands(first: 100, orderBy: id) { name members(first: 100, orderBy: id) { name } } } m: musician(id: "m1") { id } }`;
      assert.deepEqual((await post(s.url, q2)).body.errors?.map((e) => e.message), [
        'query potentially returns `1010101` entities or more and thereby exceeds the limit of `1010100` entities. Possible solutions are reducing the depth of the query, querying fewer relationships or using `first` to return smaller collections',
      ]);
    } finally {
      await s.close();
    }
  });
});

describe('fulltext search (bandReviewSearch: en, proximityRank)', () => {
  test('can_query_with_fulltext_search', async () => {
    assert.deepEqual(await data(url, `{ bandReviewSearch(text: "musicians") { id body author { name } } }`), {
      bandReviewSearch: [
        { id: 'r1', body: 'Bad musicians', author: { name: 'Baden' } },
        { id: 'r5', body: 'Very Bad musicians', author: { name: 'Anonymous 3' } },
      ],
    });
  });

  test('can_query_with_fulltext_search_filter', async () => {
    assert.deepEqual(await data(url, `{ bandReviewSearch(text: "musicians", where: { author_: { name: "Anonymous 3" } }) { id body author { name } } }`), {
      bandReviewSearch: [{ id: 'r5', body: 'Very Bad musicians', author: { name: 'Anonymous 3' } }],
    });
  });
});
