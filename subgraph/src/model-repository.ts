// Handlers for every ModelRepository event. The events carry everything (no eth_call): facts
// become immutable entities, running state is folded into Protocol/Token/Model/Account/... rows.
// A submission is GradientCommitted (the seal: id, contributor, stake) then GradientRevealed (CID,
// data commitment, DP epsilon) or, unrevealed, GradientLapsed. Within one transaction the contract
// emits, in order: GradientEvaluated, RewardEarned, TargetReached, StakeReleased; GradientExpired
// or GradientLapsed, StakeReleased; ModelClosed, Refunded (the lender's part).
import { Address, BigInt, Bytes, ethereum } from '@graphprotocol/graph-ts';
import {
  BountyAdded,
  GradientCommitted,
  GradientEvaluated,
  GradientExpired,
  GradientLapsed,
  GradientRevealed,
  ModelClosed,
  ModelCreated,
  Refunded,
  RewardEarned,
  StakeReleased,
  TargetReached,
  Withdrawal as WithdrawalEvent,
} from '../generated/ModelRepository/ModelRepository';
import { Deposit, Evaluation, Gradient, Model, ModelContributor, ModelFunder, Refund, Reward, StakeRelease, Token, Withdrawal } from '../generated/schema';
import {
  eventId,
  loadAccountToken,
  loadDay,
  loadModel,
  loadModelContributor,
  loadProtocol,
  loadToken,
  loadTokenDay,
  modelContributorId,
  saveModel,
  saveToken,
  touchAccount,
} from './entities';
import { closeReasonName, rewardKindName, rewardRuleName, verdictName } from './enums';

function loadGradient(gradientId: BigInt): Gradient {
  const gradient = Gradient.load(gradientId.toString());
  if (gradient == null) throw new Error('gradient ' + gradientId.toString() + ' not found (event before GradientCommitted?)');
  return gradient;
}

function loadContributorRow(modelId: BigInt, contributor: Bytes): ModelContributor {
  const row = loadModelContributor(modelId, contributor);
  if (row == null) throw new Error('no submissions by ' + contributor.toHexString() + ' to model ' + modelId.toString());
  return row;
}

function modelFunderId(model: Model, funder: Bytes): string {
  return model.id + '-' + funder.toHexString();
}

/** The funder's row, created on its first deposit (counted in model.funderCount: save the model after). */
function loadFunder(model: Model, funder: Bytes, event: ethereum.Event): ModelFunder {
  const id = modelFunderId(model, funder);
  let row = ModelFunder.load(id);
  if (row == null) {
    row = new ModelFunder(id);
    row.model = model.id;
    row.funder = funder;
    row.isLender = funder.equals(model.lender);
    row.amount = BigInt.zero();
    row.depositCount = 0;
    row.firstFundedAt = event.block.timestamp;
    model.funderCount += 1;
  }
  return row;
}

/** Bounty moved into escrow (the initial bounty or a top-up): the token's totals, its day, the Deposit. */
function escrow(event: ethereum.Event, token: Token, model: Model, funder: Bytes, amount: BigInt, totalBounty: BigInt, isInitial: boolean): void {
  token.totalEscrowed = token.totalEscrowed.plus(amount);
  saveToken(token);

  const row = loadFunder(model, funder, event);
  row.amount = row.amount.plus(amount);
  row.depositCount += 1;
  row.lastFundedAt = event.block.timestamp;
  row.save();
  saveModel(model);

  const deposit = new Deposit(eventId(event));
  deposit.model = model.id;
  deposit.funder = funder;
  deposit.token = token.id;
  deposit.amount = amount;
  deposit.totalBounty = totalBounty;
  deposit.isInitial = isInitial;
  deposit.blockNumber = event.block.number;
  deposit.timestamp = event.block.timestamp;
  deposit.transactionHash = event.transaction.hash;
  deposit.save();

  const tokenDay = loadTokenDay(event, token);
  tokenDay.escrowed = tokenDay.escrowed.plus(amount);
  tokenDay.save();
}

