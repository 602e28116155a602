import { describe, expect, it } from 'vitest';
import {
  activeTokens,
  compareValues,
  cumulativeEarnings,
  dailyGradients,
  dailyMoney,
  escrowSegments,
  filterModels,
  leaderboard,
  modelLeaderboard,
  recentActivity,
  scoreCurve,
  sortRows,
} from '../../src/lib/shape.ts';
import type { EvaluationPoint, LeaderboardAccount } from '../../src/lib/types.ts';

const ETH = '0x0000000000000000000000000000000000000000';
const HSN = '0x5fbdb2315678afecb367f032d93f642f64180aa3';

describe('sorting', () => {
  it('compares BigInt strings as integers, not text', () => {
    expect(compareValues('10', '9')).toBeGreaterThan(0);
    expect(compareValues('100000000000000000000', '99999999999999999999')).toBeGreaterThan(0);
    expect(compareValues('0.5', '0.25')).toBeGreaterThan(0);
    expect(compareValues('Open', 'Closed')).toBeGreaterThan(0);
  });
  it('keeps nulls last in both directions and is stable', () => {
    const rows = [{ k: '5' }, { k: null }, { k: '20' }, { k: '5', tag: 'b' }];
    expect(sortRows(rows, (r) => r.k, 'asc').map((r) => r.k)).toEqual(['5', '5', '20', null]);
    expect(sortRows(rows, (r) => r.k, 'desc').map((r) => r.k)).toEqual(['20', '5', '5', null]);
    expect(sortRows(rows, (r) => r.k, 'desc')[2]).toEqual({ k: '5', tag: 'b' });
  });
});

describe('filterModels', () => {
  const models = [
    { id: '1', token: { id: ETH }, status: 'Open' as const, progress: '0.2' },
    { id: '2', token: { id: HSN }, status: 'Open' as const, progress: '0.6' },
    { id: '3', token: { id: HSN }, status: 'TargetReached' as const, progress: '1' },
    { id: '4', token: { id: ETH }, status: 'Closed' as const, progress: '0.5' },
  ];
  const ids = (f: Parameters<typeof filterModels>[1]) => filterModels(models, f).map((m) => m.id);
  it('filters by token (any case), status and progress bucket', () => {
    expect(ids({ token: '', status: '', progress: 'all' })).toEqual(['1', '2', '3', '4']);
    expect(ids({ token: HSN.toUpperCase().replace('0X', '0x'), status: '', progress: 'all' })).toEqual(['2', '3']);
    expect(ids({ token: '', status: 'Open', progress: 'all' })).toEqual(['1', '2']);
    expect(ids({ token: '', status: '', progress: 'under50' })).toEqual(['1']);
    expect(ids({ token: '', status: '', progress: 'over50' })).toEqual(['2', '4']);
    expect(ids({ token: '', status: '', progress: 'reached' })).toEqual(['3']);
    expect(ids({ token: ETH, status: 'Closed', progress: 'over50' })).toEqual(['4']);
  });
});

describe('escrowSegments', () => {
  it('splits the bounty into parts that add up to it', () => {
    const s = escrowSegments({ bounty: '10000', paid: '2500', refunded: '1000', bountyLeft: '5000' });
    expect(s.map((x) => [x.key, x.amount])).toEqual([
      ['paid', 2500n],
      ['reserved', 1500n],
      ['left', 5000n],
      ['refunded', 1000n],
    ]);
    expect(s.reduce((a, x) => a + x.fraction, 0)).toBeCloseTo(1, 6);
    expect(s[0]!.fraction).toBe(0.25);
  });
  it('copes with a zero bounty and never shows a negative reserve', () => {
    expect(escrowSegments({ bounty: '0', paid: '0', refunded: '0', bountyLeft: '0' }).every((x) => x.fraction === 0)).toBe(true);
    expect(escrowSegments({ bounty: '10', paid: '6', refunded: '0', bountyLeft: '5' })[1]!.amount).toBe(0n);
  });
});

