import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import {
  ContentNotFoundError, ContentTooLargeError, EmbeddedContentStore, InvalidCidError, KuboContentStore,
  openContentStore, parseCid,
} from '../src/ipfs/index.ts';
import { startKuboStandin, type KuboStandin } from '../test-kit/kubo-standin.ts';

const MiB = 1024 * 1024;
let dir: string;
let store: EmbeddedContentStore;
let standin: KuboStandin;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hessian-ipfs-'));
  store = await EmbeddedContentStore.open(join(dir, 'embedded'));
  standin = await startKuboStandin({ path: join(dir, 'standin') });
});
after(async () => {
  await store.close();
  await standin.close();
  await rm(dir, { recursive: true, force: true });
});

async function rawCid(bytes: Uint8Array): Promise<CID> {
  return CID.createV1(0x55, await sha256.digest(bytes));
}

test('a single-chunk file is its raw leaf: CIDv1 raw sha256 of the bytes (as Kubo with --raw-leaves)', async () => {
  const hello = new TextEncoder().encode('hello world');
  const cid = await store.put(hello);
  assert.equal(cid, (await rawCid(hello)).toString());
  // the well-known CID of "hello world", as `echo -n 'hello world' | ipfs add --cid-version 1` prints it
  assert.equal(cid, 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e');
  const exactlyOneChunk = randomBytes(MiB);
  assert.equal(await store.put(exactlyOneChunk), (await rawCid(exactlyOneChunk)).toString());
  assert.deepEqual(await store.get(cid, { maxBytes: 100 }), hello);
});

test('a multi-chunk file is a balanced dag-pb root over 1 MiB raw leaves, rebuilt independently', async () => {
  const bytes = randomBytes(2 * MiB + 12345);
  const cid = await store.put(bytes);
  const leaves = [bytes.subarray(0, MiB), bytes.subarray(MiB, 2 * MiB), bytes.subarray(2 * MiB)];
  const leafCids = await Promise.all(leaves.map((l) => rawCid(l)));
  // build the root node the way Kubo does: UnixFS file data with block sizes, links with Tsize
  const data = new UnixFS({ type: 'file', blockSizes: leaves.map((l) => BigInt(l.length)) });
  const root = dagPb.encode(dagPb.prepare({
    Data: data.marshal(),
    Links: leafCids.map((c, i) => ({ Hash: c, Name: '', Tsize: leaves[i].length })),
  }));
  const expected = CID.createV1(dagPb.code, await sha256.digest(root));
  assert.equal(cid, expected.toString());
  const back = await store.get(cid, { maxBytes: bytes.length });
  assert.ok(Buffer.from(back).equals(bytes));
});

test('JSON round trip and has()', async () => {
  const doc = { version: 1, name: 'x', list: [1, 2.5, 'three'], nested: { ok: true } };
  const cid = await store.putJson(doc);
  assert.deepEqual(await store.getJson(cid, { maxBytes: 1000 }), doc);
  assert.equal(await store.has(cid), true);
  const absent = (await rawCid(new TextEncoder().encode('never stored'))).toString();
  assert.equal(await store.has(absent), false);
  const notJson = await store.put(new TextEncoder().encode('{not json'));
  await assert.rejects(store.getJson(notJson, { maxBytes: 100 }), /not valid JSON/);
});

test('malformed and unsupported CIDs get clear errors', async () => {
  assert.throws(() => parseCid('not-a-cid'), (e: unknown) => e instanceof InvalidCidError && /malformed CID "not-a-cid"/.test((e as Error).message));
  assert.throws(() => parseCid(''), InvalidCidError);
  assert.throws(() => parseCid(42), InvalidCidError);
  // a dag-cbor CID is well formed but never something we store
  const cbor = CID.createV1(0x71, await sha256.digest(new Uint8Array([1]))).toString();
  assert.throws(() => parseCid(cbor), /codec 0x71/);
  await assert.rejects(store.get('bafy-garbage', { maxBytes: 10 }), InvalidCidError);
});

test('a CID that does not resolve is a ContentNotFoundError', async () => {
  const absent = (await rawCid(randomBytes(32))).toString();
  await assert.rejects(store.get(absent, { maxBytes: 1000 }), (e: unknown) => e instanceof ContentNotFoundError && (e as Error).message.includes(absent));
  // a root whose leaves are missing (partial DAG) is also not found, not a crash
  const other = await EmbeddedContentStore.open(join(dir, 'partial'));
  try {
    const bytes = randomBytes(MiB + 10);
    const cid = await store.put(bytes);
    const rootCid = CID.parse(cid);
    for await (const b of store.blockstore.get(rootCid)) await other.blockstore.put(rootCid, b);
    await assert.rejects(other.get(cid, { maxBytes: 2 * MiB }), ContentNotFoundError);
  } finally {
    await other.close();
  }
});

test('maxBytes is enforced from the root block, before reading content', async () => {
  const bytes = randomBytes(3 * MiB);
  const cid = await store.put(bytes);
  // only the root block is present: a size check that needed the leaves would fail differently
  const rootOnly = await EmbeddedContentStore.open(join(dir, 'root-only'));
  try {
    const rootCid = CID.parse(cid);
    for await (const b of store.blockstore.get(rootCid)) await rootOnly.blockstore.put(rootCid, b);
    await assert.rejects(rootOnly.get(cid, { maxBytes: MiB }), (e: unknown) => e instanceof ContentTooLargeError && /3145728 bytes, over the limit of 1048576/.test((e as Error).message));
  } finally {
    await rootOnly.close();
  }
  const small = await store.put(randomBytes(500));
  await assert.rejects(store.get(small, { maxBytes: 499 }), ContentTooLargeError);
  assert.equal((await store.get(small, { maxBytes: 500 })).length, 500);
});

test('kubo-rpc-client against the stand-in gives the same CIDs as the embedded store', async () => {
  const kubo = new KuboContentStore({ url: standin.url, timeoutMs: 10_000 });
  for (const size of [0, 11, MiB, 2 * MiB + 7]) {
    const bytes = randomBytes(size);
    const viaKubo = await kubo.put(bytes);
    assert.equal(viaKubo, await store.put(bytes), `size ${size}`);
    assert.ok(Buffer.from(await kubo.get(viaKubo, { maxBytes: size })).equals(bytes));
    assert.equal(await kubo.has(viaKubo), true);
  }
  const big = await kubo.put(randomBytes(2 * MiB));
  await assert.rejects(kubo.get(big, { maxBytes: MiB }), ContentTooLargeError);
  const absent = (await rawCid(randomBytes(32))).toString();
  await assert.rejects(kubo.get(absent, { maxBytes: 10 }), ContentNotFoundError);
  assert.equal(await kubo.has(absent), false);
  const doc = { hello: 'kubo' };
  assert.deepEqual(await kubo.getJson(await kubo.putJson(doc), { maxBytes: 100 }), doc);
});

test('openContentStore picks Kubo when IPFS_API is set, embedded otherwise', async () => {
  const k = await openContentStore({}, { IPFS_API: standin.url });
  assert.ok(k instanceof KuboContentStore);
  await k.close();
  const e = await openContentStore({ path: join(dir, 'opened') }, {});
  assert.ok(e instanceof EmbeddedContentStore);
  await e.close();
  await assert.rejects(openContentStore({}, { IPFS_API: 'not a url' }), /IPFS_API "not a url" is not a URL/);
});