export function handleModelCreated(event: ModelCreated): void {
  const p = event.params;
  const protocol = loadProtocol(event);
  protocol.modelCount += 1;
  protocol.openModelCount += 1;

  const lender = touchAccount(p.lender, event);
  if (lender.modelsCreated == 0) protocol.lenderCount += 1;
  lender.modelsCreated += 1;
  lender.save();
  // the evaluator is an account too (often the lender itself: saved above, loaded again here)
  touchAccount(p.evaluator, event).save();
  protocol.save();

  const model = new Model(p.modelId.toString());
  model.modelId = p.modelId;
  model.lender = p.lender;
  model.evaluator = p.evaluator;
  model.token = p.token;
  model.rule = rewardRuleName(p.rule);
  model.status = 'Open';
  model.initialScore = p.initialScore;
  model.targetScore = p.targetScore;
  model.bestScore = p.initialScore;
  model.bounty = p.bounty;
  model.paid = BigInt.zero();
  model.refunded = BigInt.zero();
  model.shared = BigInt.zero();
  model.shareCount = 0;
  model.sharePerGradient = BigInt.zero();
  model.submissionDeadline = p.submissionDeadline;
  model.evaluationWindow = p.evaluationWindow;
  model.submissionStake = p.submissionStake;
  model.metadataCid = p.metadataCid;
  model.initialWeightsCid = p.weightsCid;
  model.weightsCid = p.weightsCid;
  model.version = 0;
  model.gradientCount = 0;
  model.committedCount = 0;
  model.pendingCount = 0;
  model.acceptedCount = 0;
  model.rejectedCount = 0;
  model.declinedCount = 0;
  model.expiredCount = 0;
  model.lapsedCount = 0;
  model.contributorCount = 0;
  model.funderCount = 0;
  model.evaluationCount = 0;
  model.targetReached = false;
  model.createdAt = event.block.timestamp;
  model.createdAtBlock = event.block.number;
  model.createdTransaction = event.transaction.hash;
  model.lastActivityAt = event.block.timestamp;
  saveModel(model);

  const token = loadToken(p.token);
  token.modelCount += 1;
  escrow(event, token, model, p.lender, p.bounty, p.bounty, true);

  const day = loadDay(event, protocol);
  day.modelsCreated += 1;
  day.save();
}

export function handleBountyAdded(event: BountyAdded): void {
  const p = event.params;
  loadProtocol(event).save();
  touchAccount(p.funder, event).save();

  const model = loadModel(p.modelId, event);
  model.bounty = p.totalBounty;

  escrow(event, loadToken(p.token), model, p.funder, p.amount, p.totalBounty, false);
}

export function handleGradientCommitted(event: GradientCommitted): void {
  const p = event.params;
  const protocol = loadProtocol(event);
  protocol.gradientCount += 1;
  protocol.committedGradientCount += 1;

  const account = touchAccount(p.contributor, event);
  if (account.gradientsSubmitted == 0) protocol.contributorCount += 1;
  account.gradientsSubmitted += 1;
  account.save();
  protocol.save();

  const model = loadModel(p.modelId, event);
  model.gradientCount += 1;
  model.committedCount += 1;

  let row = loadModelContributor(p.modelId, p.contributor);
  if (row == null) {
    row = new ModelContributor(modelContributorId(p.modelId, p.contributor));
    row.model = model.id;
    row.contributor = p.contributor;
    row.gradientsSubmitted = 0;
    row.gradientsAccepted = 0;
    row.gradientsRejected = 0;
    row.gradientsDeclined = 0;
    row.gradientsExpired = 0;
    row.gradientsLapsed = 0;
    row.committedCount = 0;
    row.pendingCount = 0;
    row.rewardsEarned = BigInt.zero();
    row.improvementContributed = BigInt.zero();
    row.dpEpsilonSpent = BigInt.zero();
    row.firstSubmittedAt = event.block.timestamp;
    model.contributorCount += 1;
  }
  row.gradientsSubmitted += 1;
  row.committedCount += 1;
  row.lastSubmittedAt = event.block.timestamp;
  row.save();
  saveModel(model);

  const gradient = new Gradient(p.gradientId.toString());
  gradient.gradientId = p.gradientId;
  gradient.model = model.id;
  gradient.contributor = p.contributor;
  gradient.modelContributor = row.id;
  gradient.seal = p.seal;
  gradient.modelVersion = p.modelVersion.toI32();
  gradient.stake = p.stake;
  gradient.revealDeadline = p.revealDeadline;
  gradient.status = 'Committed';
  gradient.reward = BigInt.zero();
  gradient.shareClaimed = false;
  gradient.submittedAt = event.block.timestamp;
  gradient.submittedAtBlock = event.block.number;
  gradient.transactionHash = event.transaction.hash;
  gradient.save();

  const day = loadDay(event, protocol);
  day.gradientsSubmitted += 1;
  day.save();
}

