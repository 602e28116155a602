import type { Ciphertext, GaloisKeys, RelinKeys } from 'node-seal';
import { POLY_SIGMOID } from '../ml/sigmoid.ts';
import type { CkksParams, HeContext, HeTask } from './context.ts';
import { LEVELS_NEEDED } from './context.ts';
import { CiphertextError, deserializeCiphertext, maxCiphertextBytes, serializeCiphertext } from './codec.ts';
import type { SecretKeyHandle } from './keys.ts';
import { decryptSlots } from './weights.ts';
import { Scope } from './seal.ts';
import { encodeAt } from './encode.ts';

/**
 * How rows and features map to slots. Logistic: rows one per slot (`slots` rows per chunk);
 * X^T r is computed with the diagonal method over `featureSlots` (features padded to a power of
 * two) using baby steps 1..B-1 and giant steps B..(G-1)B, then folded with rotations by
 * featureSlots, 2*featureSlots, ..., slots/2. The gradient comes back in slots 0..d-1, replicated
 * every `featureSlots` slots. Linear: gradient in slots 0..d-1, other slots zero, no rotations.
 */
export interface Packing {
  task: HeTask;
  featureCount: number;
  slots: number;
  featureSlots: number;
  babySteps: number;
  giantSteps: number;
  /** rotation steps the owner needs keys for (empty for linear) */
  galoisSteps: number[];
  needsRelin: boolean;
}

export function gradientPacking(task: HeTask, params: CkksParams, featureCount: number): Packing {
  const slots = params.polyModulusDegree / 2;
  if (!Number.isInteger(featureCount) || featureCount < 1) throw new Error(`feature count must be a positive integer, got ${featureCount}`);
  if (featureCount > slots) throw new Error(`${featureCount} features do not fit in ${slots} slots`);
  if (task === 'linear') {
    return { task, featureCount, slots, featureSlots: featureCount, babySteps: 1, giantSteps: 1, galoisSteps: [], needsRelin: false };
  }
  let D = 1;
  while (D < featureCount) D *= 2;
  const log = Math.log2(D);
  const B = 2 ** Math.ceil(log / 2);
  const G = D / B;
  const steps = new Set<number>();
  for (let a = 1; a < B; a++) steps.add(a);
  for (let b = 1; b < G; b++) steps.add(b * B);
  for (let s = D; s < slots; s *= 2) steps.add(s);
  return { task, featureCount, slots, featureSlots: D, babySteps: B, giantSteps: G, galoisSteps: [...steps].sort((a, b) => a - b), needsRelin: true };
}

export interface GradientInput {
  task: HeTask;
  /** one loaded weight ciphertext per feature (fresh level), as from loadWeights */
  weights: readonly Ciphertext[];
  /** encoded rows, intercept column included */
  x: readonly Float64Array[];
  y: Float64Array;
  relinKeys?: RelinKeys;
  galoisKeys?: GaloisKeys;
  /** added to the mean gradient before it is returned (from noise.ts), length = feature count */
  noise?: Float64Array;
  /** called after each chunk of `slots` rows */
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
  /**
   * divide by this instead of x.length: a part of a larger batch computed separately (worker
   * pool) is scaled by the whole batch's size, so the parts' ciphertexts simply add up
   */
  meanOver?: number;
}

/**
 * The data owner's encrypted mean gradient (1/n) sum_i (f(x_i.w) - y_i) x_i, with f the cubic
 * polynomial sigmoid (logistic) or the identity (linear), as one ciphertext at the last level.
 * Returns the serialized ciphertext.
 */
export function encryptedGradient(he: HeContext, input: GradientInput): Uint8Array {
  const ct = encryptedGradientCiphertext(he, input);
  try {
    return serializeCiphertext(he, ct);
  } finally {
    ct.delete();
  }
}

