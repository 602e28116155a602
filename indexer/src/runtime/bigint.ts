// graph-ts BigInt <-> JS bigint, with graph-node's semantics: signed little-endian two's
// complement bytes, a size limit of 435,412 bits, truncating division and remainder.
import { HostError } from './errors.ts';

/** graph-node: 131072 decimal digits (Postgres numeric) converted to bits, plus one */
export const MAX_BIGINT_BITS = 435_412;

export function bitLength(n: bigint): number {
  const abs = n < 0n ? -n : n;
  if (abs === 0n) return 0;
  const hex = abs.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0]!, 16)));
}

/** graph-node's `BigInt::new` check: the magnitude's bits plus a sign bit. */
export function checkBigIntSize(n: bigint): bigint {
  const bits = bitLength(n) + 1;
  if (bits > MAX_BIGINT_BITS) throw new HostError(`BigInt is too big, total bits ${bits} (max ${MAX_BIGINT_BITS})`);
  return n;
}

function hexOfLE(bytes: Uint8Array): string {
  const be = Buffer.from(bytes).reverse();
  return be.toString('hex');
}

export function fromSignedLE(bytes: Uint8Array): bigint {
  const len = bytes.length;
  if (len === 0) return 0n;
  if (len <= 6) {
    // fits a double exactly: skip the hex round trip
    let n = 0;
    for (let i = len - 1; i >= 0; i--) n = n * 256 + bytes[i]!;
    if (bytes[len - 1]! & 0x80) n -= 2 ** (len * 8);
    return BigInt(n);
  }
  if (len <= 8) {
    // 64 bits (token amounts in wei): two 32-bit halves
    let lo = 0;
    let hi = 0;
    for (let i = 3; i >= 0; i--) lo = lo * 256 + bytes[i]!;
    for (let i = len - 1; i >= 4; i--) hi = hi * 256 + bytes[i]!;
    return BigInt.asIntN(len * 8, (BigInt(hi) << 32n) | BigInt(lo));
  }
  const n = BigInt(`0x${hexOfLE(bytes)}`);
  return bytes[bytes.length - 1]! & 0x80 ? n - (1n << BigInt(bytes.length * 8)) : n;
}

export function fromUnsignedLE(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${hexOfLE(bytes)}`);
}

/** signedLEInto's output when toSignedLE is asked for a small value */
const SMALL = new Uint8Array(8);

/** Minimal two's complement little-endian encoding (num-bigint's `to_signed_bytes_le`). */
export function toSignedLE(n: bigint): Uint8Array {
  const len = signedLEInto(n, SMALL);
  if (len >= 0) return SMALL.slice(0, len);
  let hex: string;
  if (n >= 0n) {
    hex = n.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    // a set top bit would read as negative: add a zero byte
    if (parseInt(hex[0]!, 16) >= 8) hex = `00${hex}`;
  } else {
    const bytes = Math.floor(bitLength(-n - 1n) / 8) + 1;
    hex = (n + (1n << BigInt(bytes * 8))).toString(16).padStart(bytes * 2, '0');
  }
  return Buffer.from(hex, 'hex').reverse();
}

/**
 * toSignedLE for -2^63 <= n < 2^63, written into `out` (8 bytes) without the hex round trip: the
 * byte count, or -1 for a larger n. The heap writes BigInts through it with no JS byte array.
 */
export function signedLEInto(n: bigint, out: Uint8Array): number {
  let len: number;
  if (n >= -0x20000000000000n && n < 0x20000000000000n) {
    // |n| < 2^53: exact as a double
    let rest = Number(n);
    len = 0;
    while (rest !== 0 && rest !== -1) {
      const byte = ((rest % 256) + 256) % 256;
      out[len++] = byte;
      rest = (rest - byte) / 256;
    }
    // the top byte's bit 7 must read as the sign: one more byte of sign if it does not
    if (rest === 0 ? len > 0 && out[len - 1]! >= 128 : len === 0 || out[len - 1]! < 128) out[len++] = rest === 0 ? 0 : 255;
    return len;
  }
  if (n < -0x8000000000000000n || n >= 0x8000000000000000n) return -1;
  // token amounts in wei: two 32-bit halves of the 64-bit two's complement
  const x = BigInt.asUintN(64, n);
  const lo = Number(x & 0xffffffffn);
  const hi = Number(x >> 32n);
  for (let i = 0; i < 4; i++) out[i] = (lo >>> (i * 8)) & 255;
  for (let i = 0; i < 4; i++) out[4 + i] = (hi >>> (i * 8)) & 255;
  const sign = n < 0n ? 255 : 0;
  len = 8;
  // drop top bytes that only repeat the sign, while the byte below still carries it
  while (len > 1 && out[len - 1] === sign && (out[len - 2]! >= 128) === (sign === 255)) len--;
  return len;
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
