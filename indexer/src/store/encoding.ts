// Order-preserving text encodings for BigInt and BigDecimal, so SQLite's plain byte comparison
// (indexes, ORDER BY, <, >) agrees with numeric order, as graph-node gets from Postgres `numeric`.
//
// BigInt:     'p' + 5-digit length + digits           (n >= 0)
//             'n' + 5-digit (99999 - length) + 9-complemented digits   (n < 0)
// BigDecimal: 'o' for zero; otherwise value = 0.DIGITS × 10^exp with DIGITS free of leading and
//             trailing zeros, 'p' + 5-digit (exp + 50000) + DIGITS, or for negatives
//             'n' + 5-digit (49999 - exp) + complemented DIGITS + '~' ('~' sorts after every
//             digit, so a longer negative mantissa sorts first).

const LEN_WIDTH = 5;

function pad(n: number): string {
  return String(n).padStart(LEN_WIDTH, '0');
}

function complement(digits: string): string {
  let out = '';
  for (let i = 0; i < digits.length; i++) out += String(9 - (digits.charCodeAt(i) - 48));
  return out;
}

export function encodeBigInt(n: bigint): string {
  if (n >= 0n) {
    const d = n.toString();
    return 'p' + pad(d.length) + d;
  }
  const d = (-n).toString();
  return 'n' + pad(99999 - d.length) + complement(d);
}

export function decodeBigInt(s: string): bigint {
  const body = s.slice(1 + LEN_WIDTH);
  if (s[0] === 'p') return BigInt(body);
  if (s[0] === 'n') return -BigInt(complement(body));
  throw new Error(`corrupt BigInt column value ${JSON.stringify(s)}`);
}

const DECIMAL_RE = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses a decimal string into sign, significant digits and exponent (value = 0.digits × 10^exp). */
export function parseDecimal(s: string): { negative: boolean; digits: string; exp: number } {
  const m = DECIMAL_RE.exec(s.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`invalid BigDecimal ${JSON.stringify(s)}`);
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  let digits = intPart + fracPart;
  let exp = intPart.length + (m[4] ? Number(m[4]) : 0);
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead);
  exp -= lead;
  digits = digits.replace(/0+$/, '');
  if (digits === '') return { negative: false, digits: '', exp: 0 };
  return { negative: m[1] === '-', digits, exp };
}

export function encodeBigDecimal(s: string): string {
  const { negative, digits, exp } = parseDecimal(s);
  if (digits === '') return 'o';
  if (!negative) return 'p' + pad(exp + 50000) + digits;
  return 'n' + pad(49999 - exp) + complement(digits) + '~';
}

/** Plain (non-scientific) normalized decimal, as graph-node prints a BigDecimal. */
export function formatDecimal(negative: boolean, digits: string, exp: number): string {
  if (digits === '') return '0';
  let out: string;
  if (exp >= digits.length) out = digits + '0'.repeat(exp - digits.length);
  else if (exp <= 0) out = '0.' + '0'.repeat(-exp) + digits;
  else out = digits.slice(0, exp) + '.' + digits.slice(exp);
  return negative ? '-' + out : out;
}

export function decodeBigDecimal(s: string): string {
  if (s === 'o') return '0';
  const expField = Number(s.slice(1, 1 + LEN_WIDTH));
  if (s[0] === 'p') return formatDecimal(false, s.slice(1 + LEN_WIDTH), expField - 50000);
  if (s[0] === 'n') return formatDecimal(true, complement(s.slice(1 + LEN_WIDTH, -1)), 49999 - expField);
  throw new Error(`corrupt BigDecimal column value ${JSON.stringify(s)}`);
}

/** Normalizes any decimal string to graph-node's printed form (no exponent, no trailing zeros). */
export function normalizeDecimal(s: string): string {
  const { negative, digits, exp } = parseDecimal(s);
  return formatDecimal(negative, digits, exp);
}

export function bytesToHex(b: Uint8Array): string {
  return '0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function hexToBytes(hex: string): Buffer {
  const h = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new Error(`invalid hex bytes ${JSON.stringify(hex)}`);
  return Buffer.from(h, 'hex');
}
