// The entities the subgraph must hold after the scripted history (history.ts), worked out by hand
// from the contract's rules, not by re-running the mapping logic. Run-specific facts (block
// numbers, timestamps, hashes, addresses) come from the history's record; every amount, count,
// score and status is a literal.
//
// Values: ID/String/enum → string, Int → number, BigInt → bigint, BigDecimal → canonical string,
// Boolean → boolean, Bytes → lowercase 0x-hex, unset → null.
import { ETH, Verdict } from '@hessian/contracts';
import { DAY, tx, type HistoryRecord } from './history.ts';

export type Expected = string | number | bigint | boolean | null;
export type ExpectedEntities = Record<string, Record<string, Record<string, Expected>>>;

const E18 = 10n ** 18n;
const FINNEY = 10n ** 15n;
/** model 1's bounty: 1 ETH + a 0.5 ETH + 1 wei top-up */
const M1_BOUNTY = 1_500_000_000_000_000_001n;
/** model 1's stake; models 2 to 5 ask for the contract's minimum, 0.1 finney */
const STAKE1 = 10n * FINNEY;
const MIN = FINNEY / 10n;

/** graph-ts `Bytes.concatI32`: little-endian */
function le32(n: number): string {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b.toString('hex');
}

function be32(n: number): string {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b.toString('hex');
}

/** The expected data counts from empty contracts: model, gradient, deployment, quote and request ids starting at 1. */
function assertFresh(r: HistoryRecord): void {
  const first = { model: r.firstModelId, gradient: r.firstGradientId, deployment: r.firstDeploymentId, quote: r.firstQuoteId, request: r.firstRequestId };
  if (Object.values(first).some((id) => id !== 1)) {
    throw new Error(`expected entities need the history on a fresh deployment (its first ids: ${JSON.stringify(first)})`);
  }
}

