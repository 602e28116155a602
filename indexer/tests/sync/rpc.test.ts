// The JSON-RPC client and the log-range logic on their own: provider refusals as real endpoints
// word them, and a local HTTP server answering in the ways real ones break.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JsonRpcClient, RpcError, TransportError } from '../../src/sync/rpc.ts';
import { LogRangeFetcher, isRangeError, rangeHint } from '../../src/sync/log-ranges.ts';
import { Progress } from '../../src/sync/progress.ts';
import { createMetrics } from '../../src/metrics.ts';

describe('provider range refusals', () => {
  const err = (code: number, message: string, data?: unknown) => new RpcError('eth_getLogs', code, message, data);
  const cases: Array<[RpcError, boolean, number | undefined]> = [
    [err(-32005, 'query returned more than 10000 results. Try with this block range [0x10, 0x1f].'), true, 16],
    [err(-32602, 'exceed maximum block range: 2000'), true, 2000],
    [err(-32000, 'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response.'), true, 2000],
    [err(-32000, 'query exceeds max results 20000, retry with the range 16-22'), true, 7],
    [err(-32600, 'eth_getLogs is limited to a 10,000 range'), true, 10000],
    [err(-32000, 'block range is too wide'), true, undefined],
    [err(-32000, 'query timeout exceeded'), true, undefined],
    [err(-32603, 'Internal error'), false, undefined],
    [err(-32601, 'the method eth_getLogs does not exist/is not available'), false, undefined],
  ];
  for (const [e, isRange, hint] of cases) {
    test(`"${e.rpcMessage.slice(0, 60)}"`, () => {
      assert.equal(isRangeError(e), isRange);
      if (isRange) assert.equal(rangeHint(e, 16), hint);
    });
  }
  test('a suggested range that does not start at our block is ignored', () => {
    assert.equal(rangeHint(err(-32005, 'Try with this block range [0x20, 0x2f].'), 16), undefined);
  });
});

describe('JSON-RPC client against a misbehaving server', () => {
  let server: Server;
  let url: string;
  let mode = 'ok';
  let requests = 0;
  before(async () => {
    server = createServer(async (req, res) => {
      requests++;
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { id: number; method: string } | { id: number; method: string }[];
      const calls = Array.isArray(body) ? body : [body];
      const answer = (c: { id: number; method: string }) => ({ jsonrpc: '2.0', id: c.id, result: c.method });
      if (mode === 'flaky' && requests % 2 === 1) {
        res.statusCode = 502;
        res.end('bad gateway');
        return;
      }
      if (mode === 'truncated' && requests % 2 === 1) {
        res.end(JSON.stringify(calls.map(answer)).slice(0, 10));
        return;
      }
      if (mode === 'missing') {
        // answers only the first call of a batch
        res.end(JSON.stringify([answer(calls[0]!)]));
        return;
      }
      if (mode === 'hang') return;
      if (mode === 'method') {
        res.end(JSON.stringify(calls.map((c) => ({ jsonrpc: '2.0', id: c.id, error: { code: -32601, message: 'Method not found' } }))));
        return;
      }
      // reversed order: answers are matched by id, not position
      const out = calls.map(answer).reverse();
      res.end(JSON.stringify(Array.isArray(body) ? out : out[0]));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const client = (extra = {}) => new JsonRpcClient({ url, backoffMs: 1, maxBackoffMs: 5, timeoutMs: 300, maxBatchSize: 3, ...extra });

  test('batches split by size, answers matched by id', async () => {
    mode = 'ok';
    requests = 0;
    const methods = Array.from({ length: 7 }, (_, i) => `m${i}`);
    assert.deepEqual(await client().batchResults(methods.map((m) => ({ method: m, params: [] }))), methods);
    assert.equal(requests, 3);
  });

  test('5xx and truncated bodies are retried', async () => {
    const metrics = createMetrics();
    for (const m of ['flaky', 'truncated']) {
      mode = m;
      requests = 0;
      assert.equal(await client({ metrics }).call('eth_chainId', []), 'eth_chainId');
      assert.equal(requests, 2, `${m}: one retry`);
    }
    const kinds = new Set((await metrics.rpcErrors.get()).values.map((v) => v.labels.kind));
    assert.deepEqual([...kinds].sort(), ['http', 'invalid-response']);
  });

  test('retries give up with the transport error; permanent node errors are not retried', async () => {
    mode = 'hang';
    await assert.rejects(client({ retries: 1 }).call('eth_chainId', []), (e: Error) => e instanceof TransportError && /no answer within 300 ms/.test(e.message));
    mode = 'missing';
    await assert.rejects(client({ retries: 0 }).batchResults([{ method: 'a', params: [] }, { method: 'b', params: [] }]), /no answer for b/);
    mode = 'method';
    requests = 0;
    await assert.rejects(client().call('eth_foo', []), (e: Error) => e instanceof RpcError && e.code === -32601);
    assert.equal(requests, 1);
  });

  test('the URL must be http(s), and credentials in it never reach messages', () => {
    assert.throws(() => new JsonRpcClient({ url: 'ws://x' }), /invalid RPC URL/);
    const c = new JsonRpcClient({ url: 'https://user:secret@rpc.example.org/v3/KEY123?token=abc' });
    assert.equal(c.displayUrl, 'https://rpc.example.org/v3/KEY123');
    assert.ok(!c.displayUrl.includes('secret') && !c.displayUrl.includes('token'));
  });
});

describe('LogRangeFetcher adapts', () => {
  test('shrinks to a provider limit, then grows while sparse', async () => {
    const seen: Array<[number, number]> = [];
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const call = JSON.parse(Buffer.concat(chunks).toString()) as { id: number; params: [{ fromBlock: string; toBlock: string }] };
      const from = Number(call.params[0].fromBlock);
      const to = Number(call.params[0].toBlock);
      seen.push([from, to]);
      if (to - from + 1 > 10) res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, error: { code: -32602, message: 'exceed maximum block range: 10' } }));
      else res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result: [] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const rpc = new JsonRpcClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, backoffMs: 1 });
      const f = new LogRangeFetcher(rpc, { addresses: ['0x' + '11'.repeat(20)], topic0s: ['0x' + '22'.repeat(32)] }, { initialRange: 1000, maxRange: 10_000 });
      const first = await f.fetch(0, 5000);
      assert.deepEqual(first, { to: 9, logs: [] });
      assert.deepEqual(seen.slice(0, 2), [[0, 999], [0, 9]]);
      // sparse results: the next range doubles (and is refused again at this provider)
      assert.equal(f.range, 20);
      const second = await f.fetch(10, 5000);
      assert.equal(second.to, 19);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('backfill progress', () => {
  test('rates over the window and an ETA from the block rate', () => {
    let now = 0;
    const p = new Progress(100, { now: () => now, windowMs: 10_000 });
    p.record(100, 0);
    now = 2000;
    p.record(300, 500);
    const r = p.report(1300);
    assert.equal(r.blocksPerSecond, 100);
    assert.equal(r.eventsPerSecond, 250);
    assert.equal(r.etaSeconds, 10);
    assert.equal(r.percent, Math.round((201 / 1201) * 1000) / 10);
    assert.equal(p.report(300).etaSeconds, 0);
  });
});
