// Result shapes of the documents in queries.ts (BigInt and BigDecimal fields arrive as strings).
import type { GradientStatusName, VerdictName } from './format.ts';

export interface Ref {
  id: string;
}

export interface MetaBlock {
  number: number;
  hash?: string | null;
  timestamp?: number | null;
}

export interface Meta {
  block: MetaBlock;
  deployment?: string;
  hasIndexingErrors?: boolean;
}

export type ModelStatus = 'Open' | 'TargetReached' | 'Closed';
/** Committed = sealed, Pending = revealed and waiting for the evaluator */
export type GradientStatus = GradientStatusName;
export type Verdict = VerdictName;

export interface ModelRow {
  id: string;
  modelId: string;
  lender: Ref;
  token: Ref;
  rule: 'Improvement' | 'EqualShare';
  status: ModelStatus;
  initialScore: string;
  targetScore: string;
  bestScore: string;
  progress: string;
  bounty: string;
  paid: string;
  refunded: string;
  bountyLeft: string;
  gradientCount: number;
  acceptedCount: number;
  committedCount: number;
  pendingCount: number;
  contributorCount: number;
  submissionDeadline: string;
  createdAt: string;
  lastActivityAt: string;
}

export interface Protocol extends LoanCounters {
  modelCount: number;
  openModelCount: number;
  gradientCount: number;
  committedGradientCount: number;
  pendingGradientCount: number;
  acceptedGradientCount: number;
  rejectedGradientCount: number;
  declinedGradientCount: number;
  expiredGradientCount: number;
  lapsedGradientCount: number;
  evaluationCount: number;
  rewardCount: number;
  lenderCount: number;
  contributorCount: number;
  lastBlockNumber: string;
}

export interface TokenTotals {
  id: string;
  isNative: boolean;
  modelCount: number;
  totalEscrowed: string;
  totalPaid: string;
  totalRefunded: string;
  totalWithdrawn: string;
  totalLocked: string;
}

export interface DayData {
  id: string;
  date: number;
  modelsCreated: number;
  gradientsSubmitted: number;
  gradientsAccepted: number;
  gradientsRejected: number;
  evaluations: number;
  cumulativeGradients: number;
  cumulativeAccepted: number;
}

export interface TokenDayData {
  id: string;
  token: Ref;
  date: number;
  escrowed: string;
  paid: string;
  refunded: string;
  cumulativeEscrowed: string;
  cumulativePaid: string;
}

export interface RecentGradient {
  id: string;
  model: Ref;
  contributor: Ref;
  seal: string;
  /** null until revealed */
  cid: string | null;
  status: GradientStatus;
  stake: string;
  submittedAt: string;
  submittedAtBlock: string;
  transactionHash: string;
}

export interface RecentEvaluation {
  id: string;
  gradient: Ref;
  model: Ref & { token: Ref };
  contributor: Ref;
  verdict: Verdict;
  accepted: boolean;
  score: string;
  improvement: string;
  reward: string;
  reachedTarget: boolean;
  blockNumber: string;
  timestamp: string;
  transactionHash: string;
}

export interface RecentDeposit {
  id: string;
  model: Ref;
  funder: Ref;
  token: Ref;
  amount: string;
  isInitial: boolean;
  blockNumber: string;
  timestamp: string;
  transactionHash: string;
}

export interface RecentRefund {
  id: string;
  model: Ref;
  funder: Ref;
  isLender: boolean;
  token: Ref;
  amount: string;
  blockNumber: string;
  timestamp: string;
  transactionHash: string;
}

export interface OverviewData {
  _meta: Meta;
  protocol: Protocol | null;
  tokens: TokenTotals[];
  models: ModelRow[];
  dayDatas: DayData[];
  tokenDayDatas: TokenDayData[];
  gradients: RecentGradient[];
  evaluations: RecentEvaluation[];
  deposits: RecentDeposit[];
  refunds: RecentRefund[];
}

export interface EvaluationPoint {
  id: string;
  /** 1-based position among the model's evaluations */
  ordinal: number;
  gradient: Ref;
  contributor: Ref;
  verdict: Verdict;
  accepted: boolean;
  previousBestScore: string;
  score: string;
  bestScore: string;
  improvement: string;
  reward: string;
  reachedTarget: boolean;
  blockNumber: string;
  timestamp: string;
  transactionHash: string;
  logIndex: string;
}

