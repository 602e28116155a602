import { create, type KuboRPCClient } from 'kubo-rpc-client';
import {
  checkMaxBytes, ContentNotFoundError, ContentTooLargeError, decodeJson, encodeJson, parseCid,
  type ContentStore, type GetOptions,
} from './store.ts';
import { CHUNK_SIZE } from './embedded.ts';

export interface KuboStoreOptions {
  /** Kubo RPC API address, e.g. http://127.0.0.1:5001 */
  url: string;
  /** per-request limit; a CID nobody provides would otherwise be searched for indefinitely */
  timeoutMs?: number;
  /** pin what we add (default true) so Kubo's garbage collector keeps it */
  pin?: boolean;
}

/** A content store backed by a Kubo node through kubo-rpc-client, with the embedded store's CID options. */
export class KuboContentStore implements ContentStore {
  readonly client: KuboRPCClient;
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly pin: boolean;

  constructor(opts: KuboStoreOptions) {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      throw new Error(`IPFS_API "${opts.url}" is not a URL (expected e.g. http://127.0.0.1:5001)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`IPFS_API "${opts.url}" must be http(s)`);
    this.url = opts.url;
    this.client = create({ url: opts.url });
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.pin = opts.pin ?? true;
  }

  private signal(outer?: AbortSignal): AbortSignal {
    const t = AbortSignal.timeout(this.timeoutMs);
    return outer ? AbortSignal.any([outer, t]) : t;
  }

  async put(bytes: Uint8Array): Promise<string> {
    if (!(bytes instanceof Uint8Array)) throw new Error('put expects a Uint8Array');
    const res = await this.client.add(bytes, {
      cidVersion: 1,
      rawLeaves: true,
      chunker: `size-${CHUNK_SIZE}`,
      pin: this.pin,
      signal: this.signal(),
    });
    return res.cid.toV1().toString();
  }

  async get(cidString: string, opts: GetOptions): Promise<Uint8Array> {
    checkMaxBytes(opts.maxBytes);
    const cid = parseCid(cidString);
    const name = cid.toString();
    const signal = this.signal(opts.signal);
    let size: number;
    try {
      const st = await this.client.files.stat(`/ipfs/${name}`, { signal });
      size = Number(st.size);
    } catch (e) {
      throw new ContentNotFoundError(name, (e as Error).message);
    }
    if (size > opts.maxBytes) throw new ContentTooLargeError(name, size, opts.maxBytes);
    const parts: Uint8Array[] = [];
    let total = 0;
    try {
      // length caps what the node sends even if the stat lied
      for await (const chunk of this.client.cat(name, { length: opts.maxBytes + 1, signal })) {
        total += chunk.length;
        if (total > opts.maxBytes) throw new ContentTooLargeError(name, undefined, opts.maxBytes);
        parts.push(chunk);
      }
    } catch (e) {
      if (e instanceof ContentTooLargeError) throw e;
      throw new ContentNotFoundError(name, (e as Error).message);
    }
    const out = new Uint8Array(total);
    let off = 0;
    for (const p of parts) { out.set(p, off); off += p.length; }
    return out;
  }

  putJson(value: unknown): Promise<string> {
    return this.put(encodeJson(value));
  }

  async getJson(cid: string, opts: GetOptions): Promise<unknown> {
    return decodeJson(cid, await this.get(cid, opts));
  }

  async has(cidString: string): Promise<boolean> {
    const cid = parseCid(cidString);
    try {
      await this.client.block.stat(cid, { signal: this.signal(), offline: true } as Parameters<KuboRPCClient['block']['stat']>[1]);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {}
}
