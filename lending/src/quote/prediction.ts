import { HessianError } from '@hessian/common/errors';
import { randomInt } from 'node:crypto';
import type { Ciphertext, GaloisKeys, PublicKey } from 'node-seal';
import { HeContext, validateCkksParams, type CkksParams, deserializeCiphertext, serializeCiphertext, generateKeys, loadGaloisKeys, loadPublicKey, type SecretKeyHandle, gaussianNoise, Scope, encodeAt, decryptSlots } from '@hessian/core/he';

/**
 * Private prediction for a deployed model (docs/model-deployment.md): the borrower encrypts its
 * encoded row under a key only it holds; the service evaluates w·x and an authentication tag
 * a·(w·x) + b on the ciphertext with its plaintext weights and returns one ciphertext whose
 * other slots are masked, so the borrower learns its logit and nothing else about w.
 */

/**
 * 128-bit secure at N=8192 (200 of the 218 modulus bits SEAL allows). Two rescales: one after
 * the weight product, one after the mask; the 60-bit prime left at the end holds values up to
 * 2^19 at scale 2^40, which bounds the tag (see newTagKey).
 */
export const QUERY_PARAMETERS: CkksParams = { polyModulusDegree: 8192, coeffModulusBits: [60, 40, 40, 60], scaleBits: 40 };

/** rescales a query evaluation performs (weights, mask) */
const QUERY_LEVELS = 2;

/** a query (or result) that does not fit the layout or parameters: wrong input, refused */
export class QueryError extends HessianError {
  override name = 'QueryError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { kind: 'user', ...options });
  }
}

export interface QueryLayout {
  featureCount: number;
  /** D: slots per copy of x; the next power of two >= featureCount (at least 2) */
  blockSize: number;
  /** rotations the rotate-and-sum needs: 1, 2, 4, ..., D/2 */
  galoisSteps: number[];
}

function checkParams(params: CkksParams): void {
  try {
    validateCkksParams(params);
  } catch (e) {
    throw new QueryError(`query CKKS parameters: ${(e as Error).message}`);
  }
  if (params.coeffModulusBits.length - 2 < QUERY_LEVELS) {
    throw new QueryError(`query CKKS parameters allow ${params.coeffModulusBits.length - 2} rescales; a query needs ${QUERY_LEVELS}`);
  }
}

export function queryLayout(featureCount: number, params: CkksParams = QUERY_PARAMETERS): QueryLayout {
  if (!Number.isInteger(featureCount) || featureCount < 1) throw new QueryError(`feature count must be a positive integer, got ${featureCount}`);
  checkParams(params);
  let blockSize = 2;
  while (blockSize < featureCount) blockSize *= 2;
  const slots = params.polyModulusDegree / 2;
  if (2 * blockSize > slots) throw new QueryError(`${featureCount} features need 2 x ${blockSize} slots; N=${params.polyModulusDegree} has ${slots}`);
  const galoisSteps: number[] = [];
  for (let s = 1; s < blockSize; s *= 2) galoisSteps.push(s);
  return { featureCount, blockSize, galoisSteps };
}

/** Refuses a layout (e.g. read from a service document) that queryLayout would not produce. */
export function checkQueryLayout(layout: QueryLayout, params: CkksParams = QUERY_PARAMETERS): void {
  const expected = queryLayout(layout.featureCount, params);
  if (layout.blockSize !== expected.blockSize || layout.galoisSteps.length !== expected.galoisSteps.length ||
    layout.galoisSteps.some((s, i) => s !== expected.galoisSteps[i])) {
    throw new QueryError(`query layout for ${layout.featureCount} features must have blockSize ${expected.blockSize} and galoisSteps [${expected.galoisSteps.join(', ')}]`);
  }
}

const contexts = new Map<string, Promise<HeContext>>();

/**
 * The SEAL context for query parameters, created once per parameter set and shared by every
 * call in this thread: callers must not delete() it.
 */
export function openQueryContext(params: CkksParams = QUERY_PARAMETERS): Promise<HeContext> {
  checkParams(params);
  const key = `${params.polyModulusDegree}/${params.coeffModulusBits.join(',')}/${params.scaleBits}`;
  let he = contexts.get(key);
  if (!he) {
    he = HeContext.create(params);
    contexts.set(key, he);
    he.catch(() => contexts.delete(key));
  }
  return he;
}

export interface BorrowerKeys {
  publicKey: Uint8Array;
  galoisKeys: Uint8Array;
  secretKey: SecretKeyHandle;
}

