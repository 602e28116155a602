// What the owner daemon needs for privacy, in one place so roles/owner.ts only calls it: the
// secret batch plan (seed.ts), the clipping and noise of each release (he/noise.ts), and the
// budget enforced against the ledger (ledger.ts) across every model and restart.
import { HessianError } from '@hessian/common/errors';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { EncodedData } from '@hessian/core/data';
import { privatizeBatch, validatePrivacyConfig } from '@hessian/core/he';
import type { PrivacyReport } from '@hessian/core/he';
import type { Logger } from '@hessian/core/log';
import { dpEpsilonFixed, gaussianRho } from './accountant.ts';
import { PrivacyLedger } from './ledger.ts';
import type { LedgerTotal, SpendRecord } from './ledger.ts';
import { batchSeedFile, loadOrCreateBatchSeed } from './seed.ts';
import type { BatchSeed } from './seed.ts';

export interface OwnerPrivacyOptions {
  /** noise standard deviation / sensitivity of each gradient; 0 turns differential privacy off */
  noiseMultiplier: number;
  /** L2 bound on each encoded row */
  clipNorm: number;
  /** the delta every epsilon is stated at */
  delta: number;
  /** total epsilon (at delta) the owner's most exposed row may spend, over every model */
  epsilonBudget: number;
  residualBound?: number;
}

/**
 * Measured on LendingClub with the demo's 5 owners, 2 rounds and batches of 512
 * (bench/suites/privacy.ts, BENCHMARKS.md): see docs/privacy.md for what they mean.
 */
export const DEFAULT_OWNER_PRIVACY: Readonly<OwnerPrivacyOptions> = Object.freeze({
  noiseMultiplier: 2,
  clipNorm: 6,
  delta: 1e-6,
  epsilonBudget: 8,
});

/** a release the owner's privacy budget does not allow: the owner raises the budget to go on */
export class PrivacyBudgetError extends HessianError {
  override name = 'PrivacyBudgetError';
  constructor(message: string) {
    super(message, { kind: 'user' });
  }
}

export interface BatchPlan {
  /** names the plan in the ledger: a row is in at most one of its batches */
  id: string;
  batches: Uint32Array[];
}

export interface Spent extends LedgerTotal {
  budget: number;
  enabled: boolean;
}

export class OwnerPrivacy {
  readonly options: Readonly<OwnerPrivacyOptions>;
  readonly enabled: boolean;
  readonly ledger: PrivacyLedger;
  readonly #seed: BatchSeed;

  constructor(opts: { seed: BatchSeed; ledger: PrivacyLedger; options: OwnerPrivacyOptions }) {
    this.#seed = opts.seed;
    this.ledger = opts.ledger;
    this.options = Object.freeze({ ...opts.options });
    this.enabled = opts.options.noiseMultiplier > 0;
  }

