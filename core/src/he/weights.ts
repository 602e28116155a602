import type { Ciphertext, PublicKey } from 'node-seal';
import type { HeContext } from './context.ts';
import { deserializeCiphertext, serializeCiphertext } from './codec.ts';
import type { SecretKeyHandle } from './keys.ts';
import { Scope } from './seal.ts';

/**
 * Encrypts a weight vector as one ciphertext per weight, the value replicated in every slot, so
 * an owner multiplies it by a whole column of rows at once. With the secret key the encryption is
 * symmetric and SEAL stores only a seed for half of it (about half the bytes).
 */
export function encryptWeights(he: HeContext, w: ArrayLike<number>, keys: { publicKey: PublicKey; secretKey?: SecretKeyHandle }): Uint8Array[] {
  const { seal } = he;
  const scope = new Scope();
  try {
    const enc = scope.add(keys.secretKey ? new seal.Encryptor(he.context, keys.publicKey, keys.secretKey.unwrap()) : new seal.Encryptor(he.context, keys.publicKey));
    const pt = scope.add(new seal.Plaintext());
    const fill = new Float64Array(he.slotCount);
    const out: Uint8Array[] = [];
    for (let j = 0; j < w.length; j++) {
      if (!Number.isFinite(w[j])) throw new Error(`weight ${j} is not finite (${w[j]})`);
      fill.fill(w[j]);
      he.encoder.encode(fill, he.scale, pt);
      const ser = keys.secretKey ? enc.encryptSymmetricSerializable(pt) : enc.encryptSerializable(pt);
      try {
        out.push(ser.saveToArray(seal.ComprModeType.zstd) as Uint8Array);
      } finally {
        ser.delete();
      }
    }
    return out;
  } finally {
    scope.free();
  }
}

/** Loads weight ciphertexts (fresh level, size-checked); the caller deletes them. */
export function loadWeights(he: HeContext, blobs: readonly Uint8Array[], expectedCount?: number): Ciphertext[] {
  if (expectedCount !== undefined && blobs.length !== expectedCount) throw new Error(`expected ${expectedCount} weight ciphertexts, got ${blobs.length}`);
  const out: Ciphertext[] = [];
  try {
    blobs.forEach((b, j) => out.push(deserializeCiphertext(he, b, { level: 0, what: `weight ciphertext ${j}` })));
    return out;
  } catch (e) {
    for (const c of out) c.delete();
    throw e;
  }
}

/** Decrypts a ciphertext to its slot values. */
export function decryptSlots(he: HeContext, ct: Ciphertext, sk: SecretKeyHandle): Float64Array {
  const scope = new Scope();
  try {
    const dec = scope.add(new he.seal.Decryptor(he.context, sk.unwrap()));
    const pt = scope.add(new he.seal.Plaintext());
    dec.decrypt(ct, pt);
    return he.encoder.decodeFloat64(pt) as Float64Array;
  } finally {
    scope.free();
  }
}

/** Decrypts published weight ciphertexts (lender side); each weight is the mean over its slots. */
export function decryptWeights(he: HeContext, blobs: readonly Uint8Array[], sk: SecretKeyHandle): Float64Array {
  const cts = loadWeights(he, blobs);
  try {
    return Float64Array.from(cts, (ct) => {
      const v = decryptSlots(he, ct, sk);
      let s = 0;
      for (const x of v) s += x;
      return s / v.length;
    });
  } finally {
    for (const c of cts) c.delete();
  }
}

export { serializeCiphertext };
