// The HTTP surface: graph-node's paths, CORS for the dashboard, extra routes, the GraphiQL page,
// GraphQL subscriptions over graphql-ws, and abuse that must yield errors without hurting the server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createGraphqlServer, type GraphqlServer } from '../../src/graphql/server.ts';
import { parseSchema } from '../../src/schema.ts';
import type { EntityStore } from '../../src/store/entity-store.ts';
import { int, ptr, str } from '../store/fixtures.ts';
import { data, errors, post } from './client.ts';
import { MUSIC_SCHEMA, musicStore } from './music.ts';

let server: GraphqlServer;
let store: EntityStore;
before(async () => {
  store = musicStore();
  server = await createGraphqlServer({
    store,
    schema: parseSchema(MUSIC_SCHEMA),
    subgraphName: 'hessian/test',
    routes: { '/health': (_req, res) => void res.end('{"synced":true}') },
  });
});
after(() => server.close());

const Q = `{ musician(id: "m1") { name } }`;
const ANSWER = { musician: { name: 'John' } };

describe('endpoints', () => {
  test('graph-node path, /graphql and a trailing slash answer alike', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/subgraphs\/name\/hessian\/test$/);
    assert.deepEqual(await data(server.url, Q), ANSWER);
    assert.deepEqual(await data(server.graphqlUrl, Q), ANSWER);
    assert.deepEqual(await data(server.url + '/', Q), ANSWER);
  });

  test('unknown paths are 404 with a hint', async () => {
    const res = await fetch(server.origin + '/subgraphs/name/other', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { errors: { message: string }[] }).errors[0]!.message, /\/subgraphs\/name\/hessian\/test/);
  });

  test('CORS preflight and headers for the dashboard', async () => {
    const pre = await fetch(server.url, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /content-type/);
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://localhost:5173' }, body: JSON.stringify({ query: Q }) });
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
  });

  test('extra routes from options and addRoute', async () => {
    assert.equal(await (await fetch(server.origin + '/health')).text(), '{"synced":true}');
    server.addRoute('/metrics', (_req, res) => void res.end('hessian_blocks 3\n'));
    assert.equal(await (await fetch(server.origin + '/metrics')).text(), 'hessian_blocks 3\n');
  });

  test('GET with a query works like graph-node`s; browsers get GraphiQL from this origin', async () => {
    const res = await fetch(`${server.url}?query=${encodeURIComponent(Q)}`);
    assert.deepEqual(((await res.json()) as { data: unknown }).data, ANSWER);
    for (const url of [server.url, server.url + '/graphql']) {
      const page = await fetch(url, { headers: { accept: 'text/html' } });
      assert.equal(page.status, 200, url);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
      const html = await page.text();
      assert.doesNotMatch(html, /https?:\/\//, 'no absolute URL: nothing is loaded from elsewhere');
      assert.match(html, /data-endpoint="\/subgraphs\/name\/hessian\/test"/);
      for (const asset of html.matchAll(/(?:src|href)="(\/graphiql\/[^"]+)"/g)) {
        const a = await fetch(server.origin + asset[1]);
        assert.equal(a.status, 200, asset[1]);
        assert.match(a.headers.get('content-type') ?? '', /^text\/(javascript|css)/);
        assert.ok((await a.arrayBuffer()).byteLength > 10_000, `${asset[1]} is the bundle`);
      }
    }
    assert.equal((await fetch(server.origin + '/graphiql/../package.json')).status, 404);
  });
});

describe('subscriptions over graphql-ws', () => {
  test('a subscription yields the current result, then again after each commit', async () => {
    const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const it = client.iterate({ query: `subscription { things(where: { int_gt: 100 }) { id int } }` });
      const head = client.iterate({ query: `subscription { _meta { block { number } } }` });
      assert.deepEqual((await it.next()).value, { data: { things: [] } });
      assert.deepEqual((await head.next()).value, { data: { _meta: { block: { number: 2 } } } });
      store.applyBlock(ptr(3), [{ entityType: 'Thing', id: 'big', data: { id: str('big'), int: int(500) } }]);
      assert.deepEqual((await it.next()).value, { data: { things: [{ id: 'big', int: 500 }] } });
      assert.deepEqual((await head.next()).value, { data: { _meta: { block: { number: 3 } } } });
      // a commit that leaves the answer unchanged sends nothing: the next message is the next change
      store.applyBlock(ptr(4), [{ entityType: 'Thing', id: 'small', data: { id: str('small'), int: int(5) } }]);
      assert.deepEqual((await head.next()).value, { data: { _meta: { block: { number: 4 } } } });
      store.applyBlock(ptr(5), [{ entityType: 'Thing', id: 'bigger', data: { id: str('bigger'), int: int(900) } }]);
      assert.deepEqual((await it.next()).value, { data: { things: [{ id: 'big', int: 500 }, { id: 'bigger', int: 900 }] } });
      await it.return?.();
      await head.return?.();
    } finally {
      await client.dispose();
    }
  });

  test('subscriptions get the same validation and limits', async () => {
    const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const it = client.iterate({ query: `subscription { musicians(first: 5000) { id } }` });
      const r = await it.next();
      assert.deepEqual((r.value as { errors: { message: string }[] }).errors.map((e) => e.message), ['The `first` argument must be between 0 and 1000, but is 5000']);
    } finally {
      await client.dispose();
    }
  });
});

