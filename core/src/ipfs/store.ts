import { CID } from 'multiformats/cid';
import { HessianError } from '@hessian/common/errors';

/**
 * Where metadata, keys and ciphertexts live. Content is addressed by CIDv1 strings; only bytes
 * and JSON are ever stored or read back, never code.
 */
export interface ContentStore {
  /** stores bytes, returns their CID (base32 CIDv1) */
  put(bytes: Uint8Array): Promise<string>;
  /** the bytes of a CID; refuses content larger than maxBytes before reading it */
  get(cid: string, opts: GetOptions): Promise<Uint8Array>;
  /** stores a JSON value (JSON.stringify, UTF-8), returns its CID */
  putJson(value: unknown): Promise<string>;
  /** parses the content of a CID as JSON (JSON.parse only; validate the result) */
  getJson(cid: string, opts: GetOptions): Promise<unknown>;
  /** whether the CID's root block is available without going to the network */
  has(cid: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface GetOptions {
  maxBytes: number;
  signal?: AbortSignal;
}

/** a CID that is not one (or not of the accepted codecs and hash): wrong input, refused */
export class InvalidCidError extends HessianError {
  override name = 'InvalidCidError';
  constructor(message: string) {
    super(message, { kind: 'user' });
  }
}

/** content the store could not find or fetch in time: it may still arrive, so try again later */
export class ContentNotFoundError extends HessianError {
  override name = 'ContentNotFoundError';
  readonly cid: string;
  constructor(cid: string, detail?: string) {
    super(`content ${cid} not found${detail ? ` (${detail})` : ''}`, { kind: 'retryable' });
    this.cid = cid;
  }
}

/** content over the caller's size limit: wrong input, refused before it is read */
export class ContentTooLargeError extends HessianError {
  override name = 'ContentTooLargeError';
  readonly cid: string;
  constructor(cid: string, size: number | bigint | undefined, maxBytes: number) {
    super(`content ${cid} is ${size === undefined ? 'larger than' : `${size} bytes, over`} the limit of ${maxBytes} bytes`, { kind: 'user' });
    this.cid = cid;
  }
}

export const RAW_CODEC = 0x55;
export const DAG_PB_CODEC = 0x70;
const SHA2_256 = 0x12;

/**
 * Parses a CID string with multiformats and accepts only what our stores produce: raw or
 * dag-pb blocks hashed with sha2-256 (v0 or v1). Anything else gets a clear error.
 */
export function parseCid(value: unknown): CID {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidCidError(`CID must be a non-empty string, got ${JSON.stringify(value)}`);
  let cid: CID;
  try {
    cid = CID.parse(value.trim());
  } catch (e) {
    throw new InvalidCidError(`malformed CID "${value}": ${(e as Error).message}`);
  }
  if (cid.code !== RAW_CODEC && cid.code !== DAG_PB_CODEC) throw new InvalidCidError(`CID "${value}" has codec 0x${cid.code.toString(16)}; only raw (0x55) and dag-pb (0x70) content is accepted`);
  if (cid.multihash.code !== SHA2_256) throw new InvalidCidError(`CID "${value}" uses hash 0x${cid.multihash.code.toString(16)}; only sha2-256 is accepted`);
  return cid;
}

export function isValidCid(value: unknown): boolean {
  try { parseCid(value); return true; } catch { return false; }
}

/** Bounded JSON decode shared by the stores. */
export function decodeJson(cid: string, bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`content ${cid} is not UTF-8 text, so not a JSON document`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`content ${cid} is not valid JSON: ${(e as Error).message}`);
  }
}

export function encodeJson(value: unknown): Uint8Array {
  const text = JSON.stringify(value);
  if (text === undefined) throw new Error('value cannot be stored as JSON');
  return new TextEncoder().encode(text);
}

export function checkMaxBytes(maxBytes: number): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new Error(`maxBytes must be a non-negative integer, got ${maxBytes}`);
}
