// The ModelRepository ABI and the enum names the daemons print, both owned by @hessian/contracts.
import { Interface } from 'ethers';
import {
  modelRepositoryAbi,
  PRIVACY_SCALE as CONTRACT_PRIVACY_SCALE,
  SCORE_SCALE as CONTRACT_SCORE_SCALE,
  ModelStatus,
  GradientStatus,
  Verdict,
  RewardRule,
  RewardKind,
  CloseReason,
  enumNames,
} from '@hessian/contracts';

export { modelRepositoryAbi };
export const modelRepositoryInterface = new Interface(modelRepositoryAbi);

/** fixed-point scale of on-chain scores (AUC 0.75 = 750_000) */
export const SCORE_SCALE = Number(CONTRACT_SCORE_SCALE);

export const MODEL_STATUS = enumNames(ModelStatus);
/** the least ETH (wei) a commit may stake, and the reveal window in seconds */
export { MIN_SUBMISSION_STAKE, REVEAL_WINDOW } from '@hessian/contracts';

/** fixed point of a gradient's declared DP epsilon (1.5 = 1_500_000; 0 = no DP noise) */
export const PRIVACY_SCALE = Number(CONTRACT_PRIVACY_SCALE);

export const GRADIENT_STATUS = enumNames(GradientStatus);
/** the evaluator's verdict: Declined returns the stake (no improvement, content not fetchable), Rejected forfeits it */
export const VERDICT = enumNames(Verdict);
export const REWARD_RULE = enumNames(RewardRule);
export const REWARD_KIND = enumNames(RewardKind);
export const CLOSE_REASON = enumNames(CloseReason);

export type RewardRuleName = (typeof REWARD_RULE)[number];
export type VerdictName = (typeof VERDICT)[number];
