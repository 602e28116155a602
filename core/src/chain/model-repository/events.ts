// Typed ModelRepository events decoded from raw logs. Ids, scores, versions and timestamps fit
// in a JS number; token amounts stay bigint.
import { big, num, parseLogWith, str } from '../decode.ts';
import type { EventBase, RawLog } from '../decode.ts';
import { modelRepositoryInterface, REWARD_RULE, REWARD_KIND, CLOSE_REASON, VERDICT } from './abi.ts';
import type { RewardRuleName, VerdictName } from './abi.ts';

export interface ModelCreated extends EventBase {
  name: 'ModelCreated';
  modelId: number;
  lender: string;
  evaluator: string;
  token: string;
  bounty: bigint;
  rule: RewardRuleName;
  initialScore: number;
  targetScore: number;
  submissionDeadline: number;
  evaluationWindow: number;
  submissionStake: bigint;
  weightsCid: string;
  metadataCid: string;
}

export interface BountyAdded extends EventBase {
  name: 'BountyAdded';
  modelId: number;
  funder: string;
  amount: bigint;
  totalBounty: bigint;
}

/** step one of a submission: the id, contributor and stake are fixed; the content is sealed */
export interface GradientCommitted extends EventBase {
  name: 'GradientCommitted';
  gradientId: number;
  modelId: number;
  contributor: string;
  seal: string;
  /** accepted updates of the model when the gradient was committed */
  modelVersion: number;
  stake: bigint;
  /** unix seconds: revealed at or before this, or the commit lapses */
  revealDeadline: number;
}

/** step two: the sealed content, checked by the contract against the seal */
export interface GradientRevealed extends EventBase {
  name: 'GradientRevealed';
  gradientId: number;
  modelId: number;
  contributor: string;
  dataCommitment: string;
  salt: string;
  /** declared DP epsilon, fixed point PRIVACY_SCALE (0 = no DP noise) */
  dpEpsilon: number;
  evaluationDeadline: number;
  gradientCid: string;
}

export interface GradientEvaluated extends EventBase {
  name: 'GradientEvaluated';
  gradientId: number;
  modelId: number;
  contributor: string;
  verdict: VerdictName;
  /** verdict === 'Accepted' */
  accepted: boolean;
  previousBestScore: number;
  score: number;
  bestScore: number;
  modelVersion: number;
  reward: bigint;
  newWeightsCid: string;
}

export interface GradientExpired extends EventBase {
  name: 'GradientExpired';
  gradientId: number;
  modelId: number;
  contributor: string;
}

/** a commit not revealed in time: its stake is forfeited */
export interface GradientLapsed extends EventBase {
  name: 'GradientLapsed';
  gradientId: number;
  modelId: number;
  contributor: string;
}

export interface StakeReleased extends EventBase {
  name: 'StakeReleased';
  gradientId: number;
  modelId: number;
  to: string;
  amount: bigint;
  /** true: back to the contributor; false: forfeited to the lender */
  refunded: boolean;
}

export interface RewardEarned extends EventBase {
  name: 'RewardEarned';
  modelId: number;
  contributor: string;
  gradientId: number;
  token: string;
  amount: bigint;
  kind: (typeof REWARD_KIND)[number];
}

export interface TargetReached extends EventBase {
  name: 'TargetReached';
  modelId: number;
  gradientId: number;
  score: number;
}

export interface ModelClosed extends EventBase {
  name: 'ModelClosed';
  modelId: number;
  closedBy: string;
  reason: (typeof CLOSE_REASON)[number];
  paid: bigint;
  shared: bigint;
  shareCount: number;
  sharePerGradient: bigint;
  refund: bigint;
}

/** a refund credited to a funder: the lender's at close, a third-party funder's at claimRefund */
export interface Refunded extends EventBase {
  name: 'Refunded';
  modelId: number;
  funder: string;
  token: string;
  amount: bigint;
}

export interface Withdrawal extends EventBase {
  name: 'Withdrawal';
  account: string;
  token: string;
  to: string;
  amount: bigint;
}

export type RepositoryEvent =
  | ModelCreated
  | BountyAdded
  | GradientCommitted
  | GradientRevealed
  | GradientEvaluated
  | GradientExpired
  | GradientLapsed
  | StakeReleased
  | RewardEarned
  | TargetReached
  | ModelClosed
  | Refunded
  | Withdrawal;

export type EventName = RepositoryEvent['name'];

