// A JSON-RPC proxy in front of a real node that misbehaves like public endpoints do: 5xx
// answers, requests that hang past the client's timeout, bodies cut short, dropped connections,
// internal errors on single calls of a batch, null blocks from a lagging backend, and eth_getLogs range limits with each provider's
// own wording. Seeded, so a failing run can be replayed.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultRates {
  http503: number;
  hang: number;
  truncate: number;
  reset: number;
  /** per call, JSON-RPC -32603 */
  rpcError: number;
  /** per eth_getBlockByNumber, `null` as a lagging load-balanced backend answers */
  nullBlock: number;
  /** eth_getLogs wider than this many blocks is refused */
  logRangeLimit: number;
}

export interface FaultyProxy {
  url: string;
  /** how many times each fault was injected */
  injected: Record<string, number>;
  /** calls forwarded by method */
  calls: Record<string, number>;
  /** every call in the order it arrived (tests may push their own markers in between) */
  received: Array<{ method: string; params: unknown[] }>;
  /** change the fault rates from now on (e.g. `{ http503: 1 }`: the endpoint is down) */
  setRates(rates: Partial<FaultRates>): void;
  close(): Promise<void>;
}

/** mulberry32: small, seedable, good enough to spread faults */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Call {
  jsonrpc: string;
  id: number;
  method: string;
  params: Array<{ fromBlock?: string; toBlock?: string }>;
}

const RANGE_MESSAGES = [
  (from: number, limit: number) => ({ code: -32005, message: `query returned more than 10000 results. Try with this block range [0x${from.toString(16)}, 0x${(from + limit - 1).toString(16)}].` }),
  (_from: number, limit: number) => ({ code: -32602, message: `exceed maximum block range: ${limit}` }),
  () => ({ code: -32000, message: 'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range' }),
];

/** A proxy that injects no fault: it forwards every call and counts it (`calls`, `received`). */
export function startCountingProxy(upstream: string): Promise<FaultyProxy> {
  return startFaultyProxy(upstream, 1, { http503: 0, hang: 0, truncate: 0, reset: 0, rpcError: 0, nullBlock: 0, logRangeLimit: 1e9 });
}

export async function startFaultyProxy(upstream: string, seed: number, rates: Partial<FaultRates> = {}): Promise<FaultyProxy> {
  const r: FaultRates = { http503: 0.06, hang: 0.03, truncate: 0.06, reset: 0.03, rpcError: 0.04, nullBlock: 0.03, logRangeLimit: 4, ...rates };
  const random = prng(seed);
  const injected: Record<string, number> = {};
  const calls: Record<string, number> = {};
  const received: FaultyProxy['received'] = [];
  const count = (k: string, into = injected) => void (into[k] = (into[k] ?? 0) + 1);
  const hanging = new Set<ServerResponse>();

  const forward = async (body: string): Promise<string> => {
    const res = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return res.text();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    const parsed = JSON.parse(text) as Call | Call[];
    const batch = Array.isArray(parsed) ? parsed : [parsed];
    const roll = random();
    let edge = 0;
    const hit = (p: number) => roll >= edge && roll < (edge += p);
    if (hit(r.http503)) {
      count('http503');
      res.statusCode = 503;
      res.end('Service Unavailable');
      return;
    }
    if (hit(r.hang)) {
      count('hang');
      hanging.add(res);
      return;
    }
    if (hit(r.reset)) {
      count('reset');
      req.socket.destroy();
      return;
    }
    const truncate = hit(r.truncate);
    // calls answered here instead of by the node
    const local = new Map<number, unknown>();
    for (const c of batch) {
      count(c.method, calls);
      received.push({ method: c.method, params: c.params });
      if (c.method === 'eth_getLogs' && c.params[0]?.fromBlock && c.params[0]?.toBlock) {
        const from = Number(BigInt(c.params[0].fromBlock));
        const to = Number(BigInt(c.params[0].toBlock));
        if (to - from + 1 > r.logRangeLimit) {
          count('range');
          const msg = RANGE_MESSAGES[Math.floor(random() * RANGE_MESSAGES.length)]!(from, r.logRangeLimit);
          local.set(c.id, { jsonrpc: '2.0', id: c.id, error: msg });
          continue;
        }
      }
      if (c.method === 'eth_getBlockByNumber' && random() < r.nullBlock) {
        count('nullBlock');
        local.set(c.id, { jsonrpc: '2.0', id: c.id, result: null });
        continue;
      }
      if (random() < r.rpcError) {
        count('rpcError');
        local.set(c.id, { jsonrpc: '2.0', id: c.id, error: { code: -32603, message: 'Internal error' } });
      }
    }
    const toNode = batch.filter((c) => !local.has(c.id));
    const answers = new Map<number, unknown>(local);
    if (toNode.length) {
      const upstreamText = await forward(JSON.stringify(Array.isArray(parsed) ? toNode : toNode[0]));
      const up = JSON.parse(upstreamText) as unknown;
      for (const a of Array.isArray(up) ? up : [up]) answers.set((a as { id: number }).id, a);
    }
    const out = Array.isArray(parsed) ? JSON.stringify(batch.map((c) => answers.get(c.id))) : JSON.stringify(answers.get(batch[0]!.id));
    res.setHeader('content-type', 'application/json');
    if (truncate) {
      count('truncate');
      res.end(out.slice(0, Math.max(1, Math.floor(out.length / 2))));
      return;
    }
    res.end(out);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.statusCode = 502;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    injected,
    calls,
    received,
    setRates(rates) {
      Object.assign(r, rates);
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
