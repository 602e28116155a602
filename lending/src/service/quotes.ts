// Answering quotes: admission by the per-borrower limits, the bounded download of a query, the
// CKKS evaluation under a journaled tag key, and the answer on-chain.
import { HessianError, isRetryable, isUserError } from '@hessian/common/errors';
import { ChainError } from '@hessian/core/chain';
import type { QuoteState } from '../chain/loan-desk/index.ts';
import { maxKeyBytes, maxCiphertextBytes, sameParams } from '@hessian/core/he';
import { evaluateQuery, newTagKey } from '../quote/prediction.ts';
import { MAX_QUERY_DOC_BYTES, parseQueryDocument } from '../quote/documents.ts';
import type { Service, ServiceCtx } from './context.ts';

/** content that is wrong (refuse it) as opposed to content that may still arrive */
class BadInput extends HessianError {
  constructor(message: string) {
    super(message, { kind: 'user' });
  }
}

/** the query's public key, Galois keys and ciphertext, each bounded before download */
export async function fetchQuery(svc: Service, ctx: ServiceCtx, q: QuoteState) {
  const { cfg, qhe } = svc;
  const get = async (what: string, cid: string, maxBytes: number) => {
    try {
      return await cfg.store.get(cid, { maxBytes });
    } catch (err) {
      if (isRetryable(err)) throw err;
      throw new BadInput(`${what} ${cid}: ${(err as Error).message}`);
    }
  };
  let raw: unknown;
  try {
    raw = await cfg.store.getJson(q.queryCid, { maxBytes: MAX_QUERY_DOC_BYTES });
  } catch (err) {
    if (isRetryable(err)) throw err;
    throw new BadInput(`query document ${q.queryCid}: ${(err as Error).message}`);
  }
  let doc;
  try {
    doc = parseQueryDocument(raw);
  } catch (err) {
    throw new BadInput(`query document ${q.queryCid}: ${(err as Error).message}`);
  }
  if (doc.deploymentId !== ctx.deploymentId) throw new BadInput(`query document is for deployment ${doc.deploymentId}, not ${ctx.deploymentId}`);
  if (!sameParams(doc.ckks, ctx.doc.query.ckks)) throw new BadInput(`query uses CKKS parameters ${JSON.stringify(doc.ckks)}, the service ${JSON.stringify(ctx.doc.query.ckks)}`);
  if (doc.featureCount !== ctx.layout.featureCount) throw new BadInput(`query has ${doc.featureCount} features, the model ${ctx.layout.featureCount}`);
  return {
    publicKey: await get('public key', doc.publicKey, maxKeyBytes(qhe, 'publicKey')),
    // the rotations plus the conjugation key, uncompressed at worst: checked against the
    // content's declared size before any of it is read
    galoisKeys: await get('Galois keys', doc.galoisKeys, maxKeyBytes(qhe, 'galoisKeys', ctx.layout.galoisSteps.length + 1)),
    ciphertext: await get('query ciphertext', doc.ciphertext, maxCiphertextBytes(qhe, 0)),
  };
}

export function refuse(svc: Service, q: QuoteState, reason: string) {
  const { log, journal } = svc;
  journal.update((j) => void (j.quotes[String(q.quoteId)] = { deploymentId: q.deploymentId, state: 'refused', reason }));
  log.error('quote refused', { quoteId: q.quoteId, deploymentId: q.deploymentId, borrower: q.borrower, queryCid: q.queryCid, reason });
}

/** a tick's verdict on one quote: go (answer it now), wait (over the rate, not fetched), refused (settled for good) */
export type Admission = (q: QuoteState) => 'go' | 'wait' | 'refused';

/**
 * One tick's view of what each borrower has been given: answers inside the window, from the
 * journal (so a restart keeps counting), and which quote first used each query document.
 */
export function admission(svc: Service): Admission {
  const { log, journal, view, limits, deferredLogged } = svc;
  const since = Date.now() - limits.windowMs;
  const answered = new Map<string, number>();
  for (const [id, rec] of Object.entries(journal.value.quotes)) {
    if (rec.state !== 'answered' || rec.answeredAt === undefined || rec.answeredAt < since) continue;
    const who = view.quotes.get(Number(id))?.borrower.toLowerCase();
    if (who) answered.set(who, (answered.get(who) ?? 0) + 1);
  }
  // per borrower: across borrowers a copied query CID (seen in the mempool, sent first with
  // more gas) would otherwise get the victim's own quote refused
  const useKey = (q: QuoteState) => `${q.borrower.toLowerCase()}/${q.queryCid}`;
  const firstUse = new Map<string, number>();
  for (const q of view.quotes.values()) {
    const first = firstUse.get(useKey(q));
    if (first === undefined || q.quoteId < first) firstUse.set(useKey(q), q.quoteId);
  }
  const waiting = new Map<string, number>();
  /** go: answer it now; wait: over the rate, not fetched this tick; refused: settled for good */
  return (q: QuoteState): 'go' | 'wait' | 'refused' => {
    const rec = journal.value.quotes[String(q.quoteId)];
    // settled, reconciled from the chain, or admitted before (its tag key is drawn): carry on
    if (rec?.state === 'answered' || rec?.state === 'refused' || rec?.tag || q.resultCid) return 'go';
    const first = firstUse.get(useKey(q))!;
    if (first !== q.quoteId) {
      refuse(svc, q, `query document ${q.queryCid} was already used by this borrower's quote ${first}`);
      return 'refused';
    }
    const who = q.borrower.toLowerCase();
    const given = answered.get(who) ?? 0;
    if (given < limits.perBorrower) {
      answered.set(who, given + 1);
      return 'go';
    }
    const queued = (waiting.get(who) ?? 0) + 1;
    waiting.set(who, queued);
    if (queued > limits.maxWaiting) {
      refuse(svc, q, `borrower ${q.borrower} has ${limits.maxWaiting} quotes waiting for its rate limit (${limits.perBorrower} per ${limits.windowMs / 1000} s); this one is refused`);
      return 'refused';
    }
    if (!deferredLogged.has(q.quoteId)) {
      deferredLogged.add(q.quoteId);
      log.warn('quote held back: borrower over its rate limit', { quoteId: q.quoteId, borrower: q.borrower, perBorrower: limits.perBorrower, windowSeconds: limits.windowMs / 1000, waiting: queued });
    }
    return 'wait';
  };
}

