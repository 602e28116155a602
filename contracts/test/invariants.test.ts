// Property-based invariants over random sequences of every state-changing call, across several
// models, in ETH and an ERC-20, with random actors and time travel.
//
// Each step is sent to the contract and, independently, predicted by a small reference model
// (which call must revert, and with which error). The invariants themselves are checked against
// the chain and against a ledger rebuilt from the emitted events alone:
//   - escrow conservation per model and per token: deposits = rewards + refunds + escrow left,
//     and contract balance = credits + escrow + stakes held (so it always covers liabilities);
//   - no payout beyond escrow; no gradient rewarded twice;
//   - only the evaluator evaluates;
//   - credits rebuilt from events equal the contract's `credit` for every account and token.
// INVARIANT_RUNS (default 1000) sets the number of sequences; INVARIANT_SEED replays one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LogDescription } from 'ethers';
import { MAX_EVALUATION_WINDOW, MAX_SCORE as MAX_SCORE_FIXED } from '../src/index.ts';
import { CID, ETH, HOUR, connect, type AnyContract, type Env } from './helpers/chain.ts';

const RUNS = Number(process.env.INVARIANT_RUNS ?? 1000);
const SEED = process.env.INVARIANT_SEED === undefined ? undefined : Number(process.env.INVARIANT_SEED);
const MAX_SCORE = Number(MAX_SCORE_FIXED);
const ACTORS = 5;
const GAS = { gasLimit: 1_000_000 };

// ------------------------------------------------------------------ actions

type Action =
  | { kind: 'create'; actor: number; token: boolean; rule: number; bounty: bigint; stake: bigint; evaluator: number; initial: number; target: number; deadline: number; window: number }
  | { kind: 'topUp'; actor: number; model: number; amount: bigint }
  | { kind: 'submit'; actor: number; model: number; commitment: number; wrongStake: boolean }
  | { kind: 'evaluate'; actor: number; gradient: number; score: number; accepted: boolean; asEvaluator: boolean }
  | { kind: 'expire'; actor: number; gradient: number }
  | { kind: 'travel'; seconds: number }
  | { kind: 'close'; actor: number; model: number }
  | { kind: 'claim'; actor: number; gradient: number }
  | { kind: 'withdraw'; actor: number; token: boolean };

const actor = fc.integer({ min: 0, max: ACTORS - 1 });
const ref = fc.nat({ max: 7 });
/** mostly the usual values, sometimes the invalid edge */
const rarely = <T, U>(usual: fc.Arbitrary<T>, edge: fc.Arbitrary<U>) => fc.oneof({ weight: 15, arbitrary: usual }, { weight: 1, arbitrary: edge });
const positiveAmount = fc.oneof(fc.bigInt({ min: 1n, max: 1000n }), fc.bigInt({ min: 1n, max: 10n ** 18n }));
const amount = rarely(positiveAmount, fc.constant(0n));
const score = fc.oneof(fc.integer({ min: 0, max: MAX_SCORE }), fc.integer({ min: 550_000, max: 850_000 }));

function createArb(valid: boolean): fc.Arbitrary<Action> {
  const pick = <T, U>(usual: fc.Arbitrary<T>, edge: fc.Arbitrary<U>): fc.Arbitrary<T | U> => (valid ? usual : rarely(usual, edge));
  return fc.record({
    kind: fc.constant('create' as const),
    actor,
    token: fc.boolean(),
    rule: fc.integer({ min: 0, max: 1 }),
    bounty: pick(positiveAmount, fc.constant(0n)),
    stake: fc.constantFrom(0n, 1n, 10n ** 15n),
    evaluator: actor,
    initial: fc.constantFrom(0, 500_000, 600_000),
    // offset of the target from the initial score: 0 is invalid, 500_001 can exceed the scale
    target: pick(fc.integer({ min: 1, max: 300_000 }), fc.constantFrom(0, 500_001)),
    deadline: pick(fc.oneof(fc.integer({ min: 1, max: 6 * HOUR }), fc.integer({ min: 1, max: 48 * HOUR })), fc.integer({ min: -HOUR, max: 0 })),
    window: pick(fc.oneof(fc.integer({ min: 1, max: 2 * HOUR }), fc.integer({ min: 1, max: 24 * HOUR })), fc.constantFrom(0, MAX_EVALUATION_WINDOW + 1)),
  });
}

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 1, arbitrary: createArb(false) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('topUp' as const), actor, model: ref, amount }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('submit' as const), actor, model: ref, commitment: fc.nat({ max: 5 }), wrongStake: fc.oneof({ weight: 1, arbitrary: fc.constant(true) }, { weight: 9, arbitrary: fc.constant(false) }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('evaluate' as const), actor, gradient: ref, score, accepted: fc.boolean(), asEvaluator: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('expire' as const), actor, gradient: ref }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('travel' as const), seconds: fc.oneof(fc.integer({ min: 1, max: HOUR }), fc.integer({ min: HOUR, max: 3 * 24 * HOUR })) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('close' as const), actor, model: ref }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('claim' as const), actor, gradient: ref }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), actor, token: fc.boolean() }) },
);