export function expectedEntities(r: HistoryRecord): ExpectedEntities {
  assertFresh(r);
  const a = r.accounts;
  const eth = ETH;
  const htt = r.token;
  const ts = (label: string) => BigInt(tx(r, label).timestamp);
  const block = (label: string) => BigInt(tx(r, label).blockNumber);
  const hash = (label: string) => tx(r, label).hash;
  /** the id of the i-th ModelRepository log of a step */
  const eid = (label: string, i = 0) => {
    const step = tx(r, label);
    const logIndex = step.logIndexes[i];
    if (logIndex === undefined) throw new Error(`step ${label} has no log #${i}`);
    return step.hash + le32(logIndex);
  };
  const logIndex = (label: string, i = 0) => BigInt(tx(r, label).logIndexes[i]!);
  const mc = (model: number, who: string) => `${model}-${who}`;
  const at = (account: string, token: string) => account + token.slice(2);
  const day = (k: number) => r.day0 + k;

  const event = (label: string) => ({ blockNumber: block(label), timestamp: ts(label), transactionHash: hash(label) });

  const protocol = {
    hessian: {
      id: 'hessian',
      modelCount: 5,
      openModelCount: 2,
      gradientCount: 15,
      // g15 sealed, g14 revealed
      committedGradientCount: 1,
      pendingGradientCount: 1,
      // g1, g3, g4, g6, g9, g12
      acceptedGradientCount: 6,
      // g5 (invalid), g10 (a copy of g6)
      rejectedGradientCount: 2,
      // g2 (no improvement)
      declinedGradientCount: 1,
      expiredGradientCount: 2,
      // g11, g13
      lapsedGradientCount: 2,
      evaluationCount: 9,
      // improvement: g1, g6, g12; shares: g4, g9, g7, g8
      rewardCount: 7,
      lenderCount: 2,
      contributorCount: 3,
      // d1, d2 active; d3 retired
      deploymentCount: 3,
      activeDeploymentCount: 2,
      // q6 never answered
      quoteCount: 6,
      answeredQuoteCount: 5,
      // r1, r3 approved; r2 declined; r4 cancelled
      loanRequestCount: 4,
      approvedLoanCount: 2,
      declinedLoanCount: 1,
      lastBlockNumber: block('cancel r4'),
      lastTimestamp: ts('cancel r4'),
    },
  };

  const token = {
    [eth]: {
      id: eth,
      isNative: true,
      modelCount: 3,
      // m1 1 ETH + frank's 0.5 ETH + 1 wei, m3 0.2 ETH + frank's 0.1 ETH, m4 2 ETH
      totalEscrowed: 3_800_000_000_000_000_001n,
      totalPaid: 2_500n * FINNEY,
      // bob 200 finney and frank 100 finney of model 3, alice 1 wei of model 1
      totalRefunded: 300_000_000_000_000_001n,
      // alice 20.1 finney + 1 wei, bob 200.1 finney, carol 1920.3 finney, dave 320 finney
      totalWithdrawn: 2_460_500_000_000_000_001n,
      // model 4's unearned half
      totalLocked: 1_000n * FINNEY,
    },
    [htt]: {
      id: htt,
      isNative: false,
      modelCount: 2,
      totalEscrowed: 1_500n * E18,
      totalPaid: 1_200n * E18,
      totalRefunded: 0n,
      totalWithdrawn: 1_200n * E18,
      // model 5's bounty
      totalLocked: 300n * E18,
    },
  };

  const modelCommon = (n: number, label: string) => ({
    id: String(n),
    modelId: BigInt(n),
    createdAt: ts(label),
    createdAtBlock: block(label),
    createdTransaction: hash(label),
  });
  const model = {
    '1': {
      ...modelCommon(1, 'create m1'),
      lender: a.alice,
      evaluator: a.alice,
      token: eth,
      rule: 'Improvement',
      status: 'Closed',
      initialScore: 700_000n,
      targetScore: 800_000n,
      bestScore: 760_000n,
      progress: '0.6',
      bounty: M1_BOUNTY,
      // 600 + 300 finney of improvement rewards, then two 300 finney expired shares
      paid: 1_500n * FINNEY,
      refunded: 1n,
      bountyLeft: 0n,
      shared: 600n * FINNEY,
      shareCount: 2,
      sharePerGradient: 300n * FINNEY,
      submissionDeadline: BigInt(r.t0 + 3 * DAY - 7200),
      evaluationWindow: BigInt(DAY),
      submissionStake: STAKE1,
      metadataCid: r.cids.meta1!,
      initialWeightsCid: r.cids.w1!,
      weightsCid: r.cids['w1.3']!,
      version: 3,
      // g1, g2, g3, g6, g7, g8, g10, g11
      gradientCount: 8,
      committedCount: 0,
      pendingCount: 0,
      acceptedCount: 3,
      rejectedCount: 1,
      declinedCount: 1,
      expiredCount: 2,
      lapsedCount: 1,
      contributorCount: 3,
      funderCount: 2,
      evaluationCount: 5,
      targetReached: false,
      targetReachedAt: null,
      targetReachedBy: null,
      closedAt: ts('close m1'),
      closeReason: 'Deadline',
      lastActivityAt: ts('claim g8'),
    },
    '2': {
      ...modelCommon(2, 'create m2'),
      lender: a.bob,
      evaluator: a.eve,
      token: htt,
      rule: 'EqualShare',
      status: 'Closed',
      initialScore: 500_000n,
      targetScore: 600_000n,
      bestScore: 610_000n,
      progress: '1',
      bounty: 1_200n * E18,
      paid: 1_200n * E18,
      refunded: 0n,
      bountyLeft: 0n,
      shared: 1_200n * E18,
      shareCount: 2,
      sharePerGradient: 600n * E18,
      submissionDeadline: BigInt(r.t0 + 5 * DAY),
      evaluationWindow: BigInt(DAY),
      submissionStake: MIN,
      metadataCid: r.cids.meta2!,
      initialWeightsCid: r.cids.w2!,
      weightsCid: r.cids['w2.2']!,
      version: 2,
      gradientCount: 3,
      committedCount: 0,
      pendingCount: 0,
      acceptedCount: 2,
      rejectedCount: 1,
      declinedCount: 0,
      expiredCount: 0,
      lapsedCount: 0,
      contributorCount: 2,
      // bob's own top-up is lender money
      funderCount: 1,
      evaluationCount: 3,
      targetReached: true,
      targetReachedAt: ts('evaluate g9'),
      targetReachedBy: '9',
      closedAt: ts('close m2'),
      closeReason: 'TargetReached',
      lastActivityAt: ts('claim g9'),
    },
    '3': {
      ...modelCommon(3, 'create m3'),
      lender: a.bob,
      evaluator: a.bob,
      token: eth,
      rule: 'Improvement',
      status: 'Closed',
      initialScore: 600_000n,
      targetScore: 900_000n,
      bestScore: 600_000n,
      progress: '0',
      // bob's 0.2 ETH and frank's 0.1 ETH, all given back: 0.2 to bob at close, 0.1 claimed by frank
      bounty: 300n * FINNEY,
      paid: 0n,
      refunded: 300n * FINNEY,
      bountyLeft: 0n,
      shared: 0n,
      shareCount: 0,
      sharePerGradient: 0n,
      submissionDeadline: BigInt(r.t0 + 2 * DAY - 7200),
      evaluationWindow: BigInt(DAY),
      submissionStake: MIN,
      metadataCid: r.cids.meta3!,
      initialWeightsCid: r.cids.w3!,
      weightsCid: r.cids.w3!,
      version: 0,
      gradientCount: 0,
      committedCount: 0,
      pendingCount: 0,
      acceptedCount: 0,
      rejectedCount: 0,
      declinedCount: 0,
      expiredCount: 0,
      lapsedCount: 0,
      contributorCount: 0,
      funderCount: 2,
      evaluationCount: 0,
      targetReached: false,
      targetReachedAt: null,
      targetReachedBy: null,
      closedAt: ts('close m3'),
      closeReason: 'Deadline',
      lastActivityAt: ts('refund frank m3'),
    },
    '4': {
      ...modelCommon(4, 'create m4'),
      lender: a.alice,
      evaluator: a.eve,
      token: eth,
      rule: 'Improvement',
      status: 'Open',
      initialScore: 650_000n,
      targetScore: 750_000n,
      bestScore: 700_000n,
      progress: '0.5',
      bounty: 2_000n * FINNEY,
      paid: 1_000n * FINNEY,
      refunded: 0n,
      bountyLeft: 1_000n * FINNEY,
      shared: 0n,
      shareCount: 0,
      sharePerGradient: 0n,
      submissionDeadline: BigInt(r.t0 + 30 * DAY),
      evaluationWindow: BigInt(2 * DAY),
      submissionStake: MIN,
      metadataCid: r.cids.meta4!,
      initialWeightsCid: r.cids.w4!,
      weightsCid: r.cids['w4.1']!,
      version: 1,
      // g12 accepted, g13 lapsed, g14 revealed, g15 sealed
      gradientCount: 4,
      committedCount: 1,
      pendingCount: 1,
      acceptedCount: 1,
      rejectedCount: 0,
      declinedCount: 0,
      expiredCount: 0,
      lapsedCount: 1,
      contributorCount: 3,
      funderCount: 1,
      evaluationCount: 1,
      targetReached: false,
      targetReachedAt: null,
      targetReachedBy: null,
      closedAt: null,
      closeReason: null,
      lastActivityAt: ts('commit g15'),
    },
    '5': {
      ...modelCommon(5, 'create m5'),
      lender: a.bob,
      evaluator: a.bob,
      token: htt,
      rule: 'EqualShare',
      status: 'Open',
      initialScore: 400_000n,
      targetScore: 500_000n,
      bestScore: 400_000n,
      progress: '0',
      bounty: 300n * E18,
      paid: 0n,
      refunded: 0n,
      bountyLeft: 300n * E18,
      shared: 0n,
      shareCount: 0,
      sharePerGradient: 0n,
      submissionDeadline: BigInt(r.t0 + 10 * DAY),
      evaluationWindow: BigInt(DAY),
      submissionStake: MIN,
      metadataCid: r.cids.meta5!,
      initialWeightsCid: r.cids.w5!,
      weightsCid: r.cids.w5!,
      version: 0,
      gradientCount: 0,
      committedCount: 0,
      pendingCount: 0,
      acceptedCount: 0,
      rejectedCount: 0,
      declinedCount: 0,
      expiredCount: 0,
      lapsedCount: 0,
      contributorCount: 0,
      funderCount: 1,
      evaluationCount: 0,
      targetReached: false,
      targetReachedAt: null,
      targetReachedBy: null,
      closedAt: null,
      closeReason: null,
      lastActivityAt: ts('create m5'),
    },
  };

  const account = (id: string, f: {
    modelsCreated?: number; submitted?: number; accepted?: number; rejected?: number; declined?: number; expired?: number; lapsed?: number;
    improvement?: bigint; epsilon?: bigint; rewardCount?: number; first: string; last: string;
  }) => ({
    id,
    modelsCreated: f.modelsCreated ?? 0,
    gradientsSubmitted: f.submitted ?? 0,
    gradientsAccepted: f.accepted ?? 0,
    gradientsRejected: f.rejected ?? 0,
    gradientsDeclined: f.declined ?? 0,
    gradientsExpired: f.expired ?? 0,
    gradientsLapsed: f.lapsed ?? 0,
    improvementContributed: f.improvement ?? 0n,
    dpEpsilonSpent: f.epsilon ?? 0n,
    rewardCount: f.rewardCount ?? 0,
    firstSeenAt: ts(f.first),
    lastActivityAt: ts(f.last),
  });
  const accountRows = {
    // the service of d2: answering q4 is its last act
    [a.alice]: account(a.alice, { modelsCreated: 2, first: 'create m1', last: 'answer q4' }),
    // lender and service of d3: answers q5 after retiring it
    [a.bob]: account(a.bob, { modelsCreated: 3, first: 'create m2', last: 'answer q5' }),
    // d1's service: r2 and r3 decided in one block
    [a.eve]: account(a.eve, { first: 'create m2', last: 'decide r2' }),
    // closing models and lapsing commits does not touch the caller; claiming its refund does
    [a.frank]: account(a.frank, { first: 'top up m1', last: 'refund frank m3' }),
    // g1 +40000, g4 +50000, g6 +20000, g9 +60000, g12 +50000; epsilon 0.5 + 0.5 + 0.5 + 0.5 + 0.75
    [a.carol]: account(a.carol, { submitted: 5, accepted: 5, improvement: 220_000n, epsilon: 2_750_000n, rewardCount: 5, first: 'commit g1', last: 'withdraw carol eth' }),
    // g2 declined, g5 and g10 rejected, g7 expired, g14 pending; epsilon 1 + 2 + 1 + 1 + 1
    [a.dave]: account(a.dave, { submitted: 5, rejected: 2, declined: 1, expired: 1, epsilon: 6_000_000n, rewardCount: 1, first: 'commit g2', last: 'reveal g14' }),
    // g3 accepted (no DP), g8 expired (0.25), g11 and g13 lapsed, g15 sealed
    [a.erin]: account(a.erin, { submitted: 5, accepted: 1, expired: 1, lapsed: 2, epsilon: 250_000n, rewardCount: 1, first: 'commit g3', last: 'commit g15' }),
    // borrowers: named by their quotes, answers, requests, decisions and cancellations
    [a.grace]: account(a.grace, { first: 'quote q1', last: 'cancel r4' }),
    [a.heidi]: account(a.heidi, { first: 'quote q2', last: 'decide r2' }),
    [a.ivan]: account(a.ivan, { first: 'quote q3', last: 'decide r3' }),
  };

  const balance = (who: string, tokenId: string, f: {
    rewards?: bigint; refunds?: bigint; returned?: bigint; forfeited?: bigint; received?: bigint; withdrawn?: bigint; balance?: bigint;
  }) => ({
    id: at(who, tokenId),
    account: who,
    token: tokenId,
    rewardsEarned: f.rewards ?? 0n,
    refundsReceived: f.refunds ?? 0n,
    stakesReturned: f.returned ?? 0n,
    stakesForfeited: f.forfeited ?? 0n,
    stakesReceived: f.received ?? 0n,
    withdrawn: f.withdrawn ?? 0n,
    balance: f.balance ?? 0n,
  });
  const accountToken = Object.fromEntries(
    [
      // forfeited stakes of g10, g11 (model 1) and g13 (model 4); the rounding of model 1's close
      balance(a.alice, eth, { refunds: 1n, received: 2n * STAKE1 + MIN, withdrawn: 2n * STAKE1 + MIN + 1n }),
      // model 3's refund less frank's part; g5's forfeited stake (stakes are ETH in every model)
      balance(a.bob, eth, { refunds: 200n * FINNEY, received: MIN, withdrawn: 200n * FINNEY + MIN }),
      // stakes of g1, g6 (model 1) and g4, g9, g12
      balance(a.carol, eth, { rewards: 1_900n * FINNEY, returned: 2n * STAKE1 + 3n * MIN, withdrawn: 1_920n * FINNEY + 3n * MIN }),
      balance(a.carol, htt, { rewards: 1_200n * E18, withdrawn: 1_200n * E18 }),
      // g2 (declined) and g7 back; g5 and g10 lost; g14's still staked
      balance(a.dave, eth, { rewards: 300n * FINNEY, returned: 2n * STAKE1, forfeited: STAKE1 + MIN, withdrawn: 320n * FINNEY }),
      // g3 and g8 back; g11 and g13 lapsed; g15's still staked
      balance(a.erin, eth, { rewards: 300n * FINNEY, returned: 2n * STAKE1, forfeited: STAKE1 + MIN, balance: 320n * FINNEY }),
      // a third of model 3's refund, not withdrawn
      balance(a.frank, eth, { refunds: 100n * FINNEY, balance: 100n * FINNEY }),
    ].map((row) => [row.id, row]),
  );

  const contributor = (model: number, who: string, f: {
    submitted: number; accepted?: number; rejected?: number; declined?: number; expired?: number; lapsed?: number; committed?: number;
    pending?: number; rewards?: bigint; improvement?: bigint; epsilon?: bigint; best?: bigint; first: string; last: string;
  }) => ({
    id: mc(model, who),
    model: String(model),
    contributor: who,
    gradientsSubmitted: f.submitted,
    gradientsAccepted: f.accepted ?? 0,
    gradientsRejected: f.rejected ?? 0,
    gradientsDeclined: f.declined ?? 0,
    gradientsExpired: f.expired ?? 0,
    gradientsLapsed: f.lapsed ?? 0,
    committedCount: f.committed ?? 0,
    pendingCount: f.pending ?? 0,
    rewardsEarned: f.rewards ?? 0n,
    improvementContributed: f.improvement ?? 0n,
    dpEpsilonSpent: f.epsilon ?? 0n,
    bestScore: f.best ?? null,
    firstSubmittedAt: ts(f.first),
    lastSubmittedAt: ts(f.last),
  });
  const modelContributor = Object.fromEntries(
    [
      contributor(1, a.carol, { submitted: 2, accepted: 2, rewards: 900n * FINNEY, improvement: 60_000n, epsilon: 1_000_000n, best: 760_000n, first: 'commit g1', last: 'commit g6' }),
      contributor(1, a.dave, { submitted: 3, rejected: 1, declined: 1, expired: 1, rewards: 300n * FINNEY, epsilon: 3_000_000n, first: 'commit g2', last: 'commit g10' }),
      contributor(1, a.erin, { submitted: 3, accepted: 1, expired: 1, lapsed: 1, rewards: 300n * FINNEY, epsilon: 250_000n, best: 730_000n, first: 'commit g3', last: 'commit g11' }),
      contributor(2, a.carol, { submitted: 2, accepted: 2, rewards: 1_200n * E18, improvement: 110_000n, epsilon: 1_000_000n, best: 610_000n, first: 'commit g4', last: 'commit g9' }),
      contributor(2, a.dave, { submitted: 1, rejected: 1, epsilon: 2_000_000n, first: 'commit g5', last: 'commit g5' }),
      contributor(4, a.carol, { submitted: 1, accepted: 1, rewards: 1_000n * FINNEY, improvement: 50_000n, epsilon: 750_000n, best: 700_000n, first: 'commit g12', last: 'commit g12' }),
      contributor(4, a.dave, { submitted: 1, pending: 1, epsilon: 1_000_000n, first: 'commit g14', last: 'commit g14' }),
      contributor(4, a.erin, { submitted: 2, lapsed: 1, committed: 1, first: 'commit g13', last: 'commit g15' }),
    ].map((row) => [row.id, row]),
  );

  const funder = (model: number, who: string, f: { isLender: boolean; amount: bigint; deposits?: number; refund?: bigint; refundedAt?: string; first: string; last?: string }) => ({
    id: mc(model, who),
    model: String(model),
    funder: who,
    isLender: f.isLender,
    amount: f.amount,
    depositCount: f.deposits ?? 1,
    refund: f.refund ?? null,
    refundedAt: f.refundedAt ? ts(f.refundedAt) : null,
    firstFundedAt: ts(f.first),
    lastFundedAt: ts(f.last ?? f.first),
  });
  const modelFunder = Object.fromEntries(
    [
      // model 1's leftover went to the expired shares: alice gets the rounding, frank's part is 0
      funder(1, a.alice, { isLender: true, amount: 1_000n * FINNEY, refund: 1n, refundedAt: 'close m1', first: 'create m1' }),
      funder(1, a.frank, { isLender: false, amount: 500n * FINNEY + 1n, first: 'top up m1' }),
      funder(2, a.bob, { isLender: true, amount: 1_200n * E18, deposits: 2, first: 'create m2', last: 'top up m2' }),
      // model 3 refunds all 0.3 ETH in proportion: 0.2 to bob at close, 0.1 to frank when he claims
      funder(3, a.bob, { isLender: true, amount: 200n * FINNEY, refund: 200n * FINNEY, refundedAt: 'close m3', first: 'create m3' }),
      funder(3, a.frank, { isLender: false, amount: 100n * FINNEY, refund: 100n * FINNEY, refundedAt: 'refund frank m3', first: 'top up m3' }),
      funder(4, a.alice, { isLender: true, amount: 2_000n * FINNEY, first: 'create m4' }),
      funder(5, a.bob, { isLender: true, amount: 300n * E18, first: 'create m5' }),
    ].map((row) => [row.id, row]),
  );

  const gradient = (n: number, model: number, who: string, f: {
    version: number; status: string; score?: bigint; improvement?: bigint; reward?: bigint; weights?: string;
    stakeRefunded?: boolean; shareClaimed?: boolean; expired?: boolean;
  }) => {
    const g = `g${n}`;
    const committed = `commit ${g}`;
    const revealed = f.status !== 'Committed' && f.status !== 'Lapsed';
    const reveal = `reveal ${g}`;
    // a gradient is evaluated once its status is one of the verdicts
    const evaluated = Object.hasOwn(Verdict, f.status);
    return {
      id: String(n),
      gradientId: BigInt(n),
      model: String(model),
      contributor: who,
      modelContributor: mc(model, who),
      seal: r.seals[g]!,
      cid: revealed ? r.cids[g]! : null,
      dataCommitment: revealed ? r.commitments[g]! : null,
      salt: revealed ? r.salts[g]! : null,
      dpEpsilon: revealed ? BigInt(r.epsilons[g]!) : null,
      modelVersion: f.version,
      stake: model === 1 ? STAKE1 : MIN,
      revealDeadline: ts(committed) + 3600n,
      // model 4's evaluation window is two days, the others' one
      evaluationDeadline: revealed ? ts(reveal) + BigInt(model === 4 ? 2 * DAY : DAY) : null,
      status: f.status,
      score: f.score ?? null,
      improvement: f.improvement ?? (evaluated ? 0n : null),
      reward: f.reward ?? 0n,
      newWeightsCid: f.weights ? r.cids[f.weights]! : null,
      evaluation: evaluated ? eid(`evaluate ${g}`) : null,
      stakeRefunded: f.stakeRefunded ?? null,
      shareClaimed: f.shareClaimed ?? false,
      submittedAt: ts(committed),
      submittedAtBlock: block(committed),
      transactionHash: hash(committed),
      revealedAt: revealed ? ts(reveal) : null,
      revealedAtBlock: revealed ? block(reveal) : null,
      revealTransactionHash: revealed ? hash(reveal) : null,
      evaluatedAt: evaluated ? ts(`evaluate ${g}`) : null,
      expiredAt: f.expired ? ts(`expire ${g}`) : null,
      lapsedAt: f.status === 'Lapsed' ? ts(`lapse ${g}`) : null,
    };
  };
  const gradientRows = Object.fromEntries(
    [
      gradient(1, 1, a.carol, { version: 0, status: 'Accepted', score: 740_000n, improvement: 40_000n, reward: 600n * FINNEY, weights: 'w1.1', stakeRefunded: true }),
      // no improvement: declined, the stake goes back
      gradient(2, 1, a.dave, { version: 0, status: 'Declined', score: 690_000n, stakeRefunded: true }),
      gradient(3, 1, a.erin, { version: 0, status: 'Accepted', score: 730_000n, weights: 'w1.2', stakeRefunded: true }),
      gradient(4, 2, a.carol, { version: 0, status: 'Accepted', score: 550_000n, improvement: 50_000n, reward: 600n * E18, weights: 'w2.1', stakeRefunded: true, shareClaimed: true }),
      gradient(5, 2, a.dave, { version: 0, status: 'Rejected', score: 520_000n, stakeRefunded: false }),
      gradient(6, 1, a.carol, { version: 2, status: 'Accepted', score: 760_000n, improvement: 20_000n, reward: 300n * FINNEY, weights: 'w1.3', stakeRefunded: true }),
      gradient(7, 1, a.dave, { version: 2, status: 'Expired', reward: 300n * FINNEY, stakeRefunded: true, shareClaimed: true, expired: true }),
      gradient(8, 1, a.erin, { version: 2, status: 'Expired', reward: 300n * FINNEY, stakeRefunded: true, shareClaimed: true, expired: true }),
      gradient(9, 2, a.carol, { version: 1, status: 'Accepted', score: 610_000n, improvement: 60_000n, reward: 600n * E18, weights: 'w2.2', stakeRefunded: true, shareClaimed: true }),
      // g6's CID under dave's later commit: a duplicate, rejected; its cid is g6's
      gradient(10, 1, a.dave, { version: 3, status: 'Rejected', score: 760_000n, stakeRefunded: false }),
      gradient(11, 1, a.erin, { version: 3, status: 'Lapsed', stakeRefunded: false }),
      gradient(12, 4, a.carol, { version: 0, status: 'Accepted', score: 700_000n, improvement: 50_000n, reward: 1_000n * FINNEY, weights: 'w4.1', stakeRefunded: true }),
      gradient(13, 4, a.erin, { version: 1, status: 'Lapsed', stakeRefunded: false }),
      gradient(14, 4, a.dave, { version: 1, status: 'Pending' }),
      gradient(15, 4, a.erin, { version: 1, status: 'Committed' }),
    ].map((row) => [row.id, row]),
  );

  const evaluation = (n: number, model: number, who: string, ordinal: number, f: {
    verdict: string; previous: bigint; score: bigint; best: bigint; version: number; reward?: bigint; weights?: string; reachedTarget?: boolean;
  }) => {
    const label = `evaluate g${n}`;
    return {
      id: eid(label),
      ordinal,
      gradient: String(n),
      model: String(model),
      contributor: who,
      verdict: f.verdict,
      accepted: f.verdict === 'Accepted',
      previousBestScore: f.previous,
      score: f.score,
      bestScore: f.best,
      improvement: f.best - f.previous,
      modelVersion: f.version,
      reward: f.reward ?? 0n,
      newWeightsCid: f.weights ? r.cids[f.weights]! : null,
      reachedTarget: f.reachedTarget ?? false,
      ...event(label),
      logIndex: logIndex(label),
    };
  };
  const evaluationRows = Object.fromEntries(
    [
      evaluation(1, 1, a.carol, 1, { verdict: 'Accepted', previous: 700_000n, score: 740_000n, best: 740_000n, version: 1, reward: 600n * FINNEY, weights: 'w1.1' }),
      evaluation(2, 1, a.dave, 2, { verdict: 'Declined', previous: 740_000n, score: 690_000n, best: 740_000n, version: 1 }),
      evaluation(3, 1, a.erin, 3, { verdict: 'Accepted', previous: 740_000n, score: 730_000n, best: 740_000n, version: 2, weights: 'w1.2' }),
      evaluation(6, 1, a.carol, 4, { verdict: 'Accepted', previous: 740_000n, score: 760_000n, best: 760_000n, version: 3, reward: 300n * FINNEY, weights: 'w1.3' }),
      evaluation(10, 1, a.dave, 5, { verdict: 'Rejected', previous: 760_000n, score: 760_000n, best: 760_000n, version: 3 }),
      evaluation(4, 2, a.carol, 1, { verdict: 'Accepted', previous: 500_000n, score: 550_000n, best: 550_000n, version: 1, weights: 'w2.1' }),
      evaluation(5, 2, a.dave, 2, { verdict: 'Rejected', previous: 550_000n, score: 520_000n, best: 550_000n, version: 1 }),
      evaluation(9, 2, a.carol, 3, { verdict: 'Accepted', previous: 550_000n, score: 610_000n, best: 610_000n, version: 2, weights: 'w2.2', reachedTarget: true }),
      evaluation(12, 4, a.carol, 1, { verdict: 'Accepted', previous: 650_000n, score: 700_000n, best: 700_000n, version: 1, reward: 1_000n * FINNEY, weights: 'w4.1' }),
    ].map((row) => [row.id, row]),
  );

  const reward = (label: string, i: number, model: number, who: string, g: number, tokenId: string, amount: bigint, kind: string) => ({
    id: eid(label, i),
    model: String(model),
    contributor: who,
    gradient: String(g),
    token: tokenId,
    amount,
    kind,
    ...event(label),
  });
  const rewardRows = Object.fromEntries(
    [
      reward('evaluate g1', 1, 1, a.carol, 1, eth, 600n * FINNEY, 'Improvement'),
      reward('evaluate g6', 1, 1, a.carol, 6, eth, 300n * FINNEY, 'Improvement'),
      reward('claim g4', 0, 2, a.carol, 4, htt, 600n * E18, 'EqualShare'),
      reward('claim g9', 0, 2, a.carol, 9, htt, 600n * E18, 'EqualShare'),
      reward('claim g7', 0, 1, a.dave, 7, eth, 300n * FINNEY, 'ExpiredShare'),
      reward('claim g8', 0, 1, a.erin, 8, eth, 300n * FINNEY, 'ExpiredShare'),
      reward('evaluate g12', 1, 4, a.carol, 12, eth, 1_000n * FINNEY, 'Improvement'),
    ].map((row) => [row.id, row]),
  );

  const deposit = (label: string, model: number, funder: string, tokenId: string, amount: bigint, total: bigint, isInitial: boolean) => ({
    id: eid(label),
    model: String(model),
    funder,
    token: tokenId,
    amount,
    totalBounty: total,
    isInitial,
    ...event(label),
  });
  const depositRows = Object.fromEntries(
    [
      deposit('create m1', 1, a.alice, eth, 1_000n * FINNEY, 1_000n * FINNEY, true),
      deposit('create m2', 2, a.bob, htt, 1_000n * E18, 1_000n * E18, true),
      deposit('create m3', 3, a.bob, eth, 200n * FINNEY, 200n * FINNEY, true),
      deposit('top up m1', 1, a.frank, eth, 500n * FINNEY + 1n, M1_BOUNTY, false),
      deposit('top up m3', 3, a.frank, eth, 100n * FINNEY, 300n * FINNEY, false),
      deposit('top up m2', 2, a.bob, htt, 200n * E18, 1_200n * E18, false),
      deposit('create m4', 4, a.alice, eth, 2_000n * FINNEY, 2_000n * FINNEY, true),
      deposit('create m5', 5, a.bob, htt, 300n * E18, 300n * E18, true),
    ].map((row) => [row.id, row]),
  );

  const withdrawal = (label: string, who: string, tokenId: string, to: string, amount: bigint) => ({
    id: eid(label),
    account: who,
    token: tokenId,
    to,
    amount,
    ...event(label),
  });
  const withdrawalRows = Object.fromEntries(
    [
      withdrawal('withdraw carol token', a.carol, htt, a.vault, 1_200n * E18),
      withdrawal('withdraw bob eth', a.bob, eth, a.bob, 200n * FINNEY + MIN),
      withdrawal('withdraw alice eth', a.alice, eth, a.alice, 2n * STAKE1 + MIN + 1n),
      withdrawal('withdraw carol eth', a.carol, eth, a.carol, 1_920n * FINNEY + 3n * MIN),
      withdrawal('withdraw dave eth', a.dave, eth, a.dave, 320n * FINNEY),
    ].map((row) => [row.id, row]),
  );

  /** the StakeReleased log is the last of its transaction (after GradientEvaluated, RewardEarned, TargetReached) */
  const release = (label: string, i: number, g: number, model: number, to: string, refunded: boolean) => ({
    id: eid(label, i),
    gradient: String(g),
    model: String(model),
    to,
    amount: model === 1 ? STAKE1 : MIN,
    refunded,
    ...event(label),
  });
  const stakeReleaseRows = Object.fromEntries(
    [
      release('evaluate g1', 2, 1, 1, a.carol, true),
      release('evaluate g2', 1, 2, 1, a.dave, true),
      release('evaluate g3', 1, 3, 1, a.erin, true),
      release('evaluate g4', 1, 4, 2, a.carol, true),
      release('evaluate g5', 1, 5, 2, a.bob, false),
      release('evaluate g6', 2, 6, 1, a.carol, true),
      release('evaluate g9', 2, 9, 2, a.carol, true),
      release('evaluate g10', 1, 10, 1, a.alice, false),
      release('lapse g11', 1, 11, 1, a.alice, false),
      release('evaluate g12', 2, 12, 4, a.carol, true),
      release('lapse g13', 1, 13, 4, a.alice, false),
      release('expire g7', 1, 7, 1, a.dave, true),
      release('expire g8', 1, 8, 1, a.erin, true),
    ].map((row) => [row.id, row]),
  );

  const refund = (label: string, i: number, model: number, funder: string, isLender: boolean, amount: bigint) => ({
    id: eid(label, i),
    model: String(model),
    funder,
    isLender,
    token: eth,
    amount,
    ...event(label),
  });
  const refundRows = Object.fromEntries(
    [
      refund('close m3', 1, 3, a.bob, true, 200n * FINNEY),
      refund('refund frank m3', 0, 3, a.frank, false, 100n * FINNEY),
      refund('close m1', 1, 1, a.alice, true, 1n),
    ].map((row) => [row.id, row]),
  );

  const dayData = (k: number, f: {
    created?: number; submitted?: number; revealed?: number; accepted?: number; rejected?: number; declined?: number; expired?: number;
    lapsed?: number; evaluations?: number; cumulativeGradients: number; cumulativeAccepted: number;
  }) => ({
    id: String(day(k)),
    date: day(k) * DAY,
    modelsCreated: f.created ?? 0,
    gradientsSubmitted: f.submitted ?? 0,
    gradientsRevealed: f.revealed ?? 0,
    gradientsAccepted: f.accepted ?? 0,
    gradientsRejected: f.rejected ?? 0,
    gradientsDeclined: f.declined ?? 0,
    gradientsExpired: f.expired ?? 0,
    gradientsLapsed: f.lapsed ?? 0,
    evaluations: f.evaluations ?? 0,
    cumulativeGradients: f.cumulativeGradients,
    cumulativeAccepted: f.cumulativeAccepted,
  });
  const dayRows = Object.fromEntries(
    [
      dayData(0, { created: 3, submitted: 4, revealed: 4, cumulativeGradients: 4, cumulativeAccepted: 0 }),
      dayData(1, { submitted: 1, revealed: 1, accepted: 3, rejected: 1, declined: 1, evaluations: 5, cumulativeGradients: 5, cumulativeAccepted: 3 }),
      // g6..g11 committed, g11 never revealed (lapsed the same day); g6, g9 accepted, g10 rejected
      dayData(2, { submitted: 6, revealed: 5, accepted: 2, rejected: 1, lapsed: 1, evaluations: 3, cumulativeGradients: 11, cumulativeAccepted: 5 }),
      dayData(3, { created: 1, submitted: 2, revealed: 1, accepted: 1, lapsed: 1, evaluations: 1, cumulativeGradients: 13, cumulativeAccepted: 6 }),
      dayData(4, { created: 1, submitted: 2, revealed: 1, expired: 2, cumulativeGradients: 15, cumulativeAccepted: 6 }),
    ].map((row) => [row.id, row]),
  );

  const tokenDay = (tokenId: string, k: number, f: {
    escrowed?: bigint; paid?: bigint; refunded?: bigint; withdrawn?: bigint; cumulativeEscrowed: bigint; cumulativePaid: bigint;
  }) => ({
    id: tokenId + be32(day(k)),
    token: tokenId,
    date: day(k) * DAY,
    escrowed: f.escrowed ?? 0n,
    paid: f.paid ?? 0n,
    refunded: f.refunded ?? 0n,
    withdrawn: f.withdrawn ?? 0n,
    cumulativeEscrowed: f.cumulativeEscrowed,
    cumulativePaid: f.cumulativePaid,
  });
  const ethEscrowed = 1_800_000_000_000_000_001n;
  const ethEscrowedWithM4 = ethEscrowed + 2_000n * FINNEY;
  const tokenDayRows = Object.fromEntries(
    [
      tokenDay(eth, 0, { escrowed: ethEscrowed, cumulativeEscrowed: ethEscrowed, cumulativePaid: 0n }),
      tokenDay(eth, 1, { paid: 600n * FINNEY, cumulativeEscrowed: ethEscrowed, cumulativePaid: 600n * FINNEY }),
      tokenDay(eth, 2, { paid: 300n * FINNEY, cumulativeEscrowed: ethEscrowed, cumulativePaid: 900n * FINNEY }),
      tokenDay(eth, 3, {
        escrowed: 2_000n * FINNEY,
        paid: 1_000n * FINNEY,
        // model 3: bob's part at close, frank's when he claims
        refunded: 300n * FINNEY,
        withdrawn: 200n * FINNEY + MIN,
        cumulativeEscrowed: ethEscrowedWithM4,
        cumulativePaid: 1_900n * FINNEY,
      }),
      tokenDay(eth, 4, {
        paid: 600n * FINNEY,
        refunded: 1n,
        // alice 20.1 finney + 1 wei, carol 1920.3 finney, dave 320 finney
        withdrawn: 2_260_400_000_000_000_001n,
        cumulativeEscrowed: ethEscrowedWithM4,
        cumulativePaid: 2_500n * FINNEY,
      }),
      tokenDay(htt, 0, { escrowed: 1_000n * E18, cumulativeEscrowed: 1_000n * E18, cumulativePaid: 0n }),
      tokenDay(htt, 1, { escrowed: 200n * E18, cumulativeEscrowed: 1_200n * E18, cumulativePaid: 0n }),
      tokenDay(htt, 2, { paid: 1_200n * E18, withdrawn: 1_200n * E18, cumulativeEscrowed: 1_200n * E18, cumulativePaid: 1_200n * E18 }),
      tokenDay(htt, 4, { escrowed: 300n * E18, cumulativeEscrowed: 1_500n * E18, cumulativePaid: 1_200n * E18 }),
    ].map((row) => [row.id, row]),
  );

  const deployment = (n: number, model: number, lender: string, f: {
    service: string; token: string; version: number; score: bigint; target: bigint; weights: string; retired?: boolean;
    quotes: number; answered: number; requests?: number; approved?: number; declined?: number; cancelled?: number;
    approvedAmount?: bigint; rateWeighted?: bigint; averageRate?: string;
  }) => ({
    id: String(n),
    deploymentId: BigInt(n),
    model: String(model),
    lender,
    service: f.service,
    token: f.token,
    status: f.retired ? 'Retired' : 'Active',
    modelVersion: f.version,
    score: f.score,
    targetScore: f.target,
    targetReached: f.score >= f.target,
    metric: 'auc',
    weightsCid: r.cids[f.weights]!,
    weightsCommitment: r.commitments[`d${n}`]!,
    serviceCid: r.cids[`service d${n}`]!,
    quoteCount: f.quotes,
    answeredQuoteCount: f.answered,
    loanRequestCount: f.requests ?? 0,
    // every request in the history is decided or cancelled by the end
    pendingLoanCount: 0,
    approvedCount: f.approved ?? 0,
    declinedCount: f.declined ?? 0,
    cancelledCount: f.cancelled ?? 0,
    approvedAmount: f.approvedAmount ?? 0n,
    averageRateBps: f.averageRate ?? null,
    rateWeightedAmount: f.rateWeighted ?? 0n,
    deployedAt: ts(`deploy d${n}`),
    deployedAtBlock: block(`deploy d${n}`),
    transactionHash: hash(`deploy d${n}`),
    retiredAt: f.retired ? ts(`retire d${n}`) : null,
  });
  const deploymentRows = Object.fromEntries(
    [
      // model 2: version 2 (g4, g9), best 610000 >= target 600000. r1 3000 at 900 bps, r3 1000 (of 10000
      // asked) at 1250 bps, r2 declined: (3000 * 900 + 1000 * 1250) / 4000 = 987.5 bps
      deployment(1, 2, a.bob, {
        service: a.eve, token: htt, version: 2, score: 610_000n, target: 600_000n, weights: 'w2.2', quotes: 3, answered: 3,
        requests: 3, approved: 2, declined: 1, approvedAmount: 4_000n * E18, rateWeighted: 3_950_000n * E18, averageRate: '987.5',
      }),
      // model 1: version 3 (g1, g3, g6), best 760000 short of 800000; q6 unanswered, r4 cancelled
      deployment(2, 1, a.alice, { service: a.alice, token: eth, version: 3, score: 760_000n, target: 800_000n, weights: 'w1.3', quotes: 2, answered: 1, requests: 1, cancelled: 1 }),
      // model 2 again, retired; its one quote answered after retirement
      deployment(3, 2, a.bob, { service: a.bob, token: eth, version: 2, score: 610_000n, target: 600_000n, weights: 'w2.2', retired: true, quotes: 1, answered: 1 }),
    ].map((row) => [row.id, row]),
  );

  const quote = (n: number, deploymentNumber: number, borrower: string, f: { answered: boolean; request?: number }) => ({
    id: String(n),
    quoteId: BigInt(n),
    deployment: String(deploymentNumber),
    borrower,
    queryCid: r.cids[`query q${n}`]!,
    status: f.answered ? 'Answered' : 'Requested',
    resultCid: f.answered ? r.cids[`result q${n}`]! : null,
    requestedAt: ts(`quote q${n}`),
    requestedAtBlock: block(`quote q${n}`),
    transactionHash: hash(`quote q${n}`),
    answeredAt: f.answered ? ts(`answer q${n}`) : null,
    answerTransactionHash: f.answered ? hash(`answer q${n}`) : null,
    loanRequest: f.request === undefined ? null : String(f.request),
  });
  const quoteRows = Object.fromEntries(
    [
      quote(1, 1, a.grace, { answered: true, request: 1 }),
      quote(2, 1, a.heidi, { answered: true, request: 2 }),
      quote(3, 1, a.ivan, { answered: true, request: 3 }),
      quote(4, 2, a.grace, { answered: true, request: 4 }),
      quote(5, 3, a.heidi, { answered: true }),
      quote(6, 2, a.ivan, { answered: false }),
    ].map((row) => [row.id, row]),
  );

  const loanRequest = (n: number, deploymentNumber: number, quoteNumber: number, borrower: string, f: {
    token: string; amount: bigint; termDays: number; status: string; approvedAmount?: bigint; rateBps?: number; reason?: string;
  }) => {
    const decided = f.status === 'Approved' || f.status === 'Declined';
    return {
      id: String(n),
      requestId: BigInt(n),
      deployment: String(deploymentNumber),
      quote: String(quoteNumber),
      borrower,
      token: f.token,
      amount: f.amount,
      termDays: f.termDays,
      disclosureCid: r.cids[`disclosure r${n}`]!,
      status: f.status,
      approved: decided ? f.status === 'Approved' : null,
      approvedAmount: decided ? (f.approvedAmount ?? 0n) : null,
      rateBps: decided ? (f.rateBps ?? 0) : null,
      reason: f.reason ?? null,
      requestedAt: ts(`request r${n}`),
      requestedAtBlock: block(`request r${n}`),
      transactionHash: hash(`request r${n}`),
      decidedAt: decided ? ts(`decide r${n}`) : null,
      decisionTransactionHash: decided ? hash(`decide r${n}`) : null,
      cancelledAt: f.status === 'Cancelled' ? ts(`cancel r${n}`) : null,
    };
  };
  const loanRequestRows = Object.fromEntries(
    [
      loanRequest(1, 1, 1, a.grace, { token: htt, amount: 3_000n * E18, termDays: 365, status: 'Approved', approvedAmount: 3_000n * E18, rateBps: 900, reason: 'Priced' }),
      loanRequest(2, 1, 2, a.heidi, { token: htt, amount: 2_000n * E18, termDays: 180, status: 'Declined', reason: 'RiskTooHigh' }),
      loanRequest(3, 1, 3, a.ivan, { token: htt, amount: 10_000n * E18, termDays: 730, status: 'Approved', approvedAmount: 1_000n * E18, rateBps: 1_250, reason: 'AmountAboveLimit' }),
      loanRequest(4, 2, 4, a.grace, { token: eth, amount: 5n * E18, termDays: 90, status: 'Cancelled' }),
    ].map((row) => [row.id, row]),
  );

  return {
    Protocol: protocol,
    Token: token,
    Model: model,
    Account: accountRows,
    AccountToken: accountToken,
    ModelContributor: modelContributor,
    ModelFunder: modelFunder,
    Gradient: gradientRows,
    Evaluation: evaluationRows,
    Reward: rewardRows,
    Deposit: depositRows,
    Withdrawal: withdrawalRows,
    StakeRelease: stakeReleaseRows,
    Refund: refundRows,
    DayData: dayRows,
    TokenDayData: tokenDayRows,
    Deployment: deploymentRows,
    Quote: quoteRows,
    LoanRequest: loanRequestRows,
  };
}

