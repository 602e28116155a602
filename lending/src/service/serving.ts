// Serving one deployment: loading its material once it is on this machine, and each tick's work
// on it (retirement, quotes, loan requests).
import type { LoanRequestState, ModelDeployed, QuoteState } from '../chain/loan-desk/index.ts';
import { checkQueryLayout } from '../quote/prediction.ts';
import type { QueryLayout } from '../quote/prediction.ts';
import { MAX_SERVICE_DOC_BYTES, parseServiceDocument } from '../quote/documents.ts';
import type { Service, ServiceCtx, Served } from './context.ts';
import type { DeploymentRecord } from './journal.ts';
import { decideLoans } from './loans.ts';
import { weightsCommitment, decryptModelWeights, loadDisclosureKey, findMaterial } from './material.ts';
import type { Material } from './material.ts';
import { answerQuotes } from './quotes.ts';
import type { Admission } from './quotes.ts';

export async function openCtx(svc: Service, d: ModelDeployed, { rec, model }: Material): Promise<ServiceCtx> {
  const { cfg, log, view } = svc;
  const doc = parseServiceDocument(await cfg.store.getJson(rec.serviceCid, { maxBytes: MAX_SERVICE_DOC_BYTES }));
  const { w } = await decryptModelWeights(cfg.store, model, rec.metadataCid, rec.weightsCid, log);
  if (weightsCommitment(Buffer.from(rec.salt, 'hex'), w) !== rec.weightsCommitment) {
    throw new Error(`deployment ${d.deploymentId}: the decrypted weights do not match the deployed commitment`);
  }
  const layout: QueryLayout = { featureCount: w.length, blockSize: doc.query.blockSize, galoisSteps: doc.query.galoisSteps };
  checkQueryLayout(layout, doc.query.ckks);
  const disclosureKey = await loadDisclosureKey(rec.disclosureKeyFile, log);
  log.info('deployment loaded', { deploymentId: d.deploymentId, modelId: rec.modelId, features: w.length, retired: view.deployments.get(d.deploymentId)?.retired ?? false });
  return { deploymentId: d.deploymentId, doc, layout, w, disclosureKey };
}

/** whether a quote or loan request of the deployment still waits for this service */
export function hasPendingWork(svc: Service, id: number): boolean {
  const { journal, view } = svc;
  const quoteSettled = (q: QuoteState) => Boolean(q.resultCid) || ['answered', 'refused'].includes(journal.value.quotes[String(q.quoteId)]?.state ?? '');
  const loanSettled = (l: LoanRequestState) => l.status !== 'Pending' || ['done', 'manual'].includes(journal.value.loans[String(l.requestId)]?.state ?? '');
  for (const q of view.quotes.values()) if (q.deploymentId === id && !quoteSettled(q)) return true;
  for (const l of view.loans.values()) if (l.deploymentId === id && !loanSettled(l)) return true;
  return false;
}

/**
 * Loads a deployment once its material is on this machine. Missing material is warned about
 * once per distinct gap and looked for again every tick (cheap file checks); a load that
 * fails with the material present (content not retrievable, a commitment mismatch) is retried
 * with a back-off, since each attempt decrypts the weights. Returns false when not loaded.
 */
export async function load(svc: Service, d: ModelDeployed, s: Served, records: () => Record<string, DeploymentRecord>): Promise<boolean> {
  const { cfg, log, pollMs } = svc;
  if (Date.now() < s.retryAt) return false;
  const material = await findMaterial(cfg.stateDir, records(), d);
  if (typeof material === 'string') {
    if (s.unavailable !== material) {
      log.warn('deployment not served: its secret material is not on this machine; serving the others and looking again every poll', { deploymentId: d.deploymentId, modelId: d.modelId, missing: material });
      s.unavailable = material;
    }
    return false;
  }
  s.unavailable = undefined;
  try {
    s.ctx = await openCtx(svc, d, material);
    s.failures = 0;
    return true;
  } catch (err) {
    s.failures++;
    s.retryAt = Date.now() + pollMs * Math.min(60, 2 ** s.failures);
    log.error('loading the deployment failed; will retry', { deploymentId: d.deploymentId, failures: s.failures, err });
    return false;
  }
}

/**
 * One tick's work on one deployment, in order: stop serving it once retired with nothing left,
 * load it (its material may still be missing), answer its quotes, decide its loan requests.
 * Returns how many of its items are still unsettled (for --once).
 */
export async function serveDeployment(svc: Service, d: ModelDeployed & { retired: boolean }, s: Served, admit: Admission, records: () => Record<string, DeploymentRecord>): Promise<number> {
  if (s.finished) return 0;
  if (d.retired && !hasPendingWork(svc, d.deploymentId)) {
    // the desk takes no new quote or loan request once retired, and the view holds every
    // event up to the retirement: what is pending now is all there will ever be
    s.finished = true;
    s.ctx = undefined;
    svc.log.info('deployment retired and nothing left to answer or decide: no longer served', { deploymentId: d.deploymentId });
    return 0;
  }
  if (!s.ctx && !(await load(svc, d, s, records))) {
    // missing material does not hold up --once: it was warned about and cannot be waited for
    return s.unavailable === undefined ? 1 : 0;
  }
  return (await answerQuotes(svc, s.ctx!, admit)) + (await decideLoans(svc, s.ctx!));
}