// ------------------------------------------------------------------ reference model

interface RefModel {
  id: bigint;
  lender: number;
  evaluator: number;
  token: string;
  rule: number;
  stake: bigint;
  deadline: bigint;
  window: bigint;
  initial: bigint;
  target: bigint;
  best: bigint;
  status: number; // 1 Open, 2 TargetReached, 3 Closed
  pending: number;
  accepted: number;
  expired: number;
  total: bigint;
  paid: bigint;
  share: bigint;
  commitments: Set<string>;
}

interface RefGradient {
  id: bigint;
  model: RefModel;
  contributor: number;
  evalDeadline: bigint;
  status: number; // 1 Pending, 2 Accepted, 3 Rejected, 4 Expired
  claimed: boolean;
}

/** What the events say, and nothing else: the indexer's view of the contract. */
class EventLedger {
  deposits = new Map<bigint, bigint>();
  rewards = new Map<bigint, bigint>();
  refunds = new Map<bigint, bigint>();
  modelToken = new Map<bigint, string>();
  modelEvaluator = new Map<bigint, string>();
  modelLeft = new Map<bigint, bigint>();
  rewardedGradients = new Set<bigint>();
  credits = new Map<string, bigint>(); // `${account}|${token}`
  stakesHeld = 0n;
  gradientModel = new Map<bigint, bigint>();

  private add(map: Map<bigint, bigint>, k: bigint, v: bigint) {
    map.set(k, (map.get(k) ?? 0n) + v);
  }
  private credit(account: string, token: string, v: bigint) {
    const k = `${account.toLowerCase()}|${token.toLowerCase()}`;
    this.credits.set(k, (this.credits.get(k) ?? 0n) + v);
    assert.ok(this.credits.get(k)! >= 0n, `negative credit for ${k}`);
  }

  apply(events: LogDescription[], sender: string): void {
    for (const e of events) {
      const a = e.args;
      switch (e.name) {
        case 'ModelCreated':
          this.deposits.set(a.modelId, a.bounty);
          this.modelToken.set(a.modelId, a.token);
          this.modelEvaluator.set(a.modelId, a.evaluator);
          this.modelLeft.set(a.modelId, a.bounty);
          break;
        case 'BountyAdded':
          this.add(this.deposits, a.modelId, a.amount);
          this.add(this.modelLeft, a.modelId, a.amount);
          assert.equal(a.totalBounty, this.deposits.get(a.modelId), 'BountyAdded.totalBounty');
          break;
        case 'GradientSubmitted':
          this.stakesHeld += a.stake;
          this.gradientModel.set(a.gradientId, a.modelId);
          break;
        case 'GradientEvaluated':
          assert.equal(sender.toLowerCase(), this.modelEvaluator.get(a.modelId)!.toLowerCase(), 'only the evaluator evaluates');
          break;
        case 'RewardEarned': {
          assert.ok(!this.rewardedGradients.has(a.gradientId), `gradient ${a.gradientId} rewarded twice`);
          this.rewardedGradients.add(a.gradientId);
          assert.equal(this.gradientModel.get(a.gradientId), a.modelId, 'RewardEarned model');
          assert.equal(a.token, this.modelToken.get(a.modelId), 'RewardEarned token');
          this.add(this.rewards, a.modelId, a.amount);
          this.add(this.modelLeft, a.modelId, -(a.amount as bigint));
          this.credit(a.contributor, a.token as string, a.amount);
          break;
        }
        case 'StakeReleased':
          this.stakesHeld -= a.amount;
          this.credit(a.to, ETH, a.amount);
          break;
        case 'ModelClosed':
          assert.equal(this.rewards.get(a.modelId) ?? 0n, a.paid, 'ModelClosed.paid = rewards so far');
          assert.equal(this.modelLeft.get(a.modelId), a.shared + a.refund, 'leftover = shared + refund');
          assert.equal(a.shared, a.sharePerGradient * a.shareCount, 'shared = share x count');
          break;
        case 'Refunded':
          this.add(this.refunds, a.modelId, a.amount);
          this.add(this.modelLeft, a.modelId, -(a.amount as bigint));
          this.credit(a.lender, a.token, a.amount);
          break;
        case 'Withdrawal':
          this.credit(a.account, a.token, -(a.amount as bigint));
          break;
        case 'GradientExpired':
        case 'TargetReached':
          break;
        default:
          assert.fail(`unexpected event ${e.name}`);
      }
    }
    for (const [id, left] of this.modelLeft) {
      assert.ok(left >= 0n, `model ${id}: paid out beyond its escrow (left ${left})`);
    }
    assert.ok(this.stakesHeld >= 0n, 'stakes held went negative');
  }

