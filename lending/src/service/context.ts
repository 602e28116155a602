// What the loan service's steps share: its configuration, the running service's state, and a
// loaded deployment.
import type { ContentStore } from '@hessian/core/ipfs';
import type { LoanDeskClient } from '../chain/loan-desk/index.ts';
import type { Journal } from '@hessian/core/journal';
import type { Logger } from '@hessian/core/log';
import type { QueryLayout } from '../quote/prediction.ts';
import type { ServiceDocument } from '../quote/documents.ts';
import type { HeContext } from '@hessian/core/he';
import type { LoanDeskView } from '../chain/loan-desk/index.ts';
import type { LoanServiceJournal } from './journal.ts';
import type { QuoteLimits } from './limits.ts';

export interface LoanServiceConfig {
  desk: LoanDeskClient;
  store: ContentStore;
  /** the lender's state directory (lender.json, loan-service.json, key files) */
  stateDir: string;
  /**
   * deployments to serve (default: every deployment naming this account as its service, those
   * made while the service runs included); each needs its material in stateDir
   */
  deploymentIds?: number[];
  /** process what is pending, then stop */
  once?: boolean;
  pollMs?: number;
  /** a query whose content cannot be found is refused after this many attempts (default 5) */
  fetchAttempts?: number;
  /** per-borrower bounds on the work quotes cost this service (DEFAULT_QUOTE_LIMITS) */
  quoteLimits?: Partial<QuoteLimits>;
  log?: Logger;
  /** fault injection for restart tests: after the tag key is journaled, before the answer is sent */
  beforeAnswer?: (info: { quoteId: number }) => void | Promise<void>;
  /** fault injection for restart tests: after the decision is journaled, before its transaction */
  beforeDecide?: (info: { requestId: number }) => void | Promise<void>;
}

/** what every step of the running service shares */
export interface Service {
  cfg: LoanServiceConfig;
  log: Logger;
  desk: LoanDeskClient;
  journal: Journal<LoanServiceJournal>;
  view: LoanDeskView;
  /** the CKKS context of the query parameters, for bounding downloads */
  qhe: HeContext;
  pollMs: number;
  limits: QuoteLimits;
  /** quotes already logged as held back by the rate limit */
  deferredLogged: Set<number>;
}

/** a loaded deployment: its service document, query layout, plaintext weights and disclosure key */
export interface ServiceCtx {
  deploymentId: number;
  doc: ServiceDocument;
  layout: QueryLayout;
  w: Float64Array;
  disclosureKey: string;
}

/** a deployment of this account, as the service sees it */
export interface Served {
  ctx?: ServiceCtx;
  /** what kept it from being loaded, as last logged */
  unavailable?: string;
  /** loading failed after the material was found: retried with a back-off */
  failures: number;
  retryAt: number;
  /** retired with nothing left to answer or decide */
  finished?: boolean;
}