/** A fresh key pair for one borrower (or one quote): public key, rotation keys, secret key. */
export async function createBorrowerKeys(layout: QueryLayout, params: CkksParams = QUERY_PARAMETERS): Promise<BorrowerKeys> {
  checkQueryLayout(layout, params);
  const he = await openQueryContext(params);
  // step 0 is SEAL's complex-conjugation key, which the service needs to discard imaginary parts
  const keys = generateKeys(he, { relin: false, galoisSteps: [...layout.galoisSteps, 0] });
  return { publicKey: keys.publicKey, galoisKeys: keys.galoisKeys!, secretKey: keys.secretKey };
}

function checkFeatures(layout: QueryLayout, features: ArrayLike<number>): void {
  if (features.length !== layout.featureCount) throw new QueryError(`expected ${layout.featureCount} features, got ${features.length}`);
  for (let j = 0; j < features.length; j++) {
    if (!Number.isFinite(features[j])) throw new QueryError(`feature ${j} is not a finite number (${features[j]})`);
  }
}

function withQueryErrors<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof QueryError) throw e;
    const message = (e as Error).message;
    // codec and key loaders already name the object ("query ciphertext: truncated ...")
    throw new QueryError(message.startsWith(`${what}:`) ? message : `${what}: ${message}`, { cause: e });
  }
}

function loadQueryPublicKey(he: HeContext, bytes: Uint8Array): PublicKey {
  return withQueryErrors(`public key: wrong key size or CKKS parameters (expected a key for N=${he.params.polyModulusDegree}, moduli [${he.params.coeffModulusBits.join(', ')}])`,
    () => loadPublicKey(he, bytes));
}

/** SEAL's Galois element for complex conjugation (X -> X^(2N-1)) */
export function conjugationElement(params: CkksParams = QUERY_PARAMETERS): number {
  return 2 * params.polyModulusDegree - 1;
}

function loadQueryGaloisKeys(he: HeContext, bytes: Uint8Array, layout: QueryLayout): GaloisKeys {
  const gk = withQueryErrors('Galois keys', () => loadGaloisKeys(he, bytes, layout.galoisSteps));
  const conj = conjugationElement(he.params);
  if (!gk.hasKey(conj)) {
    gk.delete();
    throw new QueryError(`Galois keys: missing the complex-conjugation key (Galois element ${conj}, SEAL step 0); it is required so that the result keeps real parts only`);
  }
  return gk;
}

/** Slots [0, D) and [D, 2D) hold x (2D <= slots); every other slot is zero. */
function twoBlocks(he: HeContext, layout: QueryLayout, first: ArrayLike<number>, second: ArrayLike<number>): Float64Array {
  const v = new Float64Array(he.slotCount);
  for (let j = 0; j < first.length; j++) v[j] = first[j];
  for (let j = 0; j < second.length; j++) v[layout.blockSize + j] = second[j];
  return v;
}

/** Encrypts x under the borrower's public key, once in each of the first two blocks. */
export async function encryptQuery(layout: QueryLayout, publicKey: Uint8Array, features: ArrayLike<number>, params: CkksParams = QUERY_PARAMETERS): Promise<Uint8Array> {
  checkQueryLayout(layout, params);
  checkFeatures(layout, features);
  const he = await openQueryContext(params);
  const scope = new Scope();
  try {
    const pk = scope.add(loadQueryPublicKey(he, publicKey));
    const enc = scope.add(new he.seal.Encryptor(he.context, pk));
    const pt = encodeAt(he, scope, twoBlocks(he, layout, features, features), he.scale, 0);
    const ct = scope.add(new he.seal.Ciphertext());
    enc.encrypt(pt, ct);
    return serializeCiphertext(he, ct);
  } finally {
    scope.free();
  }
}

/**
 * The secret tag key of one quote. The tag t = a·z + b is decrypted at the last modulus level,
 * a 60-bit prime at scale ~2^40, which holds |t| < 2^19 = 524,288. With a in [512, 1024) and
 * b in [-32,768, 32,768), |t| <= 1024·50 + 32,768 = 83,968 for any logit |z| <= 50: over 6x
 * headroom (a model whose real logits exceed 50 is degenerate; the service refuses logits outside
 * its published range anyway). Both are multiples of 2^-20 drawn with crypto.randomInt, so a has
 * 2^29 equally likely values: a borrower who shifts its logit by δ must guess a to within
 * tolerance/δ, probability about 2·tolerance / (512·δ) per try (~4e-7 for δ = 1 at the default
 * tolerance).
 */
export interface TagKey {
  a: number;
  b: number;
}

const TAG_STEP = 2 ** -20;
export const TAG_A_RANGE: readonly [number, number] = [512, 1024];
export const TAG_B_RANGE: readonly [number, number] = [-32768, 32768];
/** |z| up to which the tag is guaranteed not to wrap modulo the last prime */
export const TAG_LOGIT_BOUND = 50;

