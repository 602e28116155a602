// What ModelRepository's reverts mean to a user: the hint per custom error and the enum names its
// arguments carry, registered with the contract-free decoder on import.
import { registerContractErrors } from '../errors.ts';
import { modelRepositoryAbi, MODEL_STATUS, GRADIENT_STATUS, VERDICT, REWARD_RULE, REWARD_KIND, CLOSE_REASON } from './abi.ts';

const HINTS: Readonly<Record<string, string>> = {
  ModelNotOpen: 'the model does not accept submissions',
  SubmissionsClosed: 'the submission deadline has passed',
  StakeTooLow: 'the submission stake is below the contract minimum',
  DeadlineTooFar: 'the submission deadline is too far ahead',
  ZeroSeal: 'the seal must not be zero',
  ZeroCommitment: 'the data commitment must not be zero',
  NotContributor: 'only the account that committed the gradient can reveal it',
  GradientNotCommitted: 'the gradient was already revealed or has lapsed',
  RevealWindowOver: 'the reveal deadline has passed: the commit can only lapse',
  RevealWindowOpen: 'the commit may still be revealed: it lapses only after its reveal deadline',
  SealMismatch: 'the content does not match the committed seal (a wrong CID, commitment or salt; or the gradient id now names another commit, e.g. after a reorg)',
  NotEvaluator: 'the sender is not the model\'s evaluator',
  GradientNotPending: 'the gradient was already evaluated, expired or lapsed, or is not revealed yet',
  EvaluationWindowOver: 'the gradient\'s evaluation deadline has passed',
  EthValueMismatch: 'the ETH sent does not match the required amount',
  NothingToWithdraw: 'there is no credit to withdraw',
  NothingToRefund: 'this account has no refund to claim for the model',
  DeadlineInPast: 'the submission deadline is not in the future',
  InvalidScores: 'the target score must be above the initial score and below 1e6',
  UnknownModel: 'no model has this id',
  UnknownGradient: 'no gradient has this id',
};

/** enum value names by Solidity internal type, for readable errors and events */
export const ENUM_NAMES: Readonly<Record<string, readonly string[]>> = {
  'enum IModelRepository.ModelStatus': MODEL_STATUS,
  'enum IModelRepository.GradientStatus': GRADIENT_STATUS,
  'enum IModelRepository.Verdict': VERDICT,
  'enum IModelRepository.RewardRule': REWARD_RULE,
  'enum IModelRepository.RewardKind': REWARD_KIND,
  'enum IModelRepository.CloseReason': CLOSE_REASON,
};

registerContractErrors({ abi: modelRepositoryAbi, hints: HINTS, enums: ENUM_NAMES });
