// Serves the built dashboard (dist/) and its run-time config.json, so the CLI's demo and the
// browser tests share one small static server instead of each writing their own.
import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { parseConfig, type DashboardConfig } from './src/lib/config.ts';

export const DIST_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dist');

export interface ServeOptions {
  /** 0 (default) picks a free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** written as /config.json; validated first. Omit to serve dist/config.json as built. */
  config?: Partial<DashboardConfig> & { endpoint: string };
  /** default: this package's dist/ (run `npm run build -w @hessian/dashboard` first) */
  dir?: string;
}

export interface DashboardServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export async function serveDashboard(options: ServeOptions = {}): Promise<DashboardServer> {
  const dir = path.resolve(options.dir ?? DIST_DIR);
  const index = path.join(dir, 'index.html');
  try {
    await stat(index);
  } catch {
    throw new Error(`serveDashboard: ${index} not found; build the dashboard first (npm run build -w @hessian/dashboard)`);
  }
  // validate now so a bad config fails the caller, not every browser that loads it
  const configBody = options.config ? JSON.stringify(toJson(options.config)) : undefined;

  const server = createServer(async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      if (pathname === '/config.json' && configBody !== undefined) {
        res.writeHead(200, { 'content-type': TYPES['.json']!, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : configBody);
        return;
      }
      const file = path.join(dir, pathname === '/' ? 'index.html' : pathname);
      if (file !== dir && !file.startsWith(dir + path.sep)) {
        res.writeHead(403).end();
        return;
      }
      let body: Buffer;
      try {
        body = await readFile(file);
      } catch {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
        return;
      }
      const ext = path.extname(file);
      // hashed assets never change; the page and config must be fresh
      const cache = pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': cache });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(String((e as Error).message));
    }
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${port}/`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

function toJson(config: NonNullable<ServeOptions['config']>): unknown {
  // a relative endpoint is fine: the browser resolves it against the page
  const parsed = parseConfig({ tokens: {}, ...config }, 'serveDashboard config', 'http://dashboard.invalid/');
  return { ...config, tokens: parsed.tokens };
}

// `node serve.ts --endpoint <url> [--port N] [--host H]`: serve dist/ for a quick look
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({
    options: { endpoint: { type: 'string' }, port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port number: ${values.port}`);
  const s = await serveDashboard({ port, host: values.host, config: values.endpoint ? { endpoint: values.endpoint } : undefined });
  console.log(`dashboard at ${s.url}`);
}
