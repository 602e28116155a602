// The CSV columns of each table the dashboard offers for export (csv.ts): every row the API has,
// not only the page shown, amounts as exact decimals in whole units with the token beside them.
import type { CsvColumn } from './csv.ts';
import { exactDecimal, exactScore, isoTime } from './csv.ts';
import { PRIVACY_SCALE, type TokenInfo } from './format.ts';
import type { ContributorDetail, DeploymentRow, EvaluationPoint, FunderRow, GradientRow, LeaderboardAccount, LoanRow, ModelContributorRow, ModelRow, QuoteRow } from './types.ts';

type TokenOf = (address: string) => TokenInfo;

const amount = (raw: string | null | undefined, token: TokenInfo) => (raw === null || raw === undefined ? '' : exactDecimal(raw, token.decimals));
const PRIVACY_DECIMALS = PRIVACY_SCALE.toString().length - 1;
/** A DP epsilon (PRIVACY_SCALE fixed point) as its exact decimal: 0 = no DP, empty = not revealed yet. */
const epsilon = (raw: string | null | undefined) => (raw === null || raw === undefined ? '' : exactDecimal(raw, PRIVACY_DECIMALS));

export function modelColumns(tokenOf: TokenOf): CsvColumn<ModelRow>[] {
  return [
    { header: 'model', value: (m) => m.modelId },
    { header: 'status', value: (m) => m.status },
    { header: 'token', value: (m) => tokenOf(m.token.id).symbol },
    { header: 'token address', value: (m) => m.token.id },
    { header: 'bounty', value: (m) => amount(m.bounty, tokenOf(m.token.id)) },
    { header: 'paid', value: (m) => amount(m.paid, tokenOf(m.token.id)) },
    { header: 'refunded', value: (m) => amount(m.refunded, tokenOf(m.token.id)) },
    { header: 'left', value: (m) => amount(m.bountyLeft, tokenOf(m.token.id)) },
    { header: 'initial score', value: (m) => exactScore(m.initialScore) },
    { header: 'best score', value: (m) => exactScore(m.bestScore) },
    { header: 'target score', value: (m) => exactScore(m.targetScore) },
    { header: 'progress', value: (m) => m.progress },
    { header: 'gradients', value: (m) => m.gradientCount },
    { header: 'accepted', value: (m) => m.acceptedCount },
    { header: 'pending (revealed)', value: (m) => m.pendingCount },
    { header: 'committed (sealed)', value: (m) => m.committedCount },
    { header: 'contributors', value: (m) => m.contributorCount },
    { header: 'lender', value: (m) => m.lender.id },
    { header: 'submission deadline (UTC)', value: (m) => isoTime(m.submissionDeadline) },
    { header: 'created (UTC)', value: (m) => isoTime(m.createdAt) },
  ];
}

export function gradientColumns(token: TokenInfo): CsvColumn<GradientRow>[] {
  return [
    { header: 'gradient', value: (g) => g.gradientId },
    { header: 'contributor', value: (g) => g.contributor.id },
    { header: 'status', value: (g) => g.status },
    { header: 'seal', value: (g) => g.seal },
    { header: 'cid', value: (g) => g.cid },
    { header: 'dp epsilon', value: (g) => epsilon(g.dpEpsilon) },
    { header: 'score', value: (g) => exactScore(g.score) },
    { header: 'improvement', value: (g) => exactScore(g.improvement) },
    { header: `reward (${token.symbol})`, value: (g) => amount(g.reward, token) },
    { header: 'stake (ETH)', value: (g) => exactDecimal(g.stake, 18) },
    { header: 'model version', value: (g) => g.modelVersion },
    { header: 'committed (UTC)', value: (g) => isoTime(g.submittedAt) },
    { header: 'block', value: (g) => g.submittedAtBlock },
    { header: 'reveal deadline (UTC)', value: (g) => isoTime(g.revealDeadline) },
    { header: 'revealed (UTC)', value: (g) => isoTime(g.revealedAt) },
    { header: 'evaluated (UTC)', value: (g) => isoTime(g.evaluatedAt) },
    { header: 'transaction', value: (g) => g.transactionHash },
  ];
}