/** decodes one log; undefined for logs of other contracts or events the daemons do not use */
export function decodeLog(log: RawLog): RepositoryEvent | undefined {
  const parsed = parseLogWith(modelRepositoryInterface, log);
  if (!parsed) return undefined;
  const { args: a, base } = parsed;
  switch (parsed.name) {
    case 'ModelCreated':
      return {
        ...base,
        name: 'ModelCreated',
        modelId: num(a.modelId),
        lender: str(a.lender),
        evaluator: str(a.evaluator),
        token: str(a.token),
        bounty: big(a.bounty),
        rule: REWARD_RULE[num(a.rule)] ?? 'Improvement',
        initialScore: num(a.initialScore),
        targetScore: num(a.targetScore),
        submissionDeadline: num(a.submissionDeadline),
        evaluationWindow: num(a.evaluationWindow),
        submissionStake: big(a.submissionStake),
        weightsCid: str(a.weightsCid),
        metadataCid: str(a.metadataCid),
      };
    case 'BountyAdded':
      return { ...base, name: 'BountyAdded', modelId: num(a.modelId), funder: str(a.funder), amount: big(a.amount), totalBounty: big(a.totalBounty) };
    case 'GradientCommitted':
      return {
        ...base,
        name: 'GradientCommitted',
        gradientId: num(a.gradientId),
        modelId: num(a.modelId),
        contributor: str(a.contributor),
        seal: str(a.seal),
        modelVersion: num(a.modelVersion),
        stake: big(a.stake),
        revealDeadline: num(a.revealDeadline),
      };
    case 'GradientRevealed':
      return {
        ...base,
        name: 'GradientRevealed',
        gradientId: num(a.gradientId),
        modelId: num(a.modelId),
        contributor: str(a.contributor),
        dataCommitment: str(a.dataCommitment),
        salt: str(a.salt),
        dpEpsilon: num(a.dpEpsilon),
        evaluationDeadline: num(a.evaluationDeadline),
        gradientCid: str(a.gradientCid),
      };
    case 'GradientEvaluated': {
      const verdict = VERDICT[num(a.verdict)];
      if (!verdict) throw new Error(`GradientEvaluated ${String(a.gradientId)}: unknown verdict ${String(a.verdict)}`);
      return {
        ...base,
        name: 'GradientEvaluated',
        gradientId: num(a.gradientId),
        modelId: num(a.modelId),
        contributor: str(a.contributor),
        verdict,
        accepted: verdict === 'Accepted',
        previousBestScore: num(a.previousBestScore),
        score: num(a.score),
        bestScore: num(a.bestScore),
        modelVersion: num(a.modelVersion),
        reward: big(a.reward),
        newWeightsCid: str(a.newWeightsCid),
      };
    }
    case 'GradientExpired':
      return { ...base, name: 'GradientExpired', gradientId: num(a.gradientId), modelId: num(a.modelId), contributor: str(a.contributor) };
    case 'GradientLapsed':
      return { ...base, name: 'GradientLapsed', gradientId: num(a.gradientId), modelId: num(a.modelId), contributor: str(a.contributor) };
    case 'StakeReleased':
      return { ...base, name: 'StakeReleased', gradientId: num(a.gradientId), modelId: num(a.modelId), to: str(a.to), amount: big(a.amount), refunded: Boolean(a.refunded) };
    case 'RewardEarned':
      return {
        ...base,
        name: 'RewardEarned',
        modelId: num(a.modelId),
        contributor: str(a.contributor),
        gradientId: num(a.gradientId),
        token: str(a.token),
        amount: big(a.amount),
        kind: REWARD_KIND[num(a.kind)] ?? 'Improvement',
      };
    case 'TargetReached':
      return { ...base, name: 'TargetReached', modelId: num(a.modelId), gradientId: num(a.gradientId), score: num(a.score) };
    case 'ModelClosed':
      return {
        ...base,
        name: 'ModelClosed',
        modelId: num(a.modelId),
        closedBy: str(a.closedBy),
        reason: CLOSE_REASON[num(a.reason)] ?? 'Deadline',
        paid: big(a.paid),
        shared: big(a.shared),
        shareCount: num(a.shareCount),
        sharePerGradient: big(a.sharePerGradient),
        refund: big(a.refund),
      };
    case 'Refunded':
      return { ...base, name: 'Refunded', modelId: num(a.modelId), funder: str(a.funder), token: str(a.token), amount: big(a.amount) };
    case 'Withdrawal':
      return { ...base, name: 'Withdrawal', account: str(a.account), token: str(a.token), to: str(a.to), amount: big(a.amount) };
    default:
      return undefined;
  }
}

export { compareEvents } from '../decode.ts';
