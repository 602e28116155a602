// Loan desk wording and numbers: rates (yearly, basis points), decision reasons in words, and the
// amount-weighted average rate, the same definition the subgraph uses for Deployment.averageRateBps.
import { toBigInt } from './format.ts';
import type { DecisionReason } from './types.ts';

/**
 * A yearly rate in basis points (an Int, or graph-node BigDecimal text for averages) as a
 * percentage with two decimals: 1225 → "12.25 %", "1187.5" → "11.88 %".
 */
export function formatRateBps(bps: string | number | null | undefined): string {
  if (bps === null || bps === undefined) return '–';
  const n = typeof bps === 'number' ? bps : Number(bps);
  if (typeof bps === 'string' && bps.trim() === '') throw new Error('rate is not a number: ""');
  if (!Number.isFinite(n) || n < 0) throw new Error(`rate is not a non-negative number of basis points: ${JSON.stringify(bps)}`);
  // bps / 100 with two decimals, rounded half up on the integer hundredths (no float ties like 1.005)
  const hundredths = Math.round(n);
  return `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')} %`;
}

/** "12.25 % APR", or "–" when there is no rate (declined, pending, no approval yet). */
export function formatApr(bps: string | number | null | undefined): string {
  const r = formatRateBps(bps);
  return r === '–' ? r : `${r} APR`;
}

/** Why a request was decided so, in words (ILoanDesk.DecisionReason). */
export const REASON_LABELS: Record<DecisionReason, string> = {
  Priced: 'priced by the published rule',
  RiskTooHigh: 'risk above cut-off',
  RateAboveCap: 'rate above the cap',
  AmountAboveLimit: 'amount capped at the limit',
  InvalidDisclosure: 'disclosure failed verification',
  Manual: 'decided by hand',
};

export function reasonLabel(reason: string | null | undefined): string {
  if (reason === null || reason === undefined) return '–';
  const label = REASON_LABELS[reason as DecisionReason];
  if (!label) throw new Error(`unknown decision reason: ${JSON.stringify(reason)}`);
  return label;
}

export function formatTerm(days: number): string {
  if (!Number.isInteger(days) || days < 0) throw new Error(`term is not a whole number of days: ${days}`);
  return `${days} day${days === 1 ? '' : 's'}`;
}

export interface RatedLoan {
  approved: boolean | null;
  approvedAmount: string | null;
  rateBps: number | null;
}

/**
 * Amount-weighted mean rate of the approved loans, in basis points (null when none is approved):
 * Σ(amount · rate) / Σ amount, summed as bigints so 18-decimal amounts keep their weight exactly.
 */
export function averageRateBps(loans: readonly RatedLoan[]): number | null {
  let weighted = 0n;
  let total = 0n;
  for (const l of loans) {
    if (l.approved !== true || l.approvedAmount === null || l.rateBps === null) continue;
    const amount = toBigInt(l.approvedAmount, 'approvedAmount');
    weighted += amount * toBigInt(l.rateBps, 'rateBps');
    total += amount;
  }
  if (total === 0n) return null;
  // four decimals of a basis point is far below what is shown
  return Number((weighted * 10_000n) / total) / 10_000;
}

/**
 * The protocol-wide average rate from Deployment rows alone: each deployment's average weighted by
 * its approved amount (equal to averageRateBps over all their approved loans together).
 */
export function overallRateBps(deployments: readonly { approvedAmount: string; averageRateBps: string | null }[]): number | null {
  let weighted = 0n;
  let total = 0n;
  for (const d of deployments) {
    if (d.averageRateBps === null) continue;
    const amount = toBigInt(d.approvedAmount, 'approvedAmount');
    const rate = Number(d.averageRateBps);
    if (!Number.isFinite(rate)) throw new Error(`averageRateBps is not a decimal: ${JSON.stringify(d.averageRateBps)}`);
    weighted += amount * BigInt(Math.round(rate * 10_000));
    total += amount;
  }
  if (total === 0n) return null;
  return Number(weighted / total) / 10_000;
}

export interface TokenLending {
  token: string;
  approvedAmount: bigint;
  /** amount-weighted over every approved loan in this token, null when none */
  averageRateBps: number | null;
}

/** Approved lending per loan currency (amounts in different tokens never add up), ETH first. */
export function lendingByToken(deployments: readonly { token: string; approvedAmount: string; averageRateBps: string | null }[]): TokenLending[] {
  const tokens = [...new Set(deployments.map((d) => d.token.toLowerCase()))].sort((a, b) => (/^0x0+$/.test(a) ? -1 : /^0x0+$/.test(b) ? 1 : a.localeCompare(b)));
  return tokens.map((token) => {
    const mine = deployments.filter((d) => d.token.toLowerCase() === token);
    return {
      token,
      approvedAmount: mine.reduce((sum, d) => sum + toBigInt(d.approvedAmount, 'approvedAmount'), 0n),
      averageRateBps: overallRateBps(mine),
    };
  });
}

/** Approved share of decided requests (cancelled and pending ones are not decisions). */
export function approvalRate(d: { approvedCount: number; declinedCount: number }): number | null {
  const decided = d.approvedCount + d.declinedCount;
  return decided === 0 ? null : d.approvedCount / decided;
}
