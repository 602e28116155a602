// Deciding loan requests: the sealed disclosure opened and checked against the quote's tag, the
// loan priced by the published rule, the decision journaled before its transaction.
import { ChainError } from '@hessian/core/chain';
import type { LoanRequestState } from '../chain/loan-desk/index.ts';
import { verifyTag } from '../quote/prediction.ts';
import { priceLoan, probabilityOfDefault } from '../quote/pricing.ts';
import { open } from '../quote/sealed.ts';
import { MAX_SEALED_BYTES, disclosureContext, parseDisclosure, parseSealedBox } from '../quote/documents.ts';
import type { Service, ServiceCtx } from './context.ts';
import type { LoanRecord } from './journal.ts';

export async function decide(svc: Service, ctx: ServiceCtx, l: LoanRequestState): Promise<boolean> {
  const { cfg, log, desk, journal } = svc;
  const key = String(l.requestId);
  let rec = journal.value.loans[key];
  if (rec?.state === 'done') return true;
  if (l.status !== 'Pending') {
    if (rec) journal.update((j) => void (j.loans[key]!.state = 'done'));
    return true;
  }
  if (rec?.state === 'manual') return true;
  if (!rec) {
    const { manual, ...decided } = await evaluateDisclosure(svc, ctx, l);
    journal.update((j) => void (j.loans[key] = { ...decided, state: manual ? 'manual' : 'decided' }));
    rec = journal.value.loans[key]!;
    if (manual) {
      log.warn('loan request left for a manual decision', { requestId: l.requestId, termDays: l.termDays, detail: rec.detail });
      return true;
    }
  }
  await cfg.beforeDecide?.({ requestId: l.requestId });
  let txHash: string | undefined;
  try {
    txHash = (await desk.decideLoan(l.requestId, rec.approved, BigInt(rec.amount), rec.rateBps, rec.reason)).txHash;
  } catch (err) {
    if (!(err instanceof ChainError && err.errorName === 'LoanRequestNotPending')) throw err;
    log.info('loan request no longer pending', { requestId: l.requestId });
  }
  journal.update((j) => Object.assign(j.loans[key]!, { state: 'done', ...(txHash ? { txHash } : {}) }));
  if (txHash) {
    const fields = { requestId: l.requestId, quoteId: l.quoteId, deploymentId: l.deploymentId, borrower: l.borrower, approved: rec.approved, amount: rec.amount, rateBps: rec.rateBps, reason: rec.reason, tx: txHash };
    if (rec.reason === 'InvalidDisclosure') log.warn('loan declined: invalid disclosure', { ...fields, detail: rec.detail });
    else log.info(rec.approved ? 'loan approved' : 'loan declined', fields);
  }
  return true;
}

export async function evaluateDisclosure(svc: Service, ctx: ServiceCtx, l: LoanRequestState): Promise<Omit<LoanRecord, 'state'>> {
  const { cfg, journal } = svc;
  const decline = (detail: string): Omit<LoanRecord, 'state'> => ({ deploymentId: l.deploymentId, approved: false, amount: '0', rateBps: 0, reason: 'InvalidDisclosure', detail });
  const quote = journal.value.quotes[String(l.quoteId)];
  if (!quote?.tag || quote.deploymentId !== l.deploymentId) return decline(`quote ${l.quoteId} was not answered by this service`);
  let claim: { logit: number; tag: number };
  try {
    const box = parseSealedBox(await cfg.store.getJson(l.disclosureCid, { maxBytes: MAX_SEALED_BYTES }));
    const plain = open(ctx.disclosureKey, box, disclosureContext(l.quoteId));
    const disclosure = parseDisclosure(JSON.parse(Buffer.from(plain).toString('utf8')));
    if (disclosure.quoteId !== l.quoteId) return decline(`disclosure is for quote ${disclosure.quoteId}, not ${l.quoteId}`);
    claim = { logit: disclosure.logit, tag: disclosure.tag };
  } catch (err) {
    return decline(`disclosure ${l.disclosureCid}: ${(err as Error).message}`);
  }
  if (!verifyTag(quote.tag, claim, ctx.doc.tagTolerance)) return decline(`the disclosed logit does not match the quote's tag`);
  const [lo, hi] = ctx.doc.logitRange;
  if (!(claim.logit >= lo && claim.logit <= hi)) return decline(`logit ${claim.logit} outside the model's range [${lo}, ${hi}]`);
  const probability = probabilityOfDefault(claim.logit);
  let q;
  try {
    q = priceLoan(ctx.doc.pricing, probability, l.amount, l.termDays);
  } catch (err) {
    // the rule gives no price (a term beyond it): no reason code would be true, so a person decides
    return { deploymentId: l.deploymentId, approved: false, amount: '0', rateBps: 0, reason: 'Manual', detail: `needs a manual decision: ${(err as Error).message}`, probability, manual: true };
  }
  return {
    deploymentId: l.deploymentId,
    approved: q.approved,
    amount: q.approved ? q.amount.toString() : '0',
    rateBps: q.approved ? q.rateBps : 0,
    reason: q.reason,
    probability,
  };
}

/** decides the deployment's loan requests in order; returns how many are still unsettled */
export async function decideLoans(svc: Service, ctx: ServiceCtx): Promise<number> {
  let unsettled = 0;
  for (const l of [...svc.view.loans.values()].filter((l) => l.deploymentId === ctx.deploymentId).sort((a, b) => a.requestId - b.requestId)) {
    try {
      await decide(svc, ctx, l);
    } catch (err) {
      unsettled++;
      svc.log.error('deciding a loan request failed; will retry', { requestId: l.requestId, err });
    }
  }
  return unsettled;
}
