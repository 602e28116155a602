// Property-based invariants over random sequences of every state-changing call, across several
// models, in ETH and three ERC-20s (a plain one, one that calls back into the repository on every
// transfer, and a rebasing one), with random actors, copied seals and CIDs, and time travel.
//
// Each step is sent to the contract and, independently, predicted by a small reference model
// (which call must revert, and with which error). The invariants themselves are checked against
// the chain and against a ledger rebuilt from the emitted events alone:
//   - escrow conservation per model and per token: deposits = rewards + refunds + escrow left,
//     and the contract's balance = credits + escrow + stakes held, exactly, for ETH and every
//     token but the rebasing one, whose balance is shared pro rata (then `owed` = credits + escrow);
//   - no payout beyond escrow; no gradient rewarded twice; only the evaluator evaluates;
//   - only the committer of a seal is ever credited for it (rewards, shares, refunded stakes); a
//     copied seal is never revealed; a copied CID always has a later id than its original and
//     never earns a reward (the evaluator rejects duplicates, first committed wins);
//   - third-party top-ups go back to their funder, at least its pro-rata part of the refund;
//   - a token hook re-entering closeModel during any transfer is always stopped;
//   - credits rebuilt from events equal the contract's `credit` for every account and token;
//   - drain: after every deadline, every gradient can be expired, every model closed, every
//     share and refund claimed and every credit withdrawn, leaving a zero balance of every token.
// INVARIANT_RUNS (default 1000) sets the number of sequences; INVARIANT_SEED replays one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LogDescription } from 'ethers';
import { MAX_EVALUATION_WINDOW, MAX_SUBMISSION_PERIOD, MIN_SUBMISSION_STAKE, REVEAL_WINDOW, SCORE_SCALE, sealOf } from '../src/index.ts';
import { CID, ETH, HOUR, connect, type AnyContract, type Env } from './helpers/chain.ts';

const RUNS = Number(process.env.INVARIANT_RUNS ?? 1000);
const SEED = process.env.INVARIANT_SEED === undefined ? undefined : Number(process.env.INVARIANT_SEED);
const SCALE = Number(SCORE_SCALE);
const ACTORS = 5;
const GAS = { gasLimit: 1_000_000 };
/** 0 ETH, 1 plain ERC-20, 2 ERC-777-style hook token, 3 rebasing token */
const TOKENS = 4;
const REBASING = 3;
const Status = { Committed: 1, Pending: 2, Accepted: 3, Rejected: 4, Declined: 5, Expired: 6, Lapsed: 7 } as const;

// ------------------------------------------------------------------ actions

type Action =
  | { kind: 'create'; actor: number; token: number; rule: number; bounty: bigint; stake: bigint; evaluator: number; initial: number; target: number; deadline: number; window: number }
  | { kind: 'topUp'; actor: number; model: number; amount: bigint }
  | { kind: 'commit'; actor: number; model: number; source: 'own' | 'copyCid' | 'copySeal'; of: number; wrongStake: boolean }
  | { kind: 'reveal'; actor: number; gradient: number; byOther: boolean; tamper: boolean }
  | { kind: 'evaluate'; actor: number; gradient: number; score: number; verdict: number; asEvaluator: boolean; wrongSeal: boolean }
  | { kind: 'expire'; actor: number; gradient: number }
  | { kind: 'travel'; seconds: number }
  | { kind: 'close'; actor: number; model: number }
  | { kind: 'claim'; actor: number; gradient: number }
  | { kind: 'claimRefund'; actor: number; model: number }
  | { kind: 'withdraw'; actor: number; token: number }
  | { kind: 'rebase'; bps: number }
  | { kind: 'arm'; actor: number; model: number };

const actor = fc.integer({ min: 0, max: ACTORS - 1 });
const ref = fc.nat({ max: 7 });
const token = fc.integer({ min: 0, max: TOKENS - 1 });
/** mostly the usual values, sometimes the invalid edge */
const rarely = <T, U>(usual: fc.Arbitrary<T>, edge: fc.Arbitrary<U>) => fc.oneof({ weight: 15, arbitrary: usual }, { weight: 1, arbitrary: edge });
const seldom = fc.oneof({ weight: 1, arbitrary: fc.constant(true) }, { weight: 9, arbitrary: fc.constant(false) });
const positiveAmount = fc.oneof(fc.bigInt({ min: 1n, max: 1000n }), fc.bigInt({ min: 1n, max: 10n ** 18n }));
const amount = rarely(positiveAmount, fc.constant(0n));
const score = fc.oneof(fc.integer({ min: 0, max: SCALE }), fc.integer({ min: 550_000, max: 850_000 }));

