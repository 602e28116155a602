// A loan request decided by hand (reason Manual), journaled like the daemon's decisions.
import type { LoanDeskClient } from '../chain/loan-desk/index.ts';
import { closing } from '@hessian/core/journal';
import type { Journal } from '@hessian/core/journal';
import { silentLogger } from '@hessian/core/log';
import type { Logger } from '@hessian/core/log';
import { loanServiceJournal, manualDecisionJournal, deploymentRecords } from './journal.ts';
import type { ManualDecisionJournal } from './journal.ts';

export interface ManualDecision {
  requestId: number;
  approved: boolean;
  /** base units; ignored (0) when declined */
  amount?: bigint;
  rateBps?: number;
}

/** decides a pending loan request by hand (reason Manual), journaled like the daemon's decisions */
export async function decideManually(cfg: { desk: LoanDeskClient; stateDir: string; log?: Logger }, d: ManualDecision): Promise<{ txHash: string }> {
  const log = (cfg.log ?? silentLogger).child({ role: 'loan-service' });
  const key = String(d.requestId);
  const byService = loanServiceJournal(cfg.stateDir, { readOnly: true }).value.loans[key];
  if (byService?.state === 'done') throw new Error(`loan request ${d.requestId} was already decided by this service`);
  const journal = manualDecisionJournal(cfg.stateDir);
  return closing(journal, () => decideJournaled(cfg, d, journal, log));
}

async function decideJournaled(cfg: { desk: LoanDeskClient; stateDir: string }, d: ManualDecision, journal: Journal<ManualDecisionJournal>, log: Logger): Promise<{ txHash: string }> {
  const key = String(d.requestId);
  if (journal.value.loans[key]?.state === 'done') throw new Error(`loan request ${d.requestId} was already decided by hand (tx ${journal.value.loans[key]!.txHash ?? 'unknown'})`);
  const [req] = (await cfg.desk.queryEvents('LoanRequested', [d.requestId]));
  if (!req) throw new Error(`no loan request ${d.requestId} on the LoanDesk`);
  const { serviceCid } = await cfg.desk.deployment(req.deploymentId);
  const ours = Object.values(deploymentRecords(cfg.stateDir)).some((r) => r.serviceCid === serviceCid);
  if (!ours) throw new Error(`loan request ${d.requestId} is for deployment ${req.deploymentId}, which this state directory did not deploy`);
  // decided elsewhere (the daemon, or an earlier run of this command that crashed before its record)
  const [decided] = await cfg.desk.queryEvents('LoanDecided', [d.requestId]);
  if (decided) throw new Error(`loan request ${d.requestId} is already decided on-chain (${decided.approved ? 'approved' : 'declined'}, ${decided.reason}, tx ${decided.txHash})`);
  const amount = d.approved ? (d.amount ?? req.amount) : 0n;
  const rateBps = d.approved ? (d.rateBps ?? 0) : 0;
  if (d.approved && (amount <= 0n || amount > req.amount)) throw new Error(`approved amount must be in (0, ${req.amount}] (the requested amount), got ${amount}`);
  if (d.approved && (!Number.isInteger(rateBps) || rateBps <= 0)) throw new Error(`an approval needs a rate in basis points > 0, got ${rateBps}`);
  journal.update((j) => void (j.loans[key] = { deploymentId: req.deploymentId, state: 'decided', approved: d.approved, amount: amount.toString(), rateBps, reason: 'Manual', detail: 'decided by hand' }));
  const res = await cfg.desk.decideLoan(d.requestId, d.approved, amount, rateBps, 'Manual');
  journal.update((j) => Object.assign(j.loans[key]!, { state: 'done', txHash: res.txHash }));
  log.info('loan decided by hand', { requestId: d.requestId, approved: d.approved, amount, rateBps, tx: res.txHash });
  return { txHash: res.txHash };
}
