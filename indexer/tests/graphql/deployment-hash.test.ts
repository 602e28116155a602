// The deployment id (`_meta.deployment`) is the IPFS hash `graph build --ipfs` prints. Checked
// two ways that do not use the indexer's own hashing: a CIDv0 written out here from the dag-pb
// and UnixFS specs (anchored on kubo's well-known hashes), and graph-cli itself, run against a
// stand-in for kubo's HTTP API that names each upload with that hand-written CID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deploymentHash, ipfsAddCid } from '../../src/deployment-hash.ts';

// ---- CIDv0 by hand: protobuf, dag-pb (links before data), UnixFS File, sha2-256, base58btc ----

const CHUNK = 262_144;
const MAX_LINKS = 174;

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const bytesField = (field: number, b: Uint8Array) => Buffer.from([...varint((field << 3) | 2), ...varint(b.length), ...b]);
const intField = (field: number, n: number) => Buffer.from([...varint(field << 3), ...varint(n)]);

/** UnixFS `Data` of a File: Type=2, Data, filesize, blocksizes (proto2, not packed) */
function unixfsFile(data: Uint8Array | null, filesize: number, blocksizes: number[]): Buffer {
  return Buffer.concat([intField(1, 2), ...(data && data.length ? [bytesField(2, data)] : []), intField(3, filesize), ...blocksizes.map((s) => intField(4, s))]);
}

interface Node {
  bytes: Buffer;
  hash: Buffer;
  /** this block plus everything under it */
  cumulative: number;
  fileSize: number;
}

function dagPb(links: Node[], data: Buffer, fileSize: number): Node {
  const encodedLinks = links.map((l) => bytesField(2, Buffer.concat([bytesField(1, l.hash), bytesField(2, Buffer.alloc(0)), intField(3, l.cumulative)])));
  const bytes = Buffer.concat([...encodedLinks, bytesField(1, data)]);
  const hash = Buffer.concat([Buffer.from([0x12, 0x20]), createHash('sha256').update(bytes).digest()]);
  return { bytes, hash, cumulative: bytes.length + links.reduce((a, l) => a + l.cumulative, 0), fileSize };
}

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58(b: Buffer): string {
  let n = BigInt('0x' + b.toString('hex'));
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const byte of b) {
    if (byte !== 0) break;
    out = '1' + out;
  }
  return out;
}

/** kubo `ipfs add` defaults: 256 KiB chunks as UnixFS File leaves, one balanced level (enough below 174 chunks) */
function handCid(content: Uint8Array): string {
  const leaves: Node[] = [];
  for (let off = 0; off === 0 || off < content.length; off += CHUNK) {
    const chunk = content.subarray(off, off + CHUNK);
    leaves.push(dagPb([], unixfsFile(chunk, chunk.length, []), chunk.length));
  }
  if (leaves.length > MAX_LINKS) throw new Error('more than one level of links: not written out here');
  const root = leaves.length === 1 ? leaves[0]! : dagPb(leaves, unixfsFile(null, content.length, leaves.map((l) => l.fileSize)), content.length);
  return base58(root.hash);
}

test('the hand-written CIDv0 gives kubo`s hashes of known contents', () => {
  assert.equal(handCid(Buffer.from('hello world\n')), 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o');
  assert.equal(handCid(Buffer.alloc(0)), 'QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH');
});

test('ipfsAddCid agrees with it on one chunk and on several', async () => {
  const big = Buffer.alloc(3 * CHUNK + 12_345);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  for (const content of [Buffer.from('hello world\n'), Buffer.alloc(0), big.subarray(0, CHUNK), big.subarray(0, CHUNK + 1), big]) {
    assert.equal(await ipfsAddCid(content), handCid(content), `${content.length} bytes`);
  }
});

/** Kubo's /api/v0/add and /api/v0/pin/add as graph-cli (kubo-rpc-client) calls them. */
async function fakeKubo(): Promise<{ url: string; added: string[]; close(): Promise<void> }> {
  const added: string[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url!, 'http://x');
    res.setHeader('content-type', 'application/json');
    if (url.pathname === '/api/v0/add') {
      const form = await new Request('http://x', { method: 'POST', headers: { 'content-type': req.headers['content-type']! }, body: Buffer.concat(chunks) }).formData();
      const lines: string[] = [];
      for (const [, file] of form) {
        const f = file as File;
        const content = Buffer.from(await f.arrayBuffer());
        const hash = handCid(content);
        added.push(`${decodeURIComponent(f.name)} ${hash}`);
        lines.push(JSON.stringify({ Name: decodeURIComponent(f.name), Hash: hash, Size: String(content.length) }));
      }
      res.end(lines.join('\n') + '\n');
    } else if (url.pathname === '/api/v0/pin/add') {
      res.end(JSON.stringify({ Pins: [url.searchParams.get('arg')] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, added, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const repo = path.resolve(import.meta.dirname, '../../..');

test('graph build --ipfs prints the deployment id the indexer computes for its output', { timeout: 300_000 }, async () => {
  const kubo = await fakeKubo();
  const out = await mkdtemp(path.join(tmpdir(), 'hessian-graph-build-'));
  try {
    const printed = await new Promise<string>((resolve, reject) => {
      const child = spawn(path.join(repo, 'node_modules/.bin/graph'), ['build', '--ipfs', kubo.url, '--output-dir', out, 'subgraph.yaml'], {
        cwd: path.join(repo, 'subgraph'),
        env: { ...process.env, GRAPH_SKIP_NEW_VERSION_CHECK: 'true', FORCE_COLOR: '0', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (c: Buffer) => (text += c.toString()));
      child.stderr.on('data', (c: Buffer) => (text += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        // eslint-disable-next-line no-control-regex
        const m = /Build completed: (Qm[1-9A-HJ-NP-Za-km-z]{44})/.exec(text.replace(/\x1b\[[0-9;]*m/g, ''));
        if (code === 0 && m) resolve(m[1]!);
        else reject(new Error(`graph build --ipfs exited ${code}:\n${text}`));
      });
    });
    // schema, two ABIs, two mappings, then the rewritten manifest
    assert.equal(kubo.added.length, 6, kubo.added.join('\n'));
    assert.equal(kubo.added.at(-1), `subgraph.yaml ${printed}`);
    assert.equal(await deploymentHash(path.join(out, 'subgraph.yaml')), printed);
  } finally {
    await kubo.close();
    await rm(out, { recursive: true, force: true });
  }
});
