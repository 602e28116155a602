import { createHash } from 'node:crypto';

/**
 * Deterministic pseudo-random numbers from a string or number seed (sha256 of the seed feeds
 * xoshiro128**), so the lender and tests reproduce the same shuffles on every machine.
 */
export class SeededRandom {
  private s: Uint32Array;
  constructor(seed: string | number) {
    const h = createHash('sha256').update(`hessian-rng:${seed}`).digest();
    this.s = new Uint32Array([h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12)]);
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }
  /** next 32 random bits */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }
  /** uniform in [0, 1) with 53 random bits */
  next(): number {
    return ((this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6)) / 9007199254740992;
  }
  /** uniform integer in [0, n) without modulo bias */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new Error(`int(n) needs an integer 1..2^32, got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const v = this.nextUint32();
      if (v < limit) return v % n;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Fisher-Yates shuffle of 0..n-1. */
export function shuffledIndices(n: number, seed: string | number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const rng = new SeededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = idx[i]; idx[i] = idx[j]; idx[j] = t;
  }
  return idx;
}

export interface SplitOptions {
  testFraction: number;
  seed: string | number;
  /** keep the label's class balance in both parts (binary labels) */
  stratify?: Float64Array;
}

/** Train/test split of row indices 0..n-1; disjoint, covering, deterministic for a seed. */
export function trainTestSplit(n: number, opts: SplitOptions): { train: Uint32Array; test: Uint32Array } {
  if (!(opts.testFraction > 0 && opts.testFraction < 1)) throw new Error(`testFraction must be in (0, 1), got ${opts.testFraction}`);
  const order = shuffledIndices(n, opts.seed);
  if (opts.stratify) {
    if (opts.stratify.length !== n) throw new Error(`stratify has ${opts.stratify.length} labels for ${n} rows`);
    const groups = new Map<number, number[]>();
    for (const i of order) {
      const g = groups.get(opts.stratify[i]) ?? [];
      g.push(i);
      groups.set(opts.stratify[i], g);
    }
    const train: number[] = [];
    const test: number[] = [];
    for (const g of [...groups.keys()].sort((a, b) => a - b).map((k) => groups.get(k)!)) {
      const nt = Math.round(g.length * opts.testFraction);
      test.push(...g.slice(0, nt));
      train.push(...g.slice(nt));
    }
    return { train: Uint32Array.from(train).sort(), test: Uint32Array.from(test).sort() };
  }
  const nt = Math.round(n * opts.testFraction);
  return { train: order.slice(nt).sort(), test: order.slice(0, nt).sort() };
}

/** Splits indices into `count` disjoint shards of near-equal size (after a seeded shuffle). */
export function shards(indices: ArrayLike<number>, count: number, seed: string | number): Uint32Array[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`shard count must be a positive integer, got ${count}`);
  if (count > indices.length) throw new Error(`cannot split ${indices.length} rows into ${count} non-empty shards`);
  const order = shuffledIndices(indices.length, seed);
  const out: Uint32Array[] = [];
  for (let s = 0; s < count; s++) {
    const from = Math.floor((s * indices.length) / count);
    const to = Math.floor(((s + 1) * indices.length) / count);
    out.push(Uint32Array.from(order.subarray(from, to), (k) => indices[k]).sort());
  }
  return out;
}

/** Mini-batches of `size` (the last one may be smaller) from a per-epoch seeded shuffle. */
export function miniBatches(indices: ArrayLike<number>, size: number, seed: string | number, epoch = 0): Uint32Array[] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`batch size must be a positive integer, got ${size}`);
  const order = shuffledIndices(indices.length, `${seed}/epoch/${epoch}`);
  const out: Uint32Array[] = [];
  for (let from = 0; from < order.length; from += size) {
    out.push(Uint32Array.from(order.subarray(from, Math.min(order.length, from + size)), (k) => indices[k]));
  }
  return out;
}

/** Rows and labels at the given indices. */
export function take(x: Float64Array[], y: Float64Array, idx: ArrayLike<number>): { x: Float64Array[]; y: Float64Array } {
  const xs: Float64Array[] = new Array(idx.length);
  const ys = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (i >= x.length) throw new Error(`row index ${i} out of range (${x.length} rows)`);
    xs[k] = x[i];
    ys[k] = y[i];
  }
  return { x: xs, y: ys };
}
