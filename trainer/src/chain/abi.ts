// The ModelRepository ABI (owned by @hessian/contracts) and the enum names the daemons print.
import { Interface } from 'ethers';
import { modelRepositoryAbi } from '@hessian/contracts';

export { modelRepositoryAbi };
export const modelRepositoryInterface = new Interface(modelRepositoryAbi);

/** fixed-point scale of on-chain scores (AUC 0.75 = 750_000) */
export const SCORE_SCALE = 1_000_000;

export const MODEL_STATUS = ['None', 'Open', 'TargetReached', 'Closed'] as const;
export const GRADIENT_STATUS = ['None', 'Pending', 'Accepted', 'Rejected', 'Expired'] as const;
export const REWARD_RULE = ['Improvement', 'EqualShare'] as const;
export const REWARD_KIND = ['Improvement', 'EqualShare', 'ExpiredShare'] as const;
export const CLOSE_REASON = ['Deadline', 'TargetReached'] as const;

export type RewardRuleName = (typeof REWARD_RULE)[number];

/** enum value names by Solidity internal type, for readable errors and events */
export const ENUM_NAMES: Record<string, readonly string[]> = {
  'enum IModelRepository.ModelStatus': MODEL_STATUS,
  'enum IModelRepository.GradientStatus': GRADIENT_STATUS,
  'enum IModelRepository.RewardRule': REWARD_RULE,
  'enum IModelRepository.RewardKind': REWARD_KIND,
  'enum IModelRepository.CloseReason': CLOSE_REASON,
};
