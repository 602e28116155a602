import type { Ciphertext, Plaintext } from 'node-seal';
import type { HeContext, SecretKeyHandle } from '@hessian/core/he';
import { deserializeCiphertext, serializeCiphertext, decryptSlots, Scope } from '@hessian/core/he';
import { QUERY_PARAMETERS, decryptResultSlots, encryptQuery, openQueryContext, type QueryLayout } from './prediction.ts';

/**
 * Complex slot values, which node-seal's encoder does not offer (it takes real numbers only) but
 * anyone holding a secret key can make: multiplying a CKKS polynomial by X^(N/2) multiplies
 * every slot by i, since zeta^(5^j·N/2) = i for the primitive 2N-th root zeta. This is what a
 * cheating borrower uses against the quote tag (security review H2); the tests and the quotes
 * benchmark run that attack with it against evaluateQuery.
 */

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

/** SEAL's NTT root for prime q: the smallest primitive 2N-th root of unity mod q. */
function sealPsi(q: bigint, N: number): bigint {
  const twoN = BigInt(2 * N);
  let root = 0n;
  for (let g = 2n; ; g++) {
    root = modPow(g, (q - 1n) / twoN, q);
    if (modPow(root, BigInt(N), q) === q - 1n) break;
  }
  const step = (root * root) % q;
  let min = root;
  let cur = root;
  for (let k = 0; k < N; k++) {
    if (cur < min) min = cur;
    cur = (cur * step) % q;
  }
  return min;
}

const psiCache = new Map<string, bigint>();

/**
 * X^(N/2) as an NTT-form plaintext at scale 1, at a ciphertext's level. In SEAL's NTT order the
 * value at index k is X^(N/2) at psi^(2·bitrev(k)+1), i.e. I = psi^(N/2) for k < N/2 and -I from
 * N/2 on; node-seal cannot set plaintext words, so they are written into an uncompressed
 * serialization, whose last coeffCount words are the data.
 */
function monomialHalfN(he: HeContext, scope: Scope, ct: Ciphertext): Plaintext {
  const { seal } = he;
  const N = he.params.polyModulusDegree;
  const pid = scope.add(ct.parmsId());
  const cd = scope.add(he.context.getContextData(pid));
  const parms = scope.add(cd.parms());
  const mods = scope.add(parms.coeffModulus());
  const primes: bigint[] = [];
  for (let i = 0; i < mods.size(); i++) primes.push(scope.add(mods.get(i)!).value());

  const pt = scope.add(new seal.Plaintext());
  he.encoder.encode(new Float64Array(he.slotCount), 1, pt);
  he.evaluator.plainModSwitchToInplace(pt, pid);
  if (pt.coeffCount() !== N * primes.length) throw new Error(`plaintext has ${pt.coeffCount()} words, expected ${N}·${primes.length}`);
  const bytes = Uint8Array.from(pt.saveToArray(seal.ComprModeType.none) as Uint8Array);
  const data = new DataView(bytes.buffer, bytes.length - N * primes.length * 8);
  primes.forEach((q, p) => {
    const key = `${q}/${N}`;
    let psi = psiCache.get(key);
    if (psi === undefined) psiCache.set(key, psi = sealPsi(q, N));
    const I = modPow(psi, BigInt(N / 2), q);
    for (let k = 0; k < N; k++) data.setBigUint64((p * N + k) * 8, k < N / 2 ? I : q - I, true);
  });
  pt.loadFromArray(he.context, bytes);
  return pt;
}

/** ct·X^(N/2): every slot times i; level and scale unchanged. The caller deletes the result. */
export function timesI(he: HeContext, ct: Ciphertext): Ciphertext {
  const scope = new Scope();
  try {
    const out = new he.seal.Ciphertext();
    he.evaluator.multiplyPlain(ct, monomialHalfN(he, scope, ct), out);
    return out;
  } finally {
    scope.free();
  }
}

/**
 * A query whose slots hold x + i·y (both blocks), otherwise like encryptQuery's: level 0,
 * scale 2^40, size 2, so it passes every structural check the service makes.
 */
export async function encryptComplexQuery(layout: QueryLayout, publicKey: Uint8Array, x: ArrayLike<number>, y: ArrayLike<number>): Promise<Uint8Array> {
  const he = await openQueryContext(QUERY_PARAMETERS);
  const scope = new Scope();
  try {
    const real = scope.add(deserializeCiphertext(he, await encryptQuery(layout, publicKey, x), { level: 0 }));
    const imag = scope.add(deserializeCiphertext(he, await encryptQuery(layout, publicKey, y), { level: 0 }));
    const rotated = scope.add(timesI(he, imag));
    he.evaluator.addInplace(real, rotated);
    return serializeCiphertext(he, real);
  } finally {
    scope.free();
  }
}

/** Real and imaginary parts of every slot of a result ciphertext (Im s = -Re(i·s)). */
export async function decryptComplexResult(layout: QueryLayout, secretKey: SecretKeyHandle, result: Uint8Array): Promise<{ re: Float64Array; im: Float64Array }> {
  const he = await openQueryContext(QUERY_PARAMETERS);
  const re = await decryptResultSlots(layout, secretKey, result);
  const scope = new Scope();
  try {
    const ct = scope.add(deserializeCiphertext(he, result, { level: he.levels() }));
    const rotated = scope.add(timesI(he, ct));
    return { re, im: decryptSlots(he, rotated, secretKey).map((v) => -v) };
  } finally {
    scope.free();
  }
}