export function handleGradientRevealed(event: GradientRevealed): void {
  const p = event.params;
  const epsilon = p.dpEpsilon;
  const protocol = loadProtocol(event);
  protocol.committedGradientCount -= 1;
  protocol.pendingGradientCount += 1;
  protocol.save();

  const model = loadModel(p.modelId, event);
  model.committedCount -= 1;
  model.pendingCount += 1;
  saveModel(model);

  const gradient = loadGradient(p.gradientId);
  gradient.status = 'Pending';
  gradient.cid = p.gradientCid;
  gradient.dataCommitment = p.dataCommitment;
  gradient.salt = p.salt;
  gradient.dpEpsilon = epsilon;
  gradient.evaluationDeadline = p.evaluationDeadline;
  gradient.revealedAt = event.block.timestamp;
  gradient.revealedAtBlock = event.block.number;
  gradient.revealTransactionHash = event.transaction.hash;
  gradient.save();

  const account = touchAccount(p.contributor, event);
  account.dpEpsilonSpent = account.dpEpsilonSpent.plus(epsilon);
  account.save();

  const row = loadContributorRow(p.modelId, p.contributor);
  row.committedCount -= 1;
  row.pendingCount += 1;
  row.dpEpsilonSpent = row.dpEpsilonSpent.plus(epsilon);
  row.save();

  const day = loadDay(event, protocol);
  day.gradientsRevealed += 1;
  day.save();
}

export function handleGradientEvaluated(event: GradientEvaluated): void {
  const p = event.params;
  const verdict = verdictName(p.verdict);
  const accepted = verdict == 'Accepted';
  const rejected = verdict == 'Rejected';
  const improvement = p.bestScore.minus(p.previousBestScore);

  const protocol = loadProtocol(event);
  protocol.evaluationCount += 1;
  protocol.pendingGradientCount -= 1;
  if (accepted) protocol.acceptedGradientCount += 1;
  else if (rejected) protocol.rejectedGradientCount += 1;
  else protocol.declinedGradientCount += 1;
  protocol.save();

  const model = loadModel(p.modelId, event);
  // the contract moves Open → TargetReached in this same call (TargetReached follows this event)
  const reachedTarget = model.status == 'Open' && p.bestScore.ge(model.targetScore);
  model.pendingCount -= 1;
  model.evaluationCount += 1;
  model.bestScore = p.bestScore;
  model.version = p.modelVersion.toI32();
  if (accepted) {
    model.acceptedCount += 1;
    model.weightsCid = p.newWeightsCid;
  } else if (rejected) {
    model.rejectedCount += 1;
  } else {
    model.declinedCount += 1;
  }
  saveModel(model);

  const evaluation = new Evaluation(eventId(event));
  evaluation.ordinal = model.evaluationCount;
  evaluation.gradient = p.gradientId.toString();
  evaluation.model = model.id;
  evaluation.contributor = p.contributor;
  evaluation.verdict = verdict;
  evaluation.accepted = accepted;
  evaluation.previousBestScore = p.previousBestScore;
  evaluation.score = p.score;
  evaluation.bestScore = p.bestScore;
  evaluation.improvement = improvement;
  evaluation.modelVersion = p.modelVersion.toI32();
  evaluation.reward = p.reward;
  if (accepted) evaluation.newWeightsCid = p.newWeightsCid;
  evaluation.reachedTarget = reachedTarget;
  evaluation.blockNumber = event.block.number;
  evaluation.timestamp = event.block.timestamp;
  evaluation.transactionHash = event.transaction.hash;
  evaluation.logIndex = event.logIndex;
  evaluation.save();

  const gradient = loadGradient(p.gradientId);
  gradient.status = verdict;
  gradient.score = p.score;
  gradient.improvement = improvement;
  if (accepted) gradient.newWeightsCid = p.newWeightsCid;
  gradient.evaluation = evaluation.id;
  gradient.evaluatedAt = event.block.timestamp;
  gradient.save();

  const account = touchAccount(p.contributor, event);
  if (accepted) {
    account.gradientsAccepted += 1;
    account.improvementContributed = account.improvementContributed.plus(improvement);
  } else if (rejected) {
    account.gradientsRejected += 1;
  } else {
    account.gradientsDeclined += 1;
  }
  account.save();
  touchAccount(model.evaluator, event).save();

  const row = loadContributorRow(p.modelId, p.contributor);
  row.pendingCount -= 1;
  if (accepted) {
    row.gradientsAccepted += 1;
    row.improvementContributed = row.improvementContributed.plus(improvement);
    // `===`: BigInt overloads `==`, which the compiler cannot apply to a nullable
    const best = row.bestScore;
    if (best === null || p.score.gt(best as BigInt)) row.bestScore = p.score;
  } else if (rejected) {
    row.gradientsRejected += 1;
  } else {
    row.gradientsDeclined += 1;
  }
  row.save();

  const day = loadDay(event, protocol);
  day.evaluations += 1;
  if (accepted) day.gradientsAccepted += 1;
  else if (rejected) day.gradientsRejected += 1;
  else day.gradientsDeclined += 1;
  day.save();
}