  /** credits + escrow left + stakes held, in `token` */
  liabilities(token: string): bigint {
    let sum = 0n;
    for (const [k, v] of this.credits) if (k.endsWith(`|${token.toLowerCase()}`)) sum += v;
    for (const [id, left] of this.modelLeft) if (this.modelToken.get(id)!.toLowerCase() === token.toLowerCase()) sum += left;
    if (token === ETH) sum += this.stakesHeld;
    return sum;
  }
}

// ------------------------------------------------------------------ the run

interface World {
  env: Env;
  signers: Env['signers'];
  repoAddr: string;
  tokenAddr: string;
  /** last block timestamp we set; every step runs at clock + 1 */
  clock: bigint;
  models: RefModel[];
  gradients: RefGradient[];
  credits: Map<string, bigint>;
  ledger: EventLedger;
}

type Outcome = { error: string } | { ok: true };

function creditKey(account: number, token: string) {
  return `${account}|${token}`;
}

function predict(w: World, a: Action, now: bigint): Outcome {
  const err = (error: string): Outcome => ({ error });
  const pickModel = (i: number) => w.models[i % Math.max(1, w.models.length)];
  const pickGradient = (_i: number) => gradientFor(w, a);
  switch (a.kind) {
    case 'create': {
      const target = a.initial + a.target;
      if (target <= a.initial || target > MAX_SCORE) return err('InvalidScores');
      if (now + BigInt(a.deadline) <= now) return err('DeadlineInPast');
      if (a.window === 0) return err('ZeroEvaluationWindow');
      if (a.window > MAX_EVALUATION_WINDOW) return err('EvaluationWindowTooLong');
      if (a.bounty === 0n) return err('ZeroBounty');
      return { ok: true };
    }
    case 'topUp': {
      const m = pickModel(a.model);
      if (!m) return err('UnknownModel');
      if (m.status === 3) return err('ModelNotOpen');
      if (a.amount === 0n) return err('ZeroBounty');
      return { ok: true };
    }
    case 'submit': {
      const m = pickModel(a.model);
      if (!m) return err('UnknownModel');
      if (m.status !== 1) return err('ModelNotOpen');
      if (now >= m.deadline) return err('SubmissionsClosed');
      if (m.commitments.has(commitmentOf(a.commitment))) return err('CommitmentAlreadyUsed');
      if (a.wrongStake) return err('EthValueMismatch');
      return { ok: true };
    }
    case 'evaluate': {
      const g = pickGradient(a.gradient);
      if (!g) return err('UnknownGradient');
      if (evaluatorCaller(g.model, a) !== g.model.evaluator) return err('NotEvaluator');
      if (g.status !== 1) return err('GradientNotPending');
      if (now > g.evalDeadline) return err('EvaluationWindowOver');
      return { ok: true };
    }
    case 'expire': {
      const g = pickGradient(a.gradient);
      if (!g) return err('UnknownGradient');
      if (g.status !== 1) return err('GradientNotPending');
      if (now <= g.evalDeadline) return err('EvaluationWindowOpen');
      return { ok: true };
    }
    case 'close': {
      const m = pickModel(a.model);
      if (!m) return err('UnknownModel');
      if (m.status === 3) return err('AlreadyClosed');
      if (m.pending > 0 || (m.status === 1 && now < m.deadline + m.window)) return err('NotClosable');
      return { ok: true };
    }
    case 'claim': {
      const g = pickGradient(a.gradient);
      if (!g) return err('UnknownGradient');
      if (g.model.status !== 3) return err('ModelNotClosed');
      if (!(g.status === 4 || (g.status === 2 && g.model.rule === 1))) return err('NothingToClaim');
      if (g.claimed) return err('AlreadyClaimed');
      return { ok: true };
    }
    case 'withdraw':
      if ((w.credits.get(creditKey(a.actor, a.token ? w.tokenAddr : ETH)) ?? 0n) === 0n) return err('NothingToWithdraw');
      return { ok: true };
    case 'travel':
      return { ok: true };
  }
}