  /** the secret plan of a model's batches over the rows as encoded for it */
  batchPlan(modelId: number, data: EncodedData, batchSize: number): BatchPlan {
    const h = createHash('sha256').update(`${this.#seed.id}|${modelId}|${data.x.length}|${batchSize}|`);
    // the same indices over other rows (a changed CSV) are another plan: its batches overlap the old ones
    for (const row of data.x) h.update(new Uint8Array(row.buffer, row.byteOffset, row.byteLength));
    h.update(new Uint8Array(data.y.buffer, data.y.byteOffset, data.y.byteLength));
    return { id: h.digest('hex').slice(0, 32), batches: this.#seed.plan(data.x.length, batchSize, modelId) };
  }

  /** what releasing batch `batch` of `plan` would bring the total to, and the refusal if that is past the budget */
  check(modelId: number, plan: string, batch: number): { after: LedgerTotal; refusal?: string } {
    if (!this.enabled) return { after: this.ledger.total(this.options.delta) };
    const before = this.ledger.total(this.options.delta);
    const after = this.ledger.total(this.options.delta, [{ plan, batch, rho: gaussianRho(this.options.noiseMultiplier) }]);
    // a small tolerance: a budget equal to a whole number of releases is met, not exceeded
    if (after.epsilon <= this.options.epsilonBudget * (1 + 1e-9)) return { after };
    return {
      after,
      refusal:
        `privacy budget exceeded: a gradient on batch ${batch} of model ${modelId} would bring this owner's spend to epsilon ${after.epsilon.toFixed(3)} ` +
        `(delta ${this.options.delta.toExponential()}), over its budget of epsilon ${this.options.epsilonBudget}; spent so far: epsilon ${before.epsilon.toFixed(3)} ` +
        `over ${before.gradients} gradients on ${before.models} models (ledger ${this.ledger.file}). Raise the budget (--dp-epsilon-budget, HESSIAN_DP_EPSILON_BUDGET) only if the owner accepts the extra exposure.`,
    };
  }

  /** the clipped rows, the noise to add under encryption and the report; undefined when DP is off */
  privatize(x: readonly Float64Array[], intercept: boolean): { x: Float64Array[]; noise: Float64Array; report: PrivacyReport } | undefined {
    if (!this.enabled) return undefined;
    return privatizeBatch(
      x,
      { noiseMultiplier: this.options.noiseMultiplier, clipNorm: this.options.clipNorm, delta: this.options.delta, ...(this.options.residualBound !== undefined ? { residualBound: this.options.residualBound } : {}) },
      { intercept },
    );
  }

  /**
   * Journals a release before the gradient leaves the machine. Refuses (PrivacyBudgetError) one
   * that would go past the budget: the ledger is unchanged and nothing may be uploaded.
   */
  charge(release: { modelId: number; plan: string; batch: number; commitment: string; report: PrivacyReport }): SpendRecord {
    const { refusal } = this.check(release.modelId, release.plan, release.batch);
    if (refusal) throw new PrivacyBudgetError(refusal);
    const r = release.report;
    const rec: SpendRecord = {
      v: 1,
      at: new Date().toISOString(),
      modelId: release.modelId,
      plan: release.plan,
      batch: release.batch,
      commitment: release.commitment,
      rows: r.rows,
      noiseMultiplier: r.noiseMultiplier,
      clip: r.clip,
      rho: gaussianRho(r.noiseMultiplier),
      epsilon: r.epsilon,
      delta: r.delta,
    };
    this.ledger.append(rec);
    return rec;
  }

  /** what the owner's most exposed row has spent so far */
  spent(): Spent {
    return { ...this.ledger.total(this.options.delta), budget: this.options.epsilonBudget, enabled: this.enabled };
  }
}

export function validateOwnerPrivacyOptions(o: OwnerPrivacyOptions): void {
  if (!(Number.isFinite(o.noiseMultiplier) && o.noiseMultiplier >= 0)) throw new Error(`privacy noise multiplier must be >= 0 (0 turns differential privacy off), got ${o.noiseMultiplier}`);
  if (!(Number.isFinite(o.epsilonBudget) && o.epsilonBudget > 0)) throw new Error(`privacy epsilon budget must be > 0, got ${o.epsilonBudget}`);
  if (o.noiseMultiplier > 0) validatePrivacyConfig({ noiseMultiplier: o.noiseMultiplier, clipNorm: o.clipNorm, delta: o.delta, ...(o.residualBound !== undefined ? { residualBound: o.residualBound } : {}) });
  else if (!(o.delta > 0 && o.delta < 1)) throw new Error(`privacy delta must be in (0, 1), got ${o.delta}`);
}

/** the owner's seed and ledger from its state directory, with the defaults filled in */
export function openOwnerPrivacy(opts: { stateDir: string; account: string; options?: Partial<OwnerPrivacyOptions>; log?: Logger }): OwnerPrivacy {
  const options: OwnerPrivacyOptions = { ...DEFAULT_OWNER_PRIVACY, ...opts.options };
  validateOwnerPrivacyOptions(options);
  const seed = loadOrCreateBatchSeed(batchSeedFile(opts.stateDir, opts.account), opts.log ? { log: opts.log } : {});
  const ledger = PrivacyLedger.open(privacyLedgerFile(opts.stateDir, opts.account));
  const p = new OwnerPrivacy({ seed, ledger, options });
  if (!p.enabled) opts.log?.warn('differential privacy is OFF: gradients carry no noise and no budget is enforced; the lender who decrypts them can learn far more about the rows');
  return p;
}

export function privacyLedgerFile(stateDir: string, account: string): string {
  return path.join(stateDir, `owner-${account.toLowerCase()}.privacy-ledger.jsonl`);
}

/**
 * A release's epsilon as the contract's dpEpsilon (fixed point 1e6, rounded up). Undefined for a
 * gradient without differential privacy: its epsilon is unbounded, and 0 would read as perfect.
 */
export function dpEpsilonOf(report: PrivacyReport | null | undefined): bigint | undefined {
  return report ? dpEpsilonFixed(report.epsilon) : undefined;
}