function createArb(valid: boolean): fc.Arbitrary<Action> {
  const pick = <T, U>(usual: fc.Arbitrary<T>, edge: fc.Arbitrary<U>): fc.Arbitrary<T | U> => (valid ? usual : rarely(usual, edge));
  return fc.record({
    kind: fc.constant('create' as const),
    actor,
    token,
    rule: fc.integer({ min: 0, max: 1 }),
    bounty: pick(positiveAmount, fc.constant(0n)),
    stake: pick(fc.constantFrom(MIN_SUBMISSION_STAKE, 10n ** 15n), fc.constantFrom(0n, MIN_SUBMISSION_STAKE - 1n)),
    evaluator: actor,
    initial: fc.constantFrom(0, 500_000, 600_000),
    // offset of the target from the initial score: 0 is invalid, 400_000 reaches 1.0 from 600_000
    target: pick(fc.integer({ min: 1, max: 300_000 }), fc.constantFrom(0, 400_000, 500_001)),
    deadline: pick(fc.oneof(fc.integer({ min: 1, max: 6 * HOUR }), fc.integer({ min: 1, max: 48 * HOUR })), fc.oneof(fc.integer({ min: -HOUR, max: 0 }), fc.constant(MAX_SUBMISSION_PERIOD + 1))),
    window: pick(fc.oneof(fc.integer({ min: 1, max: 2 * HOUR }), fc.integer({ min: 1, max: 24 * HOUR })), fc.constantFrom(0, MAX_EVALUATION_WINDOW + 1)),
  });
}

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 1, arbitrary: createArb(false) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('topUp' as const), actor, model: ref, amount }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('commit' as const),
      actor,
      model: ref,
      source: fc.oneof({ weight: 6, arbitrary: fc.constant('own' as const) }, { weight: 2, arbitrary: fc.constant('copyCid' as const) }, { weight: 1, arbitrary: fc.constant('copySeal' as const) }),
      of: ref,
      wrongStake: seldom,
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('reveal' as const), actor, gradient: ref, byOther: seldom, tamper: seldom }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('evaluate' as const), actor, gradient: ref, score, verdict: fc.integer({ min: 0, max: 2 }), asEvaluator: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), wrongSeal: seldom }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('expire' as const), actor, gradient: ref }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('travel' as const), seconds: fc.oneof(fc.integer({ min: 1, max: HOUR }), fc.integer({ min: HOUR, max: 3 * 24 * HOUR })) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('close' as const), actor, model: ref }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('claim' as const), actor, gradient: ref }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('claimRefund' as const), actor, model: ref }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), actor, token }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rebase' as const), bps: fc.integer({ min: 0, max: 20_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('arm' as const), actor, model: ref }) },
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
  funded: Map<number, bigint>; // third parties' top-ups not yet refunded
  thirdParty: bigint;
  refundPool: bigint;
}

interface Content {
  cid: string;
  commitment: string;
  salt: string;
}

interface RefGradient {
  id: bigint;
  model: RefModel;
  contributor: number;
  seal: string;
  /** what the committer can reveal; for a copied seal, the victim's content (never revealable) */
  content: Content;
  copiedSeal: boolean;
  deadline: bigint;
  status: number;
  claimed: boolean;
}

const lower = (s: string) => s.toLowerCase();

/** What the events say, and nothing else: the indexer's view of the contract. */
class EventLedger {
  deposits = new Map<bigint, bigint>();
  rewards = new Map<bigint, bigint>();
  refunds = new Map<bigint, bigint>();
  modelToken = new Map<bigint, string>();
  modelLender = new Map<bigint, string>();
  modelEvaluator = new Map<bigint, string>();
  modelLeft = new Map<bigint, bigint>();
  modelTotal = new Map<bigint, bigint>();
  closedRefund = new Map<bigint, bigint>();
  /** `${model}|${funder}` -> third-party top-ups */
  funded = new Map<string, bigint>();
  refunded = new Set<string>();
  rewardedGradients = new Set<bigint>();
  credits = new Map<string, bigint>(); // `${account}|${token}`
  stakesHeld = 0n;
  gradientModel = new Map<bigint, bigint>();
  committer = new Map<bigint, string>();
  /** `${model}|${cid}` -> the first gradient that revealed it */
  cidOwner = new Map<string, bigint>();
  copies = new Set<bigint>();

  private add(map: Map<bigint, bigint>, k: bigint, v: bigint) {
    map.set(k, (map.get(k) ?? 0n) + v);
  }
  private credit(account: string, token: string, v: bigint) {
    const k = `${lower(account)}|${lower(token)}`;
    this.credits.set(k, (this.credits.get(k) ?? 0n) + v);
    assert.ok(this.credits.get(k)! >= 0n, `negative credit for ${k}`);
  }
  private ownedBy(gradientId: bigint, account: string, what: string) {
    assert.equal(lower(account), lower(this.committer.get(gradientId)!), `${what} of gradient ${gradientId} went to another account than its committer`);
  }

