// Result shapes of the documents in queries.ts, named for the pages and components that use them.
// Every shape is taken from operations.generated.ts, which `npm run build` generates from the
// documents and the subgraph's schema (subgraph/scripts/graphql-types.ts): nothing here restates a field.
// BigInt, BigDecimal and Bytes fields arrive as strings.
import type {
  ContributorQuery,
  DeploymentQuery,
  LeaderboardQuery,
  LoansQuery,
  MetaQuery,
  ModelQuery,
  OverviewQuery,
} from './operations.generated.ts';

export type {
  DecisionReason,
  DeploymentStatus,
  GradientStatus,
  LoanStatus,
  ModelStatus,
  QuoteStatus,
  RewardKind,
  Verdict,
} from './operations.generated.ts';

/** the element type of a list field */
type Row<List> = NonNullable<List> extends readonly (infer R)[] ? R : never;

export interface Ref {
  id: string;
}

export type Meta = NonNullable<MetaQuery['_meta']>;

export type OverviewData = OverviewQuery;
export type Protocol = NonNullable<OverviewQuery['protocol']>;
export type TokenTotals = Row<OverviewQuery['tokens']>;
export type ModelRow = Row<OverviewQuery['models']>;
export type DayData = Row<OverviewQuery['dayDatas']>;
export type TokenDayData = Row<OverviewQuery['tokenDayDatas']>;
export type RecentGradient = Row<OverviewQuery['gradients']>;
export type RecentEvaluation = Row<OverviewQuery['evaluations']>;
export type RecentDeposit = Row<OverviewQuery['deposits']>;
export type RecentRefund = Row<OverviewQuery['refunds']>;

export type ModelData = ModelQuery;
export type ModelDetail = NonNullable<ModelQuery['model']>;
export type EvaluationPoint = Row<ModelDetail['evaluations']>;
export type GradientRow = Row<ModelDetail['gradients']>;
export type ModelContributorRow = Row<ModelDetail['contributors']>;
export type DepositRow = Row<ModelDetail['deposits']>;
/** One account's money in a model's bounty, and what it got back at close. */
export type FunderRow = Row<ModelDetail['funders']>;

export type LeaderboardData = LeaderboardQuery;
export type LeaderboardAccount = Row<LeaderboardQuery['accounts']>;
export type Balance = Row<LeaderboardAccount['balances']>;

export type ContributorData = ContributorQuery;
export type ContributorDetail = NonNullable<ContributorQuery['account']>;

// ---------------------------------------------------------------- loan desk (model deployment)

export type LoansData = LoansQuery;
export type LoanCounters = NonNullable<LoansQuery['protocol']>;
export type DeploymentRow = Row<LoansQuery['deployments']>;
export type LoanRow = Row<LoansQuery['loanRequests']>;

export type DeploymentData = DeploymentQuery;
export type DeploymentDetail = NonNullable<DeploymentQuery['deployment']>;
export type QuoteRow = Row<DeploymentDetail['quotes']>;
