import { HessianError } from '@hessian/common/errors';
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

/**
 * Sealed boxes: a borrower's disclosure readable only by the service it applies to. ECIES-style:
 * an ephemeral X25519 key agrees a secret with the recipient's static key, HKDF-SHA256 (salt =
 * ephemeral ‖ recipient public key) derives an AES-256-GCM key, and the context string (e.g. the
 * quote id) is authenticated as associated data, so a box cannot be replayed for another quote.
 * The recipient and context also travel in clear (both are public) only to name the failure.
 */
export interface DisclosureKeyPair {
  /** base64url of the raw 32-byte X25519 public key */
  publicKey: string;
  /** base64url of the PKCS#8 DER private key: never logged */
  privateKey: string;
}

export interface SealedBox {
  version: 1;
  kind: 'hessian/sealed';
  /** the recipient's public key (base64url), to tell "sealed to another key" from tampering */
  recipient: string;
  /** the context bound as associated data */
  context: string;
  /** ephemeral X25519 public key, base64url raw */
  epk: string;
  /** 12-byte AES-GCM nonce, base64url */
  nonce: string;
  /** AES-256-GCM ciphertext followed by its 16-byte tag, base64url */
  ciphertext: string;
}

/** a sealed box or key that cannot be opened or used: wrong key, wrong context, tampered */
export class SealedBoxError extends HessianError {
  override name = 'SealedBoxError';
  constructor(message: string) {
    super(message, { kind: 'user' });
  }
}

const HKDF_INFO = 'hessian/sealed/v1 x25519-hkdf-sha256-aes256gcm';
const TAG_BYTES = 16;
export const MAX_CONTEXT_LENGTH = 256;

function b64u(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function fromB64u(value: unknown, what: string, length?: number): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]*$/.test(value)) throw new SealedBoxError(`${what}: not base64url`);
  const bytes = Buffer.from(value, 'base64url');
  // reject non-canonical encodings so one box has one spelling
  if (b64u(bytes) !== value) throw new SealedBoxError(`${what}: not canonical base64url`);
  if (length !== undefined && bytes.length !== length) throw new SealedBoxError(`${what}: ${bytes.length} bytes, expected ${length}`);
  return bytes;
}

function publicKeyObject(publicKey: string, what: string): KeyObject {
  const raw = fromB64u(publicKey, what, 32);
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64u(raw) }, format: 'jwk' });
  } catch (e) {
    throw new SealedBoxError(`${what}: not an X25519 public key (${(e as Error).message})`);
  }
}

function rawPublicKey(key: KeyObject): string {
  const x = key.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new SealedBoxError('key has no X25519 public part');
  return x;
}

function checkContext(context: string): void {
  if (typeof context !== 'string' || context.length === 0 || context.length > MAX_CONTEXT_LENGTH) {
    throw new SealedBoxError(`context must be a non-empty string of at most ${MAX_CONTEXT_LENGTH} characters`);
  }
}

function deriveKey(shared: Buffer, epk: string, recipient: string): Buffer {
  // an all-zero secret means a low-order public key: nothing secret was agreed
  if (shared.every((b) => b === 0)) throw new SealedBoxError('key agreement produced the all-zero secret (low-order public key)');
  const salt = Buffer.concat([Buffer.from(epk, 'base64url'), Buffer.from(recipient, 'base64url')]);
  return Buffer.from(hkdfSync('sha256', shared, salt, HKDF_INFO, 32));
}

function agree(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  try {
    return diffieHellman({ privateKey, publicKey });
  } catch (e) {
    throw new SealedBoxError(`key agreement failed (${(e as Error).message})`);
  }
}

export function generateDisclosureKeys(): DisclosureKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { publicKey: rawPublicKey(publicKey), privateKey: b64u(privateKey.export({ format: 'der', type: 'pkcs8' })) };
}

/** The public key of a private key (to check a key file matches a published service document). */
export function disclosurePublicKey(privateKey: string): string {
  return rawPublicKey(createPublicKey(privateKeyObject(privateKey)));
}

function privateKeyObject(privateKey: string): KeyObject {
  const der = fromB64u(privateKey, 'disclosure private key');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    throw new SealedBoxError('disclosure private key: not a PKCS#8 key');
  }
  if (key.asymmetricKeyType !== 'x25519') throw new SealedBoxError(`disclosure private key: ${key.asymmetricKeyType} key, expected x25519`);
  return key;
}

export function seal(publicKey: string, plaintext: Uint8Array, context: string): SealedBox {
  checkContext(context);
  const recipient = publicKeyObject(publicKey, 'recipient public key');
  const eph = generateKeyPairSync('x25519');
  const epk = rawPublicKey(eph.publicKey);
  const key = deriveKey(agree(eph.privateKey, recipient), epk, publicKey);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { version: 1, kind: 'hessian/sealed', recipient: publicKey, context, epk, nonce: b64u(nonce), ciphertext: b64u(body) };
}

/** Opens a box sealed to this private key for this context, or says why it cannot. */
export function open(privateKey: string, box: SealedBox, context: string): Uint8Array {
  checkContext(context);
  if (box?.version !== 1 || box.kind !== 'hessian/sealed') throw new SealedBoxError('not a version 1 hessian/sealed box');
  const sk = privateKeyObject(privateKey);
  const ours = rawPublicKey(createPublicKey(sk));
  if (box.recipient !== ours) throw new SealedBoxError('sealed to another key (wrong key)');
  if (box.context !== context) throw new SealedBoxError(`sealed for context "${String(box.context).slice(0, MAX_CONTEXT_LENGTH)}", expected "${context}" (wrong context)`);
  const epk = publicKeyObject(box.epk, 'sealed box epk');
  const nonce = fromB64u(box.nonce, 'sealed box nonce', 12);
  const body = fromB64u(box.ciphertext, 'sealed box ciphertext');
  if (body.length < TAG_BYTES) throw new SealedBoxError(`sealed box ciphertext: ${body.length} bytes is shorter than the ${TAG_BYTES}-byte tag (truncated)`);
  const key = deriveKey(agree(sk, epk), box.epk, ours);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return new Uint8Array(Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]));
  } catch {
    throw new SealedBoxError('sealed box failed authentication (tampered, or its recipient/context fields were altered)');
  }
}