function checkInput(he: HeContext, input: GradientInput): Packing {
  const d = input.weights.length;
  if (input.x.length === 0) throw new Error('no rows to compute a gradient on');
  if (input.x.length !== input.y.length) throw new Error(`${input.x.length} rows but ${input.y.length} labels`);
  input.x.forEach((r, i) => {
    if (r.length !== d) throw new Error(`row ${i} has ${r.length} features but the model has ${d} weights`);
    for (const v of r) if (!Number.isFinite(v)) throw new Error(`row ${i} has a non-finite value`);
  });
  for (const v of input.y) if (!Number.isFinite(v)) throw new Error('a label is not finite');
  if (input.noise && input.noise.length !== d) throw new Error(`noise vector has ${input.noise.length} values for ${d} weights`);
  if (input.meanOver !== undefined && !(Number.isInteger(input.meanOver) && input.meanOver >= input.x.length)) {
    throw new Error(`meanOver must be an integer >= the ${input.x.length} rows, got ${input.meanOver}`);
  }
  const levels = he.levels();
  if (levels !== LEVELS_NEEDED[input.task]) {
    throw new Error(`${input.task} regression needs parameters with exactly ${LEVELS_NEEDED[input.task]} rescales, these have ${levels}`);
  }
  const p = gradientPacking(input.task, he.params, d);
  if (p.needsRelin && !input.relinKeys) throw new Error('logistic regression needs the lender\'s relinearization keys');
  if (p.galoisSteps.length > 0 && !input.galoisKeys) throw new Error('logistic regression needs the lender\'s rotation keys');
  return p;
}

export function encryptedGradientCiphertext(he: HeContext, input: GradientInput): Ciphertext {
  const p = checkInput(he, input);
  return input.task === 'linear' ? linearGradient(he, input) : logisticGradient(he, input, p);
}

/**
 * sum_k weights[k] * column k, not yet rescaled, owned by `scope`. `column` fills the reused
 * slot buffer with column k and returns false when it is all zero (that term is skipped).
 */
function weightedColumns(he: HeContext, scope: Scope, weights: readonly Ciphertext[], column: (k: number, out: Float64Array) => boolean): Ciphertext {
  const ev = he.evaluator;
  const buf = new Float64Array(he.slotCount);
  const tmp = scope.add(new he.seal.Ciphertext());
  let sum: Ciphertext | undefined;
  for (let k = 0; k < weights.length; k++) {
    if (!column(k, buf)) continue;
    const pt = encodeAt(he, scope, buf, he.scale, 0);
    if (sum) {
      ev.multiplyPlain(weights[k], pt, tmp);
      ev.addInplace(sum, tmp);
    } else {
      sum = scope.add(new he.seal.Ciphertext());
      ev.multiplyPlain(weights[k], pt, sum);
    }
    pt.delete();
  }
  if (!sum) throw new Error('every feature value in the batch is zero');
  return sum;
}

