// A counting JSON-RPC proxy in front of the bench chain: every engine (Hessian, the floor,
// Ponder) reads the same node through it, so calls are counted the same way for all. Several
// listening ports can share one counter (Ponder's several RPC URLs).
import { createServer, type Server } from 'node:http';

export interface RpcCounter {
  httpRequests: number;
  calls: number;
  byMethod: Record<string, number>;
}

export interface RpcProxy {
  urls: string[];
  counter: RpcCounter;
  reset(): void;
  close(): Promise<void>;
}

export async function startRpcProxy(target: string, ports = 1): Promise<RpcProxy> {
  const counter: RpcCounter = { httpRequests: 0, calls: 0, byMethod: {} };
  const servers: Server[] = [];
  const urls: string[] = [];
  for (let i = 0; i < ports; i++) {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        counter.httpRequests++;
        try {
          const parsed = JSON.parse(body.toString()) as { method?: string } | { method?: string }[];
          for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
            counter.calls++;
            const m = call.method ?? '?';
            counter.byMethod[m] = (counter.byMethod[m] ?? 0) + 1;
          }
        } catch {
          // not JSON: forwarded as is, the node answers the error
        }
        fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
          .then(async (r) => {
            const text = Buffer.from(await r.arrayBuffer());
            res.writeHead(r.status, { 'content-type': 'application/json' });
            res.end(text);
          })
          .catch((e: unknown) => {
            res.writeHead(502, { 'content-type': 'text/plain' });
            res.end(String(e));
          });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const addr = server.address();
    if (!addr || typeof addr !== 'object') throw new Error('proxy did not get a port');
    servers.push(server);
    urls.push(`http://127.0.0.1:${addr.port}`);
  }
  return {
    urls,
    counter,
    reset() {
      counter.httpRequests = 0;
      counter.calls = 0;
      counter.byMethod = {};
    },
    async close() {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}
