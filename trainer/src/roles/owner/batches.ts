// Which batch of the owner's rows goes to a model next: an unfinished one first, else a new one
// when nothing of ours is in flight for the model, the policy and the privacy budget allow it,
// and rows are left. A new batch is journaled as an intent under its data commitment.
import { take, dataCommitment } from '@hessian/core/data';
import type { ModelState } from '@hessian/core/model-repository';
import type { ModelCtx, Owner } from './context.ts';
import { setIneligible } from './eligibility.ts';
import { policyAllows } from './safety.ts';

/** the data commitment of the batch to work on for this model now, or undefined */
export function nextCommitment(o: Owner, m: ModelState, ctx: ModelCtx, now: number): string | undefined {
  const { cfg, log, journal, privacy, chainId, address, source } = o;
  const view = source.view;
  const me = address.toLowerCase();
  const mine = (g: { contributor: string }) => g.contributor.toLowerCase() === me;
  const subs = Object.entries(journal.value.submissions).filter(([, s]) => s.modelId === m.modelId);
  // one gradient in flight per model: the next one is computed on the updated weights
  // a view that lags (an indexer) may not show our last submission yet: the journal does;
  // a commit of ours the journal lost counts until its reveal window is over
  const inFlight =
    subs.some(([, s]) => s.state === 'committed' || (s.state === 'revealed' && !s.outcome)) ||
    m.gradientIds.some((id) => {
      const g = view.gradients.get(id)!;
      return mine(g) && (g.status === 'Pending' || (g.status === 'Committed' && now < g.revealDeadline));
    });
  // an unfinished batch first: its commit may be on-chain already (it is then in the view too)
  const unfinished = subs.find(([, s]) => s.state === 'intent' || s.state === 'sealed');
  if (unfinished) return unfinished[0];
  if (inFlight || !policyAllows(o, m)) return undefined;
  // every batch that reached the chain counts, a lapsed one too: it is never committed again
  const spent = subs.filter(([, s]) => s.state === 'committed' || s.state === 'revealed' || s.state === 'lapsed').length;
  if (cfg.maxSubmissionsPerModel !== undefined && spent >= cfg.maxSubmissionsPerModel) return undefined;
  const k = journal.value.nextBatch[m.modelId] ?? 0;
  if (k >= ctx.batches.length) return undefined;
  // privacy seam (h-privacy): no new batch past the owner's budget
  const { refusal } = privacy.check(m.modelId, ctx.plan, k);
  if (refusal) {
    log.warn('gradient refused: privacy budget', { modelId: m.modelId, reason: refusal });
    setIneligible(o, m.modelId, ctx, refusal);
    return undefined;
  }
  const idx = ctx.batches[k]!;
  const batch = take(ctx.data.x, ctx.data.y, idx);
  const commitment = dataCommitment(batch.x, batch.y, { chainId, modelId: m.modelId, contributor: address, salt: journal.value.salt });
  journal.update((j) => {
    j.nextBatch[m.modelId] = k + 1;
    j.submissions[commitment] = { modelId: m.modelId, batch: k, rows: idx.length, state: 'intent', stake: m.submissionStake.toString() };
  });
  return commitment;
}