function logisticGradient(he: HeContext, input: GradientInput, p: Packing): Ciphertext {
  const { seal, evaluator: ev } = he;
  const S = p.slots;
  const D = p.featureSlots;
  const B = p.babySteps;
  const G = p.giantSteps;
  const d = p.featureCount;
  const n = input.x.length;
  const denom = input.meanOver ?? n;
  const rk = input.relinKeys!;
  const gk = input.galoisKeys!;
  const outer = new Scope();
  try {
    // one accumulator per giant step, summed over chunks before the (linear) giant rotation
    const acc: (Ciphertext | undefined)[] = new Array(G).fill(undefined);
    for (let from = 0; from < n; from += S) {
      const rows = input.x.slice(from, from + S);
      const m = rows.length;
      const scope = new Scope();
      try {
        // z = sum_j w_j * column_j
        const z = weightedColumns(he, scope, input.weights, (j, col) => {
          let any = false;
          for (let i = 0; i < m; i++) { col[i] = rows[i][j]; if (col[i] !== 0) any = true; }
          for (let i = m; i < S; i++) col[i] = 0;
          return any;
        });
        ev.rescaleToNextInplace(z);
        const s1 = z.scale();
        // zz = z^2 and az = c3 * z, both at level 2; z3 = c3 z^3 at level 3
        const zz = scope.add(new seal.Ciphertext());
        ev.square(z, zz);
        ev.relinearizeInplace(zz, rk);
        ev.rescaleToNextInplace(zz);
        const az = scope.add(new seal.Ciphertext());
        ev.multiplyPlain(z, encodeAt(he, scope, new Float64Array(S).fill(POLY_SIGMOID.c3), he.scale, 1), az);
        ev.rescaleToNextInplace(az);
        const r = scope.add(new seal.Ciphertext());
        ev.multiply(zz, az, r);
        ev.relinearizeInplace(r, rk);
        ev.rescaleToNextInplace(r);
        const s3 = r.scale();
        // c1 * z brought to level 3 with the same scale: encode c1 at the scale that makes the
        // level-1 -> level-2 rescale land exactly on s3, then drop one more prime
        const q = he.rescalePrime(1);
        const lin = scope.add(new seal.Ciphertext());
        ev.multiplyPlain(z, encodeAt(he, scope, new Float64Array(S).fill(POLY_SIGMOID.c1), (s3 * q) / s1, 1), lin);
        ev.rescaleToNextInplace(lin);
        ev.cipherModSwitchToNextInplace(lin);
        lin.setScale(s3);
        ev.addInplace(r, lin);
        // r += c0 - y
        const off = new Float64Array(S);
        for (let i = 0; i < m; i++) off[i] = POLY_SIGMOID.c0 - input.y[from + i];
        ev.addPlainInplace(r, encodeAt(he, scope, off, s3, 3));
        // baby steps of r
        const rots: Ciphertext[] = [r];
        for (let a = 1; a < B; a++) {
          const t = scope.add(new seal.Ciphertext());
          ev.rotateVector(r, a, gk, t);
          rots.push(t);
        }
        // diagonals Q_{a,b}[u] = x[u+a][(u - bB) mod D] / denom
        const Q = new Float64Array(S);
        const prod = scope.add(new seal.Ciphertext());
        for (let b = 0; b < G; b++) {
          for (let a = 0; a < B; a++) {
            let any = false;
            for (let u = 0; u < S; u++) {
              const i = (u + a) % S;
              const j = (((u - b * B) % D) + D) % D;
              const v = i < m && j < d ? rows[i][j] / denom : 0;
              Q[u] = v;
              if (v !== 0) any = true;
            }
            if (!any) continue;
            const pt = encodeAt(he, scope, Q, he.scale, 3);
            const target = acc[b];
            if (target) {
              ev.multiplyPlain(rots[a], pt, prod);
              ev.addInplace(target, prod);
            } else {
              // a fresh object: embind's clone() would alias `prod`, not copy it
              const first = outer.add(new seal.Ciphertext());
              ev.multiplyPlain(rots[a], pt, first);
              acc[b] = first;
            }
            pt.delete();
          }
        }
      } finally {
        scope.free();
      }
      input.onProgress?.(Math.min(n, from + S), n);
    }
    let result: Ciphertext | undefined;
    const tmp = outer.add(new seal.Ciphertext());
    for (let b = 0; b < G; b++) {
      const a = acc[b];
      if (!a) continue;
      if (b > 0) ev.rotateVectorInplace(a, b * B, gk);
      if (result) ev.addInplace(result, a); else result = a;
    }
    if (!result) throw new Error('every feature value in the batch is zero');
    for (let step = D; step < S; step *= 2) {
      ev.rotateVector(result, step, gk, tmp);
      ev.addInplace(result, tmp);
    }
    ev.rescaleToNextInplace(result);
    if (input.noise) {
      const nv = new Float64Array(S);
      for (let s = 0; s < S; s++) nv[s] = (s % D) < d ? input.noise[s % D] : 0;
      const scope = new Scope();
      try { ev.addPlainInplace(result, encodeAt(he, scope, nv, result.scale(), he.levels())); } finally { scope.free(); }
    }
    return outer.release(result);
  } finally {
    outer.free();
  }
}

function linearGradient(he: HeContext, input: GradientInput): Ciphertext {
  const ev = he.evaluator;
  const S = he.slotCount;
  const d = input.weights.length;
  const n = input.x.length;
  const denom = input.meanOver ?? n;
  // sufficient statistics in plaintext: A = X^T X / n, b = X^T y / n
  const A = new Float64Array(d * d);
  const bv = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const r = input.x[i];
    const yi = input.y[i];
    for (let j = 0; j < d; j++) {
      bv[j] += r[j] * yi;
      for (let k = 0; k < d; k++) A[j * d + k] += r[j] * r[k];
    }
  }
  const scope = new Scope();
  try {
    const out = weightedColumns(he, scope, input.weights, (k, col) => {
      let any = false;
      for (let j = 0; j < d; j++) { col[j] = A[j * d + k] / denom; if (col[j] !== 0) any = true; }
      return any;
    });
    ev.rescaleToNextInplace(out);
    const off = new Float64Array(S);
    for (let j = 0; j < d; j++) off[j] = -bv[j] / denom + (input.noise ? input.noise[j] : 0);
    ev.addPlainInplace(out, encodeAt(he, scope, off, out.scale(), 1));
    input.onProgress?.(n, n);
    return scope.release(out);
  } finally {
    scope.free();
  }
}