export function evaluationColumns(token: TokenInfo): CsvColumn<EvaluationPoint>[] {
  return [
    { header: 'evaluation', value: (e) => e.ordinal },
    { header: 'gradient', value: (e) => e.gradient.id },
    { header: 'contributor', value: (e) => e.contributor.id },
    { header: 'verdict', value: (e) => e.verdict },
    { header: 'score', value: (e) => exactScore(e.score) },
    { header: 'best before', value: (e) => exactScore(e.previousBestScore) },
    { header: 'best after', value: (e) => exactScore(e.bestScore) },
    { header: 'improvement', value: (e) => exactScore(e.improvement) },
    { header: `reward (${token.symbol})`, value: (e) => amount(e.reward, token) },
    { header: 'reached target', value: (e) => e.reachedTarget },
    { header: 'time (UTC)', value: (e) => isoTime(e.timestamp) },
    { header: 'block', value: (e) => e.blockNumber },
    { header: 'transaction', value: (e) => e.transactionHash },
  ];
}

export function modelContributorColumns(token: TokenInfo): CsvColumn<ModelContributorRow>[] {
  return [
    { header: 'contributor', value: (c) => c.contributor.id },
    { header: `rewards (${token.symbol})`, value: (c) => amount(c.rewardsEarned, token) },
    { header: 'improvement', value: (c) => exactScore(c.improvementContributed) },
    { header: 'submitted', value: (c) => c.gradientsSubmitted },
    { header: 'accepted', value: (c) => c.gradientsAccepted },
    { header: 'rejected', value: (c) => c.gradientsRejected },
    { header: 'declined', value: (c) => c.gradientsDeclined },
    { header: 'expired', value: (c) => c.gradientsExpired },
    { header: 'lapsed', value: (c) => c.gradientsLapsed },
    { header: 'pending (revealed)', value: (c) => c.pendingCount },
    { header: 'committed (sealed)', value: (c) => c.committedCount },
    { header: 'best score', value: (c) => exactScore(c.bestScore) },
    { header: 'dp epsilon spent', value: (c) => epsilon(c.dpEpsilonSpent) },
  ];
}

/** One column per token of rewards earned, so each amount keeps its own unit. */
export function leaderboardColumns(tokens: readonly string[], tokenOf: TokenOf): CsvColumn<LeaderboardAccount>[] {
  return [
    { header: 'account', value: (a) => a.id },
    { header: 'improvement', value: (a) => exactScore(a.improvementContributed) },
    { header: 'submitted', value: (a) => a.gradientsSubmitted },
    { header: 'accepted', value: (a) => a.gradientsAccepted },
    { header: 'rejected', value: (a) => a.gradientsRejected },
    { header: 'declined', value: (a) => a.gradientsDeclined },
    { header: 'expired', value: (a) => a.gradientsExpired },
    { header: 'lapsed', value: (a) => a.gradientsLapsed },
    { header: 'dp epsilon spent', value: (a) => epsilon(a.dpEpsilonSpent) },
    { header: 'rewards', value: (a) => a.rewardCount },
    ...tokens.map((t): CsvColumn<LeaderboardAccount> => ({
      header: `earned (${tokenOf(t).symbol})`,
      value: (a) => amount(a.balances.find((b) => b.token.id === t)?.rewardsEarned ?? '0', tokenOf(t)),
    })),
    { header: 'last active (UTC)', value: (a) => isoTime(a.lastActivityAt) },
  ];
}

export function accountGradientColumns(tokenOf: TokenOf): CsvColumn<ContributorDetail['gradients'][number]>[] {
  return [
    { header: 'gradient', value: (g) => g.id },
    { header: 'model', value: (g) => g.model.id },
    { header: 'status', value: (g) => g.status },
    { header: 'seal', value: (g) => g.seal },
    { header: 'cid', value: (g) => g.cid },
    { header: 'dp epsilon', value: (g) => epsilon(g.dpEpsilon) },
    { header: 'score', value: (g) => exactScore(g.score) },
    { header: 'improvement', value: (g) => exactScore(g.improvement) },
    { header: 'reward', value: (g) => amount(g.reward, tokenOf(g.model.token.id)) },
    { header: 'token', value: (g) => tokenOf(g.model.token.id).symbol },
    { header: 'committed (UTC)', value: (g) => isoTime(g.submittedAt) },
    { header: 'transaction', value: (g) => g.transactionHash },
  ];
}

