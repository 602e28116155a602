// Whole HTTP answers of successful queries, kept for one state of the store at a time.
//
// graph-node caches a query's result per (query, variables, block pointer). Here every answer is
// filed under the head it was computed at (cursor number and hash, and the recorded failure, which
// `_meta.hasIndexingErrors` and `indexing_error` read): a request whose head differs from the
// cache's empties it. A hash names one chain, so a new block, a reorg (a revert, then another
// branch) or a failure always changes the key; a time-travel answer (`block: { number }`) is
// also re-computed after each head move, stricter than graph-node, which keeps past blocks.
// The head is read from the database for every request (as the resolvers do), so a writer in
// another process or connection is seen too; nothing relies on commit notifications.
import type { StoredFailure } from '../store/entity-store.ts';
import type { BlockPtr } from '../types.ts';

export interface CachedAnswer {
  status: number;
  headers: [string, string][];
  body: string;
}

export interface ResultCacheOptions {
  /** total bytes of cached bodies; the least recently used answers go first */
  maxBytes: number;
  /** larger answers are not kept */
  maxEntryBytes: number;
}

/** The store state an answer depends on: the head block and the recorded failure. */
export function headKey(head: BlockPtr | null, failure: StoredFailure | null): string {
  return `${head ? `${head.number}:${head.hash}` : '-'}|${failure ? JSON.stringify(failure) : ''}`;
}

export class ResultCache {
  readonly #opts: ResultCacheOptions;
  #head: string | null = null;
  #entries = new Map<string, CachedAnswer>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(opts: ResultCacheOptions) {
    this.#opts = opts;
  }

  /** The answer to `request` at `head`; a head other than the cached one empties the cache. */
  get(head: string, request: string): CachedAnswer | undefined {
    if (head !== this.#head) {
      this.clear();
      this.#head = head;
    }
    const hit = this.#entries.get(request);
    if (!hit) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // most recently used last: Map order is the eviction order
    this.#entries.delete(request);
    this.#entries.set(request, hit);
    return hit;
  }

  /** Keeps an answer computed at `head`; one computed at a head the cache has moved away from is dropped. */
  set(head: string, request: string, answer: CachedAnswer): void {
    if (head !== this.#head) return;
    const size = answer.body.length + request.length;
    if (size > this.#opts.maxEntryBytes) return;
    const old = this.#entries.get(request);
    if (old) {
      this.#bytes -= old.body.length + request.length;
      this.#entries.delete(request);
    }
    this.#entries.set(request, answer);
    this.#bytes += size;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.#opts.maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= v.body.length + k.length;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
    this.#head = null;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** characters of the kept bodies and request keys, as counted against `maxBytes` */
  get bytes(): number {
    return this.#bytes;
  }
}
