// Handlers for every LoanDesk event (model deployment). As with ModelRepository, the events carry
// everything (no eth_call): ModelDeployed has the score and version the desk read from the
// repository, LoanRequested the deployment's token. Borrower features never reach these handlers:
// quotes, results and disclosures are CIDs only.
import { BigInt, ethereum } from '@graphprotocol/graph-ts';
import {
  DeploymentRetired,
  LoanDecided,
  LoanRequestCancelled,
  LoanRequested,
  ModelDeployed,
  QuoteAnswered,
  QuoteRequested,
} from '../generated/LoanDesk/LoanDesk';
import { Deployment, LoanRequest, Model, Quote } from '../generated/schema';
import { loadProtocol, touchAccount } from './entities';
import { decisionReasonName } from './enums';

// Unknown ids throw (a deterministic handler failure): the desk emits creation events first.
function loadDeployment(deploymentId: BigInt): Deployment {
  const deployment = Deployment.load(deploymentId.toString());
  if (deployment == null) throw new Error('deployment ' + deploymentId.toString() + ' not found (event before ModelDeployed?)');
  return deployment;
}

function loadQuote(quoteId: BigInt): Quote {
  const quote = Quote.load(quoteId.toString());
  if (quote == null) throw new Error('quote ' + quoteId.toString() + ' not found (event before QuoteRequested?)');
  return quote;
}

function loadLoanRequest(requestId: BigInt): LoanRequest {
  const request = LoanRequest.load(requestId.toString());
  if (request == null) throw new Error('loan request ' + requestId.toString() + ' not found (event before LoanRequested?)');
  return request;
}

/** The service acts in answers and decisions without being named in the event (like a model's evaluator). */
function touchService(deployment: Deployment, event: ethereum.Event): void {
  touchAccount(deployment.service, event).save();
}

export function handleModelDeployed(event: ModelDeployed): void {
  const p = event.params;
  // the desk only deploys models the repository knows: a missing one means a data source is missing
  if (Model.load(p.modelId.toString()) == null) throw new Error('model ' + p.modelId.toString() + ' not found (LoanDesk indexed without its ModelRepository?)');
  const protocol = loadProtocol(event);
  protocol.deploymentCount += 1;
  protocol.activeDeploymentCount += 1;
  protocol.save();
  touchAccount(p.lender, event).save();
  // the service is often the lender itself: saved above, loaded again here
  touchAccount(p.service, event).save();

  const deployment = new Deployment(p.deploymentId.toString());
  deployment.deploymentId = p.deploymentId;
  deployment.model = p.modelId.toString();
  deployment.lender = p.lender;
  deployment.service = p.service;
  deployment.token = p.token;
  deployment.status = 'Active';
  deployment.modelVersion = p.modelVersion.toI32();
  deployment.score = p.score;
  deployment.targetScore = p.targetScore;
  deployment.targetReached = p.targetReached;
  deployment.metric = p.metric;
  deployment.weightsCid = p.weightsCid;
  deployment.weightsCommitment = p.weightsCommitment;
  deployment.serviceCid = p.serviceCid;
  deployment.quoteCount = 0;
  deployment.answeredQuoteCount = 0;
  deployment.loanRequestCount = 0;
  deployment.pendingLoanCount = 0;
  deployment.approvedCount = 0;
  deployment.declinedCount = 0;
  deployment.cancelledCount = 0;
  deployment.approvedAmount = BigInt.zero();
  deployment.rateWeightedAmount = BigInt.zero();
  deployment.deployedAt = event.block.timestamp;
  deployment.deployedAtBlock = event.block.number;
  deployment.transactionHash = event.transaction.hash;
  deployment.save();
}

export function handleDeploymentRetired(event: DeploymentRetired): void {
  const p = event.params;
  const deployment = loadDeployment(p.deploymentId);
  const protocol = loadProtocol(event);
  if (deployment.status == 'Active') protocol.activeDeploymentCount -= 1;
  protocol.save();
  touchAccount(p.lender, event).save();
  deployment.status = 'Retired';
  deployment.retiredAt = event.block.timestamp;
  deployment.save();
}

