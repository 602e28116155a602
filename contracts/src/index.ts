export {
  modelRepositoryAbi,
  modelRepositoryBytecode,
  modelRepositoryArtifact,
  loanDeskAbi,
  loanDeskBytecode,
  loanDeskArtifact,
  testTokenAbi,
  testTokenBytecode,
  testTokenArtifact,
  pairFactoryArtifact,
  pairArtifact,
  listedTokenArtifact,
} from './artifacts.ts';
export type { ContractArtifact } from './artifacts.ts';
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
} from './enums.ts';
export { SCORE_SCALE, MAX_SCORE, MAX_CID_LENGTH, MAX_EVALUATION_WINDOW, toScore, fromScore } from './scores.ts';
export { REVEAL_WINDOW, MAX_SUBMISSION_PERIOD, MIN_SUBMISSION_STAKE, PRIVACY_SCALE, sealOf } from './protocol.ts';
export { readDeployment, writeDeployment, parseDeployment, deploymentPath } from './deployment.ts';
export type { Deployment, DeployedContract } from './deployment.ts';
export { deployHessian } from './deploy.ts';
export type { DeployOptions } from './deploy.ts';
export { ETH, MAX_METRIC_LENGTH, MAX_TERM_DAYS, MAX_RATE_BPS } from './constants.ts';
export { fetchChainId } from './rpc.ts';
