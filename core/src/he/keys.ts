import { chmod, open, readFile, stat } from 'node:fs/promises';
import { inspect } from 'node:util';
import type { GaloisKeys, PublicKey, RelinKeys, SecretKey } from 'node-seal';
import { sameParams, type CkksParams, type HeContext } from './context.ts';
import { checkInflatedSize, readSealHeader } from './codec.ts';
import { sealErrorMessage } from './seal.ts';
import type { Logger } from '../log.ts';

/**
 * Wraps the lender's secret key so it cannot be logged or serialized by accident: String(),
 * JSON.stringify and util.inspect all print a placeholder. Only `saveSecretKeyFile` writes it.
 */
export class SecretKeyHandle {
  #key: SecretKey;
  constructor(key: SecretKey) {
    this.#key = key;
  }
  /** the SEAL object, for Decryptor/Encryptor construction only */
  unwrap(): SecretKey {
    if (this.#key.isDeleted()) throw new Error('secret key already deleted');
    return this.#key;
  }
  delete(): void {
    if (!this.#key.isDeleted()) this.#key.delete();
  }
  toString(): string { return '[SecretKey redacted]'; }
  toJSON(): string { return '[SecretKey redacted]'; }
  [inspect.custom](): string { return '[SecretKey redacted]'; }
}

/** Public material the lender publishes: everything an owner needs, nothing that decrypts. */
export interface PublicKeyMaterial {
  publicKey: Uint8Array;
  /** present for logistic regression (ct*ct products) */
  relinKeys?: Uint8Array;
  /** rotation keys for exactly the steps the gradient packing uses */
  galoisKeys?: Uint8Array;
}

export interface GeneratedKeys extends PublicKeyMaterial {
  secretKey: SecretKeyHandle;
}

/**
 * Generates a key set. Relinearization and rotation keys are saved in SEAL's seeded form, which
 * halves their size; they are only ever loaded, never used before publication.
 */
export function generateKeys(he: HeContext, opts: { relin: boolean; galoisSteps?: number[] }): GeneratedKeys {
  const { seal } = he;
  const kg = new seal.KeyGenerator(he.context);
  try {
    const zstd = seal.ComprModeType.zstd;
    const pkS = kg.createPublicKeySerializable();
    const publicKey = pkS.saveToArray(zstd) as Uint8Array;
    pkS.delete();
    let relinKeys: Uint8Array | undefined;
    if (opts.relin) {
      const rk = kg.createRelinKeysSerializable();
      relinKeys = rk.saveToArray(zstd) as Uint8Array;
      rk.delete();
    }
    let galoisKeys: Uint8Array | undefined;
    if (opts.galoisSteps && opts.galoisSteps.length > 0) {
      const gk = kg.createGaloisKeysSerializableWithSteps(Int32Array.from(opts.galoisSteps));
      galoisKeys = gk.saveToArray(zstd) as Uint8Array;
      gk.delete();
    }
    return { secretKey: new SecretKeyHandle(kg.secretKey()), publicKey, relinKeys, galoisKeys };
  } finally {
    kg.delete();
  }
}

/** Size limits for downloaded keys (uncompressed worst case for the parameters, plus slack). */
export function maxKeyBytes(he: HeContext, kind: 'publicKey' | 'relinKeys' | 'galoisKeys', galoisStepCount = 32): number {
  const N = he.params.polyModulusDegree;
  const k = he.params.coeffModulusBits.length;
  const dataPrimes = k - 1;
  const onePoly = N * k * 8;
  const perSwitchKey = dataPrimes * 2 * onePoly;
  const slack = 64 * 1024;
  if (kind === 'publicKey') return 2 * onePoly + slack;
  if (kind === 'relinKeys') return perSwitchKey + slack;
  return galoisStepCount * perSwitchKey + slack;
}

function loadWith<T extends { delete(): void; loadFromArray(ctx: HeContext['context'], a: Uint8Array): void }>(
  he: HeContext, make: () => T, bytes: Uint8Array, what: string, maxBytes: number,
): T {
  if (bytes.length > maxBytes) throw new Error(`${what}: ${bytes.length} bytes exceeds the limit of ${maxBytes}`);
  checkInflatedSize(bytes, readSealHeader(bytes, what), maxBytes, what);
  const obj = make();
  try {
    obj.loadFromArray(he.context, bytes);
    return obj;
  } catch (e) {
    obj.delete();
    throw new Error(`${what}: invalid or made with different CKKS parameters (${sealErrorMessage(e)})`);
  }
}

export function loadPublicKey(he: HeContext, bytes: Uint8Array): PublicKey {
  return loadWith(he, () => new he.seal.PublicKey(), bytes, 'public key', maxKeyBytes(he, 'publicKey'));
}

export function loadRelinKeys(he: HeContext, bytes: Uint8Array): RelinKeys {
  return loadWith(he, () => new he.seal.RelinKeys(), bytes, 'relinearization keys', maxKeyBytes(he, 'relinKeys'));
}

export function loadGaloisKeys(he: HeContext, bytes: Uint8Array, requiredSteps: number[] = []): GaloisKeys {
  const gk = loadWith(he, () => new he.seal.GaloisKeys(), bytes, 'rotation keys', maxKeyBytes(he, 'galoisKeys', Math.max(32, requiredSteps.length)));
  const slots = he.slotCount;
  for (const step of requiredSteps) {
    // SEAL's Galois element for a left rotation by `step` is 3^step mod 2N
    const elt = galoisElement(step, slots);
    if (!gk.hasKey(elt)) {
      gk.delete();
      throw new Error(`rotation keys: missing the key for rotation step ${step}`);
    }
  }
  return gk;
}

/** Galois element of a slot rotation (SEAL: generator 3, modulus 2N). */
export function galoisElement(step: number, slots: number): number {
  const m = BigInt(slots * 4);
  let s = BigInt(((step % slots) + slots) % slots);
  let result = 1n;
  let base = 3n;
  while (s > 0n) {
    if (s & 1n) result = (result * base) % m;
    base = (base * base) % m;
    s >>= 1n;
  }
  return Number(result);
}

export interface SecretKeyFile {
  version: 1;
  kind: 'hessian/ckks-secret-key';
  ckks: CkksParams;
  /** base64 of SEAL's serialization */
  secretKey: string;
}

/** the logger the key file's text is registered with, so that no log line can carry it */
export type SecretRedactor = Pick<Logger, 'addSecret'>;

/**
 * Writes the secret key with mode 0600, refusing to overwrite an existing file (a lost key means
 * every published weight is undecryptable, so clobbering one must be deliberate).
 */
export async function saveSecretKeyFile(path: string, he: HeContext, sk: SecretKeyHandle, opts: { overwrite?: boolean; log?: SecretRedactor } = {}): Promise<void> {
  const bytes = sk.unwrap().saveToArray(he.seal.ComprModeType.zstd) as Uint8Array;
  const doc: SecretKeyFile = { version: 1, kind: 'hessian/ckks-secret-key', ckks: he.params, secretKey: Buffer.from(bytes).toString('base64') };
  opts.log?.addSecret(doc.secretKey);
  const fh = await open(path, opts.overwrite ? 'w' : 'wx', 0o600);
  try {
    // the mode argument only applies on creation; an overwritten file keeps its old mode
    await fh.chmod(0o600);
    await fh.writeFile(JSON.stringify(doc) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await chmod(path, 0o600);
}

/** Reads the secret key file, refusing one readable by group or others (like ssh does). */
export async function loadSecretKeyFile(path: string, he: HeContext, opts: { log?: SecretRedactor } = {}): Promise<SecretKeyHandle> {
  const st = await stat(path);
  if ((st.mode & 0o077) !== 0) {
    throw new Error(`secret key file ${path} has mode ${(st.mode & 0o777).toString(8)}: it must not be accessible by group or others (chmod 600)`);
  }
  let doc: SecretKeyFile;
  try {
    doc = JSON.parse(await readFile(path, 'utf8')) as SecretKeyFile;
  } catch {
    throw new Error(`secret key file ${path} is not valid JSON`);
  }
  if (doc?.kind !== 'hessian/ckks-secret-key' || doc.version !== 1 || typeof doc.secretKey !== 'string') {
    throw new Error(`secret key file ${path} is not a Hessian CKKS secret key (version 1)`);
  }
  if (!doc.ckks || !sameParams(doc.ckks, he.params)) throw new Error(`secret key file ${path} was made for other CKKS parameters`);
  opts.log?.addSecret(doc.secretKey);
  const bytes = Uint8Array.from(Buffer.from(doc.secretKey, 'base64'));
  const sk = new he.seal.SecretKey();
  try {
    sk.loadFromArray(he.context, bytes);
  } catch (e) {
    sk.delete();
    throw new Error(`secret key file ${path} holds an invalid key (${sealErrorMessage(e)})`);
  }
  return new SecretKeyHandle(sk);
}