/** true when settled (answered, refused), false when it should be tried again later */
export async function answer(svc: Service, ctx: ServiceCtx, q: QuoteState): Promise<boolean> {
  const { cfg, log, desk, journal } = svc;
  const key = String(q.quoteId);
  let rec = journal.value.quotes[key];
  if (rec?.state === 'answered' || rec?.state === 'refused') return true;
  if (q.resultCid) {
    // answered on-chain by an earlier run whose journal update was lost
    journal.update((j) => Object.assign((j.quotes[key] ??= { deploymentId: q.deploymentId, state: 'answered' }), { state: 'answered', resultCid: q.resultCid, txHash: q.answeredTx, answeredAt: Date.now() }));
    return true;
  }
  let input;
  try {
    input = await fetchQuery(svc, ctx, q);
  } catch (err) {
    if (err instanceof BadInput) {
      refuse(svc, q, err.message);
      return true;
    }
    const failures = (rec?.fetchFailures ?? 0) + 1;
    if (failures >= (cfg.fetchAttempts ?? 5)) {
      refuse(svc, q, `query content not found after ${failures} attempts: ${(err as Error).message}`);
      return true;
    }
    journal.update((j) => void (j.quotes[key] = { ...(j.quotes[key] ?? { deploymentId: q.deploymentId, state: 'keyed' }), fetchFailures: failures }));
    log.warn('query content not retrievable yet; will retry', { quoteId: q.quoteId, attempt: failures, err });
    return false;
  }
  if (!rec?.tag) {
    // the tag key is durable before anything derived from it leaves this process
    const tag = newTagKey();
    journal.update((j) => void (j.quotes[key] = { deploymentId: q.deploymentId, state: 'keyed', tag }));
    rec = journal.value.quotes[key]!;
  }
  let result: Uint8Array;
  try {
    result = await evaluateQuery(ctx.layout, input, ctx.w, rec.tag!, ctx.doc.query.ckks);
  } catch (err) {
    if (isUserError(err)) {
      refuse(svc, q, (err as Error).message);
      return true;
    }
    throw err;
  }
  const resultCid = await cfg.store.putJson({ version: 1, kind: 'hessian/loan-result', quoteId: q.quoteId, ciphertext: await cfg.store.put(result) });
  await cfg.beforeAnswer?.({ quoteId: q.quoteId });
  let txHash: string | undefined;
  try {
    txHash = (await desk.answerQuote(q.quoteId, resultCid)).txHash;
  } catch (err) {
    if (!(err instanceof ChainError && err.errorName === 'QuoteNotRequested')) throw err;
    log.info('quote already answered on-chain', { quoteId: q.quoteId });
  }
  journal.update((j) => Object.assign(j.quotes[key]!, { state: 'answered', resultCid, answeredAt: Date.now(), ...(txHash ? { txHash } : {}) }));
  if (txHash) log.info('quote answered', { quoteId: q.quoteId, deploymentId: q.deploymentId, borrower: q.borrower, resultCid, tx: txHash });
  return true;
}

/** answers the deployment's quotes in order; returns how many are still unsettled */
export async function answerQuotes(svc: Service, ctx: ServiceCtx, admit: Admission): Promise<number> {
  let unsettled = 0;
  for (const q of [...svc.view.quotes.values()].filter((q) => q.deploymentId === ctx.deploymentId).sort((a, b) => a.quoteId - b.quoteId)) {
    try {
      // a quote held back by the rate limit does not keep --once running: it may wait an hour
      if (admit(q) !== 'go') continue;
      if (!(await answer(svc, ctx, q))) unsettled++;
    } catch (err) {
      // one quote's failure (e.g. a dropped RPC connection) must not stall the others
      unsettled++;
      svc.log.error('answering a quote failed; will retry', { quoteId: q.quoteId, err });
    }
  }
  return unsettled;
}
