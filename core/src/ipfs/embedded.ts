import { mkdir } from 'node:fs/promises';
import { FsBlockstore } from 'blockstore-fs';
import { importBytes, type ImporterOptions } from 'ipfs-unixfs-importer';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { balanced } from 'ipfs-unixfs-importer/layout';
import { exporter } from 'ipfs-unixfs-exporter';
import {
  checkMaxBytes, ContentNotFoundError, ContentTooLargeError, decodeJson, encodeJson, parseCid,
  type ContentStore, type GetOptions,
} from './store.ts';

export const CHUNK_SIZE = 1024 * 1024;
export const MAX_LINKS = 1024;

/**
 * The importer options that reproduce Kubo's `ipfs add --cid-version 1 --raw-leaves
 * --chunker size-1048576` (Helia's unixfs-v1-2025 profile): CIDv1, raw leaves, 1 MiB fixed
 * chunks, balanced DAG of width 1024, a single-chunk file is its raw leaf. Kubo's default width
 * is 174, so files over 174 MiB match Kubo only with Import.UnixFSFileMaxLinks=1024.
 */
export function kuboCompatibleImporterOptions(): ImporterOptions {
  return {
    profile: 'unixfs-v1-2025',
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: CHUNK_SIZE }),
    layout: balanced({ maxChildrenPerNode: MAX_LINKS }),
  };
}

/** A content store in a local directory: unixfs importer/exporter over a filesystem blockstore. */
export class EmbeddedContentStore implements ContentStore {
  readonly blockstore: FsBlockstore;
  readonly path: string;

  private constructor(path: string, bs: FsBlockstore) {
    this.path = path;
    this.blockstore = bs;
  }

  static async open(path: string): Promise<EmbeddedContentStore> {
    await mkdir(path, { recursive: true });
    const bs = new FsBlockstore(path);
    await bs.open();
    return new EmbeddedContentStore(path, bs);
  }

  async put(bytes: Uint8Array): Promise<string> {
    if (!(bytes instanceof Uint8Array)) throw new Error('put expects a Uint8Array');
    const entry = await importBytes(bytes, this.blockstore, kuboCompatibleImporterOptions());
    return entry.cid.toString();
  }

  async get(cidString: string, opts: GetOptions): Promise<Uint8Array> {
    checkMaxBytes(opts.maxBytes);
    const cid = parseCid(cidString);
    const name = cid.toString();
    if (!(await this.blockstore.has(cid))) throw new ContentNotFoundError(name, 'not in the local store');
    let entry;
    try {
      entry = await exporter(cid, this.blockstore, { offline: true, signal: opts.signal });
    } catch (e) {
      throw new ContentNotFoundError(name, (e as Error).message);
    }
    if (entry.type !== 'file' && entry.type !== 'raw') throw new Error(`content ${name} is a ${entry.type}, not a file`);
    // the root block states the size: refuse before reading any chunk
    if (entry.size > BigInt(opts.maxBytes)) throw new ContentTooLargeError(name, entry.size, opts.maxBytes);
    const size = Number(entry.size);
    const out = new Uint8Array(size);
    let off = 0;
    try {
      for await (const chunk of entry.content({ signal: opts.signal })) {
        if (off + chunk.length > size) throw new ContentTooLargeError(name, undefined, opts.maxBytes);
        out.set(chunk, off);
        off += chunk.length;
      }
    } catch (e) {
      if (e instanceof ContentTooLargeError) throw e;
      throw new ContentNotFoundError(name, `incomplete DAG: ${(e as Error).message}`);
    }
    if (off !== size) throw new Error(`content ${name} ended after ${off} of ${size} bytes`);
    return out;
  }

  putJson(value: unknown): Promise<string> {
    return this.put(encodeJson(value));
  }

  async getJson(cid: string, opts: GetOptions): Promise<unknown> {
    return decodeJson(cid, await this.get(cid, opts));
  }

  async has(cidString: string): Promise<boolean> {
    return this.blockstore.has(parseCid(cidString));
  }

  async close(): Promise<void> {
    await this.blockstore.close();
  }
}
