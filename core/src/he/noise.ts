import { randomBytes } from 'node:crypto';

/**
 * Owner-side privacy for a returned mean gradient: rows are clipped to an L2 norm, then Gaussian
 * noise of `noiseMultiplier` times the sensitivity is added under encryption. Neighbouring
 * batches differ in one row (same size n), so the mean gradient (1/n) sum_i r_i x_i moves by at
 * most 2 * residualBound * clipNorm / n. The epsilon a release spends on its own (at `delta`) is
 * the analytic Gaussian mechanism's (Balle & Wang, ICML 2018); composing releases is
 * privacy/accountant.ts's job.
 *
 * Trust assumption, stated plainly: the residual r_i = sigmoid(x_i.w) - y_i is computed on
 * encrypted weights the owner cannot inspect. The bound |r_i| <= residualBound holds while the
 * lender follows the protocol (the cubic sigmoid stays within [-0.04, 1.04] for |z| <= 8 on
 * standardized, clipped rows); a lender who crafts huge weights breaks that bound, so the
 * guarantee is against an honest-but-curious lender (docs/privacy.md says what is left otherwise).
 */
export interface PrivacyConfig {
  /** noise standard deviation / L2 sensitivity */
  noiseMultiplier: number;
  /** the delta every epsilon is stated at */
  delta: number;
  /** L2 bound on each encoded row (intercept included) */
  clipNorm: number;
  /** assumed bound on |prediction - label| (default 1.05, the cubic sigmoid's range on |z| <= 8) */
  residualBound?: number;
}

/** what a release did, published in its gradient document */
export interface PrivacyReport {
  mechanism: 'gaussian';
  /** what this release spends on its own, at delta */
  epsilon: number;
  delta: number;
  noiseMultiplier: number;
  /** the L2 bound rows were clipped to */
  clip: number;
  sigma: number;
  sensitivity: number;
  residualBound: number;
  rows: number;
  rowsClipped: number;
}

export const DEFAULT_RESIDUAL_BOUND = 1.05;

export function validatePrivacyConfig(c: PrivacyConfig): void {
  if (!(Number.isFinite(c.noiseMultiplier) && c.noiseMultiplier > 0 && c.noiseMultiplier <= 1000)) throw new Error(`privacy noise multiplier must be in (0, 1000], got ${c.noiseMultiplier}`);
  if (!(Number.isFinite(c.delta) && c.delta > 0 && c.delta < 1)) throw new Error(`privacy delta must be in (0, 1), got ${c.delta}`);
  if (!(Number.isFinite(c.clipNorm) && c.clipNorm > 0)) throw new Error(`privacy clipNorm must be > 0, got ${c.clipNorm}`);
  const r = c.residualBound ?? DEFAULT_RESIDUAL_BOUND;
  if (!(Number.isFinite(r) && r > 0)) throw new Error(`privacy residualBound must be > 0, got ${r}`);
}

/** the sensitivity of a mean gradient over n rows (replace-one neighbours) */
export function meanGradientSensitivity(rows: number, clipNorm: number, residualBound = DEFAULT_RESIDUAL_BOUND): number {
  return (2 * residualBound * clipNorm) / rows;
}

