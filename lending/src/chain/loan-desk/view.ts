// The desk has no per-quote views: the state of deployments, quotes and loan requests is rebuilt
// from its events, like the repository's.
import type { LoanDecided, LoanDeskEvent, ModelDeployed } from './events.ts';

export interface QuoteState {
  quoteId: number;
  deploymentId: number;
  borrower: string;
  queryCid: string;
  resultCid?: string;
  answeredTx?: string;
}

export interface LoanRequestState {
  requestId: number;
  deploymentId: number;
  borrower: string;
  quoteId: number;
  amount: bigint;
  termDays: number;
  disclosureCid: string;
  status: 'Pending' | 'Approved' | 'Declined' | 'Cancelled';
  decision?: LoanDecided;
}

/** deployments, quotes and loan requests rebuilt from the desk's events */
export class LoanDeskView {
  readonly deployments = new Map<number, ModelDeployed & { retired: boolean }>();
  readonly quotes = new Map<number, QuoteState>();
  readonly loans = new Map<number, LoanRequestState>();

  apply(ev: LoanDeskEvent): void {
    switch (ev.name) {
      case 'ModelDeployed':
        this.deployments.set(ev.deploymentId, { ...ev, retired: false });
        break;
      case 'DeploymentRetired': {
        const d = this.deployments.get(ev.deploymentId);
        if (d) d.retired = true;
        break;
      }
      case 'QuoteRequested':
        this.quotes.set(ev.quoteId, { quoteId: ev.quoteId, deploymentId: ev.deploymentId, borrower: ev.borrower, queryCid: ev.queryCid });
        break;
      case 'QuoteAnswered': {
        const q = this.quotes.get(ev.quoteId);
        if (q) {
          q.resultCid = ev.resultCid;
          q.answeredTx = ev.txHash;
        }
        break;
      }
      case 'LoanRequested':
        this.loans.set(ev.requestId, {
          requestId: ev.requestId,
          deploymentId: ev.deploymentId,
          borrower: ev.borrower,
          quoteId: ev.quoteId,
          amount: ev.amount,
          termDays: ev.termDays,
          disclosureCid: ev.disclosureCid,
          status: 'Pending',
        });
        break;
      case 'LoanDecided': {
        const l = this.loans.get(ev.requestId);
        if (l) {
          l.status = ev.approved ? 'Approved' : 'Declined';
          l.decision = ev;
        }
        break;
      }
      case 'LoanRequestCancelled': {
        const l = this.loans.get(ev.requestId);
        if (l) l.status = 'Cancelled';
        break;
      }
    }
  }

  applyAll(events: Iterable<LoanDeskEvent>): void {
    for (const ev of events) this.apply(ev);
  }
}
