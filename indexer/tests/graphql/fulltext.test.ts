// @fulltext query fields over SQLite FTS5: graph-node's query syntax (`&`, `|`, `!`, `<->`, `:*`),
// English stemming, graph-node's order (rank ascending, then id), `where`, `block:` time travel,
// reverts, and the errors. Expected answers derived by hand from the posts below.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db.ts';
import { createGraphqlServer, type GraphqlServer } from '../../src/graphql/server.ts';
import { parseSchema } from '../../src/schema.ts';
import { EntityStore } from '../../src/store/entity-store.ts';
import { toFts5Query } from '../../src/store/fulltext.ts';
import type { EntityChange } from '../../src/types.ts';
import { ptr, str } from '../store/fixtures.ts';
import { data, errors } from './client.ts';

const SCHEMA = `
type _Schema_
  @fulltext(name: "postSearch", language: en, algorithm: rank, include: [{ entity: "Post", fields: [{ name: "title" }, { name: "body" }] }])
  @fulltext(name: "exactSearch", language: simple, algorithm: proximityRank, include: [{ entity: "Post", fields: [{ name: "body" }] }])

type Post @entity {
  id: ID!
  title: String!
  body: String
}
`;

const post = (id: string, title: string, body: string | null): EntityChange => ({
  entityType: 'Post',
  id,
  data: { id: str(id), title: str(title), ...(body === null ? {} : { body: str(body) }) },
});

let store: EntityStore;
let server: GraphqlServer;
let url: string;

before(async () => {
  store = new EntityStore(openDatabase(':memory:'), parseSchema(SCHEMA));
  store.applyBlock(ptr(1), [
    post('p1', 'Rust and Go', 'Go is simple. Go go go.'),
    post('p2', 'Cooking', 'Running recipes'),
    post('p3', "Runner's guide", 'running and runs'),
    post('p4', 'Untitled', null),
  ]);
  // block 2: p2 is rewritten, so "running" no longer finds it at the head
  store.applyBlock(ptr(2), [post('p2', 'Cooking', 'Walking recipes')]);
  server = await createGraphqlServer({ store, schema: parseSchema(SCHEMA), subgraphName: 'test/ft', deployment: 'QmFt' });
  url = server.url;
});
after(() => server.close());

const ids = async (query: string) => ((await data(url, query)) as Record<string, { id: string }[]>)[Object.keys((await data(url, query)) as object)[0]!]!.map((p) => p.id);

test('stemmed words over the included fields; least matches first, then id (graph-node: rank ascending)', async () => {
  // p1: "go" once in the title and four times in the body
  assert.deepEqual(await ids(`{ postSearch(text: "go") { id } }`), ['p1']);
  // "running" → run: p3 twice (running, runs), "Runner" stems to runner; p2 no longer (block 2)
  assert.deepEqual(await ids(`{ postSearch(text: "running") { id } }`), ['p3']);
  // at block 1 p2 ("Running recipes", 1 match) ranks below p3 (2 matches): it comes first
  assert.deepEqual(await ids(`{ postSearch(text: "running", block: { number: 1 }) { id } }`), ['p2', 'p3']);
});

test('operators: | & ! <-> and the :* prefix', async () => {
  // one match each: id order
  assert.deepEqual(await ids(`{ postSearch(text: "rust | cooking") { id } }`), ['p1', 'p2']);
  assert.deepEqual(await ids(`{ postSearch(text: "go & simple") { id } }`), ['p1']);
  assert.deepEqual(await ids(`{ postSearch(text: "go & !rust") { id } }`), []);
  assert.deepEqual(await ids(`{ postSearch(text: "(run | walk) & !guide") { id } }`), ['p2']);
  assert.deepEqual(await ids(`{ postSearch(text: "rust <-> and") { id } }`), ['p1']);
  assert.deepEqual(await ids(`{ postSearch(text: "rust <-> go") { id } }`), []);
  // runner* and run*: p3 has Runner, running, runs (3), p2 at the head "Walking recipes" (0)
  assert.deepEqual(await ids(`{ postSearch(text: "run:*") { id } }`), ['p3']);
  assert.deepEqual(await ids(`{ postSearch(text: "'rust and'") { id } }`), ['p1']);
});

test('the simple language does not stem', async () => {
  assert.deepEqual(await ids(`{ exactSearch(text: "running") { id } }`), ['p3']);
  assert.deepEqual(await ids(`{ exactSearch(text: "run") { id } }`), []);
  assert.deepEqual(await ids(`{ exactSearch(text: "runs") { id } }`), ['p3']);
});

test('where, first and skip apply to the matches', async () => {
  assert.deepEqual(await ids(`{ postSearch(text: "run:*", block: { number: 1 }, where: { title_contains: "Runner" }) { id } }`), ['p3']);
  assert.deepEqual(await ids(`{ postSearch(text: "run:*", block: { number: 1 }, first: 1, skip: 1) { id } }`), ['p3']);
  assert.deepEqual(await data(url, `{ postSearch(text: "go") { title body } }`), { postSearch: [{ title: 'Rust and Go', body: 'Go is simple. Go go go.' }] });
});

test("errors: graph-node's syntax error, and what FTS5 cannot express", async () => {
  assert.deepEqual(await errors(url, `{ postSearch(text: "rust go") { id } }`), [
    'Invalid fulltext search query syntax. Error: syntax error in tsquery: "rust go". Hint: Search terms with spaces need to be enclosed in single quotes',
  ]);
  assert.deepEqual(await errors(url, `{ postSearch(text: "Jono 'a") { id } }`), [
    `Invalid fulltext search query syntax. Error: syntax error in tsquery: "Jono 'a". Hint: Search terms with spaces need to be enclosed in single quotes`,
  ]);
  const [not] = await errors(url, `{ postSearch(text: "!rust") { id } }`);
  assert.match(not!, /`!` must follow a positive term/);
  const [dist] = await errors(url, `{ postSearch(text: "rust <2> go") { id } }`);
  assert.match(dist!, /distance operator <2>/);
  assert.deepEqual(await data(url, `{ postSearch(text: "&&&") { id } }`).catch(() => 'error'), 'error');
  assert.deepEqual(await data(url, `{ postSearch(text: "...") { id } }`), { postSearch: [] });
});

test('the index follows reverts', async () => {
  const s = new EntityStore(openDatabase(':memory:'), parseSchema(SCHEMA));
  s.applyBlock(ptr(1), [post('p1', 'Alpha', 'first')]);
  s.applyBlock(ptr(2), [post('p1', 'Beta', 'second')]);
  const srv = await createGraphqlServer({ store: s, schema: parseSchema(SCHEMA), subgraphName: 'test/ft2', deployment: 'QmFt2' });
  try {
    assert.deepEqual(await data(srv.url, `{ a: postSearch(text: "alpha") { id } b: postSearch(text: "beta") { id } }`), { a: [], b: [{ id: 'p1' }] });
    s.revertTo(ptr(1));
    assert.deepEqual(await data(srv.url, `{ a: postSearch(text: "alpha") { id } b: postSearch(text: "beta") { id } }`), { a: [{ id: 'p1' }], b: [] });
  } finally {
    await srv.close();
  }
});

test('tsquery → FTS5 translation', () => {
  assert.equal(toFts5Query('a & !b'), '(("a")) NOT ("b")');
  assert.equal(toFts5Query('a:* | b'), '("a" *) OR ("b")');
  assert.equal(toFts5Query('a <-> b:*'), '"a" + "b" *');
  assert.equal(toFts5Query('achangedemail@email.com'), '"achangedemail@email.com"');
  assert.equal(toFts5Query(''), null);
});
