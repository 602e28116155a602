// graph-node's BigDecimal (graph/src/data/store/scalar/bigdecimal.rs over the `bigdecimal` crate
// pinned at 0.1.2), reimplemented on JS bigint so results match graph-node digit for digit:
// - every result is normalized: rounded to 34 significant digits, trailing zeros removed;
// - that rounding looks only at the first dropped digit (>= 5 rounds the magnitude up) and, like
//   the crate, leaves negative values truncated (its remainder test is false for them) and
//   counts the digits of negative values from their bit length alone;
// - division computes up to 100 digits (rounding the last on the next digit) before normalizing.
import { HostError } from './errors.ts';
import { parseBigInt } from './bigint.ts';

export const MAX_SIGNIFICANT_DIGITS = 34;
export const MIN_EXP = -6143;
export const MAX_EXP = 6144;
const DIVISION_PRECISION = 100;
const LOG2_10 = 3.3219280949;

/** value = digits * 10^(-scale) */
export interface BigDecimal {
  readonly digits: bigint;
  readonly scale: number;
}

const ZERO: BigDecimal = { digits: 0n, scale: 0 };

function bits(n: bigint): number {
  const abs = n < 0n ? -n : n;
  return abs === 0n ? 0 : abs.toString(2).length;
}

const powers: bigint[] = [1n];
function tenTo(p: number): bigint {
  if (p < 256) {
    while (powers.length <= p) powers.push(powers[powers.length - 1]! * 10n);
    return powers[p]!;
  }
  return 10n ** BigInt(p);
}

// the crate's count_decimal_digits: a guess from the bit length, corrected upwards only while
// `int >= 10^guess`, which never holds for negative values
function countDigits(n: bigint): number {
  if (n === 0n) return 1;
  let digits = Math.floor(bits(n) / LOG2_10);
  let num = tenTo(digits);
  while (n >= num) {
    num *= 10n;
    digits += 1;
  }
  return digits;
}

// the crate's get_rounding_term: 1 when the leading decimal digit of a positive `n` is >= 5
function roundingTerm(n: bigint): bigint {
  if (n === 0n) return 0n;
  let m = tenTo(Math.floor(bits(n) / LOG2_10));
  for (;;) {
    if (n < m) return 1n;
    m *= 5n;
    if (n < m) return 0n;
    m *= 2n;
  }
}

function withPrecision(x: BigDecimal, prec: number): BigDecimal {
  const digits = countDigits(x.digits);
  if (digits <= prec) return x;
  const diff = digits - prec;
  const p = tenTo(diff);
  let q = x.digits / p;
  const r = x.digits - q * p;
  if (p < 10n * r) q += roundingTerm(r);
  return { digits: q, scale: x.scale - diff };
}

export function normalize(x: BigDecimal): BigDecimal {
  if (x.digits === 0n) return ZERO;
  const rounded = withPrecision(x, MAX_SIGNIFICANT_DIGITS);
  let { digits, scale } = rounded;
  if (digits === 0n) return ZERO;
  while (digits % 10n === 0n) {
    digits /= 10n;
    scale -= 1;
  }
  return { digits, scale };
}

/** graph-node `BigDecimal::new(digits, exp)`: value digits * 10^exp, normalized */
export function fromDigitsExp(digits: bigint, exp: number): BigDecimal {
  return normalize({ digits, scale: -exp });
}

export function fromBigInt(n: bigint): BigDecimal {
  return normalize({ digits: n, scale: 0 });
}

/** the exponent graph-ts sees: value = digits * 10^exp */
export function exponent(x: BigDecimal): number {
  return -x.scale;
}

export function checkExponent(x: BigDecimal): BigDecimal {
  const exp = -x.scale;
  if (exp < MIN_EXP || exp > MAX_EXP) {
    throw new HostError(`big decimal exponent \`${exp}\` is outside the \`${MIN_EXP}\` to \`${MAX_EXP}\` range`);
  }
  return x;
}

