// The owner's secret batch seed (review finding H3). Which rows form which batch must be unknown
// to the lender: with a public seed, the batch means of about B models over known index sets form
// a linear system that gives back every row. The seed is 32 random bytes made on first run and
// kept in the owner's state directory (mode 0600, never logged, never uploaded); a batch plan is a
// Fisher-Yates shuffle driven by HMAC-SHA256 under it, so one model's plan says nothing about
// another's and nothing about the seed.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import type { Logger } from '@hessian/core/log';

const KIND = 'hessian/batch-seed';
const SEED_BYTES = 32;

export class BatchSeed {
  readonly #key: Buffer;
  /** a public name for the seed (it tells plans made under different seeds apart in the privacy ledger) */
  readonly id: string;

  constructor(key: Uint8Array) {
    if (key.length !== SEED_BYTES) throw new Error(`a batch seed has ${SEED_BYTES} bytes, got ${key.length}`);
    this.#key = Buffer.from(key);
    this.id = createHash('sha256').update('hessian batch-seed id v1\0').update(this.#key).digest('hex').slice(0, 16);
  }

  /**
   * The full batches of `batchSize` rows for a model: disjoint, deterministic for (seed, model,
   * rowCount), so a restart picks the same rows. A short last batch would fall under the model's
   * minimum and is dropped.
   */
  plan(rowCount: number, batchSize: number, modelId: number): Uint32Array[] {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
    const order = this.shuffle(rowCount, `batch-plan v1/model/${modelId}/rows/${rowCount}`);
    const out: Uint32Array[] = [];
    for (let from = 0; from + batchSize <= rowCount; from += batchSize) out.push(order.slice(from, from + batchSize));
    return out;
  }

  private shuffle(n: number, label: string): Uint32Array {
    const idx = Uint32Array.from({ length: n }, (_, i) => i);
    let counter = 0;
    let block = Buffer.alloc(0);
    let at = 0;
    const nextUint32 = (): number => {
      if (at + 4 > block.length) {
        block = createHmac('sha256', this.#key).update(`${label}/${counter++}`).digest();
        at = 0;
      }
      const v = block.readUInt32LE(at);
      at += 4;
      return v;
    };
    for (let i = n - 1; i > 0; i--) {
      // rejection sampling: no modulo bias
      const limit = 2 ** 32 - (2 ** 32 % (i + 1));
      let v: number;
      do v = nextUint32(); while (v >= limit);
      const j = v % (i + 1);
      const t = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = t;
    }
    return idx;
  }

  toString(): string {
    return `[BatchSeed ${this.id}]`;
  }
  toJSON(): string {
    return this.toString();
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * The owner's seed from `file`, made (crypto random, written 0600 without overwriting) when the
 * file does not exist. A file open to group or others is refused: anyone who reads it can line up
 * the owner's gradients with its rows.
 */
export function loadOrCreateBatchSeed(file: string, opts: { log?: Pick<Logger, 'addSecret'> } = {}): BatchSeed {
  let raw: string | undefined;
  try {
    const st = statSync(file);
    if ((st.mode & 0o077) !== 0) {
      throw new Error(`batch seed file ${file} has mode ${(st.mode & 0o777).toString(8)}: it must not be accessible by group or others (chmod 600)`);
    }
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let hex: string;
  if (raw === undefined) {
    hex = randomBytes(SEED_BYTES).toString('hex');
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // wx: two starts racing cannot each write a seed and use different plans
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify({ version: 1, kind: KIND, seed: hex }) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const dir = openSync(path.dirname(file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } else {
    let doc: { version?: unknown; kind?: unknown; seed?: unknown };
    try {
      doc = JSON.parse(raw);
    } catch {
      throw new Error(`batch seed file ${file} is not valid JSON`);
    }
    if (doc.version !== 1 || doc.kind !== KIND || typeof doc.seed !== 'string' || !/^[0-9a-f]{64}$/.test(doc.seed)) {
      throw new Error(`batch seed file ${file} is invalid: expected {"version": 1, "kind": "${KIND}", "seed": <64 hex digits>}`);
    }
    hex = doc.seed;
  }
  opts.log?.addSecret(hex);
  opts.log?.addSecret(Buffer.from(hex, 'hex'));
  return new BatchSeed(Buffer.from(hex, 'hex'));
}

/** where an owner keeps its seed: beside its journal, one per account */
export function batchSeedFile(stateDir: string, account: string): string {
  return path.join(stateDir, `owner-${account.toLowerCase()}.batch-seed.json`);
}
