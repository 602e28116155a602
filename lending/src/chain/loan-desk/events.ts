// The LoanDesk's events, typed and decoded from raw logs.
import { big, num, parseLogWith, str } from '@hessian/core/chain';
import type { EventBase, RawLog } from '@hessian/core/chain';
import { DECISION_REASON, loanDeskInterface } from './abi.ts';
import type { DecisionReasonName } from './abi.ts';

export interface ModelDeployed extends EventBase {
  name: 'ModelDeployed';
  deploymentId: number;
  modelId: number;
  lender: string;
  service: string;
  token: string;
  modelVersion: number;
  score: number;
  targetScore: number;
  targetReached: boolean;
  weightsCommitment: string;
  metric: string;
  weightsCid: string;
  serviceCid: string;
}
export interface DeploymentRetired extends EventBase {
  name: 'DeploymentRetired';
  deploymentId: number;
  modelId: number;
  lender: string;
}
export interface QuoteRequested extends EventBase {
  name: 'QuoteRequested';
  quoteId: number;
  deploymentId: number;
  borrower: string;
  queryCid: string;
}
export interface QuoteAnswered extends EventBase {
  name: 'QuoteAnswered';
  quoteId: number;
  deploymentId: number;
  borrower: string;
  resultCid: string;
}
export interface LoanRequested extends EventBase {
  name: 'LoanRequested';
  requestId: number;
  deploymentId: number;
  borrower: string;
  quoteId: number;
  token: string;
  amount: bigint;
  termDays: number;
  disclosureCid: string;
}
export interface LoanDecided extends EventBase {
  name: 'LoanDecided';
  requestId: number;
  deploymentId: number;
  borrower: string;
  approved: boolean;
  amount: bigint;
  rateBps: number;
  reason: DecisionReasonName;
}
export interface LoanRequestCancelled extends EventBase {
  name: 'LoanRequestCancelled';
  requestId: number;
  deploymentId: number;
  borrower: string;
}

export type LoanDeskEvent = ModelDeployed | DeploymentRetired | QuoteRequested | QuoteAnswered | LoanRequested | LoanDecided | LoanRequestCancelled;

export function decodeLoanDeskLog(log: RawLog): LoanDeskEvent | undefined {
  const parsed = parseLogWith(loanDeskInterface, log);
  if (!parsed) return undefined;
  const { args: a, base } = parsed;
  switch (parsed.name) {
    case 'ModelDeployed':
      return {
        ...base,
        name: 'ModelDeployed',
        deploymentId: num(a.deploymentId),
        modelId: num(a.modelId),
        lender: str(a.lender),
        service: str(a.service),
        token: str(a.token),
        modelVersion: num(a.modelVersion),
        score: num(a.score),
        targetScore: num(a.targetScore),
        targetReached: Boolean(a.targetReached),
        weightsCommitment: str(a.weightsCommitment),
        metric: str(a.metric),
        weightsCid: str(a.weightsCid),
        serviceCid: str(a.serviceCid),
      };
    case 'DeploymentRetired':
      return { ...base, name: 'DeploymentRetired', deploymentId: num(a.deploymentId), modelId: num(a.modelId), lender: str(a.lender) };
    case 'QuoteRequested':
      return { ...base, name: 'QuoteRequested', quoteId: num(a.quoteId), deploymentId: num(a.deploymentId), borrower: str(a.borrower), queryCid: str(a.queryCid) };
    case 'QuoteAnswered':
      return { ...base, name: 'QuoteAnswered', quoteId: num(a.quoteId), deploymentId: num(a.deploymentId), borrower: str(a.borrower), resultCid: str(a.resultCid) };
    case 'LoanRequested':
      return {
        ...base,
        name: 'LoanRequested',
        requestId: num(a.requestId),
        deploymentId: num(a.deploymentId),
        borrower: str(a.borrower),
        quoteId: num(a.quoteId),
        token: str(a.token),
        amount: big(a.amount),
        termDays: num(a.termDays),
        disclosureCid: str(a.disclosureCid),
      };
    case 'LoanDecided':
      return {
        ...base,
        name: 'LoanDecided',
        requestId: num(a.requestId),
        deploymentId: num(a.deploymentId),
        borrower: str(a.borrower),
        approved: Boolean(a.approved),
        amount: big(a.amount),
        rateBps: num(a.rateBps),
        reason: DECISION_REASON[num(a.reason)] ?? 'Manual',
      };
    case 'LoanRequestCancelled':
      return { ...base, name: 'LoanRequestCancelled', requestId: num(a.requestId), deploymentId: num(a.deploymentId), borrower: str(a.borrower) };
    default:
      return undefined;
  }
}