/** The crate's `FromStr`: `[sign]digits[.digits][(e|E)[sign]digits]`, then normalized. */
export function parseBigDecimal(s: string): BigDecimal | null {
  let base = s;
  let exp = 0;
  const e = s.search(/[eE]/);
  if (e >= 0) {
    base = s.slice(0, e);
    let expText = s.slice(e + 1);
    if (expText.startsWith('+')) expText = expText.slice(1);
    if (!/^[+-]?[0-9]+$/.test(expText)) return null;
    exp = Number(expText);
    if (!Number.isSafeInteger(exp)) return null;
  }
  if (base === '') return null;
  let digitText = base;
  let decimals = 0;
  const dot = base.indexOf('.');
  if (dot >= 0) {
    const trail = base.slice(dot + 1);
    digitText = base.slice(0, dot) + trail;
    decimals = trail.length;
  }
  // the digits follow num-bigint's BigInt::from_str rules, as graph-node's BigDecimal parser does
  const digits = parseBigInt(digitText);
  if (digits === null) return null;
  return normalize({ digits, scale: decimals - exp });
}

export function toString(x: BigDecimal): string {
  const negative = x.digits < 0n;
  let abs = (negative ? -x.digits : x.digits).toString();
  let out: string;
  if (x.scale >= abs.length) {
    out = `0.${'0'.repeat(x.scale - abs.length)}${abs}`;
  } else if (x.scale <= 0) {
    out = abs + '0'.repeat(-x.scale);
  } else {
    const at = abs.length - x.scale;
    out = `${abs.slice(0, at)}.${abs.slice(at)}`;
  }
  abs = out;
  return negative ? `-${abs}` : abs;
}

function align(a: BigDecimal, b: BigDecimal): [bigint, bigint, number] {
  if (a.scale === b.scale) return [a.digits, b.digits, a.scale];
  if (a.scale < b.scale) return [a.digits * tenTo(b.scale - a.scale), b.digits, b.scale];
  return [a.digits, b.digits * tenTo(a.scale - b.scale), a.scale];
}

export function plus(a: BigDecimal, b: BigDecimal): BigDecimal {
  const [x, y, scale] = align(a, b);
  return normalize({ digits: x + y, scale });
}

export function minus(a: BigDecimal, b: BigDecimal): BigDecimal {
  const [x, y, scale] = align(a, b);
  return normalize({ digits: x - y, scale });
}

export function times(a: BigDecimal, b: BigDecimal): BigDecimal {
  return normalize({ digits: a.digits * b.digits, scale: a.scale + b.scale });
}

export function equals(a: BigDecimal, b: BigDecimal): boolean {
  const [x, y] = align(a, b);
  return x === y;
}

export function isZero(a: BigDecimal): boolean {
  return a.digits === 0n;
}

function divideDigits(num: bigint, den: bigint, scale: number): BigDecimal {
  if (num === 0n) return ZERO;
  if (num < 0n && den < 0n) return divideDigits(-num, -den, scale);
  if (num < 0n) return negate(divideDigits(-num, den, scale));
  if (den < 0n) return negate(divideDigits(num, -den, scale));
  let n = num;
  let s = scale;
  while (n < den) {
    s += 1;
    n *= 10n;
  }
  let quotient = n / den;
  let remainder = n % den;
  if (remainder === 0n) return { digits: quotient, scale: s };
  let precision = countDigits(quotient);
  remainder *= 10n;
  while (remainder !== 0n && precision < DIVISION_PRECISION) {
    quotient = quotient * 10n + remainder / den;
    remainder = (remainder % den) * 10n;
    precision += 1;
    s += 1;
  }
  if (remainder !== 0n) quotient += roundingTerm(remainder / den);
  return { digits: quotient, scale: s };
}

function negate(a: BigDecimal): BigDecimal {
  return { digits: -a.digits, scale: a.scale };
}

export function dividedBy(a: BigDecimal, b: BigDecimal): BigDecimal {
  if (b.digits === 0n) throw new HostError(`attempted to divide BigDecimal \`${toString(a)}\` by zero`);
  if (a.digits === 0n || equals(b, { digits: 1n, scale: 0 })) return normalize(a);
  const scale = a.scale - b.scale;
  if (a.digits === b.digits) return normalize({ digits: 1n, scale });
  return normalize(divideDigits(a.digits, b.digits, scale));
}
