// Load-or-create helpers for the running aggregates. Each returns an entity the caller updates
// and saves; creation seeds every required field so a save never misses one.
import { Address, BigDecimal, BigInt, Bytes, ethereum } from '@graphprotocol/graph-ts';
import { Account, AccountToken, DayData, Model, ModelContributor, Protocol, Token, TokenDayData } from '../generated/schema';

export const PROTOCOL_ID = 'hessian';
const SECONDS_PER_DAY = 86400;

/** Event entities get Bytes ids: transaction hash ++ log index (little-endian i32, graph-ts style). */
export function eventId(event: ethereum.Event): Bytes {
  return event.transaction.hash.concatI32(event.logIndex.toI32());
}

export function loadProtocol(event: ethereum.Event): Protocol {
  let protocol = Protocol.load(PROTOCOL_ID);
  if (protocol == null) {
    protocol = new Protocol(PROTOCOL_ID);
    protocol.modelCount = 0;
    protocol.openModelCount = 0;
    protocol.gradientCount = 0;
    protocol.committedGradientCount = 0;
    protocol.pendingGradientCount = 0;
    protocol.acceptedGradientCount = 0;
    protocol.rejectedGradientCount = 0;
    protocol.declinedGradientCount = 0;
    protocol.expiredGradientCount = 0;
    protocol.lapsedGradientCount = 0;
    protocol.evaluationCount = 0;
    protocol.rewardCount = 0;
    protocol.lenderCount = 0;
    protocol.contributorCount = 0;
    protocol.deploymentCount = 0;
    protocol.activeDeploymentCount = 0;
    protocol.quoteCount = 0;
    protocol.answeredQuoteCount = 0;
    protocol.loanRequestCount = 0;
    protocol.approvedLoanCount = 0;
    protocol.declinedLoanCount = 0;
  }
  protocol.lastBlockNumber = event.block.number;
  protocol.lastTimestamp = event.block.timestamp;
  return protocol;
}

/** An account involved in this event: created on first sight, its activity time moved on. */
export function touchAccount(address: Bytes, event: ethereum.Event): Account {
  let account = Account.load(address);
  if (account == null) {
    account = new Account(address);
    account.modelsCreated = 0;
    account.gradientsSubmitted = 0;
    account.gradientsAccepted = 0;
    account.gradientsRejected = 0;
    account.gradientsDeclined = 0;
    account.gradientsExpired = 0;
    account.gradientsLapsed = 0;
    account.improvementContributed = BigInt.zero();
    account.dpEpsilonSpent = BigInt.zero();
    account.rewardCount = 0;
    account.firstSeenAt = event.block.timestamp;
  }
  account.lastActivityAt = event.block.timestamp;
  return account;
}

export function loadToken(address: Bytes): Token {
  let token = Token.load(address);
  if (token == null) {
    token = new Token(address);
    token.isNative = address.equals(Address.zero());
    token.modelCount = 0;
    token.totalEscrowed = BigInt.zero();
    token.totalPaid = BigInt.zero();
    token.totalRefunded = BigInt.zero();
    token.totalWithdrawn = BigInt.zero();
    token.totalLocked = BigInt.zero();
  }
  return token;
}

export function saveToken(token: Token): void {
  token.totalLocked = token.totalEscrowed.minus(token.totalPaid).minus(token.totalRefunded);
  token.save();
}

/** Also makes sure the Token row exists, so `balances { token }` never dangles (stakes are ETH). */
export function loadAccountToken(account: Bytes, token: Bytes): AccountToken {
  const id = account.concat(token);
  let row = AccountToken.load(id);
  if (row == null) {
    if (Token.load(token) == null) loadToken(token).save();
    row = new AccountToken(id);
    row.account = account;
    row.token = token;
    row.rewardsEarned = BigInt.zero();
    row.refundsReceived = BigInt.zero();
    row.stakesReturned = BigInt.zero();
    row.stakesForfeited = BigInt.zero();
    row.stakesReceived = BigInt.zero();
    row.withdrawn = BigInt.zero();
    row.balance = BigInt.zero();
  }
  return row;
}

export function modelContributorId(modelId: BigInt, contributor: Bytes): string {
  return modelId.toString() + '-' + contributor.toHexString();
}

/** Throws (a deterministic handler failure) if the model is unknown: events are emitted in order. */
export function loadModel(modelId: BigInt, event: ethereum.Event): Model {
  const model = Model.load(modelId.toString());
  if (model == null) throw new Error('model ' + modelId.toString() + ' not found (event before ModelCreated?)');
  model.lastActivityAt = event.block.timestamp;
  return model;
}

export function saveModel(model: Model): void {
  model.bountyLeft = model.bounty.minus(model.paid).minus(model.refunded);
  model.progress = progressOf(model.initialScore, model.targetScore, model.bestScore);
  model.save();
}

/** (best - initial) / (target - initial), capped at 1. */
export function progressOf(initial: BigInt, target: BigInt, best: BigInt): BigDecimal {
  if (best.ge(target)) return BigInt.fromI32(1).toBigDecimal();
  if (best.le(initial)) return BigDecimal.zero();
  return best.minus(initial).toBigDecimal().div(target.minus(initial).toBigDecimal());
}

export function loadModelContributor(modelId: BigInt, contributor: Bytes): ModelContributor | null {
  return ModelContributor.load(modelContributorId(modelId, contributor));
}

export function dayNumber(event: ethereum.Event): i32 {
  return event.block.timestamp.toI32() / SECONDS_PER_DAY;
}

/** The day's row with its running totals taken from the protocol (save the protocol's update first). */
export function loadDay(event: ethereum.Event, protocol: Protocol): DayData {
  const day = dayNumber(event);
  const id = day.toString();
  let data = DayData.load(id);
  if (data == null) {
    data = new DayData(id);
    data.date = day * SECONDS_PER_DAY;
    data.modelsCreated = 0;
    data.gradientsSubmitted = 0;
    data.gradientsRevealed = 0;
    data.gradientsAccepted = 0;
    data.gradientsRejected = 0;
    data.gradientsDeclined = 0;
    data.gradientsExpired = 0;
    data.gradientsLapsed = 0;
    data.evaluations = 0;
  }
  data.cumulativeGradients = protocol.gradientCount;
  data.cumulativeAccepted = protocol.acceptedGradientCount;
  return data;
}

/** Big-endian, so that TokenDayData ids sort by day within a token. */
function dayBytes(day: i32): Bytes {
  const b = new Bytes(4);
  b[0] = (day >> 24) as u8;
  b[1] = (day >> 16) as u8;
  b[2] = (day >> 8) as u8;
  b[3] = day as u8;
  return b;
}

/** The token's row for the event's day, running totals from the token (update the token first). */
export function loadTokenDay(event: ethereum.Event, token: Token): TokenDayData {
  const day = dayNumber(event);
  const id = changetype<Bytes>(token.id.concat(dayBytes(day)));
  let data = TokenDayData.load(id);
  if (data == null) {
    data = new TokenDayData(id);
    data.token = token.id;
    data.date = day * SECONDS_PER_DAY;
    data.escrowed = BigInt.zero();
    data.paid = BigInt.zero();
    data.refunded = BigInt.zero();
    data.withdrawn = BigInt.zero();
  }
  data.cumulativeEscrowed = token.totalEscrowed;
  data.cumulativePaid = token.totalPaid;
  return data;
}