export function handleGradientExpired(event: GradientExpired): void {
  const p = event.params;
  const protocol = loadProtocol(event);
  protocol.pendingGradientCount -= 1;
  protocol.expiredGradientCount += 1;
  protocol.save();

  const model = loadModel(p.modelId, event);
  model.pendingCount -= 1;
  model.expiredCount += 1;
  saveModel(model);

  const gradient = loadGradient(p.gradientId);
  gradient.status = 'Expired';
  gradient.expiredAt = event.block.timestamp;
  gradient.save();

  const account = touchAccount(p.contributor, event);
  account.gradientsExpired += 1;
  account.save();

  const row = loadContributorRow(p.modelId, p.contributor);
  row.pendingCount -= 1;
  row.gradientsExpired += 1;
  row.save();

  const day = loadDay(event, protocol);
  day.gradientsExpired += 1;
  day.save();
}

export function handleGradientLapsed(event: GradientLapsed): void {
  const p = event.params;
  const protocol = loadProtocol(event);
  protocol.committedGradientCount -= 1;
  protocol.lapsedGradientCount += 1;
  protocol.save();

  const model = loadModel(p.modelId, event);
  model.committedCount -= 1;
  model.lapsedCount += 1;
  saveModel(model);

  const gradient = loadGradient(p.gradientId);
  gradient.status = 'Lapsed';
  gradient.lapsedAt = event.block.timestamp;
  gradient.save();

  const account = touchAccount(p.contributor, event);
  account.gradientsLapsed += 1;
  account.save();

  const row = loadContributorRow(p.modelId, p.contributor);
  row.committedCount -= 1;
  row.gradientsLapsed += 1;
  row.save();

  const day = loadDay(event, protocol);
  day.gradientsLapsed += 1;
  day.save();
}

export function handleRewardEarned(event: RewardEarned): void {
  const p = event.params;
  const kind = rewardKindName(p.kind);
  const protocol = loadProtocol(event);
  protocol.rewardCount += 1;
  protocol.save();

  const model = loadModel(p.modelId, event);
  model.paid = model.paid.plus(p.amount);
  saveModel(model);

  const gradient = loadGradient(p.gradientId);
  gradient.reward = gradient.reward.plus(p.amount);
  if (kind != 'Improvement') gradient.shareClaimed = true;
  gradient.save();

  const account = touchAccount(p.contributor, event);
  account.rewardCount += 1;
  account.save();

  const row = loadContributorRow(p.modelId, p.contributor);
  row.rewardsEarned = row.rewardsEarned.plus(p.amount);
  row.save();

  const balance = loadAccountToken(p.contributor, p.token);
  balance.rewardsEarned = balance.rewardsEarned.plus(p.amount);
  balance.balance = balance.balance.plus(p.amount);
  balance.save();

  const token = loadToken(p.token);
  token.totalPaid = token.totalPaid.plus(p.amount);
  saveToken(token);

  const reward = new Reward(eventId(event));
  reward.model = model.id;
  reward.contributor = p.contributor;
  reward.gradient = gradient.id;
  reward.token = p.token;
  reward.amount = p.amount;
  reward.kind = kind;
  reward.blockNumber = event.block.number;
  reward.timestamp = event.block.timestamp;
  reward.transactionHash = event.transaction.hash;
  reward.save();

  const tokenDay = loadTokenDay(event, token);
  tokenDay.paid = tokenDay.paid.plus(p.amount);
  tokenDay.save();
}