export interface GradientRow {
  id: string;
  gradientId: string;
  contributor: Ref;
  seal: string;
  /** null until revealed */
  cid: string | null;
  /** PRIVACY_SCALE fixed point; null until revealed */
  dpEpsilon: string | null;
  status: GradientStatus;
  score: string | null;
  improvement: string | null;
  reward: string;
  stake: string;
  modelVersion: number;
  submittedAt: string;
  submittedAtBlock: string;
  revealDeadline: string;
  revealedAt: string | null;
  evaluatedAt: string | null;
  transactionHash: string;
}

/** One contributor's record on one model (queries.ts CONTRIBUTION_STATS). */
export interface ContributionStats {
  id: string;
  gradientsSubmitted: number;
  gradientsAccepted: number;
  gradientsRejected: number;
  gradientsDeclined: number;
  gradientsExpired: number;
  gradientsLapsed: number;
  committedCount: number;
  pendingCount: number;
  rewardsEarned: string;
  improvementContributed: string;
  /** PRIVACY_SCALE fixed point */
  dpEpsilonSpent: string;
  bestScore: string | null;
}

export interface ModelContributorRow extends ContributionStats {
  contributor: Ref;
  lastSubmittedAt: string;
}

export interface DepositRow {
  id: string;
  funder: Ref;
  amount: string;
  totalBounty: string;
  isInitial: boolean;
  timestamp: string;
  transactionHash: string;
}

/** One account's money in a model's bounty, and what it got back at close. */
export interface FunderRow {
  id: string;
  funder: Ref;
  isLender: boolean;
  amount: string;
  depositCount: number;
  /** null until credited */
  refund: string | null;
  refundedAt: string | null;
}

export interface ModelDetail extends ModelRow {
  evaluator: string;
  shared: string;
  shareCount: number;
  sharePerGradient: string;
  evaluationWindow: string;
  submissionStake: string;
  metadataCid: string;
  initialWeightsCid: string;
  weightsCid: string;
  version: number;
  rejectedCount: number;
  declinedCount: number;
  expiredCount: number;
  lapsedCount: number;
  funderCount: number;
  targetReached: boolean;
  targetReachedAt: string | null;
  targetReachedBy: Ref | null;
  closedAt: string | null;
  closeReason: 'Deadline' | 'TargetReached' | null;
  createdAtBlock: string;
  createdTransaction: string;
  evaluations: EvaluationPoint[];
  gradients: GradientRow[];
  contributors: ModelContributorRow[];
  deposits: DepositRow[];
  funders: FunderRow[];
  deployments: DeploymentRow[];
}

export interface ModelData {
  _meta: Meta;
  model: ModelDetail | null;
}

export interface Balance {
  token: Ref;
  rewardsEarned: string;
  withdrawn: string;
}

export interface LeaderboardAccount {
  id: string;
  gradientsSubmitted: number;
  gradientsAccepted: number;
  gradientsRejected: number;
  gradientsDeclined: number;
  gradientsExpired: number;
  gradientsLapsed: number;
  improvementContributed: string;
  /** PRIVACY_SCALE fixed point, summed over the account's revealed gradients */
  dpEpsilonSpent: string;
  rewardCount: number;
  lastActivityAt: string;
  balances: Balance[];
}

export interface LeaderboardData {
  _meta: Meta;
  accounts: LeaderboardAccount[];
}

