import { loadSeal, sealErrorMessage, type Seal } from './seal.ts';
import type { CKKSEncoder, Evaluator, ParmsIdType, SEALContext } from 'node-seal';

export type HeTask = 'logistic' | 'linear';

/** CKKS parameters as published in model metadata. */
export interface CkksParams {
  polyModulusDegree: number;
  /** bit sizes of the coefficient modulus primes; the last one is the key-switching prime */
  coeffModulusBits: number[];
  /** log2 of the encoding scale */
  scaleBits: number;
}

/**
 * Rescales each task needs: logistic = z (1), z^2 and -0.004 z (2), z^3 (3), X^T r (4);
 * linear = sum_k w_k A[:,k] (1).
 */
export const LEVELS_NEEDED: Record<HeTask, number> = { logistic: 4, linear: 1 };

/** Named parameter sets, all 128-bit secure by the HomomorphicEncryption.org table SEAL enforces. */
export const PARAMETER_SETS = {
  /** production logistic regression (measured in ../shared notes) */
  'logistic-16384': { polyModulusDegree: 16384, coeffModulusBits: [60, 40, 40, 40, 40, 60], scaleBits: 40 },
  /** faster logistic set for tests and demos: 200 of the 218 bits allowed at N=8192, scale 2^30 */
  'logistic-8192': { polyModulusDegree: 8192, coeffModulusBits: [40, 30, 30, 30, 30, 40], scaleBits: 30 },
  /** linear regression: one level, no rotations */
  'linear-8192': { polyModulusDegree: 8192, coeffModulusBits: [60, 40, 60], scaleBits: 40 },
} as const satisfies Record<string, CkksParams>;

export type ParameterSetName = keyof typeof PARAMETER_SETS;

export function parameterSet(name: string): CkksParams {
  const p = (PARAMETER_SETS as Record<string, CkksParams>)[name];
  if (!p) throw new Error(`unknown CKKS parameter set "${name}" (known: ${Object.keys(PARAMETER_SETS).join(', ')})`);
  return { ...p, coeffModulusBits: [...p.coeffModulusBits] };
}

/** Checks the shape of CKKS parameters before handing them to SEAL (which checks security). */
export function validateCkksParams(p: CkksParams, task?: HeTask): void {
  const N = p.polyModulusDegree;
  if (!Number.isInteger(N) || ![4096, 8192, 16384, 32768].includes(N)) {
    throw new Error(`ckks.polyModulusDegree must be 4096, 8192, 16384 or 32768, got ${N}`);
  }
  if (!Array.isArray(p.coeffModulusBits) || p.coeffModulusBits.length < 3) {
    throw new Error('ckks.coeffModulusBits needs at least 3 primes (data, one rescale, key switching)');
  }
  for (const [i, b] of p.coeffModulusBits.entries()) {
    if (!Number.isInteger(b) || b < 20 || b > 60) throw new Error(`ckks.coeffModulusBits[${i}] must be an integer 20..60, got ${b}`);
  }
  if (!Number.isInteger(p.scaleBits) || p.scaleBits < 20 || p.scaleBits > 60) throw new Error(`ckks.scaleBits must be an integer 20..60, got ${p.scaleBits}`);
  const middle = p.coeffModulusBits.slice(1, -1);
  if (middle.some((b) => b < p.scaleBits - 1)) throw new Error(`ckks.coeffModulusBits: rescaling primes must be at least scaleBits (${p.scaleBits}) bits`);
  if (p.coeffModulusBits[0] <= p.scaleBits) throw new Error(`ckks.coeffModulusBits[0] must exceed scaleBits so decrypted values keep an integer part`);
  if (task) {
    const levels = p.coeffModulusBits.length - 2;
    if (levels < LEVELS_NEEDED[task]) throw new Error(`ckks parameters allow ${levels} rescales but ${task} regression needs ${LEVELS_NEEDED[task]}`);
  }
}

/**
 * A SEAL context with its encoder and evaluator. Create with `HeContext.create`, `delete()` when
 * done. Refuses parameters that SEAL does not consider 128-bit secure.
 */