  apply(events: LogDescription[], sender: string): void {
    for (const e of events) {
      const a = e.args;
      switch (e.name) {
        case 'ModelCreated':
          this.deposits.set(a.modelId, a.bounty);
          this.modelToken.set(a.modelId, a.token);
          this.modelLender.set(a.modelId, a.lender);
          this.modelEvaluator.set(a.modelId, a.evaluator);
          this.modelLeft.set(a.modelId, a.bounty);
          break;
        case 'BountyAdded':
          this.add(this.deposits, a.modelId, a.amount);
          this.add(this.modelLeft, a.modelId, a.amount);
          assert.equal(a.totalBounty, this.deposits.get(a.modelId), 'BountyAdded.totalBounty');
          if (lower(a.funder) !== lower(this.modelLender.get(a.modelId)!)) {
            const k = `${a.modelId}|${lower(a.funder)}`;
            this.funded.set(k, (this.funded.get(k) ?? 0n) + (a.amount as bigint));
          }
          break;
        case 'GradientCommitted':
          assert.equal(lower(a.contributor), lower(sender), 'GradientCommitted.contributor is the sender');
          this.stakesHeld += a.stake;
          this.gradientModel.set(a.gradientId, a.modelId);
          this.committer.set(a.gradientId, a.contributor);
          break;
        case 'GradientRevealed': {
          this.ownedBy(a.gradientId, a.contributor, 'the reveal');
          assert.equal(lower(sender), lower(a.contributor), 'only the committer reveals');
          const k = `${a.modelId}|${a.gradientCid}`;
          const first = this.cidOwner.get(k);
          if (first === undefined) this.cidOwner.set(k, a.gradientId);
          else {
            assert.ok(first < a.gradientId, `a copy of gradient ${first}'s CID got the earlier id ${a.gradientId}`);
            this.copies.add(a.gradientId);
          }
          break;
        }
        case 'GradientEvaluated':
          assert.equal(lower(sender), lower(this.modelEvaluator.get(a.modelId)!), 'only the evaluator evaluates');
          this.ownedBy(a.gradientId, a.contributor, 'the verdict');
          if (this.copies.has(a.gradientId)) assert.notEqual(a.verdict, 0n, `copy ${a.gradientId} accepted`);
          break;
        case 'RewardEarned': {
          assert.ok(!this.rewardedGradients.has(a.gradientId), `gradient ${a.gradientId} rewarded twice`);
          this.rewardedGradients.add(a.gradientId);
          this.ownedBy(a.gradientId, a.contributor, 'a reward');
          if (a.kind !== 2n) assert.ok(!this.copies.has(a.gradientId), `copied CID ${a.gradientId} earned a reward`);
          assert.equal(this.gradientModel.get(a.gradientId), a.modelId, 'RewardEarned model');
          assert.equal(a.token, this.modelToken.get(a.modelId), 'RewardEarned token');
          this.add(this.rewards, a.modelId, a.amount);
          this.add(this.modelLeft, a.modelId, -(a.amount as bigint));
          this.credit(a.contributor, a.token as string, a.amount);
          break;
        }
        case 'StakeReleased':
          if (a.refunded) this.ownedBy(a.gradientId, a.to, 'a refunded stake');
          else assert.equal(lower(a.to), lower(this.modelLender.get(a.modelId)!), 'a forfeited stake goes to the lender');
          this.stakesHeld -= a.amount;
          this.credit(a.to, ETH, a.amount);
          break;
        case 'ModelClosed':
          assert.equal(this.rewards.get(a.modelId) ?? 0n, a.paid, 'ModelClosed.paid = rewards so far');
          assert.equal(this.modelLeft.get(a.modelId), a.shared + a.refund, 'leftover = shared + refund');
          assert.equal(a.shared, a.sharePerGradient * a.shareCount, 'shared = share x count');
          this.closedRefund.set(a.modelId, a.refund);
          this.modelTotal.set(a.modelId, this.deposits.get(a.modelId)!);
          break;
        case 'Refunded': {
          const lender = lower(this.modelLender.get(a.modelId)!);
          if (lower(a.funder) !== lender) {
            const k = `${a.modelId}|${lower(a.funder)}`;
            const put = this.funded.get(k) ?? 0n;
            assert.ok(put > 0n && !this.refunded.has(k), `refund to ${a.funder}, who has no top-up to get back`);
            this.refunded.add(k);
            // at least its pro-rata part of the refund, rounded down
            const total = this.modelTotal.get(a.modelId)!;
            assert.ok((a.amount as bigint) >= (this.closedRefund.get(a.modelId)! * put) / total, `funder ${a.funder} got less than its part`);
          }
          this.add(this.refunds, a.modelId, a.amount);
          this.add(this.modelLeft, a.modelId, -(a.amount as bigint));
          this.credit(a.funder, a.token, a.amount);
          break;
        }
        case 'Withdrawal':
          this.credit(a.account, a.token, -(this.creditOf(a.account, a.token) ?? 0n));
          break;
        case 'GradientExpired':
        case 'GradientLapsed':
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

  creditOf(account: string, token: string): bigint | undefined {
    return this.credits.get(`${lower(account)}|${lower(token)}`);
  }

  /** credits + escrow left + stakes held, in `token` (nominal units) */
  liabilities(token: string): bigint {
    let sum = 0n;
    for (const [k, v] of this.credits) if (k.endsWith(`|${lower(token)}`)) sum += v;
    for (const [id, left] of this.modelLeft) if (lower(this.modelToken.get(id)!) === lower(token)) sum += left;
    if (token === ETH) sum += this.stakesHeld;
    return sum;
  }
}

// ------------------------------------------------------------------ the run

interface World {
  env: Env;
  signers: Env['signers'];
  repoAddr: string;
  tokens: AnyContract[];
  tokenAddrs: string[];
  hooks: AnyContract[];
  /** last block timestamp we set; every step runs at clock + 1 */
  clock: bigint;
  models: RefModel[];
  gradients: RefGradient[];
  credits: Map<string, bigint>;
  owed: Map<string, bigint>;
  ledger: EventLedger;
  contents: number;
}

type Outcome = { error: string } | { ok: true };

function creditKey(account: number, token: string) {
  return `${account}|${lower(token)}`;
}

const pickModel = (w: World, i: number) => w.models[i % Math.max(1, w.models.length)];

/** The gradient an action targets; claims aim at closed models' gradients when there are any,
 * reveals at commits, or random sequences would hardly ever reach those paths. */
function gradientFor(w: World, a: Action): RefGradient | undefined {
  if (!('gradient' in a) || w.gradients.length === 0) return undefined;
  const prefer = (keep: (g: RefGradient) => boolean) => {
    const some = w.gradients.filter(keep);
    return some.length ? some[a.gradient % some.length] : undefined;
  };
  if (a.kind === 'claim') return prefer((g) => g.model.status === 3) ?? w.gradients[a.gradient % w.gradients.length];
  if (a.kind === 'reveal') return prefer((g) => g.status === Status.Committed) ?? w.gradients[a.gradient % w.gradients.length];
  if (a.kind === 'evaluate') return prefer((g) => g.status === Status.Pending) ?? w.gradients[a.gradient % w.gradients.length];
  return w.gradients[a.gradient % w.gradients.length];
}

/** For a commit: the gradient whose CID or seal it copies (revealed, resp. any), if any. */
function copiedFrom(w: World, a: Extract<Action, { kind: 'commit' }>): RefGradient | undefined {
  const m = pickModel(w, a.model);
  const candidates = w.gradients.filter((g) => g.model === m && g.contributor !== a.actor && !g.copiedSeal && (a.source === 'copySeal' || g.status >= Status.Pending && g.status !== Status.Lapsed));
  return candidates.length ? candidates[a.of % candidates.length] : undefined;
}

function revealer(g: RefGradient, a: { actor: number; byOther: boolean }): number {
  if (!a.byOther) return g.contributor;
  return a.actor === g.contributor ? (a.actor + 1) % ACTORS : a.actor;
}

function evaluatorCaller(m: RefModel, a: { actor: number; asEvaluator: boolean }): number {
  if (a.asEvaluator) return m.evaluator;
  return a.actor === m.evaluator ? (a.actor + 1) % ACTORS : a.actor;
}

/** The honest evaluator's rule: a CID already revealed under an earlier id of the model is a copy. */
function isCopy(w: World, g: RefGradient): boolean {
  return w.gradients.some((o) => o.model === g.model && o.id < g.id && o.content.cid === g.content.cid && o.status >= Status.Pending && o.status !== Status.Lapsed);
}

function verdictFor(w: World, g: RefGradient, a: { verdict: number }): number {
  return isCopy(w, g) ? 1 : a.verdict;
}

function predict(w: World, a: Action, now: bigint): Outcome {
  const err = (error: string): Outcome => ({ error });
  switch (a.kind) {
    case 'create': {
      const target = a.initial + a.target;
      if (target <= a.initial || target >= SCALE) return err('InvalidScores');
      if (now + BigInt(a.deadline) <= now) return err('DeadlineInPast');
      if (a.deadline > MAX_SUBMISSION_PERIOD) return err('DeadlineTooFar');
      if (a.window === 0) return err('ZeroEvaluationWindow');
      if (a.window > MAX_EVALUATION_WINDOW) return err('EvaluationWindowTooLong');
      if (a.stake < MIN_SUBMISSION_STAKE) return err('StakeTooLow');
      if (a.bounty === 0n) return err('ZeroBounty');
      return { ok: true };
    }
    case 'topUp': {
      const m = pickModel(w, a.model);
      if (!m) return err('UnknownModel');
      if (m.status === 3) return err('ModelNotOpen');
      if (a.amount === 0n) return err('ZeroBounty');
      return { ok: true };
    }
    case 'commit': {
      const m = pickModel(w, a.model);
      if (!m) return err('UnknownModel');
      if (m.status !== 1) return err('ModelNotOpen');
      if (now >= m.deadline) return err('SubmissionsClosed');
      if (a.wrongStake) return err('EthValueMismatch');
      return { ok: true };
    }
    case 'reveal': {
      const g = gradientFor(w, a);
      if (!g) return err('UnknownGradient');
      if (revealer(g, a) !== g.contributor) return err('NotContributor');
      if (g.status !== Status.Committed) return err('GradientNotCommitted');
      if (now > g.deadline) return err('RevealWindowOver');
      if (a.tamper || g.copiedSeal) return err('SealMismatch');
      return { ok: true };
    }
    case 'evaluate': {
      const g = gradientFor(w, a);
      if (!g) return err('UnknownGradient');
      if (evaluatorCaller(g.model, a) !== g.model.evaluator) return err('NotEvaluator');
      if (g.status !== Status.Pending) return err('GradientNotPending');
      if (now > g.deadline) return err('EvaluationWindowOver');
      if (a.wrongSeal) return err('SealMismatch');
      return { ok: true };
    }
    case 'expire': {
      const g = gradientFor(w, a);
      if (!g) return err('UnknownGradient');
      if (g.status === Status.Committed) return now <= g.deadline ? err('RevealWindowOpen') : { ok: true };
      if (g.status === Status.Pending) return now <= g.deadline ? err('EvaluationWindowOpen') : { ok: true };
      return err('GradientNotPending');
    }
    case 'close': {
      const m = pickModel(w, a.model);
      if (!m) return err('UnknownModel');
      if (m.status === 3) return err('AlreadyClosed');
      if (m.pending > 0 || (m.status === 1 && now < m.deadline + BigInt(REVEAL_WINDOW) + m.window)) return err('NotClosable');
      return { ok: true };
    }
    case 'claim': {
      const g = gradientFor(w, a);
      if (!g) return err('UnknownGradient');
      if (g.model.status !== 3) return err('ModelNotClosed');
      if (!(g.status === Status.Expired || (g.status === Status.Accepted && g.model.rule === 1))) return err('NothingToClaim');
      if (g.claimed) return err('AlreadyClaimed');
      return { ok: true };
    }
    case 'claimRefund': {
      const m = pickModel(w, a.model);
      if (!m) return err('UnknownModel');
      if (m.status !== 3) return err('ModelNotClosed');
      if (!m.funded.get(a.actor)) return err('NothingToRefund');
      return { ok: true };
    }
    case 'withdraw':
      if ((w.credits.get(creditKey(a.actor, w.tokenAddrs[a.token]!)) ?? 0n) === 0n) return err('NothingToWithdraw');
      return { ok: true };
    case 'travel':
    case 'rebase':
    case 'arm':
      return { ok: true };
  }
}

/** Applies a successful action to the reference model (mirrors the contract's rules). */
function applyRef(w: World, a: Action, now: bigint, sent: Sent): void {
  const addCredit = (account: number, token: string, v: bigint) => {
    const k = creditKey(account, token);
    w.credits.set(k, (w.credits.get(k) ?? 0n) + v);
  };
  const addOwed = (token: string, v: bigint) => {
    if (token !== ETH) w.owed.set(lower(token), (w.owed.get(lower(token)) ?? 0n) + v);
  };
  switch (a.kind) {
    case 'create':
      w.models.push({
        id: BigInt(w.models.length + 1),
        lender: a.actor,
        evaluator: a.evaluator,
        token: w.tokenAddrs[a.token]!,
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
        funded: new Map(),
        thirdParty: 0n,
        refundPool: 0n,
      });
      addOwed(w.tokenAddrs[a.token]!, a.bounty);
      return;
    case 'topUp': {
      const m = pickModel(w, a.model)!;
      m.total += a.amount;
      if (a.actor !== m.lender) {
        m.funded.set(a.actor, (m.funded.get(a.actor) ?? 0n) + a.amount);
        m.thirdParty += a.amount;
      }
      addOwed(m.token, a.amount);
      return;
    }
    case 'commit': {
      const m = pickModel(w, a.model)!;
      m.pending++;
      w.gradients.push({ id: BigInt(w.gradients.length + 1), model: m, contributor: a.actor, seal: sent.seal!, content: sent.content!, copiedSeal: a.source === 'copySeal' && sent.copied, deadline: now + BigInt(REVEAL_WINDOW), status: Status.Committed, claimed: false });
      return;
    }
    case 'reveal': {
      const g = gradientFor(w, a)!;
      g.status = Status.Pending;
      g.deadline = now + g.model.window;
      return;
    }
    case 'evaluate': {
      const g = gradientFor(w, a)!;
      const m = g.model;
      const s = BigInt(a.score);
      const verdict = verdictFor(w, g, a);
      m.pending--;
      if (verdict === 0) {
        g.status = Status.Accepted;
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
      } else if (verdict === 2) {
        g.status = Status.Declined;
        addCredit(g.contributor, ETH, m.stake);
      } else {
        g.status = Status.Rejected;
        addCredit(m.lender, ETH, m.stake);
      }
      return;
    }
    case 'expire': {
      const g = gradientFor(w, a)!;
      g.model.pending--;
      if (g.status === Status.Committed) {
        g.status = Status.Lapsed;
        addCredit(g.model.lender, ETH, g.model.stake);
      } else {
        g.status = Status.Expired;
        g.model.expired++;
        addCredit(g.contributor, ETH, g.model.stake);
      }
      return;
    }
    case 'close': {
      const m = pickModel(w, a.model)!;
      const left = m.total - m.paid;
      const count = BigInt(m.expired + (m.rule === 1 ? m.accepted : 0));
      m.share = count === 0n ? 0n : left / count;
      const refund = left - m.share * count;
      m.refundPool = m.thirdParty === 0n ? 0n : (refund * m.thirdParty) / m.total;
      addCredit(m.lender, m.token, refund - m.refundPool);
      m.status = 3;
      return;
    }
    case 'claim': {
      const g = gradientFor(w, a)!;
      g.claimed = true;
      addCredit(g.contributor, g.model.token, g.model.share);
      return;
    }
    case 'claimRefund': {
      const m = pickModel(w, a.model)!;
      const put = m.funded.get(a.actor)!;
      const refund = m.total - m.paid - m.share * BigInt(m.expired + (m.rule === 1 ? m.accepted : 0));
      const amount = put === m.thirdParty ? m.refundPool : (refund * put) / m.total;
      m.refundPool -= amount;
      m.thirdParty -= put;
      m.funded.set(a.actor, 0n);
      addCredit(a.actor, m.token, amount);
      return;
    }
    case 'withdraw': {
      const t = w.tokenAddrs[a.token]!;
      addOwed(t, -(w.credits.get(creditKey(a.actor, t)) ?? 0n));
      w.credits.set(creditKey(a.actor, t), 0n);
      return;
    }
    case 'travel':
    case 'rebase':
    case 'arm':
      return;
  }
}

interface Sent {
  events: LogDescription[];
  sender: string;
  seal?: string;
  content?: Content;
  copied: boolean;
}

/** Sends the action; returns the decoded events and the sender, or the custom error's name. */
async function send(w: World, a: Action): Promise<Sent | { error: string }> {
  const repo: AnyContract = w.env.repo;
  const pickModelId = (i: number) => (w.models.length ? w.models[i % w.models.length]!.id : 1n);
  const pickGradient = () => gradientFor(w, a);
  let signer = w.signers['actor' in a ? a.actor : 0]!;
  let call: () => Promise<{ wait(): Promise<{ logs: never[] } | null> }>;
  const extra: Partial<Sent> = { copied: false };
  switch (a.kind) {
    case 'create': {
      const t = w.tokenAddrs[a.token]!;
      const params = {
        token: t,
        bounty: t === ETH ? 0n : a.bounty,
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
      call = () => repo.connect(signer).createModel(params, { ...GAS, value: t === ETH ? a.bounty : 0n });
      break;
    }
    case 'topUp': {
      const m = pickModel(w, a.model);
      const isToken = m !== undefined && m.token !== ETH;
      call = () => repo.connect(signer).addBounty(pickModelId(a.model), a.amount, { ...GAS, value: isToken ? 0n : a.amount });
      break;
    }
    case 'commit': {
      const m = pickModel(w, a.model);
      const modelId = pickModelId(a.model);
      const stake = (m?.stake ?? 0n) + (a.wrongStake ? 1n : 0n);
      const n = ++w.contents;
      const fresh: Content = { cid: `bafkreigradient${n}of${a.actor}`, commitment: `0x${n.toString(16).padStart(64, 'c')}`, salt: `0x${n.toString(16).padStart(64, '5')}` };
      const victim = m ? copiedFrom(w, a) : undefined;
      let seal: string;
      if (a.source === 'copySeal' && victim) {
        // the copier knows only the seal (and, at best, the victim's content): it commits the seal verbatim
        seal = victim.seal;
        extra.content = victim.content;
        extra.copied = true;
      } else {
        const content = a.source === 'copyCid' && victim ? { ...fresh, cid: victim.content.cid } : fresh;
        seal = sealOf(signer.address, modelId, content.commitment, content.cid, content.salt);
        extra.content = content;
      }
      extra.seal = seal;
      call = () => repo.connect(signer).commitGradient(modelId, seal, { ...GAS, value: stake });
      break;
    }
    case 'reveal': {
      const g = pickGradient();
      if (g) signer = w.signers[revealer(g, a)]!;
      const c = g?.content ?? { cid: CID.gradient, commitment: `0x${'c1'.repeat(32)}`, salt: `0x${'51'.repeat(32)}` };
      const salt = a.tamper ? `0x${'ee'.repeat(32)}` : c.salt;
      call = () => repo.connect(signer).revealGradient(g?.id ?? 1n, c.cid, c.commitment, salt, 0n, GAS);
      break;
    }
    case 'evaluate': {
      const g = pickGradient();
      if (g) signer = w.signers[evaluatorCaller(g.model, a)]!;
      const verdict = g ? verdictFor(w, g, a) : a.verdict;
      const seal = a.wrongSeal || !g ? `0x${'ab'.repeat(32)}` : g.seal;
      call = () => repo.connect(signer).evaluateGradient(g?.id ?? 1n, seal, a.score, verdict, verdict === 0 ? CID.newWeights : '', GAS);
      break;
    }
    case 'expire':
      call = () => repo.connect(signer).expireGradient(pickGradient()?.id ?? 1n, GAS);
      break;
    case 'close':
      call = () => repo.connect(signer).closeModel(pickModelId(a.model), GAS);
      break;
    case 'claim':
      call = () => repo.connect(signer).claimShare(pickGradient()?.id ?? 1n, GAS);
      break;
    case 'claimRefund':
      call = () => repo.connect(signer).claimRefund(pickModelId(a.model), GAS);
      break;
    case 'withdraw':
      call = () => repo.connect(signer).withdraw(w.tokenAddrs[a.token]!, signer.address, GAS);
      break;
    case 'rebase': {
      const rebasing = w.tokens[REBASING]!;
      const held: bigint = await rebasing.balanceOf(w.repoAddr);
      call = () => rebasing.rebase(w.repoAddr, (held * BigInt(a.bps)) / 10_000n, GAS);
      break;
    }
    case 'arm':
      call = () => w.hooks[a.actor]!.arm(w.repoAddr, repo.interface.encodeFunctionData('closeModel', [pickModelId(a.model)]), GAS);
      break;
    case 'travel':
      return { events: [], sender: signer.address, copied: false };
  }
  try {
    const receipt = await (await call()).wait();
    const events = receipt!.logs.map((l) => repo.interface.parseLog(l)).filter((e: LogDescription | null) => e !== null);
    return { ...extra, events, sender: signer.address } as Sent;
  } catch (err) {
    const data = (err as { data?: string }).data;
    const parsed = typeof data === 'string' ? repo.interface.parseError(data) : null;
    if (!parsed) throw err;
    return { error: parsed.name };
  }
}

/** Contract balance vs. liabilities: exact for ETH and every non-rebasing token; for the rebasing
 * token, `owed` is the exact nominal liability and the balance is what is shared pro rata. */
async function checkBalances(w: World): Promise<void> {
  const [eth, ...tokens] = await Promise.all([
    w.env.ethers.provider.getBalance(w.repoAddr),
    ...w.tokenAddrs.slice(1).flatMap((t, i) => [w.env.repo.owed(t), w.tokens[i + 1]!.balanceOf(w.repoAddr)]),
  ]);
  assert.equal(eth, w.ledger.liabilities(ETH), 'ETH balance = credits + escrow + stakes');
  for (let i = 1; i < TOKENS; i++) {
    const t = w.tokenAddrs[i]!;
    const [owed, held] = [tokens[2 * (i - 1)] as bigint, tokens[2 * (i - 1) + 1] as bigint];
    assert.equal(owed, w.ledger.liabilities(t), `token ${i}: owed = credits + escrow`);
    assert.equal(owed, w.owed.get(lower(t)) ?? 0n, `token ${i}: owed (reference model)`);
    if (i !== REBASING) assert.equal(held, owed, `token ${i}: balance = owed`);
  }
}

async function checkFinal(w: World): Promise<void> {
  for (const hook of w.hooks) assert.equal(await hook.everSucceeded(), false, 'a token hook closed a model in the middle of a transfer');
  for (let i = 0; i < ACTORS; i++) {
    for (const token of w.tokenAddrs) {
      const onChain = await w.env.repo.credit(w.signers[i]!.address, token);
      assert.equal(onChain, w.ledger.creditOf(w.signers[i]!.address, token) ?? 0n, `credit from events, account ${i}`);
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
    assert.equal(Number(s.pendingCount), m.pending, `model ${m.id} pending`);
    const left = w.ledger.modelLeft.get(m.id)!;
    if (m.status !== 3) assert.equal(left, s.totalBounty - s.paid, `model ${m.id}: escrow left`);
    else {
      const unclaimed = w.gradients.filter((g) => g.model === m && !g.claimed && (g.status === Status.Expired || (g.status === Status.Accepted && m.rule === 1))).length;
      assert.equal(left, s.sharePerGradient * BigInt(unclaimed) + m.refundPool, `model ${m.id}: unclaimed shares and refunds`);
    }
  }
}

/** After every deadline: expire and lapse what is left, close every model, claim every share and
 * refund, withdraw every credit. Each step goes through the same prediction and checks. */
function drainActions(w: World): Action[] {
  const out: Action[] = [];
  const last = w.models.reduce((t, m) => (m.deadline + BigInt(REVEAL_WINDOW) + m.window > t ? m.deadline + BigInt(REVEAL_WINDOW) + m.window : t), w.clock);
  out.push({ kind: 'travel', seconds: Number(last - w.clock) + REVEAL_WINDOW + MAX_EVALUATION_WINDOW + 2 });
  return out;
}

async function step(w: World, a: Action, stats: Stats): Promise<void> {
  if (a.kind === 'travel') {
    w.clock += BigInt(a.seconds);
    return;
  }
  w.clock += 1n;
  await w.env.helpers.time.setNextBlockTimestamp(w.clock);
  const expected = predict(w, a, w.clock);
  let expectedAmount: bigint | undefined;
  if (a.kind === 'withdraw' && a.token !== 0 && 'ok' in expected) {
    const t = w.tokenAddrs[a.token]!;
    const held: bigint = await w.tokens[a.token]!.balanceOf(w.repoAddr);
    expectedAmount = ((w.credits.get(creditKey(a.actor, t)) ?? 0n) * held) / (w.owed.get(lower(t)) ?? 1n);
  }
  const result = await send(w, a);
  stats.steps++;
  const key = `${a.kind}${a.kind === 'commit' ? `/${a.source}` : ''}:${'error' in result ? result.error : 'ok'}`;
  stats.byKind.set(key, (stats.byKind.get(key) ?? 0) + 1);
  if ('error' in result) {
    stats.reverted++;
    assert.deepEqual(result, expected, `${JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
    return;
  }
  stats.ok++;
  assert.ok('ok' in expected, `expected ${'error' in expected ? expected.error : ''} for ${a.kind}, but the call succeeded`);
  if (expectedAmount !== undefined) {
    const paid = result.events.find((e) => e.name === 'Withdrawal')!.args.amount as bigint;
    assert.equal(paid, expectedAmount, 'token withdrawal = credit x balance / owed');
  }
  applyRef(w, a, w.clock, result);
  w.ledger.apply(result.events, result.sender);
  await checkBalances(w);
}

async function drain(w: World, stats: Stats): Promise<void> {
  for (const a of drainActions(w)) await step(w, a, stats);
  const byId = (id: bigint) => w.gradients.findIndex((g) => g.id === id);
  for (const g of w.gradients) if (g.status === Status.Committed || g.status === Status.Pending) await step(w, { kind: 'expire', actor: 0, gradient: byId(g.id) }, stats);
  for (const [i, m] of w.models.entries()) if (m.status !== 3) await step(w, { kind: 'close', actor: 0, model: i }, stats);
  // claims pick among closed models' gradients, which is now all of them
  for (const [i, g] of w.gradients.entries()) {
    if (!g.claimed && (g.status === Status.Expired || (g.status === Status.Accepted && g.model.rule === 1))) await step(w, { kind: 'claim', actor: 0, gradient: i }, stats);
  }
  for (const [i, m] of w.models.entries()) for (const [funder, put] of m.funded) if (put > 0n) await step(w, { kind: 'claimRefund', actor: funder, model: i }, stats);
  for (let who = 0; who < ACTORS; who++) {
    for (let t = 0; t < TOKENS; t++) if ((w.credits.get(creditKey(who, w.tokenAddrs[t]!)) ?? 0n) > 0n) await step(w, { kind: 'withdraw', actor: who, token: t }, stats);
  }
  assert.equal(await w.env.ethers.provider.getBalance(w.repoAddr), 0n, 'drain: ETH left in the contract');
  for (let t = 1; t < TOKENS; t++) {
    assert.equal(await w.tokens[t]!.balanceOf(w.repoAddr), 0n, `drain: token ${t} left in the contract`);
    assert.equal(await w.env.repo.owed(w.tokenAddrs[t]!), 0n, `drain: token ${t} still owed`);
  }
  for (const [k, put] of w.ledger.funded) assert.ok(put === 0n || w.ledger.refunded.has(k), `drain: third-party top-up ${k} never refunded`);
}

interface Stats {
  sequences: number;
  steps: number;
  ok: number;
  reverted: number;
  byKind: Map<string, number>;
}

describe('invariants over random call sequences', () => {
  let env: Env;
  let base: { restore(): Promise<void> };
  let startClock: bigint;
  let tokens: AnyContract[];
  let hooks: AnyContract[];
  const stats: Stats = { sequences: 0, steps: 0, ok: 0, reverted: 0, byKind: new Map() };

  before(async () => {
    env = await connect();
    const repoAddr = await env.repo.getAddress();
    tokens = [undefined, env.token, await env.ethers.deployContract('HookToken'), await env.ethers.deployContract('RebasingToken')];
    hooks = [];
    for (const s of env.signers.slice(0, ACTORS)) {
      for (const t of tokens.slice(1)) {
        await t.mint(s.address, 10n ** 30n);
        await t.connect(s).approve(repoAddr, 2n ** 255n);
      }
      const hook = await env.ethers.deployContract('TransferHook');
      await tokens[2].connect(s).setHook(await hook.getAddress());
      hooks.push(hook);
    }
    startClock = BigInt(await env.helpers.time.latest());
    base = await env.helpers.takeSnapshot();
  });
  after(async () => {
    await env.conn.close();
  });

  it(`hold for ${RUNS} sequences, each drained to a zero balance`, { timeout: 30 * 60_000 }, async () => {
    const tokenAddrs = [ETH, ...(await Promise.all(tokens.slice(1).map((t) => t.getAddress())))];
    const w0 = { env, signers: env.signers, repoAddr: await env.repo.getAddress(), tokens, tokenAddrs, hooks };
    await fc.assert(
      fc.asyncProperty(fc.array(createArb(true), { minLength: 1, maxLength: 3 }), fc.array(actionArb, { minLength: 5, maxLength: 40, size: 'max' }), async (creates, rest) => {
        await base.restore();
        stats.sequences++;
        const w: World = { ...w0, clock: startClock + 10n, models: [], gradients: [], credits: new Map(), owed: new Map(), ledger: new EventLedger(), contents: 0 };
        for (const a of [...creates, ...rest]) await step(w, a, stats);
        await checkFinal(w);
        await drain(w, stats);
        await checkFinal(w);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: false },
    );
    const kinds = [...stats.byKind.entries()].sort().map(([k, n]) => `${k}=${n}`).join(' ');
    process.stdout.write(`    ${stats.sequences} sequences, ${stats.steps} calls (${stats.ok} ok, ${stats.reverted} reverted as predicted)\n    ${kinds}\n`);
    // the generator must actually reach the interesting paths, or the properties prove little
    const reached = ['create:ok', 'commit/own:ok', 'commit/copyCid:ok', 'commit/copySeal:ok', 'reveal:ok', 'reveal:SealMismatch', 'reveal:NotContributor', 'evaluate:ok', 'evaluate:NotEvaluator', 'evaluate:SealMismatch', 'expire:ok', 'close:ok', 'claim:ok', 'claimRefund:ok', 'withdraw:ok', 'topUp:ok', 'rebase:ok', 'arm:ok', 'create:StakeTooLow', 'create:DeadlineTooFar'];
    for (const k of reached) if (RUNS >= 200) assert.ok((stats.byKind.get(k) ?? 0) > 0, `no sequence reached ${k}`);
  });
});