export interface ContributorDetail {
  id: string;
  modelsCreated: number;
  gradientsSubmitted: number;
  gradientsAccepted: number;
  gradientsRejected: number;
  gradientsDeclined: number;
  gradientsExpired: number;
  gradientsLapsed: number;
  improvementContributed: string;
  dpEpsilonSpent: string;
  rewardCount: number;
  firstSeenAt: string;
  lastActivityAt: string;
  balances: (Balance & { refundsReceived: string; stakesReturned: string; stakesForfeited: string; stakesReceived: string; balance: string })[];
  modelStats: (ContributionStats & { model: { id: string; token: Ref; status: ModelStatus; bestScore: string; targetScore: string; progress: string } })[];
  gradients: {
    id: string;
    model: Ref & { token: Ref };
    seal: string;
    cid: string | null;
    dpEpsilon: string | null;
    status: GradientStatus;
    score: string | null;
    improvement: string | null;
    reward: string;
    submittedAt: string;
    transactionHash: string;
  }[];
  rewards: {
    id: string;
    model: Ref;
    gradient: Ref;
    token: Ref;
    amount: string;
    kind: 'Improvement' | 'EqualShare' | 'ExpiredShare';
    blockNumber: string;
    timestamp: string;
    transactionHash: string;
  }[];
  withdrawals: { id: string; token: Ref; amount: string; to: string; timestamp: string; transactionHash: string }[];
  /** bounties this account put money into, as lender or third-party funder */
  fundings: (Omit<FunderRow, 'funder'> & { model: Ref & { token: Ref; status: ModelStatus } })[];
  /** as a lender: its models deployed to the loan desk */
  deployments: DeploymentRow[];
  /** as a borrower */
  loanRequests: LoanRow[];
  quotes: Ref[];
}

export interface ContributorData {
  _meta: Meta;
  account: ContributorDetail | null;
}

// ---------------------------------------------------------------- loan desk (model deployment)

export type DeploymentStatus = 'Active' | 'Retired';
export type QuoteStatus = 'Requested' | 'Answered';
export type LoanStatus = 'Pending' | 'Approved' | 'Declined' | 'Cancelled';
export type DecisionReason = 'Priced' | 'RiskTooHigh' | 'RateAboveCap' | 'AmountAboveLimit' | 'InvalidDisclosure' | 'Manual';

export interface LoanCounters {
  deploymentCount: number;
  activeDeploymentCount: number;
  quoteCount: number;
  answeredQuoteCount: number;
  loanRequestCount: number;
  approvedLoanCount: number;
  declinedLoanCount: number;
}

export interface DeploymentRow {
  id: string;
  deploymentId: string;
  model: Ref;
  lender: Ref;
  service: string;
  /** loan currency address (0x00..00 = ETH) */
  token: string;
  status: DeploymentStatus;
  modelVersion: number;
  score: string;
  targetScore: string;
  targetReached: boolean;
  metric: string;
  serviceCid: string;
  quoteCount: number;
  answeredQuoteCount: number;
  loanRequestCount: number;
  pendingLoanCount: number;
  approvedCount: number;
  declinedCount: number;
  cancelledCount: number;
  approvedAmount: string;
  /** BigDecimal text, null until a loan is approved */
  averageRateBps: string | null;
  deployedAt: string;
  deployedAtBlock: string;
  transactionHash: string;
  retiredAt: string | null;
}

export interface LoanRow {
  id: string;
  requestId: string;
  deployment: Ref & { model: Ref };
  quote: Ref;
  borrower: Ref;
  token: string;
  amount: string;
  termDays: number;
  disclosureCid: string;
  status: LoanStatus;
  approved: boolean | null;
  approvedAmount: string | null;
  rateBps: number | null;
  reason: DecisionReason | null;
  requestedAt: string;
  requestedAtBlock: string;
  transactionHash: string;
  decidedAt: string | null;
  decisionTransactionHash: string | null;
  cancelledAt: string | null;
}

export interface QuoteRow {
  id: string;
  quoteId: string;
  borrower: Ref;
  queryCid: string;
  status: QuoteStatus;
  resultCid: string | null;
  requestedAt: string;
  transactionHash: string;
  answeredAt: string | null;
  answerTransactionHash: string | null;
  loanRequest: Ref | null;
}

export interface LoansData {
  _meta: Meta;
  protocol: LoanCounters | null;
  deployments: DeploymentRow[];
  loanRequests: LoanRow[];
}

export interface DeploymentDetail extends DeploymentRow {
  weightsCid: string;
  weightsCommitment: string;
  quotes: QuoteRow[];
  loanRequests: LoanRow[];
}

export interface DeploymentData {
  _meta: Meta;
  deployment: DeploymentDetail | null;
}