/** The gradient an action targets; claims aim at closed models' gradients when there are any,
 * or random sequences would hardly ever reach a successful claim. */
function gradientFor(w: World, a: Action): RefGradient | undefined {
  if (!('gradient' in a) || w.gradients.length === 0) return undefined;
  if (a.kind === 'claim') {
    const closed = w.gradients.filter((g) => g.model.status === 3);
    if (closed.length) return closed[a.gradient % closed.length];
  }
  return w.gradients[a.gradient % w.gradients.length];
}

function commitmentOf(n: number): string {
  return `0x${(n + 1).toString(16).padStart(64, 'c')}`;
}

function evaluatorCaller(m: RefModel, a: { actor: number; asEvaluator: boolean }): number {
  if (a.asEvaluator) return m.evaluator;
  return a.actor === m.evaluator ? (a.actor + 1) % ACTORS : a.actor;
}

/** Applies a successful action to the reference model (mirrors the contract's rules). */
function applyRef(w: World, a: Action, now: bigint): void {
  const addCredit = (account: number, token: string, v: bigint) => {
    const k = creditKey(account, token);
    w.credits.set(k, (w.credits.get(k) ?? 0n) + v);
  };
  const pickModel = (i: number) => w.models[i % w.models.length]!;
  const pickGradient = (_i: number) => gradientFor(w, a)!;
  switch (a.kind) {
    case 'create':
      w.models.push({
        id: BigInt(w.models.length + 1),
        lender: a.actor,
        evaluator: a.evaluator,
        token: a.token ? w.tokenAddr : ETH,
        rule: a.rule,
        stake: a.stake,
        deadline: now + BigInt(a.deadline),
        window: BigInt(a.window),
        initial: BigInt(a.initial),
        target: BigInt(a.initial + a.target),
        best: BigInt(a.initial),
        status: 1,
        pending: 0,
        accepted: 0,
        expired: 0,
        total: a.bounty,
        paid: 0n,
        share: 0n,
        commitments: new Set(),
      });
      return;
    case 'topUp':
      pickModel(a.model).total += a.amount;
      return;
    case 'submit': {
      const m = pickModel(a.model);
      m.commitments.add(commitmentOf(a.commitment));
      m.pending++;
      w.gradients.push({ id: BigInt(w.gradients.length + 1), model: m, contributor: a.actor, evalDeadline: now + m.window, status: 1, claimed: false });
      return;
    }
    case 'evaluate': {
      const g = pickGradient(a.gradient);
      const m = g.model;
      const s = BigInt(a.score);
      m.pending--;
      if (a.accepted) {
        g.status = 2;
        m.accepted++;
        if (s > m.best) {
          if (m.rule === 0) {
            const from = m.best < m.target ? m.best : m.target;
            const to = s < m.target ? s : m.target;
            if (to > from) {
              let reward = (m.total * (to - from)) / (m.target - m.initial);
              if (reward > m.total - m.paid) reward = m.total - m.paid;
              m.paid += reward;
              addCredit(g.contributor, m.token, reward);
            }
          }
          m.best = s;
        }
        if (m.best >= m.target && m.status === 1) m.status = 2;
        addCredit(g.contributor, ETH, m.stake);
      } else {
        g.status = 3;
        addCredit(m.lender, ETH, m.stake);
      }
      return;
    }
    case 'expire': {
      const g = pickGradient(a.gradient);
      g.status = 4;
      g.model.pending--;
      g.model.expired++;
      addCredit(g.contributor, ETH, g.model.stake);
      return;
    }
    case 'close': {
      const m = pickModel(a.model);
      const left = m.total - m.paid;
      const count = BigInt(m.expired + (m.rule === 1 ? m.accepted : 0));
      m.share = count === 0n ? 0n : left / count;
      addCredit(m.lender, m.token, left - m.share * count);
      m.status = 3;
      return;
    }
    case 'claim': {
      const g = pickGradient(a.gradient);
      g.claimed = true;
      addCredit(g.contributor, g.model.token, g.model.share);
      return;
    }
    case 'withdraw':
      w.credits.set(creditKey(a.actor, a.token ? w.tokenAddr : ETH), 0n);
      return;
    case 'travel':
      return;
  }
}

