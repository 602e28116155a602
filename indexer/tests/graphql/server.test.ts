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

describe('graphql-ws limits (a flood of connections, subscriptions and oversized frames)', () => {
  let small: GraphqlServer;
  before(async () => {
    small = await createGraphqlServer({
      store,
      schema: parseSchema(MUSIC_SCHEMA),
      subgraphName: 'hessian/small',
      ws: { maxPayloadBytes: 10_000, maxConnections: 3, maxSubscriptionsPerConnection: 2, maxSubscriptions: 4, maxTokens: 500 },
    });
  });
  after(() => small.close());

  type Msg = { id?: string; type: string; payload?: unknown };
  interface Conn { ws: WebSocket; messages: Msg[]; closed: Promise<{ code: number; reason: string }> }

  /** a raw graphql-transport-ws connection, acknowledged unless the server closes it first */
  async function connect(url = small.wsUrl): Promise<Conn> {
    const ws = new WebSocket(url, 'graphql-transport-ws');
    const messages: Msg[] = [];
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (m) => messages.push(JSON.parse(m.toString()) as Msg));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'connection_init' }));
    await Promise.race([until(() => messages.some((m) => m.type === 'connection_ack')), closed]);
    return { ws, messages, closed };
  }

  async function until(f: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!f()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** the first message for subscription `id` */
  async function subscribe(c: Conn, id: string, query: string): Promise<Msg> {
    c.ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
    await until(() => c.messages.some((m) => m.id === id));
    return c.messages.find((m) => m.id === id)!;
  }

  const SUB = `subscription { musician(id: "m1") { name } }`;
  const errorMessages = (m: Msg) => (m.payload as { message: string }[]).map((e) => e.message);

  test('an oversized frame closes the connection with 1009; the server answers HTTP after', async () => {
    const c = await connect();
    c.ws.send(JSON.stringify({ id: 'big', type: 'subscribe', payload: { query: `subscription { musician(id: "${'x'.repeat(20_000)}") { name } }` } }));
    const { code } = await c.closed;
    assert.equal(code, 1009);
    assert.deepEqual(await data(small.url, Q), ANSWER);
  });

  test('a document over the token limit is an error for that subscription only', async () => {
    const c = await connect();
    try {
      const aliases = Array.from({ length: 200 }, (_, i) => `a${i}: musician(id: "m1") { name }`).join(' ');
      const m = await subscribe(c, 'tokens', `subscription { ${aliases} }`);
      assert.equal(m.type, 'error');
      assert.match(errorMessages(m)[0]!, /Document contains more tha[nt] 500 tokens/);
      assert.equal((await subscribe(c, 'fine', SUB)).type, 'next', 'the connection still serves subscriptions');
    } finally {
      c.ws.close();
      await c.closed;
    }
  });

  test('subscriptions per connection and in total are capped with a clear error; completing one frees its place', async () => {
    const a = await connect();
    const b = await connect();
    const c = await connect();
    try {
      assert.equal((await subscribe(a, '1', SUB)).type, 'next');
      assert.equal((await subscribe(a, '2', SUB)).type, 'next');
      const third = await subscribe(a, '3', SUB);
      assert.equal(third.type, 'error');
      assert.deepEqual(errorMessages(third), ['too many subscriptions on this connection (at most 2); complete one first']);
      assert.equal((await subscribe(b, '1', SUB)).type, 'next');
      assert.equal((await subscribe(b, '2', SUB)).type, 'next');
      const over = await subscribe(c, '1', SUB);
      assert.equal(over.type, 'error');
      assert.deepEqual(errorMessages(over), ['too many subscriptions on this server (at most 4); try again later']);
      a.ws.send(JSON.stringify({ id: '1', type: 'complete' }));
      await until(() => true, 0);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await subscribe(c, '2', SUB)).type, 'next', 'a completed subscription frees its place');
    } finally {
      for (const x of [a, b, c]) x.ws.close();
      await Promise.all([a.closed, b.closed, c.closed]);
    }
  });

  test('connections over the cap are closed with 1013 and a reason; the server still answers HTTP and new connections after', async () => {
    const open = [await connect(), await connect(), await connect()];
    const extra = await connect();
    const { code, reason } = await extra.closed;
    assert.equal(code, 1013);
    assert.equal(reason, 'too many connections (at most 3)');
    assert.deepEqual(await data(small.url, Q), ANSWER);
    for (const x of open) x.ws.close();
    await Promise.all(open.map((x) => x.closed));
    await new Promise((r) => setTimeout(r, 50));
    const again = await connect();
    try {
      assert.equal((await subscribe(again, '1', SUB)).type, 'next');
    } finally {
      again.ws.close();
      await again.closed;
    }
  });
});
