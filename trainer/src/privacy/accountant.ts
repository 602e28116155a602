// Privacy accounting for an owner's Gaussian releases, in Renyi DP. A Gaussian mechanism whose
// noise is `noiseMultiplier` times its L2 sensitivity has the RDP curve eps(alpha) = alpha * rho
// with rho = 1 / (2 z^2) (Mironov 2017): rho-zCDP. Adaptive composition adds the rho of the
// releases a row takes part in. The composed curve is exactly that of one Gaussian mechanism with
// mu = sqrt(2 rho) (Dong, Roth & Su 2019, Gaussian DP), so the (epsilon, delta) it is converted to
// is the tight one of the analytic Gaussian mechanism (Balle & Wang 2018), not the looser generic
// RDP bound (rdpEpsilon, kept for comparison and for the tests).
//
// Which releases a row takes part in: an owner's batches for one model are a partition of its
// rows (one secret shuffle, consecutive slices), so a row is in at most one batch per plan, and a
// plan adds the largest per-batch total, not the sum (parallel composition). A batch released
// twice (a recompute after a crash) adds both releases. Different plans (models, a new seed, a
// new batch size or new data) add up.
import { gaussianEpsilon } from '@hessian/core/he';

/** rho (zCDP) of one Gaussian release with noise = noiseMultiplier x sensitivity */
export function gaussianRho(noiseMultiplier: number): number {
  if (!(Number.isFinite(noiseMultiplier) && noiseMultiplier > 0)) throw new Error(`noise multiplier must be > 0, got ${noiseMultiplier}`);
  return 1 / (2 * noiseMultiplier * noiseMultiplier);
}

/**
 * The smallest epsilon at which a composition with total rho is (epsilon, delta)-DP: the
 * composition is mu-GDP with mu = sqrt(2 rho), and delta(epsilon) of mu-GDP is the analytic
 * Gaussian formula with sensitivity / sigma = mu.
 */
export function epsilonForRho(rho: number, delta: number): number {
  if (!(delta > 0 && delta < 1)) throw new Error(`delta must be in (0, 1), got ${delta}`);
  if (!(rho >= 0) || !Number.isFinite(rho)) throw new Error(`rho must be finite and >= 0, got ${rho}`);
  if (rho === 0) return 0;
  // one Gaussian release with the same mu: noise multiplier 1 / mu
  return gaussianEpsilon(1 / Math.sqrt(2 * rho), delta);
}

/** The generic RDP-to-(epsilon, delta) conversion for rho-zCDP (Bun & Steinke 2016): an upper bound on epsilonForRho. */
export function rdpEpsilon(rho: number, delta: number): number {
  return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
}

/** epsilon as the contract's dpEpsilon: fixed point 1e6, rounded up so it never understates */
export function dpEpsilonFixed(epsilon: number): bigint {
  if (!(Number.isFinite(epsilon) && epsilon >= 0)) throw new Error(`epsilon must be finite and >= 0, got ${epsilon}`);
  return BigInt(Math.ceil(epsilon * 1e6 - 1e-9));
}

export interface Release {
  /** the batch plan the batch comes from (model, seed, rows, batch size, data) */
  plan: string;
  /** index of the batch in its plan */
  batch: number;
  rho: number;
}

/** rho of the row that took part in the most: per plan the largest batch total, summed over plans */
export function worstRowRho(releases: readonly Release[]): number {
  const perPlan = new Map<string, Map<number, number>>();
  for (const r of releases) {
    const batches = perPlan.get(r.plan) ?? new Map<number, number>();
    batches.set(r.batch, (batches.get(r.batch) ?? 0) + r.rho);
    perPlan.set(r.plan, batches);
  }
  let rho = 0;
  for (const batches of perPlan.values()) rho += Math.max(...batches.values());
  return rho;
}
