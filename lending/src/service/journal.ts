// What the lender's loan side remembers: loan-service.json (the daemon's quotes and loans),
// deployments.json (what `hessian loan deploy` prepared and sent) and manual-decisions.json.
import path from 'node:path';
import type { DecisionReasonName } from '../chain/loan-desk/index.ts';
import { recordsJournal } from '@hessian/core/journal';
import type { Journal } from '@hessian/core/journal';
import type { TagKey } from '../quote/prediction.ts';

export interface DeploymentRecord {
  modelId: number;
  metadataCid: string;
  weightsCid: string;
  /** hex; the commitment is sha256(salt ‖ weights as float64 little-endian) */
  salt: string;
  weightsCommitment: string;
  serviceCid: string;
  /** the X25519 private key file (0600) */
  disclosureKeyFile: string;
  state: 'prepared' | 'deployed';
  deploymentId?: number;
  blockNumber?: number;
  txHash?: string;
}

export interface QuoteRecord {
  deploymentId: number;
  /** keyed: tag key drawn (journaled before any answer leaves); answered: on-chain; refused: malformed query */
  state: 'keyed' | 'answered' | 'refused';
  tag?: TagKey;
  resultCid?: string;
  txHash?: string;
  reason?: string;
  fetchFailures?: number;
  /** the service's clock (ms) when it answered: what the per-borrower rate limit counts */
  answeredAt?: number;
}

export interface LoanRecord {
  deploymentId: number;
  /** manual: the pricing rule cannot decide it; left pending for hessian loan decide --request */
  state: 'decided' | 'done' | 'manual';
  approved: boolean;
  /** decimal base units */
  amount: string;
  rateBps: number;
  reason: DecisionReasonName;
  detail?: string;
  probability?: number;
  txHash?: string;
  manual?: boolean;
}

export interface LoanServiceJournal {
  version: 1;
  /** keyed by quote id */
  quotes: Record<string, QuoteRecord>;
  /** keyed by loan request id */
  loans: Record<string, LoanRecord>;
  /** written by versions that kept deployments here; read by deploymentRecords, never written */
  deployments?: Record<string, DeploymentRecord>;
}

/** the service daemon's journal (quotes, loans); only the daemon writes it */
export function loanServiceJournal(stateDir: string, opts: { readOnly?: boolean } = {}): Journal<LoanServiceJournal> {
  return recordsJournal<LoanServiceJournal>(path.join(stateDir, 'loan-service.json'), ['quotes', 'loans'], opts);
}

/**
 * Decisions made by hand (`hessian loan decide --request`), in a file of their own: the daemon
 * may be running and writing loan-service.json, and a second writer would replace its freshly
 * journaled tag keys with a stale copy. One writer per journal file.
 */
export interface ManualDecisionJournal {
  version: 1;
  /** keyed by loan request id */
  loans: Record<string, LoanRecord>;
}

export function manualDecisionJournal(stateDir: string, opts: { readOnly?: boolean } = {}): Journal<ManualDecisionJournal> {
  return recordsJournal<ManualDecisionJournal>(path.join(stateDir, 'loan-manual.json'), ['loans'], opts);
}

export interface DeploymentJournal {
  version: 1;
  /** keyed by service document CID: known before the deployment id exists */
  deployments: Record<string, DeploymentRecord>;
}

/**
 * deployModel's journal, in a file of its own: the service daemon runs while `hessian loan
 * deploy` adds deployments, and two writers of one journal would each overwrite the other's
 * records with their own copy. The daemon only reads it.
 */
export function deploymentJournal(stateDir: string, opts: { readOnly?: boolean } = {}): Journal<DeploymentJournal> {
  return recordsJournal<DeploymentJournal>(path.join(stateDir, 'loan-deployments.json'), ['deployments'], opts);
}

/**
 * every deployment journaled in the state directory, keyed by service CID (older ones from
 * loan-service.json; the service daemon, which holds that file, passes its own copy of them)
 */
export function deploymentRecords(stateDir: string, legacy = loanServiceJournal(stateDir, { readOnly: true }).value.deployments): Record<string, DeploymentRecord> {
  return { ...legacy, ...deploymentJournal(stateDir, { readOnly: true }).value.deployments };
}

// ------------------------------------------------------------------------------------- deploy