/** Sends the action; returns the decoded events and the sender, or the custom error's name. */
async function send(w: World, a: Action): Promise<{ events: LogDescription[]; sender: string } | { error: string }> {
  const repo: AnyContract = w.env.repo;
  const pickModelId = (i: number) => (w.models.length ? w.models[i % w.models.length]!.id : 1n);
  const pickGradient = (_i: number) => gradientFor(w, a);
  let signer = w.signers[a.kind === 'travel' ? 0 : a.actor]!;
  let call: () => Promise<{ wait(): Promise<{ logs: never[] } | null> }>;
  switch (a.kind) {
    case 'create': {
      const params = {
        token: a.token ? w.tokenAddr : ETH,
        bounty: a.token ? a.bounty : 0n,
        weightsCid: CID.weights,
        metadataCid: CID.metadata,
        initialScore: a.initial,
        targetScore: a.initial + a.target,
        rule: a.rule,
        submissionDeadline: w.clock + BigInt(a.deadline),
        evaluationWindow: a.window,
        evaluator: a.evaluator === a.actor ? ETH : w.signers[a.evaluator]!.address,
        submissionStake: a.stake,
      };
      call = () => repo.connect(signer).createModel(params, { ...GAS, value: a.token ? 0n : a.bounty });
      break;
    }
    case 'topUp': {
      const m = w.models.length ? w.models[a.model % w.models.length] : undefined;
      const isToken = m !== undefined && m.token !== ETH;
      call = () => repo.connect(signer).addBounty(pickModelId(a.model), a.amount, { ...GAS, value: isToken ? 0n : a.amount });
      break;
    }
    case 'submit': {
      const m = w.models.length ? w.models[a.model % w.models.length] : undefined;
      const stake = (m?.stake ?? 0n) + (a.wrongStake ? 1n : 0n);
      call = () => repo.connect(signer).submitGradient(pickModelId(a.model), CID.gradient, commitmentOf(a.commitment), { ...GAS, value: stake });
      break;
    }
    case 'evaluate': {
      const g = pickGradient(a.gradient);
      if (g) signer = w.signers[evaluatorCaller(g.model, a)]!;
      call = () => repo.connect(signer).evaluateGradient(g?.id ?? 1n, a.score, a.accepted, a.accepted ? CID.newWeights : '', GAS);
      break;
    }
    case 'expire':
      call = () => repo.connect(signer).expireGradient(pickGradient(a.gradient)?.id ?? 1n, GAS);
      break;
    case 'close':
      call = () => repo.connect(signer).closeModel(pickModelId(a.model), GAS);
      break;
    case 'claim':
      call = () => repo.connect(signer).claimShare(pickGradient(a.gradient)?.id ?? 1n, GAS);
      break;
    case 'withdraw':
      call = () => repo.connect(signer).withdraw(a.token ? w.tokenAddr : ETH, signer.address, GAS);
      break;
    case 'travel':
      return { events: [], sender: signer.address };
  }
  try {
    const receipt = await (await call()).wait();
    const events = receipt!.logs.map((l) => repo.interface.parseLog(l)).filter((e: LogDescription | null) => e !== null);
    return { events, sender: signer.address };
  } catch (err) {
    const data = (err as { data?: string }).data;
    const parsed = typeof data === 'string' ? repo.interface.parseError(data) : null;
    if (!parsed) throw err;
    return { error: parsed.name };
  }
}

async function checkBalances(w: World): Promise<void> {
  const eth = await w.env.ethers.provider.getBalance(w.repoAddr);
  assert.equal(eth, w.ledger.liabilities(ETH), 'ETH balance = credits + escrow + stakes');
  const tok = await w.env.token.balanceOf(w.repoAddr);
  assert.equal(tok, w.ledger.liabilities(w.tokenAddr), 'token balance = credits + escrow');
}

