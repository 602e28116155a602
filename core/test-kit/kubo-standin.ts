import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { EmbeddedContentStore, CHUNK_SIZE } from '../src/ipfs/embedded.ts';
import { ContentNotFoundError, InvalidCidError, parseCid } from '../src/ipfs/store.ts';
import { exporter } from 'ipfs-unixfs-exporter';

/**
 * A small local stand-in for Kubo's RPC API (Kubo itself cannot be installed here): `add`,
 * `cat`, `files/stat`, `block/stat`, `version`, served from an embedded store so kubo-rpc-client
 * can be exercised for real. Only the CID options Hessian uses are accepted; others get a 400
 * rather than a CID Kubo would not produce. Listens on 127.0.0.1, port 0 by default.
 */
export interface KuboStandinOptions {
  /** directory for the blockstore */
  path: string;
  port?: number;
  /** largest accepted upload (default 256 MiB) */
  maxUploadBytes?: number;
}

export interface KuboStandin {
  url: string;
  store: EmbeddedContentStore;
  server: Server;
  close(): Promise<void>;
}

function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ Message: message, Code: 0, Type: 'error' }));
}

function sendJson(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(value));
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) { super(message); this.status = status; }
}

export async function startKuboStandin(opts: KuboStandinOptions): Promise<KuboStandin> {
  const store = await EmbeddedContentStore.open(opts.path);
  const maxUpload = opts.maxUploadBytes ?? 256 * 1024 * 1024;

  async function add(req: IncomingMessage, url: URL, res: ServerResponse): Promise<void> {
    const q = url.searchParams;
    const cidVersion = q.get('cid-version') ?? '0';
    const rawLeaves = q.get('raw-leaves') ?? (cidVersion === '1' ? 'true' : 'false');
    const chunker = q.get('chunker') ?? 'size-262144';
    if (cidVersion !== '1' || rawLeaves !== 'true' || chunker !== `size-${CHUNK_SIZE}`) {
      throw new HttpError(400, `stand-in supports only cid-version=1 raw-leaves=true chunker=size-${CHUNK_SIZE} (got cid-version=${cidVersion} raw-leaves=${rawLeaves} chunker=${chunker})`);
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxUpload) throw new HttpError(413, `upload of ${declared} bytes exceeds ${maxUpload}`);
    let seen = 0;
    const limited = Readable.from((async function* () {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        seen += chunk.length;
        if (seen > maxUpload) throw new HttpError(413, `upload exceeds ${maxUpload} bytes`);
        yield chunk;
      }
    })());
    const request = new Request('http://standin/api/v0/add', {
      method: 'POST',
      headers: { 'content-type': String(req.headers['content-type'] ?? '') },
      body: Readable.toWeb(limited) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    let form: FormData;
    try {
      form = await request.formData();
    } catch (e) {
      if (e instanceof HttpError) throw e;
      throw new HttpError(400, `could not parse multipart body: ${(e as Error).message}`);
    }
    const lines: string[] = [];
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') continue;
      const bytes = new Uint8Array(await value.arrayBuffer());
      const cid = await store.put(bytes);
      lines.push(JSON.stringify({ Name: value.name || name || cid, Hash: cid, Size: String(bytes.length) }));
    }
    if (lines.length === 0) throw new HttpError(400, 'no file in the request');
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'X-Chunked-Output': '1' });
    res.end(lines.join('\n') + '\n');
  }

  async function cat(url: URL, res: ServerResponse): Promise<void> {
    const arg = url.searchParams.get('arg') ?? '';
    const cid = parseCid(arg.replace(/^\/ipfs\//, ''));
    if (!(await store.blockstore.has(cid))) throw new HttpError(500, `block was not found locally (offline): ipld: could not find ${cid}`);
    const entry = await exporter(cid, store.blockstore, { offline: true });
    if (entry.type !== 'file' && entry.type !== 'raw') throw new HttpError(500, 'this dag node is a directory');
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const lengthParam = url.searchParams.get('length');
    const length = lengthParam === null ? undefined : Number(lengthParam);
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Stream-Output': '1' });
    for await (const chunk of entry.content({ offset, length })) {
      if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  }

  async function stat(url: URL, res: ServerResponse, kind: 'files' | 'block'): Promise<void> {
    const arg = url.searchParams.get('arg') ?? '';
    const cid = parseCid(arg.replace(/^\/ipfs\//, ''));
    if (!(await store.blockstore.has(cid))) throw new HttpError(500, `block was not found locally (offline): ipld: could not find ${cid}`);
    if (kind === 'block') {
      let size = 0;
      for await (const b of store.blockstore.get(cid)) size += b.length;
      sendJson(res, { Key: cid.toString(), Size: size });
      return;
    }
    const entry = await exporter(cid, store.blockstore, { offline: true });
    const size = entry.type === 'file' || entry.type === 'raw' ? Number(entry.size) : 0;
    sendJson(res, { Hash: cid.toString(), Size: size, CumulativeSize: size, Blocks: 0, Type: entry.type === 'directory' ? 'directory' : 'file' });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const handle = async (): Promise<void> => {
      if (req.method !== 'POST') throw new HttpError(405, `${req.method} not allowed: the RPC API takes POST`);
      switch (url.pathname) {
        case '/api/v0/add': return add(req, url, res);
        case '/api/v0/cat': return cat(url, res);
        case '/api/v0/files/stat': return stat(url, res, 'files');
        case '/api/v0/block/stat': return stat(url, res, 'block');
        case '/api/v0/version': return sendJson(res, { Version: '0.0.0-hessian-standin', Commit: '', Repo: '', System: '', Golang: '' });
        default: throw new HttpError(404, `404 page not found: ${url.pathname}`);
      }
    };
    handle().catch((e: unknown) => {
      req.resume();
      if (e instanceof HttpError) sendError(res, e.status, e.message);
      else if (e instanceof InvalidCidError) sendError(res, 500, e.message);
      else if (e instanceof ContentNotFoundError) sendError(res, 500, e.message);
      else sendError(res, 500, (e as Error).message ?? String(e));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await store.close();
    },
  };
}

/** `node src/ipfs/kubo-standin.ts [--dir DIR] [--port N]`: serve until SIGINT/SIGTERM. */
async function main(argv: string[]): Promise<void> {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string' }, port: { type: 'string' } } });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${values.port}`);
  const s = await startKuboStandin({ path: values.dir ?? '.hessian/ipfs-standin', port });
  process.stdout.write(JSON.stringify({ msg: 'kubo stand-in listening', url: s.url, dir: values.dir ?? '.hessian/ipfs-standin' }) + '\n');
  const stop = (): void => { void s.close().then(() => process.exit(0)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && (await import('node:url')).fileURLToPath(import.meta.url) === (await import('node:path')).resolve(process.argv[1])) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`kubo-standin: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