const ev = (p: Partial<EvaluationPoint> & Pick<EvaluationPoint, 'score' | 'bestScore' | 'accepted' | 'blockNumber' | 'timestamp'>): EvaluationPoint => ({
  id: `0x${p.blockNumber}`,
  ordinal: 0,
  gradient: { id: '1' },
  contributor: { id: ETH },
  verdict: p.accepted ? 'Accepted' : 'Rejected',
  previousBestScore: '0',
  improvement: '0',
  reward: '0',
  reachedTarget: false,
  transactionHash: '0x',
  logIndex: '0',
  ...p,
});

describe('scoreCurve', () => {
  const model = { initialScore: '600000', targetScore: '750000', createdAt: '1000' };
  it('starts at the initial score, orders by ordinal, and steps the best score', () => {
    const c = scoreCurve(
      model,
      [
        ev({ score: '640000', bestScore: '650000', accepted: false, blockNumber: '12', timestamp: '1200', ordinal: 2 }),
        ev({ score: '650000', bestScore: '650000', accepted: true, blockNumber: '10', timestamp: '1100', logIndex: '3', ordinal: 1 }),
        ev({ score: '700000', bestScore: '700000', accepted: true, blockNumber: '14', timestamp: '1300', ordinal: 3 }),
      ],
      1500,
    );
    expect(c.x).toEqual([1000, 1100, 1200, 1300, 1500]);
    expect(c.best).toEqual([0.6, 0.65, 0.65, 0.7, 0.7]);
    expect(c.accepted).toEqual([null, 0.65, null, 0.7, null]);
    expect(c.rejected).toEqual([null, null, 0.64, null, null]);
    expect(c.target).toEqual([0.75, 0.75, 0.75, 0.75, 0.75]);
    expect(c.evaluation[1]?.blockNumber).toBe('10');
  });
  it('does not extend into the past', () => {
    expect(scoreCurve(model, [], 900).x).toEqual([1000]);
  });
});

describe('daily series', () => {
  it('takes one token, orders days and converts decimals', () => {
    const rows = [
      { id: 'b', token: { id: HSN }, date: 86400 * 2, escrowed: '0', paid: '500000000000000000', refunded: '0', cumulativeEscrowed: '3000000000000000000', cumulativePaid: '500000000000000000' },
      { id: 'a', token: { id: HSN }, date: 86400, escrowed: '3000000000000000000', paid: '0', refunded: '0', cumulativeEscrowed: '3000000000000000000', cumulativePaid: '0' },
      { id: 'c', token: { id: ETH }, date: 86400, escrowed: '1', paid: '0', refunded: '0', cumulativeEscrowed: '1', cumulativePaid: '0' },
    ];
    const m = dailyMoney(rows, HSN, 18);
    expect(m.x).toEqual([86400, 172800]);
    expect(m.cumulativeEscrowed).toEqual([3, 3]);
    expect(m.cumulativePaid).toEqual([0, 0.5]);
    const g = dailyGradients([
      { id: '2', date: 172800, modelsCreated: 0, gradientsSubmitted: 3, gradientsAccepted: 1, gradientsRejected: 2, evaluations: 3, cumulativeGradients: 7, cumulativeAccepted: 3 },
      { id: '1', date: 86400, modelsCreated: 1, gradientsSubmitted: 4, gradientsAccepted: 2, gradientsRejected: 0, evaluations: 2, cumulativeGradients: 4, cumulativeAccepted: 2 },
    ]);
    expect(g).toEqual({ x: [86400, 172800], submitted: [4, 3], accepted: [2, 1], rejected: [0, 2], rejectedPoints: [null, 2], cumulative: [4, 7] });
  });
});