export class HeContext {
  readonly seal: Seal;
  readonly params: CkksParams;
  readonly context: SEALContext;
  readonly encoder: CKKSEncoder;
  readonly evaluator: Evaluator;
  readonly scale: number;
  readonly slotCount: number;

  private constructor(seal: Seal, params: CkksParams, context: SEALContext) {
    this.seal = seal;
    this.params = params;
    this.context = context;
    this.encoder = new seal.CKKSEncoder(context);
    this.evaluator = new seal.Evaluator(context);
    this.scale = 2 ** params.scaleBits;
    this.slotCount = this.encoder.slotCount();
  }

  static async create(params: CkksParams, task?: HeTask): Promise<HeContext> {
    validateCkksParams(params, task);
    const seal = await loadSeal();
    const parms = new seal.EncryptionParameters(seal.SchemeType.ckks);
    let context: SEALContext | undefined;
    try {
      parms.setPolyModulusDegree(params.polyModulusDegree);
      const mods = seal.CoeffModulus.Create(params.polyModulusDegree, Int32Array.from(params.coeffModulusBits));
      parms.setCoeffModulus(mods);
      mods.delete();
      context = new seal.SEALContext(parms, true, seal.SecLevelType.tc128);
    } catch (e) {
      context?.delete();
      throw new Error(`invalid CKKS parameters: ${sealErrorMessage(e)}`);
    } finally {
      parms.delete();
    }
    if (!context.parametersSet()) {
      const why = context.toHuman().replace(/\s+/g, ' ').trim();
      context.delete();
      const max = seal.CoeffModulus.MaxBitCount(params.polyModulusDegree, seal.SecLevelType.tc128);
      const total = params.coeffModulusBits.reduce((a, b) => a + b, 0);
      throw new Error(`CKKS parameters rejected by SEAL (128-bit security allows ${max} modulus bits at N=${params.polyModulusDegree}, got ${total}): ${why}`);
    }
    return new HeContext(seal, params, context);
  }

  /** Index of a parms id in the modulus chain: 0 = fresh (most primes), levels() = last. */
  levelOf(parmsId: ParmsIdType): number {
    const cd = this.context.getContextData(parmsId);
    try {
      return this.topChainIndex() - cd.chainIndex();
    } finally {
      cd.delete();
    }
  }

  topChainIndex(): number {
    const cd = this.context.firstContextData();
    try { return cd.chainIndex(); } finally { cd.delete(); }
  }

  /** rescales available */
  levels(): number {
    return this.topChainIndex();
  }

  /** the prime dropped when rescaling from level `level` (0 = fresh) to level + 1 */
  rescalePrime(level: number): number {
    const q = this.dataPrimes();
    return q[q.length - 1 - level];
  }

  /** data-level coefficient modulus primes as numbers (key-switching prime excluded) */
  dataPrimes(): number[] {
    const cd = this.context.firstContextData();
    const parms = cd.parms();
    const vec = parms.coeffModulus();
    try {
      return (this.seal.jsArrayFromVecModulus(vec) as bigint[]).map((v) => Number(v));
    } finally {
      vec.delete(); parms.delete(); cd.delete();
    }
  }

  /** parms id at a level (0 = fresh); caller deletes it */
  parmsIdAt(level: number): ParmsIdType {
    if (level < 0 || level > this.levels()) throw new Error(`level ${level} outside 0..${this.levels()}`);
    let cd = this.context.firstContextData();
    for (let i = 0; i < level; i++) {
      const next = cd.nextContextData();
      cd.delete();
      cd = next;
    }
    try { return cd.parmsId(); } finally { cd.delete(); }
  }

  delete(): void {
    this.evaluator.delete();
    this.encoder.delete();
    this.context.delete();
  }
}

export function sameParams(a: CkksParams, b: CkksParams): boolean {
  return a.polyModulusDegree === b.polyModulusDegree && a.scaleBits === b.scaleBits &&
    a.coeffModulusBits.length === b.coeffModulusBits.length && a.coeffModulusBits.every((v, i) => v === b.coeffModulusBits[i]);
}
