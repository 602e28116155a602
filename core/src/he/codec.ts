import { inflateSync, zstdDecompressSync } from 'node:zlib';
import type { Ciphertext } from 'node-seal';
import { HessianError } from '@hessian/common/errors';
import type { HeContext } from './context.ts';
import { sealErrorMessage } from './seal.ts';

/**
 * Ciphertexts travel as SEAL's own serialization (16-byte header + zstd-compressed body). Bytes
 * from the network are checked before SEAL parses them (size bound, header magic/version/size),
 * and after (parameters, level, size, scale), so garbage, truncated, oversized or foreign
 * ciphertexts are refused with a message saying which check failed.
 */
/** bytes that are not a ciphertext of this model's parameters: wrong input, refused */
export class CiphertextError extends HessianError {
  override name = 'CiphertextError';
  constructor(message: string) {
    super(message, { kind: 'user' });
  }
}

const SEAL_MAGIC = 0xa15e;
const SEAL_HEADER_SIZE = 16;

export interface SealHeader {
  versionMajor: number;
  versionMinor: number;
  comprMode: 'none' | 'zlib' | 'zstd';
  size: number;
}

/** Parses and checks SEAL's serialization header (magic, header size, version 4.x, total size). */
export function readSealHeader(bytes: Uint8Array, what = 'ciphertext'): SealHeader {
  if (!(bytes instanceof Uint8Array)) throw new CiphertextError(`${what}: expected bytes`);
  if (bytes.length < SEAL_HEADER_SIZE) throw new CiphertextError(`${what}: ${bytes.length} bytes is shorter than the 16-byte SEAL header (truncated or not a SEAL object)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint16(0, true) !== SEAL_MAGIC || bytes[2] !== SEAL_HEADER_SIZE) throw new CiphertextError(`${what}: not a SEAL object (bad magic)`);
  const versionMajor = bytes[3];
  const versionMinor = bytes[4];
  if (versionMajor !== 4) throw new CiphertextError(`${what}: SEAL serialization version ${versionMajor}.${versionMinor} is not supported (need 4.x)`);
  const modes = ['none', 'zlib', 'zstd'] as const;
  const comprMode = modes[bytes[5]];
  if (comprMode === undefined) throw new CiphertextError(`${what}: unknown compression mode ${bytes[5]}`);
  const size = Number(dv.getBigUint64(8, true));
  if (size !== bytes.length) {
    throw new CiphertextError(size > bytes.length
      ? `${what}: truncated (header says ${size} bytes, got ${bytes.length})`
      : `${what}: ${bytes.length - size} trailing bytes after the ${size}-byte SEAL object`);
  }
  return { versionMajor, versionMinor, comprMode, size };
}

/**
 * SEAL inflates a compressed body without a size limit (a 64 KiB zstd bomb made it allocate
 * 2 GiB in the wasm heap, which never shrinks), so compressed bodies are first inflated here
 * with a bound on the output: the uncompressed size a real object of these parameters has.
 */
export function checkInflatedSize(bytes: Uint8Array, header: SealHeader, maxUncompressed: number, what: string): void {
  if (header.comprMode === 'none') {
    if (bytes.length > maxUncompressed) throw new CiphertextError(`${what}: ${bytes.length} bytes exceeds the limit of ${maxUncompressed}`);
    return;
  }
  const body = bytes.subarray(SEAL_HEADER_SIZE);
  try {
    if (header.comprMode === 'zstd') zstdDecompressSync(body, { maxOutputLength: maxUncompressed });
    else inflateSync(body, { maxOutputLength: maxUncompressed });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new CiphertextError(`${what}: decompresses to more than ${maxUncompressed} bytes (compression bomb or wrong parameters)`);
    }
    throw new CiphertextError(`${what}: corrupt ${header.comprMode} body (${(e as Error).message})`);
  }
}

/** Largest serialized ciphertext of these parameters at a level (uncompressed worst case + slack). */
export function maxCiphertextBytes(he: HeContext, level = 0): number {
  const primes = he.dataPrimes().length - level;
  return SEAL_HEADER_SIZE + 2 * he.params.polyModulusDegree * primes * 8 + 4096;
}

export function serializeCiphertext(he: HeContext, ct: Ciphertext): Uint8Array {
  return ct.saveToArray(he.seal.ComprModeType.zstd) as Uint8Array;
}

export interface LoadCiphertextOptions {
  /** required level (0 = fresh, he.levels() = last), or undefined to accept any */
  level?: number;
  /** default: maxCiphertextBytes at that level */
  maxBytes?: number;
  /** name used in error messages, e.g. "gradient ciphertext" */
  what?: string;
}

/** Loads and validates untrusted ciphertext bytes; the caller deletes the result. */
export function deserializeCiphertext(he: HeContext, bytes: Uint8Array, opts: LoadCiphertextOptions = {}): Ciphertext {
  const what = opts.what ?? 'ciphertext';
  const maxBytes = opts.maxBytes ?? maxCiphertextBytes(he, opts.level ?? 0);
  if (bytes.length > maxBytes) throw new CiphertextError(`${what}: ${bytes.length} bytes exceeds the limit of ${maxBytes} for these parameters`);
  const header = readSealHeader(bytes, what);
  checkInflatedSize(bytes, header, maxCiphertextBytes(he, 0), what);
  const ct = new he.seal.Ciphertext();
  try {
    try {
      ct.loadFromArray(he.context, bytes);
    } catch (e) {
      const msg = sealErrorMessage(e);
      if (/invalid|parms|mismatch/i.test(msg)) throw new CiphertextError(`${what}: does not match this model's CKKS parameters (${msg})`);
      throw new CiphertextError(`${what}: malformed (${msg})`);
    }
    checkCiphertext(he, ct, what, opts.level);
    return ct;
  } catch (e) {
    ct.delete();
    throw e;
  }
}

/** Structural checks on a loaded ciphertext: parameters, level, size 2, NTT form, plausible scale. */
export function checkCiphertext(he: HeContext, ct: Ciphertext, what: string, level?: number): void {
  if (ct.polyModulusDegree() !== he.params.polyModulusDegree) {
    throw new CiphertextError(`${what}: polynomial degree ${ct.polyModulusDegree()} differs from the model's ${he.params.polyModulusDegree}`);
  }
  const pid = ct.parmsId();
  let actual: number;
  try {
    const cd = he.context.getContextData(pid);
    if (!cd) throw new CiphertextError(`${what}: made with different CKKS parameters`);
    cd.delete();
    actual = he.levelOf(pid);
  } catch (e) {
    if (e instanceof CiphertextError) throw e;
    throw new CiphertextError(`${what}: made with different CKKS parameters (${sealErrorMessage(e)})`);
  } finally {
    pid.delete();
  }
  if (level !== undefined && actual !== level) throw new CiphertextError(`${what}: at modulus level ${actual}, expected ${level}`);
  if (ct.size() !== 2) throw new CiphertextError(`${what}: has ${ct.size()} polynomials, expected 2 (not relinearized?)`);
  if (!ct.isNttForm()) throw new CiphertextError(`${what}: not in NTT form`);
  const s = ct.scale();
  // the scale drifts from 2^scaleBits by the ratio of primes to powers of two, never by 2x
  const lo = he.scale / 4;
  const hi = he.scale * he.scale * 4;
  if (!(s >= lo && s <= hi)) throw new CiphertextError(`${what}: scale 2^${Math.log2(s).toFixed(1)} is implausible for scale 2^${he.params.scaleBits}`);
  if (ct.isTransparent()) throw new CiphertextError(`${what}: transparent (encrypts without any key)`);
}