describe('recentActivity', () => {
  it('merges kinds newest first, evaluation after submission within a block', () => {
    const a = recentActivity({
      gradients: [
        { id: '1', model: { id: '1' }, contributor: { id: ETH }, seal: '0x5e', cid: 'c', status: 'Declined', stake: '0', submittedAt: '10', submittedAtBlock: '5', transactionHash: '0x1' },
      ],
      evaluations: [
        { id: 'e', gradient: { id: '1' }, model: { id: '1', token: { id: ETH } }, contributor: { id: ETH }, verdict: 'Declined', accepted: false, score: '1', improvement: '0', reward: '0', reachedTarget: false, blockNumber: '5', timestamp: '10', transactionHash: '0x2' },
      ],
      deposits: [{ id: 'd', model: { id: '1' }, funder: { id: ETH }, token: { id: ETH }, amount: '1', isInitial: true, blockNumber: '2', timestamp: '5', transactionHash: '0x3' }],
      refunds: [{ id: 'r', model: { id: '1' }, funder: { id: HSN }, isLender: false, token: { id: ETH }, amount: '1', blockNumber: '9', timestamp: '20', transactionHash: '0x4' }],
    });
    expect(a.map((x) => x.kind)).toEqual(['refund', 'evaluated', 'submitted', 'deposit']);
    // a third-party funder's refund names the funder; the verdict travels with the evaluation
    expect(a[0]).toMatchObject({ kind: 'refund', account: HSN, isLender: false });
    expect(a[1]).toMatchObject({ kind: 'evaluated', verdict: 'Declined', accepted: false });
    expect(a[2]).toMatchObject({ kind: 'submitted', seal: '0x5e', cid: 'c' });
    expect(recentActivity({ gradients: [], evaluations: [], deposits: [], refunds: [] })).toEqual([]);
  });
});

describe('leaderboards', () => {
  const acct = (id: string, accepted: number, improvement: string, rewards: [string, string][]): LeaderboardAccount => ({
    id,
    gradientsSubmitted: accepted + 1,
    gradientsAccepted: accepted,
    gradientsRejected: 1,
    gradientsDeclined: 0,
    gradientsExpired: 0,
    gradientsLapsed: 0,
    improvementContributed: improvement,
    dpEpsilonSpent: '0',
    rewardCount: rewards.length,
    lastActivityAt: '0',
    balances: rewards.map(([token, amount]) => ({ token: { id: token }, rewardsEarned: amount, withdrawn: '0' })),
  });
  const accounts = [
    acct('0xa', 1, '50000', [[HSN, '3000000000000000000']]),
    acct('0xb', 3, '20000', [[HSN, '1000000000000000000'], [ETH, '9']]),
    acct('0xc', 2, '90000', [[ETH, '5']]),
  ];
  it('ranks by rewards in the chosen token', () => {
    expect(leaderboard(accounts, HSN, 'rewards').map((r) => [r.rank, r.account.id, r.rewards])).toEqual([
      [1, '0xa', 3000000000000000000n],
      [2, '0xb', 1000000000000000000n],
      [3, '0xc', 0n],
    ]);
    expect(leaderboard(accounts, ETH, 'rewards').map((r) => r.account.id)).toEqual(['0xb', '0xc', '0xa']);
  });
  it('ranks by accepted gradients and by improvement', () => {
    expect(leaderboard(accounts, HSN, 'accepted').map((r) => r.account.id)).toEqual(['0xb', '0xc', '0xa']);
    expect(leaderboard(accounts, HSN, 'improvement').map((r) => r.account.id)).toEqual(['0xc', '0xa', '0xb']);
  });
  it('orders a model board by rewards, then improvement', () => {
    const rows = [
      { contributor: { id: '0x1' }, rewardsEarned: '5', improvementContributed: '1', gradientsAccepted: 1 },
      { contributor: { id: '0x2' }, rewardsEarned: '10', improvementContributed: '0', gradientsAccepted: 1 },
      { contributor: { id: '0x3' }, rewardsEarned: '5', improvementContributed: '7', gradientsAccepted: 1 },
    ];
    expect(modelLeaderboard(rows).map((r) => r.contributor.id)).toEqual(['0x2', '0x3', '0x1']);
  });
  it('lists active tokens ETH first', () => {
    expect(activeTokens([{ id: HSN, modelCount: 1 }, { id: '0x1111111111111111111111111111111111111111', modelCount: 0 }, { id: ETH, modelCount: 2 }])).toEqual([ETH, HSN]);
  });
  it('accumulates a contributor earnings in one token', () => {
    const e = cumulativeEarnings(
      [
        { token: { id: HSN }, amount: '2000000000000000000', timestamp: '20', blockNumber: '8' },
        { token: { id: HSN }, amount: '1000000000000000000', timestamp: '10', blockNumber: '4' },
        { token: { id: ETH }, amount: '7', timestamp: '15', blockNumber: '6' },
      ],
      HSN,
      18,
    );
    expect(e).toEqual({ x: [10, 20], cumulative: [1, 3] });
  });
});