export function handleStakeReleased(event: StakeReleased): void {
  const p = event.params;
  loadProtocol(event).save();
  saveModel(loadModel(p.modelId, event));

  const gradient = loadGradient(p.gradientId);
  gradient.stakeRefunded = p.refunded;
  gradient.save();

  touchAccount(p.to, event).save();
  // stakes are always ETH (token address 0)
  const eth = Address.zero();
  const received = loadAccountToken(p.to, eth);
  if (p.refunded) received.stakesReturned = received.stakesReturned.plus(p.amount);
  else received.stakesReceived = received.stakesReceived.plus(p.amount);
  received.balance = received.balance.plus(p.amount);
  received.save();
  if (!p.refunded) {
    // the loss shows on the contributor's side too (saved after `received`: may be the same row)
    const lost = loadAccountToken(gradient.contributor, eth);
    lost.stakesForfeited = lost.stakesForfeited.plus(p.amount);
    lost.save();
  }

  const release = new StakeRelease(eventId(event));
  release.gradient = gradient.id;
  release.model = p.modelId.toString();
  release.to = p.to;
  release.amount = p.amount;
  release.refunded = p.refunded;
  release.blockNumber = event.block.number;
  release.timestamp = event.block.timestamp;
  release.transactionHash = event.transaction.hash;
  release.save();
}

export function handleTargetReached(event: TargetReached): void {
  const p = event.params;
  const model = loadModel(p.modelId, event);
  const protocol = loadProtocol(event);
  if (model.status == 'Open') protocol.openModelCount -= 1;
  protocol.save();
  model.status = 'TargetReached';
  model.targetReached = true;
  model.targetReachedAt = event.block.timestamp;
  model.targetReachedBy = p.gradientId.toString();
  saveModel(model);
}

export function handleModelClosed(event: ModelClosed): void {
  const p = event.params;
  const model = loadModel(p.modelId, event);
  const protocol = loadProtocol(event);
  if (model.status == 'Open') protocol.openModelCount -= 1;
  protocol.save();
  model.status = 'Closed';
  model.closedAt = event.block.timestamp;
  model.closeReason = closeReasonName(p.reason);
  model.shared = p.shared;
  model.shareCount = p.shareCount.toI32();
  model.sharePerGradient = p.sharePerGradient;
  model.refunded = p.refund;
  saveModel(model);
}

export function handleRefunded(event: Refunded): void {
  const p = event.params;
  loadProtocol(event).save();
  const model = loadModel(p.modelId, event);
  saveModel(model);
  const funder = ModelFunder.load(modelFunderId(model, p.funder));
  if (funder == null) throw new Error('refund to ' + p.funder.toHexString() + ', who never funded model ' + model.id);
  touchAccount(p.funder, event).save();

  funder.refund = p.amount;
  funder.refundedAt = event.block.timestamp;
  funder.save();

  const balance = loadAccountToken(p.funder, p.token);
  balance.refundsReceived = balance.refundsReceived.plus(p.amount);
  balance.balance = balance.balance.plus(p.amount);
  balance.save();

  const token = loadToken(p.token);
  token.totalRefunded = token.totalRefunded.plus(p.amount);
  saveToken(token);

  const refund = new Refund(eventId(event));
  refund.model = model.id;
  refund.funder = p.funder;
  refund.isLender = funder.isLender;
  refund.token = p.token;
  refund.amount = p.amount;
  refund.blockNumber = event.block.number;
  refund.timestamp = event.block.timestamp;
  refund.transactionHash = event.transaction.hash;
  refund.save();

  const tokenDay = loadTokenDay(event, token);
  tokenDay.refunded = tokenDay.refunded.plus(p.amount);
  tokenDay.save();
}

export function handleWithdrawal(event: WithdrawalEvent): void {
  const p = event.params;
  loadProtocol(event).save();
  touchAccount(p.account, event).save();

  const balance = loadAccountToken(p.account, p.token);
  balance.withdrawn = balance.withdrawn.plus(p.amount);
  balance.balance = balance.balance.minus(p.amount);
  balance.save();

  const token = loadToken(p.token);
  token.totalWithdrawn = token.totalWithdrawn.plus(p.amount);
  saveToken(token);

  const withdrawal = new Withdrawal(eventId(event));
  withdrawal.account = p.account;
  withdrawal.token = p.token;
  withdrawal.to = p.to;
  withdrawal.amount = p.amount;
  withdrawal.blockNumber = event.block.number;
  withdrawal.timestamp = event.block.timestamp;
  withdrawal.transactionHash = event.transaction.hash;
  withdrawal.save();

  const tokenDay = loadTokenDay(event, token);
  tokenDay.withdrawn = tokenDay.withdrawn.plus(p.amount);
  tokenDay.save();
}