/** relative disagreement allowed between the copies of a logistic gradient component */
export const REPLICA_TOLERANCE = 1e-2;

/**
 * Lender side: loads a gradient ciphertext (checked: size, SEAL header, parameters, last level)
 * and decrypts it to d values. Logistic gradients are averaged over their replicas, which must
 * agree (REPLICA_TOLERANCE), so a well-formed ciphertext of something else is refused too.
 */
export function decryptGradient(he: HeContext, bytes: Uint8Array, sk: SecretKeyHandle, task: HeTask, featureCount: number): Float64Array {
  const p = gradientPacking(task, he.params, featureCount);
  const ct = deserializeCiphertext(he, bytes, { level: he.levels(), maxBytes: maxCiphertextBytes(he, he.levels()), what: 'gradient ciphertext' });
  try {
    const v = decryptSlots(he, ct, sk);
    const g = new Float64Array(featureCount);
    if (task === 'linear') {
      for (let j = 0; j < featureCount; j++) g[j] = v[j];
      // an honest linear gradient leaves every other slot at zero up to CKKS noise
      let scale = 1;
      for (let j = 0; j < featureCount; j++) scale = Math.max(scale, Math.abs(g[j]));
      for (let s = featureCount; s < v.length; s++) {
        if (!(Math.abs(v[s]) <= REPLICA_TOLERANCE * scale)) {
          throw new CiphertextError(`gradient ciphertext: slot ${s} holds ${v[s].toPrecision(4)} where a linear gradient has 0: not a gradient in this model's packing`);
        }
      }
    } else {
      const reps = p.slots / p.featureSlots;
      for (let s = 0; s < p.slots; s++) {
        const j = s % p.featureSlots;
        if (j < featureCount) g[j] += v[s] / reps;
      }
      // an honest gradient repeats every featureSlots slots up to CKKS noise (~1e-4 at worst);
      // anything else was not computed with this model's packing
      for (let s = 0; s < p.slots; s++) {
        const j = s % p.featureSlots;
        if (j >= featureCount) continue;
        const spread = Math.abs(v[s] - g[j]);
        if (!(spread <= REPLICA_TOLERANCE * Math.max(1, Math.abs(g[j])))) {
          throw new CiphertextError(`gradient ciphertext: slot ${s} (${v[s].toPrecision(4)}) disagrees with the other copies of component ${j} (${g[j].toPrecision(4)}): not a gradient in this model's packing`);
        }
      }
    }
    return g;
  } finally {
    ct.delete();
  }
}

/**
 * Why a decrypted gradient must be rejected, or undefined when it is usable: a non-finite value
 * (garbage or an overflow) or a component beyond `maxAbs` (a mean gradient of standardized
 * features with a residual in [-1, 1] stays small; huge values mean garbage or an attack).
 */
export function gradientRejection(g: ArrayLike<number>, maxAbs: number): string | undefined {
  for (let j = 0; j < g.length; j++) {
    if (!Number.isFinite(g[j])) return `component ${j} is not finite (${g[j]})`;
    if (Math.abs(g[j]) > maxAbs) return `component ${j} = ${g[j].toPrecision(4)} exceeds the bound ${maxAbs}`;
  }
  return undefined;
}

export { CiphertextError };

/** Adds gradient ciphertexts of parts of one batch (each computed with meanOver = whole batch). */
export function sumGradientParts(he: HeContext, parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 0) throw new Error('no gradient parts to add');
  if (parts.length === 1) return parts[0];
  const cts: Ciphertext[] = [];
  try {
    for (const [i, b] of parts.entries()) {
      cts.push(deserializeCiphertext(he, b, { level: he.levels(), maxBytes: maxCiphertextBytes(he, he.levels()), what: `gradient part ${i}` }));
    }
    for (let i = 1; i < cts.length; i++) he.evaluator.addInplace(cts[0], cts[i]);
    return serializeCiphertext(he, cts[0]);
  } finally {
    for (const c of cts) c.delete();
  }
}