export function newTagKey(): TagKey {
  const draw = ([lo, hi]: readonly [number, number]) => randomInt(lo / TAG_STEP, hi / TAG_STEP) * TAG_STEP;
  return { a: draw(TAG_A_RANGE), b: draw(TAG_B_RANGE) };
}

function checkTagKey(tag: TagKey): void {
  if (!(Number.isFinite(tag.a) && tag.a >= TAG_A_RANGE[0] && tag.a <= TAG_A_RANGE[1])) throw new QueryError(`tag key a must be in [${TAG_A_RANGE.join(', ')}], got ${tag.a}`);
  if (!(Number.isFinite(tag.b) && tag.b >= TAG_B_RANGE[0] && tag.b <= TAG_B_RANGE[1])) throw new QueryError(`tag key b must be in [${TAG_B_RANGE.join(', ')}], got ${tag.b}`);
}

/**
 * Slot 0 holds K·z, not z. CKKS error is absolute (~3e-7 per slot here, whatever the value), so
 * scaling the logit up makes its error K times smaller relative to it; the tag a·z + b, with
 * a >= 512, already has that property. Without it the tag check would have to tolerate a times
 * the logit's error (~1e-3), making forgeries ~10x likelier. |K·z| <= 51,200 for |z| <= 50.
 */
export const LOGIT_SLOT_SCALE = 1024;

/**
 * Standard deviation of the Gaussian noise the service adds to every slot of a result, in slot
 * units (the logit gets σ/K = ~1e-5). The computation-dependent CKKS error is ~3e-7 per slot;
 * noise ~3e4 times larger drowns it (heuristically: no formal flooding bound at these
 * parameters), while a logit off by 1e-5 changes no probability or rate that matters.
 */
export const RESULT_NOISE_SIGMA = 1e-2;

/**
 * Tolerance for |t - (a·z + b)|. The flooding noise cancels (slot D carries a/K times slot 0's
 * noise), so what remains is CKKS error: slot D's minus a/K (< 1) times slot 0's, measured at
 * up to ~1e-6 (tests/loan-prediction.test.ts): 1e-4 leaves ~100x headroom.
 */
export const DEFAULT_TAG_TOLERANCE = 1e-4;

export interface EvaluateOptions {
  /** override RESULT_NOISE_SIGMA (tests measure the raw precision with 0) */
  noiseSigma?: number;
}

/**
 * Service side: slot 0 = w·x, slot D = a·w·x + b, every other slot masked to noise. Untrusted
 * input is checked before use (key sizes and parameters, rotation steps, the conjugation key,
 * ciphertext shape).
 *
 * Slots are complex and the borrower holds the secret key, so it can put x + i·y in its slots
 * (e.g. by multiplying its ciphertext by X^(N/2)). Weights, mask and tag are real, so the
 * imaginary parts would carry K·(w·y) and a·(w·y) with neither b nor noise: a = K·Im(D)/Im(0),
 * then b, then a valid tag for any logit (tests/loan-tag-forgery.test.ts). The result is
 * therefore projected onto its real parts last, S + conj(S) with the halves folded into the mask
 * and the noise, after the noise and b are added: the conjugation's key-switching error then
 * depends on a ciphertext already re-randomized by the fresh encryption, not on w, so the
 * imaginary parts the borrower decrypts carry nothing the service computed.
 */
