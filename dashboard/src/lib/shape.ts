// Turns API results into what the pages draw: chart series, bar segments, sorted and filtered
// rows, merged activity. Pure functions so they are unit-tested without a browser or a server.
import { scoreToNumber, toBigInt, type VerdictName } from './format.ts';
import type {
  DayData,
  EvaluationPoint,
  LeaderboardAccount,
  ModelRow,
  ModelStatus,
  OverviewData,
  TokenDayData,
} from './types.ts';

export type SortDir = 'asc' | 'desc';
export type SortValue = bigint | number | string | null | undefined;

/** Total order over mixed API values: nulls last, BigInt strings compared as integers. */
export function compareValues(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'string' && typeof b === 'string') {
    if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) {
      const x = BigInt(a);
      const y = BigInt(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    const x = Number(a);
    const y = Number(b);
    if (a.trim() !== '' && b.trim() !== '' && !Number.isNaN(x) && !Number.isNaN(y)) return x - y;
    return a.localeCompare(b);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Stable sort by a key; nulls stay last in both directions. */
export function sortRows<T>(rows: readonly T[], key: (row: T) => SortValue, dir: SortDir): T[] {
  return rows
    .map((row, i) => ({ row, i, k: key(row) }))
    .sort((a, b) => {
      if (a.k === null || a.k === undefined || b.k === null || b.k === undefined) {
        return compareValues(a.k, b.k) || a.i - b.i;
      }
      const c = compareValues(a.k, b.k);
      return (dir === 'asc' ? c : -c) || a.i - b.i;
    })
    .map((x) => x.row);
}

export type ProgressFilter = 'all' | 'under50' | 'over50' | 'reached';

export interface ModelFilter {
  /** token address, or '' for all */
  token: string;
  /** '' for all */
  status: ModelStatus | '';
  progress: ProgressFilter;
}

export function filterModels<T extends Pick<ModelRow, 'token' | 'status' | 'progress'>>(models: readonly T[], f: ModelFilter): T[] {
  return models.filter((m) => {
    if (f.token && m.token.id.toLowerCase() !== f.token.toLowerCase()) return false;
    if (f.status && m.status !== f.status) return false;
    const p = Number(m.progress);
    if (f.progress === 'under50' && !(p < 0.5)) return false;
    if (f.progress === 'over50' && !(p >= 0.5 && p < 1)) return false;
    if (f.progress === 'reached' && !(p >= 1)) return false;
    return true;
  });
}

export interface Segment {
  key: 'paid' | 'reserved' | 'left' | 'refunded';
  label: string;
  amount: bigint;
  /** share of the bounty, 0..1 */
  fraction: number;
}

/**
 * The escrow bar: what was paid, what is set aside for shares at close but not yet claimed,
 * what can still be earned, and what went back to the lender. The parts add up to the bounty.
 */
export function escrowSegments(m: Pick<ModelRow, 'bounty' | 'paid' | 'refunded' | 'bountyLeft'>): Segment[] {
  const bounty = toBigInt(m.bounty, 'bounty');
  const paid = toBigInt(m.paid, 'paid');
  const refunded = toBigInt(m.refunded, 'refunded');
  const left = toBigInt(m.bountyLeft, 'bountyLeft');
  const reserved = bounty - paid - refunded - left;
  const parts: [Segment['key'], string, bigint][] = [
    ['paid', 'Paid', paid],
    ['reserved', 'Reserved for shares', reserved > 0n ? reserved : 0n],
    ['left', 'Left to earn', left],
    ['refunded', 'Refunded', refunded],
  ];
  return parts.map(([key, label, amount]) => ({
    key,
    label,
    amount,
    fraction: bounty > 0n ? Number((amount * 1_000_000n) / bounty) / 1_000_000 : 0,
  }));
}

export interface ScoreCurve {
  /** unix seconds */
  x: number[];
  /** best score after each point (step line) */
  best: number[];
  accepted: (number | null)[];
  rejected: (number | null)[];
  target: number[];
  /** evaluation behind each x (null for the creation point and the "now" point) */
  evaluation: (EvaluationPoint | null)[];
}

/**
 * The score curve: the model's initial score at creation, then each evaluation in chain order
 * (its ordinal) as an accepted or rejected point with the best score stepping up, extended
 * to `untilTimestamp` (the viewed block's time) so the line reaches "now".
 */
export function scoreCurve(
  model: { initialScore: string; targetScore: string; createdAt: string },
  evaluations: readonly EvaluationPoint[],
  untilTimestamp?: number,
): ScoreCurve {
  const evs = [...evaluations].sort(
    (a, b) => a.ordinal - b.ordinal || compareValues(a.blockNumber, b.blockNumber) || compareValues(a.logIndex, b.logIndex),
  );
  const target = scoreToNumber(model.targetScore);
  const c: ScoreCurve = { x: [], best: [], accepted: [], rejected: [], target: [], evaluation: [] };
  const push = (x: number, best: number, acc: number | null, rej: number | null, ev: EvaluationPoint | null) => {
    c.x.push(x);
    c.best.push(best);
    c.accepted.push(acc);
    c.rejected.push(rej);
    c.target.push(target);
    c.evaluation.push(ev);
  };
  let best = scoreToNumber(model.initialScore);
  push(Number(model.createdAt), best, null, null, null);
  for (const e of evs) {
    const s = scoreToNumber(e.score);
    best = scoreToNumber(e.bestScore);
    push(Number(e.timestamp), best, e.accepted ? s : null, e.accepted ? null : s, e);
  }
  const last = c.x[c.x.length - 1]!;
  if (untilTimestamp !== undefined && untilTimestamp > last) push(untilTimestamp, best, null, null, null);
  return c;
}

const UNITS = (decimals: number) => 10 ** decimals;

/** A base-unit amount as a float in whole tokens, for chart axes only. */
export function amountToNumber(raw: string | bigint, decimals: number): number {
  return Number(toBigInt(raw, 'amount')) / UNITS(decimals);
}

export interface DailyMoney {
  x: number[];
  escrowed: number[];
  paid: number[];
  cumulativeEscrowed: number[];
  cumulativePaid: number[];
}

/** One token's daily money, days in order (days without activity are absent in the API). */
export function dailyMoney(rows: readonly TokenDayData[], token: string, decimals: number): DailyMoney {
  const mine = rows
    .filter((r) => r.token.id.toLowerCase() === token.toLowerCase())
    .sort((a, b) => a.date - b.date);
  return {
    x: mine.map((r) => r.date),
    escrowed: mine.map((r) => amountToNumber(r.escrowed, decimals)),
    paid: mine.map((r) => amountToNumber(r.paid, decimals)),
    cumulativeEscrowed: mine.map((r) => amountToNumber(r.cumulativeEscrowed, decimals)),
    cumulativePaid: mine.map((r) => amountToNumber(r.cumulativePaid, decimals)),
  };
}

export interface DailyGradients {
  x: number[];
  submitted: number[];
  accepted: number[];
  rejected: number[];
  /** rejected counts with empty days as gaps, so the chart draws no dots at zero */
  rejectedPoints: (number | null)[];
  cumulative: number[];
}

export function dailyGradients(rows: readonly DayData[]): DailyGradients {
  const days = [...rows].sort((a, b) => a.date - b.date);
  return {
    x: days.map((d) => d.date),
    submitted: days.map((d) => d.gradientsSubmitted),
    accepted: days.map((d) => d.gradientsAccepted),
    rejected: days.map((d) => d.gradientsRejected),
    rejectedPoints: days.map((d) => (d.gradientsRejected ? d.gradientsRejected : null)),
    cumulative: days.map((d) => d.cumulativeGradients),
  };
}

export type Activity =
  | {
      kind: 'submitted';
      key: string;
      block: bigint;
      timestamp: string;
      tx: string;
      model: string;
      account: string;
      gradient: string;
      seal: string;
      /** null while the commit is sealed */
      cid: string | null;
    }
  | {
      kind: 'evaluated';
      key: string;
      block: bigint;
      timestamp: string;
      tx: string;
      model: string;
      account: string;
      gradient: string;
      verdict: VerdictName;
      accepted: boolean;
      score: string;
      reward: string;
      token: string;
      reachedTarget: boolean;
    }
  | { kind: 'deposit'; key: string; block: bigint; timestamp: string; tx: string; model: string; account: string; amount: string; token: string; isInitial: boolean }
  | { kind: 'refund'; key: string; block: bigint; timestamp: string; tx: string; model: string; account: string; isLender: boolean; amount: string; token: string };

/** Newest first across event kinds; within a block, evaluations after submissions. */
export function recentActivity(d: Pick<OverviewData, 'gradients' | 'evaluations' | 'deposits' | 'refunds'>, limit = 12): Activity[] {
  const items: Activity[] = [
    ...d.gradients.map((g): Activity => ({
      kind: 'submitted',
      key: `g${g.id}`,
      block: toBigInt(g.submittedAtBlock),
      timestamp: g.submittedAt,
      tx: g.transactionHash,
      model: g.model.id,
      account: g.contributor.id,
      gradient: g.id,
      seal: g.seal,
      cid: g.cid,
    })),
    ...d.evaluations.map((e): Activity => ({
      kind: 'evaluated',
      key: `e${e.id}`,
      block: toBigInt(e.blockNumber),
      timestamp: e.timestamp,
      tx: e.transactionHash,
      model: e.model.id,
      account: e.contributor.id,
      gradient: e.gradient.id,
      verdict: e.verdict,
      accepted: e.accepted,
      score: e.score,
      reward: e.reward,
      token: e.model.token.id,
      reachedTarget: e.reachedTarget,
    })),
    ...d.deposits.map((x): Activity => ({
      kind: 'deposit',
      key: `d${x.id}`,
      block: toBigInt(x.blockNumber),
      timestamp: x.timestamp,
      tx: x.transactionHash,
      model: x.model.id,
      account: x.funder.id,
      amount: x.amount,
      token: x.token.id,
      isInitial: x.isInitial,
    })),
    ...d.refunds.map((x): Activity => ({
      kind: 'refund',
      key: `r${x.id}`,
      block: toBigInt(x.blockNumber),
      timestamp: x.timestamp,
      tx: x.transactionHash,
      model: x.model.id,
      account: x.funder.id,
      isLender: x.isLender,
      amount: x.amount,
      token: x.token.id,
    })),
  ];
  const order = { deposit: 0, submitted: 1, evaluated: 2, refund: 3 } as const;
  items.sort((a, b) => (a.block === b.block ? order[b.kind] - order[a.kind] : a.block > b.block ? -1 : 1));
  return items.slice(0, limit);
}

export type LeaderboardKey = 'rewards' | 'accepted' | 'improvement';

export interface LeaderboardRow {
  rank: number;
  account: LeaderboardAccount;
  /** rewards earned in the selected token */
  rewards: bigint;
}

/** Contributors ranked by rewards in one token, accepted gradients, or improvement contributed. */
export function leaderboard(accounts: readonly LeaderboardAccount[], token: string, by: LeaderboardKey): LeaderboardRow[] {
  const rows = accounts.map((account) => ({
    account,
    rewards: account.balances
      .filter((b) => b.token.id.toLowerCase() === token.toLowerCase())
      .reduce((sum, b) => sum + toBigInt(b.rewardsEarned, 'rewardsEarned'), 0n),
  }));
  const key = (r: (typeof rows)[number]): SortValue =>
    by === 'rewards' ? r.rewards : by === 'accepted' ? r.account.gradientsAccepted : r.account.improvementContributed;
  // ties broken by the other two measures, then address, so the order is deterministic
  const tieKeys: ((r: (typeof rows)[number]) => SortValue)[] = [
    (r) => r.rewards,
    (r) => r.account.gradientsAccepted,
    (r) => r.account.improvementContributed,
  ];
  const sorted = [...rows].sort((a, b) => {
    for (const k of [key, ...tieKeys]) {
      const c = compareValues(k(b), k(a));
      if (c) return c;
    }
    return a.account.id.localeCompare(b.account.id);
  });
  return sorted.map((r, i) => ({ rank: i + 1, ...r }));
}

/** Token addresses that have any activity, ETH first, then by address. */
export function activeTokens(tokens: readonly { id: string; modelCount: number; isNative?: boolean }[]): string[] {
  return tokens
    .filter((t) => t.modelCount > 0)
    .map((t) => t.id.toLowerCase())
    .sort((a, b) => (/^0x0+$/.test(a) ? -1 : /^0x0+$/.test(b) ? 1 : a.localeCompare(b)));
}

export interface EarningsSeries {
  x: number[];
  cumulative: number[];
}

/** A contributor's cumulative earnings in one token over time. */
export function cumulativeEarnings(
  rewards: readonly { token: { id: string }; amount: string; timestamp: string; blockNumber: string }[],
  token: string,
  decimals: number,
): EarningsSeries {
  const mine = rewards
    .filter((r) => r.token.id.toLowerCase() === token.toLowerCase())
    .sort((a, b) => compareValues(a.blockNumber, b.blockNumber));
  let sum = 0n;
  const out: EarningsSeries = { x: [], cumulative: [] };
  for (const r of mine) {
    sum += toBigInt(r.amount, 'amount');
    out.x.push(Number(r.timestamp));
    out.cumulative.push(amountToNumber(sum, decimals));
  }
  return out;
}

/** A model's contributors: most rewarded first, then most improvement, then most accepted. */
export function modelLeaderboard<T extends { rewardsEarned: string; improvementContributed: string; gradientsAccepted: number; contributor: { id: string } }>(
  rows: readonly T[],
): T[] {
  return [...rows].sort(
    (a, b) =>
      compareValues(b.rewardsEarned, a.rewardsEarned) ||
      compareValues(b.improvementContributed, a.improvementContributed) ||
      b.gradientsAccepted - a.gradientsAccepted ||
      a.contributor.id.localeCompare(b.contributor.id),
  );
}
