// The data owner's safety policy: what it is willing to stake, for whom, and when it stops.
// A model's terms are chosen by whoever opens it, so without these limits an owner daemon pays
// any stake a model asks and keeps paying while an evaluator the lender controls rejects every
// gradient (security review C1). The defaults are meant to be safe to run unattended: a small
// stake per submission, a stake that is a small part of the bounty it competes for, a bounded
// total at risk, and a model dropped after a few rejections or a small net loss.
import { getAddress, isAddress, parseEther, ZeroAddress } from 'ethers';

/** the name of the rule that refused, as logged and documented in `hessian train owner --help` */
export type PolicyRule =
  | 'max-stake'
  | 'max-stake-ratio'
  | 'token-bounty'
  | 'max-at-risk'
  | 'lender-allow'
  | 'lender-deny'
  | 'evaluator-allow'
  | 'evaluator-deny'
  | 'max-rejections'
  | 'max-loss';

export interface OwnerPolicy {
  /** largest stake one submission may carry (wei) */
  maxStake: bigint;
  /** largest stake as a fraction of the model's bounty (ETH bounties); 0.1 = a tenth */
  maxStakeRatio: number;
  /** ERC-20 bounties cannot be compared with an ETH stake: refused unless this is set */
  allowTokenBounties: boolean;
  /** largest sum of stakes of this owner's unresolved submissions across all models (wei) */
  maxAtRisk: bigint;
  /** only models opened by one of these lenders (lower-case addresses); undefined = any */
  lenders?: ReadonlySet<string>;
  denyLenders?: ReadonlySet<string>;
  /** only models scored by one of these evaluators; undefined = any */
  evaluators?: ReadonlySet<string>;
  denyEvaluators?: ReadonlySet<string>;
  /** stop submitting to a model after this many forfeited stakes in a row */
  maxRejections: number;
  /** stop submitting to a model once forfeited stakes minus rewards there could exceed this (wei) */
  maxLoss: bigint;
}

export const DEFAULT_OWNER_POLICY: Readonly<OwnerPolicy> = Object.freeze({
  maxStake: parseEther('0.01'),
  maxStakeRatio: 0.1,
  allowTokenBounties: false,
  maxAtRisk: parseEther('0.05'),
  maxRejections: 3,
  maxLoss: parseEther('0.02'),
});

export interface Refusal {
  rule: PolicyRule;
  reason: string;
}

/** what the policy needs of a model: its terms as the chain states them */
export interface ModelTerms {
  modelId: number;
  lender: string;
  evaluator: string;
  token: string;
  bounty: bigint;
  submissionStake: bigint;
}

/** how one of this owner's past submissions to the model ended (in commit order) */
export interface SubmissionOutcome {
  /** Rejected and Lapsed forfeit the stake; the others return it */
  status: 'Accepted' | 'Rejected' | 'Declined' | 'Expired' | 'Lapsed';
  stake: bigint;
  reward: bigint;
}

const FORFEITED = new Set<SubmissionOutcome['status']>(['Rejected', 'Lapsed']);

/** a policy with every field present: the defaults under whatever was given */
export function ownerPolicy(given: Partial<OwnerPolicy> = {}): OwnerPolicy {
  const p: OwnerPolicy = { ...DEFAULT_OWNER_POLICY };
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v;
  validateOwnerPolicy(p);
  return p;
}

export function validateOwnerPolicy(p: OwnerPolicy): void {
  for (const k of ['maxStake', 'maxAtRisk', 'maxLoss'] as const) {
    if (typeof p[k] !== 'bigint' || p[k] < 0n) throw new Error(`owner policy ${k} must be an amount of wei >= 0, got ${String(p[k])}`);
  }
  if (!Number.isFinite(p.maxStakeRatio) || p.maxStakeRatio < 0) throw new Error(`owner policy maxStakeRatio must be a number >= 0, got ${p.maxStakeRatio}`);
  if (!Number.isInteger(p.maxRejections) || p.maxRejections < 1) throw new Error(`owner policy maxRejections must be an integer >= 1, got ${p.maxRejections}`);
  for (const k of ['lenders', 'denyLenders', 'evaluators', 'denyEvaluators'] as const) {
    for (const a of p[k] ?? []) if (!isAddress(a) || a !== a.toLowerCase()) throw new Error(`owner policy ${k}: '${a}' is not a lower-case address`);
  }
}

