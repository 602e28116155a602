// Display formatting. Everything numeric arrives from the API as decimal strings (BigInt, BigDecimal)
// and is kept as bigint until the last step, so 18-decimal amounts never lose precision.
import { GradientStatus, PRIVACY_SCALE, SCORE_SCALE, Verdict, type EnumName } from '@hessian/contracts/vocabulary';

export { PRIVACY_SCALE, SCORE_SCALE };
const SCORE_DECIMALS = SCORE_SCALE.toString().length - 1;
const PRIVACY_DECIMALS = PRIVACY_SCALE.toString().length - 1;
export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

export interface TokenInfo {
  symbol: string;
  decimals: number;
}

export const ETH: TokenInfo = { symbol: 'ETH', decimals: 18 };

/** Parses an API integer (BigInt string, Int, or bigint); throws naming the field when it is not one. */
export function toBigInt(value: string | number | bigint, what = 'value'): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`${what} is not an integer: ${value}`);
    return BigInt(value);
  }
  if (!/^-?\d+$/.test(value)) throw new Error(`${what} is not an integer: ${JSON.stringify(value)}`);
  return BigInt(value);
}

const groupInt = (digits: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/**
 * Fixed-point integer → grouped decimal text, rounded half up to `maxFraction` digits with
 * trailing zeros trimmed. A non-zero value that rounds to zero shows as "<0.0001" rather than "0".
 */
export function formatFixed(raw: string | bigint | number, decimals: number, maxFraction = 4): string {
  let v = toBigInt(raw, 'amount');
  const negative = v < 0n;
  if (negative) v = -v;
  const digits = Math.min(maxFraction, decimals);
  const unit = 10n ** BigInt(decimals);
  const step = 10n ** BigInt(decimals - digits);
  const rounded = (v + step / 2n) / step; // in units of 10^-digits
  if (rounded === 0n && v !== 0n) {
    return `${negative ? '>-' : '<'}0.${'0'.repeat(Math.max(digits - 1, 0))}1`;
  }
  const scale = unit / step;
  const whole = rounded / scale;
  const frac = (rounded % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  const sign = negative && rounded !== 0n ? '-' : '';
  return `${sign}${groupInt(whole.toString())}${frac ? `.${frac}` : ''}`;
}

export function formatAmount(raw: string | bigint, token: TokenInfo, maxFraction = 4): string {
  return `${formatFixed(raw, token.decimals, maxFraction)} ${token.symbol}`;
}

/** The full-precision amount, for tooltips and copy. */
export function formatAmountExact(raw: string | bigint, token: TokenInfo): string {
  return `${formatFixed(raw, token.decimals, token.decimals).replace(/^<.*$/, '')} ${token.symbol}`;
}

/** A fixed-point score (SCORE_SCALE = 1e6) as a decimal, e.g. 751234 → "0.7512". */
export function formatScore(raw: string | bigint | null | undefined, maxFraction = 4): string {
  if (raw === null || raw === undefined) return '–';
  return formatFixed(raw, SCORE_DECIMALS, maxFraction);
}

export function formatScoreDelta(raw: string | bigint | null | undefined): string {
  if (raw === null || raw === undefined) return '–';
  const v = toBigInt(raw, 'score delta');
  if (v === 0n) return '0';
  return v > 0n ? `+${formatFixed(v, SCORE_DECIMALS)}` : formatFixed(v, SCORE_DECIMALS);
}

/**
 * A gradient's (or a sum of gradients') DP epsilon, e.g. 500000 → "ε 0.5"; 0 → "no DP" (the
 * gradient carried no noise), null (not revealed yet) → "–".
 */
export function formatEpsilon(raw: string | bigint | null | undefined, maxFraction = 3): string {
  if (raw === null || raw === undefined) return '–';
  const v = toBigInt(raw, 'epsilon');
  if (v === 0n) return 'no DP';
  return `ε ${formatFixed(v, PRIVACY_DECIMALS, maxFraction)}`;
}

/** A sum of epsilons: 0 reads "0" (nothing spent) rather than "no DP". */
export function formatEpsilonSpent(raw: string | bigint): string {
  const v = toBigInt(raw, 'epsilon spent');
  return v === 0n ? '0' : formatFixed(v, PRIVACY_DECIMALS, 3);
}

/** the statuses a gradient the subgraph has seen can be in (the contract's None never reaches it) */
export type GradientStatusName = Exclude<EnumName<typeof GradientStatus>, 'None'>;
export type VerdictName = EnumName<typeof Verdict>;

/** The badge text of each gradient status: a Pending gradient is one that was revealed. */
export const GRADIENT_STATUS_LABELS: Record<GradientStatusName, string> = {
  Committed: 'Committed',
  Pending: 'Revealed, pending',
  Accepted: 'Accepted',
  Rejected: 'Rejected',
  Declined: 'Declined',
  Expired: 'Expired',
  Lapsed: 'Lapsed',
};

/** What each status means for the contributor, in words (badge titles and the legend). */
export const GRADIENT_STATUS_MEANINGS: Record<GradientStatusName, string> = {
  Committed: 'sealed: the CID stays hidden until the contributor reveals it',
  Pending: 'revealed: waiting for the evaluator',
  Accepted: 'applied to the model; stake returned',
  Rejected: 'invalid or a copy of an earlier gradient; stake forfeited to the lender',
  Declined: 'valid but not applied (no improvement); stake returned',
  Expired: 'not evaluated in time; stake returned, shares the unearned bounty',
  Lapsed: 'never revealed in time; stake forfeited to the lender',
};

/** The evaluator's verdict in words. */
export function verdictText(verdict: VerdictName): string {
  switch (verdict) {
    case 'Accepted':
      return 'accepted';
    case 'Rejected':
      return 'rejected (invalid or a copy)';
    case 'Declined':
      return 'declined (no improvement)';
  }
}

export function scoreToNumber(raw: string | bigint): number {
  return Number(toBigInt(raw, 'score')) / Number(SCORE_SCALE);
}

/** graph-node BigDecimal text (e.g. "0.625", "1", "6.25E-7") → percentage text. */
export function formatPercent(bigDecimal: string | number, fractionDigits = 1): string {
  const n = typeof bigDecimal === 'number' ? bigDecimal : Number(bigDecimal);
  if (!Number.isFinite(n)) throw new Error(`not a decimal: ${JSON.stringify(bigDecimal)}`);
  return `${(n * 100).toFixed(fractionDigits).replace(/\.0+$/, '')}%`;
}

export function formatInt(value: string | number | bigint): string {
  const v = toBigInt(value);
  return (v < 0n ? '-' : '') + groupInt((v < 0n ? -v : v).toString());
}

/** 0x1234…abcd; anything not hex-shaped is returned unchanged. */
export function shortHex(hex: string, head = 6, tail = 4): string {
  if (!/^0x[0-9a-fA-F]*$/.test(hex) || hex.length <= head + tail + 1) return hex;
  return `${hex.slice(0, head)}…${hex.slice(-tail)}`;
}

export function shortCid(cid: string): string {
  return cid.length <= 16 ? cid : `${cid.slice(0, 8)}…${cid.slice(-6)}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** unix seconds → "2026-11-21 06:12 UTC" (UTC so every viewer reads the same day as DayData). */
export function formatTimestamp(seconds: string | number | bigint, withSeconds = false): string {
  const ms = Number(toBigInt(seconds, 'timestamp')) * 1000;
  const d = new Date(ms);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${withSeconds ? `:${pad(d.getUTCSeconds())}` : ''}`;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${time} UTC`;
}

export function formatDate(seconds: string | number | bigint): string {
  return formatTimestamp(seconds).slice(0, 10);
}

/**
 * "3 min ago" / "in 2 days", relative to `nowSeconds` (the viewed block's time). With no known
 * "now" (graph-node gives no timestamp for a block asked by number) the absolute time is shown.
 */
export function formatRelative(seconds: string | number | bigint, nowSeconds: number | null): string {
  if (nowSeconds === null) return formatTimestamp(seconds);
  const delta = Number(toBigInt(seconds, 'timestamp')) - nowSeconds;
  const abs = Math.abs(delta);
  const units: [number, string][] = [
    [86400 * 365, 'year'],
    [86400 * 30, 'month'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'min'],
  ];
  let text = 'just now';
  for (const [size, name] of units) {
    if (abs >= size) {
      const n = Math.floor(abs / size);
      text = `${n} ${name}${n > 1 && name !== 'min' ? 's' : ''}`;
      break;
    }
  }
  if (text === 'just now') return abs < 5 ? 'just now' : delta < 0 ? `${abs} s ago` : `in ${abs} s`;
  return delta < 0 ? `${text} ago` : `in ${text}`;
}

export function formatDuration(seconds: string | number | bigint): string {
  let s = Number(toBigInt(seconds, 'duration'));
  const parts: string[] = [];
  for (const [size, name] of [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'min'],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)} ${name}`);
      s %= size;
    }
  }
  if (s || !parts.length) parts.push(`${s} s`);
  return parts.slice(0, 2).join(' ');
}

/** Ends "No model #3 …": a missing record may simply not exist yet, or not as of the block viewed. */
export function existsPhrase(block: number | null): string {
  return block === null ? 'exists yet' : `existed at block ${block}`;
}