async function checkFinal(w: World): Promise<void> {
  for (let i = 0; i < ACTORS; i++) {
    for (const token of [ETH, w.tokenAddr]) {
      const onChain = await w.env.repo.credit(w.signers[i]!.address, token);
      assert.equal(onChain, w.ledger.credits.get(`${w.signers[i]!.address.toLowerCase()}|${token.toLowerCase()}`) ?? 0n, `credit from events, account ${i}`);
      assert.equal(onChain, w.credits.get(creditKey(i, token)) ?? 0n, `credit from reference model, account ${i}`);
    }
  }
  for (const m of w.models) {
    const s = await w.env.repo.getModel(m.id);
    assert.ok(s.paid <= s.totalBounty, `model ${m.id}: paid ${s.paid} > bounty ${s.totalBounty}`);
    assert.equal(s.paid, m.paid, `model ${m.id} paid`);
    assert.equal(s.totalBounty, m.total, `model ${m.id} bounty`);
    assert.equal(Number(s.status), m.status, `model ${m.id} status`);
    assert.equal(s.bestScore, m.best, `model ${m.id} best score`);
    const left = w.ledger.modelLeft.get(m.id)!;
    if (m.status !== 3) assert.equal(left, s.totalBounty - s.paid, `model ${m.id}: escrow left`);
    else {
      const unclaimed = w.gradients.filter((g) => g.model === m && !g.claimed && (g.status === 4 || (g.status === 2 && m.rule === 1))).length;
      assert.equal(left, s.sharePerGradient * BigInt(unclaimed), `model ${m.id}: unclaimed shares`);
    }
  }
}

describe('invariants over random call sequences', () => {
  let env: Env;
  let base: { restore(): Promise<void> };
  let startClock: bigint;
  const stats = { sequences: 0, steps: 0, ok: 0, reverted: 0, byKind: new Map<string, number>() };

  before(async () => {
    env = await connect();
    const repoAddr = await env.repo.getAddress();
    for (const s of env.signers.slice(0, ACTORS)) {
      await env.token.mint(s.address, 10n ** 30n);
      await (env.token as AnyContract).connect(s).approve(repoAddr, 2n ** 255n);
    }
    startClock = BigInt(await env.helpers.time.latest());
    base = await env.helpers.takeSnapshot();
  });
  after(async () => {
    await env.conn.close();
  });

  it(`hold for ${RUNS} sequences`, { timeout: 30 * 60_000 }, async () => {
    const w0 = { env, signers: env.signers, repoAddr: await env.repo.getAddress(), tokenAddr: await env.token.getAddress() };
    await fc.assert(
      fc.asyncProperty(fc.array(createArb(true), { minLength: 1, maxLength: 3 }), fc.array(actionArb, { minLength: 5, maxLength: 40, size: 'max' }), async (creates, rest) => {
        const actions = [...creates, ...rest];
        await base.restore();
        stats.sequences++;
        const w: World = { ...w0, clock: startClock + 10n, models: [], gradients: [], credits: new Map(), ledger: new EventLedger() };
        for (const a of actions) {
          if (a.kind === 'travel') {
            w.clock += BigInt(a.seconds);
            continue;
          }
          w.clock += 1n;
          await env.helpers.time.setNextBlockTimestamp(w.clock);
          const expected = predict(w, a, w.clock);
          const result = await send(w, a);
          stats.steps++;
          stats.byKind.set(`${a.kind}:${'error' in result ? result.error : 'ok'}`, (stats.byKind.get(`${a.kind}:${'error' in result ? result.error : 'ok'}`) ?? 0) + 1);
          if ('error' in result) {
            stats.reverted++;
            assert.deepEqual(result, expected, `${JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
            continue;
          }
          stats.ok++;
          assert.ok('ok' in expected, `expected ${'error' in expected ? expected.error : ''} for ${a.kind}, but the call succeeded`);
          applyRef(w, a, w.clock);
          w.ledger.apply(result.events, result.sender);
          await checkBalances(w);
        }
        await checkFinal(w);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: false },
    );
    const kinds = [...stats.byKind.entries()].sort().map(([k, n]) => `${k}=${n}`).join(' ');
    process.stdout.write(`    ${stats.sequences} sequences, ${stats.steps} calls (${stats.ok} ok, ${stats.reverted} reverted as predicted)\n    ${kinds}\n`);
    // the generator must actually reach the interesting paths, or the properties prove little
    for (const k of ['create:ok', 'submit:ok', 'evaluate:ok', 'expire:ok', 'close:ok', 'claim:ok', 'withdraw:ok', 'topUp:ok', 'evaluate:NotEvaluator', 'submit:CommitmentAlreadyUsed']) {
      if (RUNS >= 200) assert.ok((stats.byKind.get(k) ?? 0) > 0, `no sequence reached ${k}`);
    }
  });
});
