import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { zstdCompressSync } from 'node:zlib';
import type { Ciphertext } from 'node-seal';
import { HeContext, parameterSet } from '../src/he/context.ts';
import { CiphertextError, deserializeCiphertext, maxCiphertextBytes, readSealHeader, serializeCiphertext } from '../src/he/codec.ts';
import { generateKeys, loadGaloisKeys, loadPublicKey, loadRelinKeys } from '../src/he/keys.ts';
import { encryptWeights, loadWeights } from '../src/he/weights.ts';
import { decryptGradient } from '../src/he/gradient.ts';

let he: HeContext;
let other: HeContext;
let fresh: Uint8Array;
let foreign: Uint8Array;
let keys: ReturnType<typeof generateKeys>;

before(async () => {
  he = await HeContext.create(parameterSet('logistic-8192'), 'logistic');
  other = await HeContext.create(parameterSet('linear-8192'), 'linear');
  keys = generateKeys(he, { relin: true, galoisSteps: [1, 2] });
  const pk = loadPublicKey(he, keys.publicKey);
  [fresh] = encryptWeights(he, [0.25], { publicKey: pk });
  pk.delete();
  const otherKeys = generateKeys(other, { relin: false });
  const opk = loadPublicKey(other, otherKeys.publicKey);
  [foreign] = encryptWeights(other, [0.25], { publicKey: opk });
  opk.delete();
  otherKeys.secretKey.delete();
});
after(() => {
  keys.secretKey.delete();
  he.delete();
  other.delete();
});

function rejects(bytes: Uint8Array, pattern: RegExp, level?: number): void {
  assert.throws(() => deserializeCiphertext(he, bytes, { level, what: 'test ciphertext' }),
    (e: unknown) => e instanceof CiphertextError && pattern.test((e as Error).message) && (e as Error).message.startsWith('test ciphertext:'));
}

test('a valid ciphertext round-trips through the codec', () => {
  const ct: Ciphertext = deserializeCiphertext(he, fresh, { level: 0 });
  const again = serializeCiphertext(he, ct);
  ct.delete();
  assert.equal(readSealHeader(again).comprMode, 'zstd');
  deserializeCiphertext(he, again, { level: 0 }).delete();
});

test('garbage bytes are refused before SEAL parses them', () => {
  rejects(randomBytes(5000), /not a SEAL object \(bad magic\)/);
  rejects(new Uint8Array(3), /shorter than the 16-byte SEAL header/);
  const badVersion = Uint8Array.from(fresh);
  badVersion[3] = 9;
  rejects(badVersion, /version 9\.\d+ is not supported/);
});

test('truncated and padded ciphertexts are refused', () => {
  rejects(fresh.subarray(0, fresh.length - 100), /truncated \(header says \d+ bytes, got \d+\)/);
  const padded = new Uint8Array(fresh.length + 10);
  padded.set(fresh);
  rejects(padded, /10 trailing bytes/);
});

test('a corrupted body with a valid header is reported as malformed, not a crash', () => {
  const corrupt = Uint8Array.from(fresh);
  for (let i = 16; i < corrupt.length; i += 7) corrupt[i] ^= 0x5a;
  rejects(corrupt, /corrupt zstd body|malformed|does not match/);
  // and the context still works afterwards
  deserializeCiphertext(he, fresh, { level: 0 }).delete();
});

test('oversized ciphertexts are refused by size before parsing', () => {
  const limit = maxCiphertextBytes(he, 0);
  const huge = new Uint8Array(limit + 1);
  huge.set(fresh.subarray(0, 16));
  rejects(huge, new RegExp(`${limit + 1} bytes exceeds the limit of ${limit}`));
  // a gradient must be at the last level, so its limit is far smaller than a fresh ciphertext
  assert.throws(() => decryptGradient(he, fresh, keys.secretKey, 'logistic', 1), /gradient ciphertext: \d+ bytes exceeds the limit/);
});