export function handleQuoteRequested(event: QuoteRequested): void {
  const p = event.params;
  const protocol = loadProtocol(event);
  protocol.quoteCount += 1;
  protocol.save();
  touchAccount(p.borrower, event).save();

  const deployment = loadDeployment(p.deploymentId);
  deployment.quoteCount += 1;
  deployment.save();

  const quote = new Quote(p.quoteId.toString());
  quote.quoteId = p.quoteId;
  quote.deployment = deployment.id;
  quote.borrower = p.borrower;
  quote.queryCid = p.queryCid;
  quote.status = 'Requested';
  quote.requestedAt = event.block.timestamp;
  quote.requestedAtBlock = event.block.number;
  quote.transactionHash = event.transaction.hash;
  quote.save();
}

export function handleQuoteAnswered(event: QuoteAnswered): void {
  const p = event.params;
  const protocol = loadProtocol(event);
  protocol.answeredQuoteCount += 1;
  protocol.save();
  touchAccount(p.borrower, event).save();

  const deployment = loadDeployment(p.deploymentId);
  deployment.answeredQuoteCount += 1;
  deployment.save();
  touchService(deployment, event);

  const quote = loadQuote(p.quoteId);
  quote.status = 'Answered';
  quote.resultCid = p.resultCid;
  quote.answeredAt = event.block.timestamp;
  quote.answerTransactionHash = event.transaction.hash;
  quote.save();
}

export function handleLoanRequested(event: LoanRequested): void {
  const p = event.params;
  const protocol = loadProtocol(event);
  protocol.loanRequestCount += 1;
  protocol.save();
  touchAccount(p.borrower, event).save();

  const deployment = loadDeployment(p.deploymentId);
  deployment.loanRequestCount += 1;
  deployment.pendingLoanCount += 1;
  deployment.save();

  const request = new LoanRequest(p.requestId.toString());
  request.requestId = p.requestId;
  request.deployment = deployment.id;
  request.quote = p.quoteId.toString();
  request.borrower = p.borrower;
  request.token = p.token;
  request.amount = p.amount;
  request.termDays = p.termDays.toI32();
  request.disclosureCid = p.disclosureCid;
  request.status = 'Pending';
  request.requestedAt = event.block.timestamp;
  request.requestedAtBlock = event.block.number;
  request.transactionHash = event.transaction.hash;
  request.save();

  const quote = loadQuote(p.quoteId);
  quote.loanRequest = request.id;
  quote.save();
}

export function handleLoanDecided(event: LoanDecided): void {
  const p = event.params;
  const protocol = loadProtocol(event);
  if (p.approved) protocol.approvedLoanCount += 1;
  else protocol.declinedLoanCount += 1;
  protocol.save();
  touchAccount(p.borrower, event).save();

  const deployment = loadDeployment(p.deploymentId);
  deployment.pendingLoanCount -= 1;
  if (p.approved) {
    deployment.approvedCount += 1;
    deployment.approvedAmount = deployment.approvedAmount.plus(p.amount);
    deployment.rateWeightedAmount = deployment.rateWeightedAmount.plus(p.amount.times(p.rateBps));
    deployment.averageRateBps = deployment.rateWeightedAmount.toBigDecimal().div(deployment.approvedAmount.toBigDecimal());
  } else {
    deployment.declinedCount += 1;
  }
  deployment.save();
  touchService(deployment, event);

  const request = loadLoanRequest(p.requestId);
  request.status = p.approved ? 'Approved' : 'Declined';
  request.approved = p.approved;
  request.approvedAmount = p.amount;
  request.rateBps = p.rateBps.toI32();
  request.reason = decisionReasonName(p.reason);
  request.decidedAt = event.block.timestamp;
  request.decisionTransactionHash = event.transaction.hash;
  request.save();
}

export function handleLoanRequestCancelled(event: LoanRequestCancelled): void {
  const p = event.params;
  loadProtocol(event).save();
  touchAccount(p.borrower, event).save();

  const deployment = loadDeployment(p.deploymentId);
  deployment.pendingLoanCount -= 1;
  deployment.cancelledCount += 1;
  deployment.save();

  const request = loadLoanRequest(p.requestId);
  request.status = 'Cancelled';
  request.cancelledAt = event.block.timestamp;
  request.save();
}
