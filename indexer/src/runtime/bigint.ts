// graph-ts BigInt <-> JS bigint, with graph-node's semantics: signed little-endian two's
// complement bytes, a size limit of 435,412 bits, truncating division and remainder.
import { HostError } from './errors.ts';

/** graph-node: 131072 decimal digits (Postgres numeric) converted to bits, plus one */
export const MAX_BIGINT_BITS = 435_412;

export function bitLength(n: bigint): number {
  const abs = n < 0n ? -n : n;
  return abs === 0n ? 0 : abs.toString(2).length;
}

/** graph-node's `BigInt::new` check: the magnitude's bits plus a sign bit. */
export function checkBigIntSize(n: bigint): bigint {
  const bits = bitLength(n) + 1;
  if (bits > MAX_BIGINT_BITS) throw new HostError(`BigInt is too big, total bits ${bits} (max ${MAX_BIGINT_BITS})`);
  return n;
}

export function fromSignedLE(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return n;
}

export function fromUnsignedLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/** Minimal two's complement little-endian encoding (num-bigint's `to_signed_bytes_le`). */
export function toSignedLE(n: bigint): Uint8Array {
  if (n === 0n) return new Uint8Array([0]);
  const out: number[] = [];
  let x = n;
  // emit bytes until the remaining value is pure sign extension of the last byte's top bit
  for (;;) {
    const byte = Number(x & 0xffn);
    out.push(byte);
    x >>= 8n;
    if ((x === 0n && (byte & 0x80) === 0) || (x === -1n && (byte & 0x80) !== 0)) break;
  }
  return Uint8Array.from(out);
}

/**
 * num-bigint's `BigInt::from_str` (what graph-node uses): an optional `-` or `+`, decimal
 * digits, `_` separators allowed anywhere but first.
 */
export function parseBigInt(s: string): bigint | null {
  let body = s;
  let negative = false;
  if (body.startsWith('-')) {
    const tail = body.slice(1);
    if (!tail.startsWith('+')) body = tail;
    negative = true;
  }
  if (body.startsWith('+')) {
    const tail = body.slice(1);
    if (!tail.startsWith('+')) body = tail;
  }
  if (body.length === 0 || body.startsWith('_')) return null;
  const digits = body.replaceAll('_', '');
  if (!/^[0-9]+$/.test(digits)) return null;
  const n = BigInt(digits);
  return negative ? -n : n;
}

/**
 * graph-node's `typeConversion.bigIntToHex`: the magnitude in minimal hex digits, `0x0` for zero.
 * Like graph-node it drops the sign of negative numbers.
 */
export function bigIntToHex(n: bigint): string {
  if (n === 0n) return '0x0';
  return `0x${(n < 0n ? -n : n).toString(16)}`;
}
