// The verdict on one revealed gradient, before anything is sent: a copy is refused; content that
// does not resolve is waited for (off the queue) and Declined near its deadline; invalid content
// is Rejected; a valid gradient is applied and scored on the held-out data, Accepted (its new
// weights encrypted and published) only when it improves the best score, else Declined.
import type { RevealedGradient, ModelState } from '@hessian/core/model-repository';
import { encryptWeights } from '@hessian/core/he';
import { evaluateMetric, metricToScore, applyGradient, predict } from '@hessian/core/ml';
import { buildWeightsDocument } from '@hessian/core/model';
import { BadGradient } from '../gradient-fetch.ts';
import type { EvaluationRecord, Evaluator, ModelCtx } from './context.ts';
import { copyVerdict, decryptChecked, fetchContent } from './content.ts';
import { fetchKey } from './journal.ts';

/** undefined while the gradient's content is not fetched yet and there is time to wait for it */
export async function decide(ev: Evaluator, m: ModelState, ctx: ModelCtx, g: RevealedGradient, now: number): Promise<Omit<EvaluationRecord, 'state'> | undefined> {
  const { cfg, fetcher, fetchTimeoutMs } = ev;
  const cidCopy = copyVerdict(ev, m, g, { gradientCid: g.gradientCid }, 'cid');
  if (cidCopy) return cidCopy;
  const key = fetchKey(g);
  let st = fetcher.request(key, (signal) => fetchContent(ev, ctx, g, signal));
  if (st.kind === 'waiting' && st.attempts === 0) {
    // the first attempt is bounded by its timeout: content that is simply slow keeps its place in line
    await fetcher.settled(key, fetchTimeoutMs + 1000);
    st = fetcher.state(key) ?? st;
  }
  const base = { modelId: m.modelId, seal: g.seal, newWeightsCid: '' };
  if (st.kind === 'bad') return { ...base, verdict: 'Rejected', score: 0, reason: st.reason, content: { gradientCid: g.gradientCid } };
  if (st.kind === 'waiting') {
    const margin = Math.max(30, Math.ceil(m.evaluationWindow / 10));
    const gaveUp = st.attempts >= (cfg.fetchAttempts ?? 5) && st.since !== undefined && Date.now() - st.since >= (cfg.fetchGraceMs ?? 120_000);
    if (gaveUp || now + margin >= g.evaluationDeadline) {
      // not the owner's fault as far as the evaluator can tell (the lender's storage may be slow): stake back
      return { ...base, verdict: 'Declined', score: 0, reason: `gradient content did not resolve after ${st.attempts} attempts: ${st.lastError ?? 'no answer yet'}`, content: { gradientCid: g.gradientCid } };
    }
    return undefined;
  }
  const fetched = st.value;
  const copy = copyVerdict(ev, m, g, fetched.content, 'ciphertext');
  if (copy) return copy;
  let grad: Float64Array;
  try {
    grad = decryptChecked(ctx, fetched);
  } catch (err) {
    if (!(err instanceof BadGradient)) throw err;
    return { ...base, verdict: 'Rejected', score: 0, reason: err.message, content: fetched.content };
  }
  const candidate = applyGradient(ctx.w, grad, ctx.meta.learningRate);
  const value = evaluateMetric(ctx.meta.metric, ctx.test.y, predict(ctx.meta.task, candidate, ctx.test.x));
  const score = Number(metricToScore(ctx.meta.metric, value));
  if (score <= ctx.bestScore) {
    return { ...base, verdict: 'Declined', score, metricValue: value, reason: `no improvement (${score} <= best ${ctx.bestScore})`, content: fetched.content };
  }
  const blobs = encryptWeights(ctx.he, candidate, { publicKey: ctx.pk, secretKey: ctx.sk });
  const cids: string[] = [];
  for (const b of blobs) cids.push(await cfg.store.put(b));
  const newWeightsCid = await cfg.store.putJson(buildWeightsDocument(ctx.version + 1, cids));
  return { ...base, verdict: 'Accepted', score, metricValue: value, newWeightsCid, content: fetched.content };
}
