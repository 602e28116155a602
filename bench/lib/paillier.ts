// The 2017 chAIn/Hessian design as a baseline: Paillier-encrypted weights, and the data owner
// computes an encrypted linear-regression gradient row by row with ciphertext-scalar
// exponentiations. paillier-bigint is a bench-only peer (bench/node_modules), loaded on demand.

const SCALE = 1n << 16n;

// module names in variables: the project typechecks without bench/node_modules installed
const PAILLIER = 'paillier-bigint';
const BIGINT_UTILS = 'bigint-crypto-utils';

interface PaillierPublicKey {
  n: bigint;
  encrypt(m: bigint): bigint;
  addition(...c: bigint[]): bigint;
}
interface PaillierModule {
  generateRandomKeys(bits: number): Promise<{ publicKey: PaillierPublicKey; privateKey: { decrypt(c: bigint): bigint } }>;
}
interface BigintUtils {
  modInv(a: bigint, n: bigint): bigint;
  modPow(b: bigint, e: bigint, n: bigint): bigint;
}

export interface PaillierResult {
  bits: number;
  rows: number;
  keygenMs: number;
  encryptMs: number;
  msPerRow: number;
  decryptMs: number;
  weightBytes: number;
  gradientBytesPerRow: number;
  maxError: number;
}

export async function paillierPerRowGradient(opts: { bits: number; rows: number; x: readonly Float64Array[]; y: Float64Array; w: Float64Array }): Promise<PaillierResult> {
  const paillier = (await import(PAILLIER)) as PaillierModule;
  const { modInv, modPow } = (await import(BIGINT_UTILS)) as BigintUtils;
  const t0 = performance.now();
  const { publicKey, privateKey } = await paillier.generateRandomKeys(opts.bits);
  const keygenMs = performance.now() - t0;
  const n = publicKey.n;
  const n2 = n * n;
  const enc = (v: number) => {
    const k = BigInt(Math.round(v * Number(SCALE)));
    return k >= 0n ? k : n + k;
  };
  // ciphertext times a signed fixed-point scalar; a negative one inverts the ciphertext and uses
  // the small exponent, as python-paillier (the 2017 prototype's library) does
  const mul = (c: bigint, v: number): bigint => {
    const k = BigInt(Math.round(v * Number(SCALE)));
    return k >= 0n ? modPow(c, k, n2) : modPow(modInv(c, n2), -k, n2);
  };
  const dec = (k: bigint, scale: bigint) => Number(k > n / 2n ? k - n : k) / Number(scale);
  const d = opts.w.length;

  const t1 = performance.now();
  const encW = Array.from(opts.w, (v) => publicKey.encrypt(enc(v)));
  const encryptMs = performance.now() - t1;

  // per row i: Enc(r_i) = prod_j Enc(w_j)^{x_ij} * Enc(-y_i); per feature j: Enc(g_ij) = Enc(r_i)^{x_ij}.
  // Each row's gradient ciphertexts go to the lender (the 2017 prototype sent them per row).
  const rows = Math.min(opts.rows, opts.x.length);
  const sums = Array.from({ length: d }, () => publicKey.encrypt(0n));
  const t2 = performance.now();
  let gradientBytesPerRow = 0;
  for (let i = 0; i < rows; i++) {
    const xi = opts.x[i]!;
    let r = publicKey.encrypt(enc(-opts.y[i]! ) * SCALE % n);
    for (let j = 0; j < d; j++) if (xi[j] !== 0) r = publicKey.addition(r, mul(encW[j]!, xi[j]!));
    for (let j = 0; j < d; j++) {
      const g = mul(r, xi[j]!);
      gradientBytesPerRow += i === 0 ? Math.ceil(g.toString(16).length / 2) : 0;
      sums[j] = publicKey.addition(sums[j]!, g);
    }
  }
  const msPerRow = (performance.now() - t2) / rows;

  const t3 = performance.now();
  const got = sums.map((c) => dec(privateKey.decrypt(c), SCALE * SCALE * SCALE) / rows);
  const decryptMs = performance.now() - t3;
  // plaintext linear gradient over the same rows, at the same fixed-point precision
  let maxError = 0;
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) {
      const xi = opts.x[i]!;
      let z = -opts.y[i]!;
      for (let k = 0; k < d; k++) z += opts.w[k]! * xi[k]!;
      s += z * xi[j]!;
    }
    maxError = Math.max(maxError, Math.abs(got[j]! - s / rows));
  }
  if (!(maxError < 1e-3)) throw new Error(`Paillier gradient differs from plaintext by ${maxError}: the baseline is wrong`);
  return { bits: opts.bits, rows, keygenMs, encryptMs, msPerRow, decryptMs, weightBytes: encW.reduce((s, c) => s + Math.ceil(c.toString(16).length / 2), 0), gradientBytesPerRow, maxError };
}
