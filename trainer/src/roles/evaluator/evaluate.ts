// Judging a model's queue: gradients in commit order, each once every earlier commit is
// revealed, lapsed or judged; each decision journaled before its transaction and re-sent as it
// was after a restart, the chain's answer winning over the journal.
import { ChainError } from '@hessian/core/chain';
import type { GradientState, RevealedGradient, ModelState } from '@hessian/core/model-repository';
import { isRevealed } from '@hessian/core/model-repository';
import { ChainRewritten } from './context.ts';
import type { Evaluator, ModelCtx } from './context.ts';
import { fetchContent } from './content.ts';
import { decide } from './decide.ts';
import { fetchKey, keyOf, recordOf, setRecord } from './journal.ts';
import { currentWeights } from './models.ts';

/** the model's gradients in commit order, each judged once every earlier commit is revealed, lapsed or judged */
export async function serve(ev: Evaluator, m: ModelState, ctx: ModelCtx): Promise<void> {
  const { client, view, fetcher } = ev;
  const gradients = view.gradientsOf(m.modelId);
  // fetch everything revealed now, in the background: the queue below only looks at the results
  for (const g of gradients) {
    if (g.status === 'Pending' && isRevealed(g) && recordOf(ev, m.modelId, g.gradientId)?.seal !== g.seal) fetcher.request(fetchKey(g), (signal) => fetchContent(ev, ctx, g, signal));
  }
  const now = await client.chainTime();
  const margin = Math.max(30, Math.ceil(m.evaluationWindow / 10));
  let blockedBy: GradientState | undefined;
  for (const g of gradients) {
    if (g.status === 'Committed') {
      // an earlier commit that may still be revealed goes first (its content is not public yet)
      if (now <= g.revealDeadline) blockedBy ??= g;
      continue;
    }
    if (g.status !== 'Pending' || !isRevealed(g)) continue;
    // ...unless waiting for it would let this one expire unjudged
    if (blockedBy && now + margin < g.evaluationDeadline) continue;
    await evaluate(ev, m, ctx, g);
  }
}

/** 'done' once the gradient needs nothing more; 'wait' while its content is not fetched yet */
async function evaluate(ev: Evaluator, m: ModelState, ctx: ModelCtx, g: RevealedGradient): Promise<'done' | 'wait'> {
  const { cfg, client, journal, log, events, fetcher } = ev;
  let rec = recordOf(ev, m.modelId, g.gradientId);
  if (rec && rec.seal !== g.seal) {
    // decided for other content under this id (the chain was rewritten): judge what is there now
    log.warn('journaled decision was about other content; deciding again', { modelId: m.modelId, gradientId: g.gradientId });
    setRecord(ev, m.modelId, g.gradientId, undefined);
    rec = undefined;
  }
  if (rec?.state === 'done' || rec?.state === 'missed') return 'done';
  const now = await client.chainTime();
  if (now >= g.evaluationDeadline) {
    setRecord(ev, m.modelId, g.gradientId, { modelId: m.modelId, seal: g.seal, state: 'missed', verdict: 'Declined', score: 0, newWeightsCid: '', reason: 'evaluation deadline passed' });
    log.warn('evaluation deadline passed; gradient left to expire', { gradientId: g.gradientId, deadline: g.evaluationDeadline });
    return 'done';
  }
  if (!rec) {
    const decided = await decide(ev, m, ctx, g, now);
    if (!decided) return 'wait';
    rec = { ...decided, state: 'decided' };
    setRecord(ev, m.modelId, g.gradientId, rec);
  }
  fetcher.forget(fetchKey(g));
  await cfg.beforeEvaluate?.({ modelId: m.modelId, gradientId: g.gradientId });
  let res;
  try {
    res = await client.evaluateGradient(g.gradientId, g.seal, rec.score, rec.verdict, rec.newWeightsCid);
  } catch (err) {
    if (err instanceof ChainError && err.errorName === 'GradientNotPending') {
      // evaluated already (by a previous run whose journal update was lost): the chain wins
      journal.update((j) => void (j.models[keyOf(ev, m.modelId)]!.evaluations[String(g.gradientId)]!.state = 'done'));
      return 'done';
    }
    if (err instanceof ChainError && err.errorName === 'SealMismatch') {
      setRecord(ev, m.modelId, g.gradientId, undefined);
      throw new ChainRewritten(`gradient ${g.gradientId} now holds other content than the evaluator judged (a reorg?): rebuilding from the chain`);
    }
    throw err;
  }
  await cfg.afterEvaluate?.({ modelId: m.modelId, gradientId: g.gradientId });
  journal.update((j) => {
    const e = j.models[keyOf(ev, m.modelId)]!.evaluations[String(g.gradientId)]!;
    e.state = 'done';
    e.txHash = res.txHash;
  });
  if (rec.verdict === 'Accepted') {
    ctx.w = (await currentWeights(ev, ctx, rec.newWeightsCid)) ?? ctx.w;
    ctx.weightsCid = rec.newWeightsCid;
    ctx.version = res.event.modelVersion;
  }
  ctx.bestScore = res.event.bestScore;
  const fields = { modelId: m.modelId, gradientId: g.gradientId, verdict: rec.verdict, score: rec.score, reward: res.event.reward, tx: res.txHash };
  if (rec.verdict === 'Rejected') log.warn('gradient rejected', { ...fields, reason: rec.reason });
  else log.info(rec.verdict === 'Accepted' ? 'gradient accepted' : 'gradient declined', { ...fields, ...(rec.reason ? { reason: rec.reason } : {}), metricValue: rec.metricValue });
  events.emit('evaluated', {
    modelId: m.modelId,
    gradientId: g.gradientId,
    verdict: rec.verdict,
    accepted: rec.verdict === 'Accepted',
    score: rec.score,
    reward: res.event.reward,
    txHash: res.txHash,
    ...(rec.metricValue !== undefined ? { metricValue: rec.metricValue } : {}),
    ...(rec.reason ? { reason: rec.reason } : {}),
  });
  return 'done';
}
