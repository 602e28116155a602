// The protocol's vocabulary (Solidity enums, fixed-point scales, bounds) with no dependency at
// all, so a browser bundle (the dashboard) can import it without ethers or the ABI JSON.
export {
  RewardRule,
  ModelStatus,
  GradientStatus,
  Verdict,
  RewardKind,
  CloseReason,
  DeploymentStatus,
  QuoteStatus,
  LoanStatus,
  DecisionReason,
  enumName,
  enumNames,
} from './enums.ts';
export type { EnumName } from './enums.ts';
export { SCORE_SCALE, MAX_SCORE, MAX_CID_LENGTH, MAX_EVALUATION_WINDOW, toScore, fromScore } from './scores.ts';
export {
  ETH,
  MAX_METRIC_LENGTH,
  MAX_TERM_DAYS,
  MAX_RATE_BPS,
  REVEAL_WINDOW,
  MAX_SUBMISSION_PERIOD,
  MIN_SUBMISSION_STAKE,
  PRIVACY_SCALE,
} from './constants.ts';