/**
 * Checkpoints inside the history: selected fields right after the named step's block, to catch
 * handlers whose intermediate state is wrong even when the final state comes out right.
 */
export function expectedCheckpoints(r: HistoryRecord): { after: string; entities: ExpectedEntities }[] {
  assertFresh(r);
  const a = r.accounts;
  return [
    {
      // two evaluations in one block: the in-block cache must chain them
      after: 'evaluate g2',
      entities: {
        Model: { '1': { bestScore: 740_000n, pendingCount: 1, evaluationCount: 2, acceptedCount: 1, rejectedCount: 0, declinedCount: 1, version: 1, paid: 600n * FINNEY, bountyLeft: M1_BOUNTY - 600n * FINNEY, progress: '0.4', status: 'Open' } },
        Protocol: { hessian: { evaluationCount: 2, pendingGradientCount: 2, acceptedGradientCount: 1, rejectedGradientCount: 0, declinedGradientCount: 1, openModelCount: 3 } },
        // declined: dave's stake comes back
        AccountToken: { [a.dave + ETH.slice(2)]: { stakesReturned: 10n * FINNEY, stakesForfeited: 0n, balance: 10n * FINNEY } },
      },
    },
    {
      after: 'evaluate g9',
      entities: {
        Model: { '2': { status: 'TargetReached', targetReached: true, progress: '1', bountyLeft: 1_200n * E18, paid: 0n } },
        Protocol: { hessian: { openModelCount: 2 } },
      },
    },
    {
      after: 'close m2',
      entities: {
        Model: { '2': { status: 'Closed', shared: 1_200n * E18, bountyLeft: 1_200n * E18, closeReason: 'TargetReached' } },
        Protocol: { hessian: { openModelCount: 2 } },
        Token: { [r.token]: { totalLocked: 1_200n * E18 } },
      },
    },
    {
      // sealed: the id, contributor and stake are public, the CID is not
      after: 'commit g10',
      entities: {
        Gradient: { '10': { status: 'Committed', cid: null, dataCommitment: null, dpEpsilon: null, evaluationDeadline: null, revealedAt: null } },
        // g7 and g8 are still waiting for the evaluator
        Model: { '1': { committedCount: 1, pendingCount: 2, gradientCount: 7 } },
        Protocol: { hessian: { committedGradientCount: 1, pendingGradientCount: 2 } },
      },
    },
    {
      // the copy reveals g6's CID under dave's own seal and epsilon
      after: 'reveal g10',
      entities: {
        Gradient: { '10': { status: 'Pending', cid: r.cids.g6!, dpEpsilon: 1_000_000n } },
        Model: { '1': { committedCount: 0, pendingCount: 3 } },
        ModelContributor: { [`1-${a.dave}`]: { dpEpsilonSpent: 3_000_000n, committedCount: 0, pendingCount: 2 } },
        Account: { [a.dave]: { dpEpsilonSpent: 5_000_000n } },
      },
    },
    {
      after: 'commit g11',
      entities: {
        Model: { '1': { committedCount: 1, pendingCount: 2, rejectedCount: 1 } },
        ModelContributor: { [`1-${a.erin}`]: { committedCount: 1, gradientsSubmitted: 3 } },
      },
    },
    {
      after: 'lapse g11',
      entities: {
        Gradient: { '11': { status: 'Lapsed', stakeRefunded: false, cid: null } },
        Model: { '1': { committedCount: 0, lapsedCount: 1 } },
        Protocol: { hessian: { committedGradientCount: 0, lapsedGradientCount: 1 } },
        AccountToken: { [a.alice + ETH.slice(2)]: { stakesReceived: 20n * FINNEY, balance: 20n * FINNEY } },
      },
    },
    {
      after: 'close m3',
      entities: {
        // the whole 0.3 ETH goes back; frank's third waits for his claim
        Model: { '3': { status: 'Closed', refunded: 300n * FINNEY, bountyLeft: 0n } },
        ModelFunder: { [`3-${a.bob}`]: { refund: 200n * FINNEY }, [`3-${a.frank}`]: { refund: null } },
        Protocol: { hessian: { openModelCount: 1 } },
        AccountToken: { [a.bob + ETH.slice(2)]: { refundsReceived: 200n * FINNEY, stakesReceived: FINNEY / 10n, balance: 200n * FINNEY + FINNEY / 10n } },
        Token: { [ETH]: { totalRefunded: 200n * FINNEY } },
      },
    },
    {
      after: 'refund frank m3',
      entities: {
        ModelFunder: { [`3-${a.frank}`]: { refund: 100n * FINNEY } },
        Token: { [ETH]: { totalRefunded: 300n * FINNEY } },
      },
    },
    {
      after: 'close m1',
      entities: {
        Model: { '1': { status: 'Closed', bountyLeft: 600n * FINNEY, shared: 600n * FINNEY, refunded: 1n } },
        // model 4 is open by now
        Protocol: { hessian: { openModelCount: 1 } },
      },
    },
    {
      after: 'deploy d3',
      entities: {
        Protocol: { hessian: { deploymentCount: 3, activeDeploymentCount: 3, quoteCount: 0 } },
        Deployment: { '3': { status: 'Active', quoteCount: 0, retiredAt: null } },
      },
    },
    {
      // two quotes of one deployment in one block
      after: 'quote q3',
      entities: {
        Protocol: { hessian: { quoteCount: 3, answeredQuoteCount: 0 } },
        Deployment: { '1': { quoteCount: 3, answeredQuoteCount: 0 } },
        Quote: { '3': { status: 'Requested', resultCid: null, loanRequest: null } },
      },
    },
    {
      after: 'retire d3',
      entities: {
        Protocol: { hessian: { activeDeploymentCount: 2, answeredQuoteCount: 4 } },
        Deployment: { '3': { status: 'Retired', answeredQuoteCount: 0 } },
        Quote: { '5': { status: 'Requested' } },
      },
    },
    {
      after: 'request r4',
      entities: {
        Protocol: { hessian: { loanRequestCount: 4, approvedLoanCount: 0 } },
        Deployment: { '1': { loanRequestCount: 3, pendingLoanCount: 3 }, '2': { loanRequestCount: 1, pendingLoanCount: 1 } },
        LoanRequest: { '1': { status: 'Pending', approved: null, reason: null } },
      },
    },
    {
      after: 'decide r1',
      entities: {
        Protocol: { hessian: { approvedLoanCount: 1, declinedLoanCount: 0 } },
        Deployment: { '1': { pendingLoanCount: 2, approvedCount: 1, approvedAmount: 3_000n * E18, averageRateBps: '900' } },
      },
    },
  ];
}