/** epsilon of one Gaussian release at delta: the analytic mechanism with sensitivity / sigma = 1 / noiseMultiplier */
export function gaussianEpsilon(noiseMultiplier: number, delta: number): number {
  const d = (eps: number) => gaussianDelta(noiseMultiplier, eps, 1);
  if (d(0) <= delta) return 0;
  let lo = 0;
  let hi = 1;
  while (d(hi) > delta) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > hi * 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (d(mid) > delta) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * Scales rows down to L2 norm <= clipNorm. With an intercept (column 0 = 1) only the other
 * columns are scaled, so the intercept keeps its meaning; clipNorm must then exceed 1.
 */
export function clipRows(x: readonly Float64Array[], clipNorm: number, opts: { intercept?: boolean } = {}): { x: Float64Array[]; clipped: number } {
  const fixed = opts.intercept ? 1 : 0;
  if (fixed && clipNorm <= 1) throw new Error(`clipNorm ${clipNorm} must exceed 1 when the intercept column is kept`);
  const budget = Math.sqrt(clipNorm * clipNorm - fixed);
  let clipped = 0;
  const out = x.map((row) => {
    let ss = 0;
    for (let j = fixed; j < row.length; j++) ss += row[j] * row[j];
    const norm = Math.sqrt(ss);
    if (norm <= budget) return row;
    clipped++;
    const r = Float64Array.from(row);
    const f = budget / norm;
    for (let j = fixed; j < r.length; j++) r[j] *= f;
    return r;
  });
  return { x: out, clipped };
}

/** erfc with ~1e-12 relative accuracy (series below 0.5, continued fraction above). */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 0.5) {
    let sum = x;
    let term = x;
    for (let n = 1; n < 60; n++) {
      term *= (-x * x) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (x > 27) return 0;
  // modified Lentz evaluation of erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let k = 1; k < 5000; k++) {
    const a = k / 2;
    D = x + a * D;
    D = Math.abs(D) < tiny ? 1 / tiny : 1 / D;
    C = x + a / C;
    if (Math.abs(C) < tiny) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Standard normal CDF. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** The delta a Gaussian mechanism with this sigma achieves at epsilon (Balle & Wang, Thm 8). */
export function gaussianDelta(sigma: number, epsilon: number, sensitivity: number): number {
  const a = sensitivity / (2 * sigma);
  const b = (epsilon * sigma) / sensitivity;
  return normalCdf(a - b) - Math.exp(epsilon) * normalCdf(-a - b);
}

/** Smallest sigma giving (epsilon, delta)-DP for an L2 sensitivity (bisection on gaussianDelta). */
export function gaussianSigma(epsilon: number, delta: number, sensitivity: number): number {
  if (!(sensitivity > 0)) throw new Error(`sensitivity must be > 0, got ${sensitivity}`);
  let lo = 0;
  let hi = sensitivity;
  while (gaussianDelta(hi, epsilon, sensitivity) > delta) hi *= 2;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (gaussianDelta(mid, epsilon, sensitivity) > delta) lo = mid; else hi = mid;
    if (hi - lo <= hi * 1e-12) break;
  }
  return hi;
}

/** Uniform in (0, 1) from the OS CSPRNG: noise that protects rows must not be predictable. */
function cryptoUniform(): number {
  const b = randomBytes(8);
  const v = (b.readUInt32BE(0) >>> 5) * 67108864 + (b.readUInt32BE(4) >>> 6);
  return (v + 0.5) / 9007199254740992;
}

/** d independent N(0, sigma^2) samples (Box-Muller). */
export function gaussianNoise(d: number, sigma: number, uniform: () => number = cryptoUniform): Float64Array {
  const out = new Float64Array(d);
  for (let j = 0; j < d; j += 2) {
    const u1 = uniform();
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1)) * sigma;
    out[j] = r * Math.cos(2 * Math.PI * u2);
    if (j + 1 < d) out[j + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/**
 * Prepares a batch for a private release: clipped rows to compute the gradient on, the noise
 * vector to add to it under encryption, and the report to publish with the gradient.
 */
export function privatizeBatch(x: readonly Float64Array[], config: PrivacyConfig, opts: { intercept?: boolean; uniform?: () => number } = {}): { x: Float64Array[]; noise: Float64Array; report: PrivacyReport } {
  validatePrivacyConfig(config);
  if (x.length === 0) throw new Error('privatizeBatch: no rows');
  const residualBound = config.residualBound ?? DEFAULT_RESIDUAL_BOUND;
  const { x: clippedRows, clipped } = clipRows(x, config.clipNorm, { intercept: opts.intercept });
  const sensitivity = meanGradientSensitivity(x.length, config.clipNorm, residualBound);
  const sigma = config.noiseMultiplier * sensitivity;
  const noise = gaussianNoise(x[0].length, sigma, opts.uniform);
  return {
    x: clippedRows,
    noise,
    report: {
      mechanism: 'gaussian',
      epsilon: gaussianEpsilon(config.noiseMultiplier, config.delta),
      delta: config.delta,
      noiseMultiplier: config.noiseMultiplier,
      clip: config.clipNorm,
      sigma,
      sensitivity,
      residualBound,
      rows: x.length,
      rowsClipped: clipped,
    },
  };
}