describe('abuse', () => {
  test('depth bombs are refused before execution', async () => {
    let sel = '{ id }';
    for (let i = 0; i < 40; i++) sel = `{ bands ${i % 2 ? '' : ''}{ members ${sel} } }`.replace('{ bands { members', i % 2 ? '{ mainBand { members' : '{ bands { members');
    const r = await post(server.url, `{ musicians ${sel} }`);
    assert.deepEqual(r.body.errors?.map((e) => e.message), ['query has a depth that exceeds the limit of `32`']);
  });

  test('fragment cycles are refused', async () => {
    const r = await post(server.url, `{ musicians { ...A } } fragment A on Musician { bands { members { ...A } } }`);
    assert.equal(r.body.data, undefined);
    assert.match(r.body.errors![0]!.message, /Cannot spread fragment "A" within itself/);
  });

  test('first: 100000, unknown fields and wrong types are clear errors', async () => {
    assert.deepEqual(await errors(server.url, `{ musicians(first: 100000) { id } }`), ['The `first` argument must be between 0 and 1000, but is 100000']);
    assert.deepEqual(await errors(server.url, `{ musicians { nope } }`), ["Type `Musician` has no field `nope`"]);
    assert.deepEqual(await errors(server.url, `{ musicians(first: "ten") { id } }`), ['Int cannot represent non-integer value: "ten"']);
    assert.deepEqual(await errors(server.url, `{ musician { id } }`), ['Field "musician" argument "id" of type "ID!" is required, but it was not provided.']);
    assert.deepEqual(await errors(server.url, `query q($n: Int) { musicians(first: $n) { id } }`, { n: 'x' }), [
      'Variable "$n" got invalid value "x"; Int cannot represent non-integer value: "x"',
    ]);
  });

  test('a huge _in list is answered', async () => {
    const ids = Array.from({ length: 50_000 }, (_, i) => `m${i}`);
    const r = await post(server.url, `query q($ids: [ID!]) { musicians(where: { id_in: $ids }, orderBy: id) { id } }`, { ids });
    assert.deepEqual(r.body, { data: { musicians: ['m1', 'm2', 'm3', 'm4', 'm5'].map((id) => ({ id })) } });
  });

  test('deeply nested and very wide filters', async () => {
    const nest = (n: number) => {
      let w = '{ name: "John" }';
      for (let i = 0; i < n; i++) w = `{ and: [${w}] }`;
      return `{ musicians(where: ${w}) { id } }`;
    };
    assert.deepEqual(await data(server.url, nest(20)), { musicians: [{ id: 'm1' }] });
    assert.deepEqual(await errors(server.url, nest(60)), ['filter is nested more than 50 levels deep (and/or)']);
    assert.deepEqual(await errors(server.url, nest(3000)), ['the query is nested too deeply']);
    const ors = Array.from({ length: 5000 }, (_, i) => `{ name: "n${i}" }`).concat('{ name: "Lisa" }').join(', ');
    assert.deepEqual(await data(server.url, `{ musicians(where: { or: [${ors}] }) { id } }`), { musicians: [{ id: 'm2' }] });
  });

  test('malformed and oversized bodies', async () => {
    const bad = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { errors: { message: string }[] }).errors[0]!.message, /not valid JSON/);
    const big = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: Q, pad: 'x'.repeat(2_000_000) }) });
    assert.equal(big.status, 413);
    // graph-node answers GraphQL errors with 200 and only malformed requests with 400
    const syntax = await post(server.url, `{ musicians { id }`);
    assert.equal(syntax.status, 200);
    assert.deepEqual(Object.keys(syntax.body), ['errors']);
    assert.equal((await post(server.url, `{ musicians { nope } }`)).status, 200);
    const noQuery = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(noQuery.status, 400);
    assert.match(syntax.body.errors![0]!.message, /Syntax Error/);
  });

  test('alias floods hit the complexity limit', async () => {
    const aliases = Array.from({ length: 200 }, (_, i) => `a${i}: musicians(first: 1000) { bands(first: 1000) { id } }`).join(' ');
    const msgs = await errors(server.url, `{ ${aliases} }`);
    assert.match(msgs[0]!, /^query potentially returns `\d+` entities or more and thereby exceeds the limit of `10000000` entities/);
  });

  test('result size and timeout limits', async () => {
    const small = await createGraphqlServer({ store, schema: parseSchema(MUSIC_SCHEMA), subgraphName: 's', limits: { maxResultEntities: 3 } });
    const slow = await createGraphqlServer({ store, schema: parseSchema(MUSIC_SCHEMA), subgraphName: 's', limits: { timeoutMs: -1 } });
    try {
      const [sizeErr] = await errors(small.url, `{ musicians { id } }`);
      assert.match(sizeErr!, /larger than the allowed limit of 3/);
      assert.deepEqual(await errors(slow.url, `{ musicians { id } }`), ['Query timed out']);
    } finally {
      await small.close();
      await slow.close();
    }
  });

  test('the server still answers after all of the above', async () => {
    assert.deepEqual(await data(server.url, Q), ANSWER);
  });
});
