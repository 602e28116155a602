// Typed ModelRepository events decoded from raw logs. Ids, scores, versions and timestamps fit
// in a JS number; token amounts stay bigint.
import { big, num, parseLogWith, str } from './decode.ts';
import type { EventBase, RawLog } from './decode.ts';
import { modelRepositoryInterface, REWARD_RULE, REWARD_KIND, CLOSE_REASON } from './abi.ts';
import type { RewardRuleName } from './abi.ts';

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

export interface GradientSubmitted extends EventBase {
  name: 'GradientSubmitted';
  gradientId: number;
  modelId: number;
  contributor: string;
  dataCommitment: string;
  modelVersion: number;
  stake: bigint;
  evaluationDeadline: number;
  gradientCid: string;
}

export interface GradientEvaluated extends EventBase {
  name: 'GradientEvaluated';
  gradientId: number;
  modelId: number;
  contributor: string;
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
  refund: bigint;
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
  | GradientSubmitted
  | GradientEvaluated
  | GradientExpired
  | RewardEarned
  | TargetReached
  | ModelClosed
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
    case 'GradientSubmitted':
      return {
        ...base,
        name: 'GradientSubmitted',
        gradientId: num(a.gradientId),
        modelId: num(a.modelId),
        contributor: str(a.contributor),
        dataCommitment: str(a.dataCommitment),
        modelVersion: num(a.modelVersion),
        stake: big(a.stake),
        evaluationDeadline: num(a.evaluationDeadline),
        gradientCid: str(a.gradientCid),
      };
    case 'GradientEvaluated':
      return {
        ...base,
        name: 'GradientEvaluated',
        gradientId: num(a.gradientId),
        modelId: num(a.modelId),
        contributor: str(a.contributor),
        accepted: Boolean(a.accepted),
        previousBestScore: num(a.previousBestScore),
        score: num(a.score),
        bestScore: num(a.bestScore),
        modelVersion: num(a.modelVersion),
        reward: big(a.reward),
        newWeightsCid: str(a.newWeightsCid),
      };
    case 'GradientExpired':
      return { ...base, name: 'GradientExpired', gradientId: num(a.gradientId), modelId: num(a.modelId), contributor: str(a.contributor) };
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
        refund: big(a.refund),
      };
    case 'Withdrawal':
      return { ...base, name: 'Withdrawal', account: str(a.account), token: str(a.token), to: str(a.to), amount: big(a.amount) };
    default:
      return undefined;
  }
}

/** chain order: block, then position in the block */
export function compareEvents(a: EventBase, b: EventBase): number {
  return a.blockNumber - b.blockNumber || a.logIndex - b.logIndex;
}