/** A model's funders: the lender and third-party top-ups, and what each got back at close. */
export function funderColumns(token: TokenInfo): CsvColumn<FunderRow>[] {
  return [
    { header: 'funder', value: (f) => f.funder.id },
    { header: 'role', value: (f) => (f.isLender ? 'lender' : 'top-up') },
    { header: `put in (${token.symbol})`, value: (f) => amount(f.amount, token) },
    { header: 'deposits', value: (f) => f.depositCount },
    { header: `refunded (${token.symbol})`, value: (f) => amount(f.refund, token) },
    { header: 'refunded at (UTC)', value: (f) => isoTime(f.refundedAt) },
  ];
}

export function deploymentColumns(tokenOf: TokenOf): CsvColumn<DeploymentRow>[] {
  return [
    { header: 'deployment', value: (d) => d.deploymentId },
    { header: 'model', value: (d) => d.model.id },
    { header: 'version', value: (d) => d.modelVersion },
    { header: 'status', value: (d) => d.status },
    { header: 'metric', value: (d) => d.metric },
    { header: 'score', value: (d) => exactScore(d.score) },
    { header: 'target', value: (d) => exactScore(d.targetScore) },
    { header: 'lender', value: (d) => d.lender.id },
    { header: 'service', value: (d) => d.service },
    { header: 'quotes asked', value: (d) => d.quoteCount },
    { header: 'quotes answered', value: (d) => d.answeredQuoteCount },
    { header: 'loan requests', value: (d) => d.loanRequestCount },
    { header: 'approved', value: (d) => d.approvedCount },
    { header: 'declined', value: (d) => d.declinedCount },
    { header: 'cancelled', value: (d) => d.cancelledCount },
    { header: 'approved amount', value: (d) => amount(d.approvedAmount, tokenOf(d.token)) },
    { header: 'token', value: (d) => tokenOf(d.token).symbol },
    { header: 'average rate (bps)', value: (d) => d.averageRateBps ?? '' },
    { header: 'deployed (UTC)', value: (d) => isoTime(d.deployedAt) },
    { header: 'retired (UTC)', value: (d) => isoTime(d.retiredAt) },
  ];
}

export function loanColumns(tokenOf: TokenOf): CsvColumn<LoanRow>[] {
  return [
    { header: 'request', value: (l) => l.requestId },
    { header: 'deployment', value: (l) => l.deployment.id },
    { header: 'model', value: (l) => l.deployment.model.id },
    { header: 'borrower', value: (l) => l.borrower.id },
    { header: 'amount', value: (l) => amount(l.amount, tokenOf(l.token)) },
    { header: 'token', value: (l) => tokenOf(l.token).symbol },
    { header: 'term (days)', value: (l) => l.termDays },
    { header: 'status', value: (l) => l.status },
    { header: 'approved amount', value: (l) => amount(l.approvedAmount, tokenOf(l.token)) },
    { header: 'rate (bps)', value: (l) => l.rateBps },
    { header: 'reason', value: (l) => l.reason },
    { header: 'requested (UTC)', value: (l) => isoTime(l.requestedAt) },
    { header: 'decided (UTC)', value: (l) => isoTime(l.decidedAt) },
    { header: 'transaction', value: (l) => l.transactionHash },
  ];
}

export const quoteColumns: CsvColumn<QuoteRow>[] = [
  { header: 'quote', value: (q) => q.quoteId },
  { header: 'borrower', value: (q) => q.borrower.id },
  { header: 'status', value: (q) => q.status },
  { header: 'query cid', value: (q) => q.queryCid },
  { header: 'result cid', value: (q) => q.resultCid },
  { header: 'loan request', value: (q) => q.loanRequest?.id },
  { header: 'requested (UTC)', value: (q) => isoTime(q.requestedAt) },
  { header: 'answered (UTC)', value: (q) => isoTime(q.answeredAt) },
  { header: 'transaction', value: (q) => q.transactionHash },
];
