// serveDashboard, the static server the CLI and the browser tests share (needs `vite build` first).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { request } from 'node:http';
import { serveDashboard, type DashboardServer } from '../../serve.ts';

let server: DashboardServer;
const config = { endpoint: '/subgraphs/name/hessian', tokens: { '0x5FbDB2315678afecb367f032d93F642f64180aa3': { symbol: 'HSN', decimals: 18 } } };

before(async () => {
  server = await serveDashboard({ config });
});
after(() => server?.close());

/** raw GET, so a path like /../x reaches the server unnormalised */
function get(pathname: string): Promise<{ status: number; type: string; body: string }> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: pathname, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves the app and the given config on a free loopback port', async () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.match(index.type, /text\/html/);
  const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(index.body)?.[1];
  assert.ok(script, 'index.html references its bundle');
  const js = await get(`/${script}`);
  assert.equal(js.status, 200);
  assert.match(js.type, /javascript/);
  const cfg = await get('/config.json');
  assert.equal(cfg.status, 200);
  assert.deepEqual(JSON.parse(cfg.body), { endpoint: '/subgraphs/name/hessian', tokens: { '0x5fbdb2315678afecb367f032d93f642f64180aa3': { symbol: 'HSN', decimals: 18 } } });
});

test('does not serve outside dist/ and answers 404 for missing files', async () => {
  assert.notEqual((await get('/../package.json')).status, 200);
  assert.notEqual((await get('/%2e%2e/serve.ts')).status, 200);
  assert.equal((await get('/nope.js')).status, 404);
});

test('rejects a bad config and a missing build with the reason', async () => {
  await assert.rejects(serveDashboard({ config: { endpoint: 'ftp://x' } }), /serveDashboard config: "endpoint" is not an http\(s\) URL/);
  await assert.rejects(serveDashboard({ config: { endpoint: 'http://x', pollInterval: 1 } }), /pollInterval/);
  const empty = await mkdtemp(path.join(os.tmpdir(), 'hessian-dash-empty-'));
  try {
    await assert.rejects(serveDashboard({ dir: empty }), /index\.html not found; build the dashboard first/);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});
