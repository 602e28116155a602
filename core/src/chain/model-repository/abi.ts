// The ModelRepository ABI (owned by @hessian/contracts) and the enum names the daemons print.
import { Interface } from 'ethers';
import { modelRepositoryAbi, PRIVACY_SCALE as CONTRACT_PRIVACY_SCALE } from '@hessian/contracts';

export { modelRepositoryAbi };
export const modelRepositoryInterface = new Interface(modelRepositoryAbi);

/** fixed-point scale of on-chain scores (AUC 0.75 = 750_000) */
export const SCORE_SCALE = 1_000_000;

export const MODEL_STATUS = ['None', 'Open', 'TargetReached', 'Closed'] as const;
/** the least ETH (wei) a commit may stake, and the reveal window in seconds */
export { MIN_SUBMISSION_STAKE, REVEAL_WINDOW } from '@hessian/contracts';

/** fixed point of a gradient's declared DP epsilon (1.5 = 1_500_000; 0 = no DP noise) */
export const PRIVACY_SCALE = Number(CONTRACT_PRIVACY_SCALE);

export const GRADIENT_STATUS = ['None', 'Committed', 'Pending', 'Accepted', 'Rejected', 'Declined', 'Expired', 'Lapsed'] as const;
/** the evaluator's verdict: Declined returns the stake (no improvement, content not fetchable), Rejected forfeits it */
export const VERDICT = ['Accepted', 'Rejected', 'Declined'] as const;
export const REWARD_RULE = ['Improvement', 'EqualShare'] as const;
export const REWARD_KIND = ['Improvement', 'EqualShare', 'ExpiredShare'] as const;
export const CLOSE_REASON = ['Deadline', 'TargetReached'] as const;

export type RewardRuleName = (typeof REWARD_RULE)[number];
export type VerdictName = (typeof VERDICT)[number];

/** enum value names by Solidity internal type, for readable errors and events */
export const ENUM_NAMES: Record<string, readonly string[]> = {
  'enum IModelRepository.ModelStatus': MODEL_STATUS,
  'enum IModelRepository.GradientStatus': GRADIENT_STATUS,
  'enum IModelRepository.Verdict': VERDICT,
  'enum IModelRepository.RewardRule': REWARD_RULE,
  'enum IModelRepository.RewardKind': REWARD_KIND,
  'enum IModelRepository.CloseReason': CLOSE_REASON,
};