export async function evaluateQuery(
  layout: QueryLayout,
  input: { publicKey: Uint8Array; galoisKeys: Uint8Array; ciphertext: Uint8Array },
  weights: ArrayLike<number>,
  tag: TagKey,
  params: CkksParams = QUERY_PARAMETERS,
  options: EvaluateOptions = {},
): Promise<Uint8Array> {
  checkQueryLayout(layout, params);
  if (weights.length !== layout.featureCount) throw new QueryError(`model has ${weights.length} weights, the query layout ${layout.featureCount} features`);
  for (let j = 0; j < weights.length; j++) if (!Number.isFinite(weights[j])) throw new QueryError(`weight ${j} is not finite (${weights[j]})`);
  checkTagKey(tag);
  const sigma = options.noiseSigma ?? RESULT_NOISE_SIGMA;
  if (!(Number.isFinite(sigma) && sigma >= 0)) throw new QueryError(`noise sigma must be >= 0, got ${sigma}`);
  const he = await openQueryContext(params);
  const { seal, evaluator: ev } = he;
  const D = layout.blockSize;
  const scope = new Scope();
  try {
    const pk = scope.add(loadQueryPublicKey(he, input.publicKey));
    const gk = scope.add(loadQueryGaloisKeys(he, input.galoisKeys, layout));
    const ct: Ciphertext = scope.add(withQueryErrors('query ciphertext', () => deserializeCiphertext(he, input.ciphertext, { level: 0, what: 'query ciphertext' })));
    if (ct.scale() !== he.scale) throw new QueryError(`query ciphertext: scale 2^${Math.log2(ct.scale()).toFixed(1)}, expected 2^${he.params.scaleBits}`);

    // factors are encoded at the scale of the prime the next rescale drops: the scale stays 2^40
    const kw = Float64Array.from({ length: weights.length }, (_, j) => LOGIT_SLOT_SCALE * weights[j]);
    const aw = Float64Array.from({ length: weights.length }, (_, j) => tag.a * weights[j]);
    const wPlain = encodeAt(he, scope, twoBlocks(he, layout, kw, aw), he.rescalePrime(0), 0);
    const acc = scope.add(new seal.Ciphertext());
    ev.multiplyPlain(ct, wPlain, acc);
    ev.rescaleToNextInplace(acc);
    const rotated = scope.add(new seal.Ciphertext());
    for (const step of layout.galoisSteps) {
      ev.rotateVector(acc, step, gk, rotated);
      ev.addInplace(acc, rotated);
    }

    // partial sums sit in every other slot (slot 1 holds sum w_j x_j for j >= 1, ...): zero them.
    // 1/2 because the real projection below doubles every real part.
    const mask = new Float64Array(he.slotCount);
    mask[0] = 0.5;
    mask[D] = 0.5;
    ev.multiplyPlainInplace(acc, encodeAt(he, scope, mask, he.rescalePrime(1), 1));
    ev.rescaleToNextInplace(acc);

    // noise everywhere plus b in slot D, encrypted under the borrower's key: adding it also
    // re-randomizes the ciphertext (a fresh encryption of zero is part of every encryption).
    // Slot D gets (a/K) times slot 0's noise, so the disclosed noisy logit still fits the tag.
    const extra = sigma > 0 ? gaussianNoise(he.slotCount, sigma) : new Float64Array(he.slotCount);
    extra[D] = (tag.a / LOGIT_SLOT_SCALE) * extra[0] + tag.b;
    for (let s = 0; s < extra.length; s++) extra[s] /= 2;
    const fresh = scope.add(new seal.Ciphertext());
    const enc = scope.add(new seal.Encryptor(he.context, pk));
    enc.encrypt(encodeAt(he, scope, extra, acc.scale(), QUERY_LEVELS), fresh);
    ev.addInplace(acc, fresh);

    // real projection, last (see above): 2·Re of every slot
    const conj = scope.add(new seal.Ciphertext());
    ev.complexConjugate(acc, gk, conj);
    ev.addInplace(acc, conj);
    return serializeCiphertext(he, acc);
  } catch (e) {
    if (e instanceof QueryError) throw e;
    throw new QueryError(`query evaluation failed: ${(e as Error).message ?? String(e)}`, { cause: e });
  } finally {
    scope.free();
  }
}

/** Borrower side: the logit (slot 0) and the tag (slot D) of a result ciphertext. */
export async function decryptResult(layout: QueryLayout, secretKey: SecretKeyHandle, result: Uint8Array, params: CkksParams = QUERY_PARAMETERS): Promise<{ logit: number; tag: number }> {
  const slots = await decryptResultSlots(layout, secretKey, result, params);
  return { logit: slots[0] / LOGIT_SLOT_SCALE, tag: slots[layout.blockSize] };
}

/** Every decrypted slot of a result, raw (slot 0 is K·z): for checking that nothing else leaks. */
export async function decryptResultSlots(layout: QueryLayout, secretKey: SecretKeyHandle, result: Uint8Array, params: CkksParams = QUERY_PARAMETERS): Promise<Float64Array> {
  checkQueryLayout(layout, params);
  const he = await openQueryContext(params);
  const ct = withQueryErrors('result ciphertext', () => deserializeCiphertext(he, result, { level: QUERY_LEVELS, what: 'result ciphertext' }));
  try {
    return withQueryErrors('result ciphertext', () => decryptSlots(he, ct, secretKey));
  } finally {
    ct.delete();
  }
}

/** Service side, when the borrower discloses (z, t): does t match this quote's tag key? */
export function verifyTag(key: TagKey, claim: { logit: number; tag: number }, tolerance: number = DEFAULT_TAG_TOLERANCE): boolean {
  if (!Number.isFinite(claim.logit) || !Number.isFinite(claim.tag)) return false;
  return Math.abs(claim.tag - (key.a * claim.logit + key.b)) <= tolerance;
}