test('a compression bomb is refused before SEAL inflates it', () => {
  // 64 KiB of zstd that inflates to 1 GiB: SEAL alone would fill the (never shrinking) wasm heap
  const body = zstdCompressSync(Buffer.alloc(1024 * 1024 * 1024));
  const bytes = new Uint8Array(16 + body.length);
  bytes.set(fresh.subarray(0, 16));
  new DataView(bytes.buffer).setBigUint64(8, BigInt(bytes.length), true);
  bytes.set(body, 16);
  const t = performance.now();
  rejects(bytes, /decompresses to more than \d+ bytes \(compression bomb or wrong parameters\)/);
  assert.ok(performance.now() - t < 5000);
  assert.throws(() => loadPublicKey(he, bytes), /public key: decompresses to more than/);
});

test('a ciphertext made with other CKKS parameters is refused', () => {
  rejects(foreign, /does not match this model's CKKS parameters|different CKKS parameters|polynomial degree/);
});

test('a ciphertext at the wrong modulus level is refused', () => {
  // with a size limit that lets it through, the level check still catches it
  assert.throws(() => deserializeCiphertext(he, fresh, { level: 4, maxBytes: 10_000_000, what: 'gradient' }), /gradient: at modulus level 0, expected 4/);
});

test('a valid last-level ciphertext that is not a gradient in this packing is refused on decryption', () => {
  const pk = loadPublicKey(he, keys.publicKey);
  const enc = new he.seal.Encryptor(he.context, pk);
  const pt = new he.seal.Plaintext();
  const ct = new he.seal.Ciphertext();
  try {
    he.encoder.encode(Float64Array.from({ length: he.slotCount }, (_, i) => Math.sin(i)), he.scale, pt);
    enc.encrypt(pt, ct);
    const last = he.parmsIdAt(he.levels());
    he.evaluator.cipherModSwitchToInplace(ct, last);
    last.delete();
    const bytes = serializeCiphertext(he, ct);
    assert.throws(() => decryptGradient(he, bytes, keys.secretKey, 'logistic', 3), /gradient ciphertext: slot \d+ .* disagrees with the other copies of component \d/);
  } finally {
    ct.delete(); pt.delete(); enc.delete(); pk.delete();
  }
  // the same for linear regression, whose gradient leaves the slots past the features at zero
  const lk = generateKeys(other, { relin: false });
  const lpk = loadPublicKey(other, lk.publicKey);
  const lenc = new other.seal.Encryptor(other.context, lpk);
  const lpt = new other.seal.Plaintext();
  const lct = new other.seal.Ciphertext();
  try {
    other.encoder.encode(Float64Array.from({ length: other.slotCount }, (_, i) => Math.cos(i)), other.scale, lpt);
    lenc.encrypt(lpt, lct);
    const last = other.parmsIdAt(other.levels());
    other.evaluator.cipherModSwitchToInplace(lct, last);
    last.delete();
    assert.throws(() => decryptGradient(other, serializeCiphertext(other, lct), lk.secretKey, 'linear', 3), /slot 3 holds .* where a linear gradient has 0/);
  } finally {
    lct.delete(); lpt.delete(); lenc.delete(); lpk.delete(); lk.secretKey.delete();
  }
});

test('keys: garbage, truncated and foreign keys are refused with the key named', () => {
  assert.throws(() => loadPublicKey(he, randomBytes(1000)), /public key: not a SEAL object/);
  assert.throws(() => loadRelinKeys(he, keys.relinKeys!.subarray(0, 500)), /relinearization keys: truncated/);
  assert.throws(() => loadGaloisKeys(he, keys.galoisKeys!, [1, 2, 3]), /rotation keys: missing the key for rotation step 3/);
  loadGaloisKeys(he, keys.galoisKeys!, [1, 2]).delete();
  const otherKeys = generateKeys(other, { relin: false });
  assert.throws(() => loadPublicKey(he, otherKeys.publicKey), /public key: invalid or made with different CKKS parameters/);
  otherKeys.secretKey.delete();
  assert.throws(() => loadWeights(he, [fresh, fresh], 3), /expected 3 weight ciphertexts, got 2/);
  assert.throws(() => loadWeights(he, [fresh, randomBytes(100)]), /weight ciphertext 1: not a SEAL object/);
});
