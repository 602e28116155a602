// The owner's privacy ledger: one line per gradient released, appended and fsynced BEFORE the
// gradient leaves the machine (review finding L4), so a crash can overstate what was spent but
// never understate it. It spans every model and every restart; accountant.ts turns it into the
// (epsilon, delta) the owner's most exposed row has spent.
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { epsilonForRho, worstRowRho } from './accountant.ts';
import type { Release } from './accountant.ts';

const spendSchema = z.object({
  v: z.literal(1),
  at: z.string(),
  modelId: z.number().int().nonnegative(),
  /** the batch plan (accountant.ts: a row is in one batch per plan) */
  plan: z.string().min(1).max(128),
  batch: z.number().int().nonnegative(),
  commitment: z.string().max(200),
  rows: z.number().int().positive(),
  noiseMultiplier: z.number().finite().positive(),
  clip: z.number().finite().positive(),
  rho: z.number().finite().positive(),
  /** what this release spends on its own, at delta */
  epsilon: z.number().finite().nonnegative(),
  delta: z.number().finite().positive().lt(1),
}).strict();

export type SpendRecord = z.infer<typeof spendSchema>;

export interface LedgerTotal {
  epsilon: number;
  delta: number;
  /** zCDP rho of the most exposed row */
  rho: number;
  gradients: number;
  models: number;
}

export class PrivacyLedger {
  readonly file: string;
  #records: SpendRecord[];

  private constructor(file: string, records: SpendRecord[]) {
    this.file = file;
    this.#records = records;
  }

  /**
   * Reads the ledger (none yet: empty). A torn last line is a spend whose fsync never returned,
   * so its gradient never left: it is cut off. Any other bad line is refused: the owner's spend
   * would be unknown.
   */
  static open(file: string): PrivacyLedger {
    let raw: string;
    try {
      raw = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return new PrivacyLedger(path.resolve(file), []);
    }
    const end = raw.lastIndexOf('\n') + 1;
    if (end < raw.length) {
      const fd = openSync(file, 'r+');
      try {
        ftruncateSync(fd, Buffer.byteLength(raw.slice(0, end)));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    const records = raw.slice(0, end).split('\n').slice(0, -1).map((line, i) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new Error(`privacy ledger ${file} line ${i + 1} is not JSON: the owner's privacy spend cannot be known (restore the file from a backup)`);
      }
      const r = spendSchema.safeParse(parsed);
      if (!r.success) throw new Error(`privacy ledger ${file} line ${i + 1} is invalid (${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}): the owner's privacy spend cannot be known`);
      return r.data;
    });
    return new PrivacyLedger(path.resolve(file), records);
  }

  get records(): readonly SpendRecord[] {
    return this.#records;
  }

  /** what the most exposed row has spent, at `delta`, with `extra` releases counted as if made */
  total(delta: number, extra: readonly Release[] = []): LedgerTotal {
    const rho = worstRowRho([...this.#records, ...extra]);
    return {
      epsilon: epsilonForRho(rho, delta),
      delta,
      rho,
      gradients: this.#records.length + extra.length,
      models: new Set([...this.#records.map((r) => r.modelId)]).size,
    };
  }

  /** appends a spend and makes it durable before returning */
  append(record: SpendRecord): void {
    const rec = spendSchema.parse(record);
    const created = this.#records.length === 0;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const fd = openSync(this.file, 'a', 0o600);
    try {
      writeSync(fd, JSON.stringify(rec) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (created) {
      const dir = openSync(path.dirname(this.file), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    this.#records.push(rec);
  }
}