/** parses a comma-separated address list (flag or environment value); names the bad entry */
export function parseAddressList(what: string, v: string): Set<string> {
  const out = new Set<string>();
  for (const raw of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!isAddress(raw)) throw new Error(`${what}: '${raw}' is not an address`);
    out.add(getAddress(raw).toLowerCase());
  }
  if (!out.size) throw new Error(`${what}: no address given`);
  return out;
}

const fmtEth = (wei: bigint) => `${wei} wei`;

// the ratio is compared in integers: parts per million of the bounty
const RATIO_SCALE = 1_000_000n;

/**
 * Rules that depend only on the model's terms, checked before anything of the model is
 * fetched (its metadata is the attacker's content too). The bounty can grow, so a ratio
 * refusal may lift later.
 */
export function checkTerms(p: OwnerPolicy, m: ModelTerms): Refusal | undefined {
  const lender = m.lender.toLowerCase();
  const evaluator = m.evaluator.toLowerCase();
  if (p.denyLenders?.has(lender)) return { rule: 'lender-deny', reason: `lender ${m.lender} is on the deny list` };
  if (p.lenders && !p.lenders.has(lender)) return { rule: 'lender-allow', reason: `lender ${m.lender} is not on the allow list` };
  if (p.denyEvaluators?.has(evaluator)) return { rule: 'evaluator-deny', reason: `evaluator ${m.evaluator} is on the deny list` };
  if (p.evaluators && !p.evaluators.has(evaluator)) return { rule: 'evaluator-allow', reason: `evaluator ${m.evaluator} is not on the allow list` };
  if (m.submissionStake > p.maxStake) {
    return { rule: 'max-stake', reason: `stake ${fmtEth(m.submissionStake)} is over the maximum ${fmtEth(p.maxStake)} per submission` };
  }
  if (m.token !== ZeroAddress && m.token.toLowerCase() !== ZeroAddress) {
    if (!p.allowTokenBounties) return { rule: 'token-bounty', reason: `the bounty is in token ${m.token}, which cannot be compared with an ETH stake` };
  } else {
    const limit = (m.bounty * BigInt(Math.round(p.maxStakeRatio * Number(RATIO_SCALE)))) / RATIO_SCALE;
    if (m.submissionStake > limit) {
      return { rule: 'max-stake-ratio', reason: `stake ${fmtEth(m.submissionStake)} is more than ${p.maxStakeRatio} of the bounty ${fmtEth(m.bounty)}` };
    }
  }
  return undefined;
}

/**
 * Rules that depend on this owner's history: what it already has at risk everywhere (stakes of
 * submissions not yet resolved, this model's next one excluded) and how it fared on this model.
 */
export function checkSubmission(p: OwnerPolicy, m: ModelTerms, history: readonly SubmissionOutcome[], atRisk: bigint): Refusal | undefined {
  let run = 0;
  for (let i = history.length - 1; i >= 0 && FORFEITED.has(history[i]!.status); i--) run++;
  if (run >= p.maxRejections) return { rule: 'max-rejections', reason: `${run} stakes forfeited in a row on model ${m.modelId} (limit ${p.maxRejections})` };
  const loss = history.reduce((s, h) => s + (FORFEITED.has(h.status) ? h.stake : 0n) - h.reward, 0n);
  if (loss + m.submissionStake > p.maxLoss) {
    return { rule: 'max-loss', reason: `net loss ${fmtEth(loss > 0n ? loss : 0n)} on model ${m.modelId} plus the next stake ${fmtEth(m.submissionStake)} would exceed ${fmtEth(p.maxLoss)}` };
  }
  if (atRisk + m.submissionStake > p.maxAtRisk) {
    return { rule: 'max-at-risk', reason: `${fmtEth(atRisk)} already at risk plus the stake ${fmtEth(m.submissionStake)} would exceed ${fmtEth(p.maxAtRisk)}` };
  }
  return undefined;
}
