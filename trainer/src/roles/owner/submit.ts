// Taking a batch through commit-reveal: intent -> sealed (uploaded; salt and seal journaled
// before the commit) -> committed -> revealed. Before each transaction the chain is asked
// whether an earlier run already sent it, so a crash anywhere neither repeats nor skips a step.
import { isRetryable } from '@hessian/common/errors';
import { ChainError, headBlock } from '@hessian/core/chain';
import type { ModelState } from '@hessian/core/model-repository';
import { randomSalt, sealOf } from '@hessian/core/model-repository';
import { PrivacyBudgetError } from '../../privacy/owner-privacy.ts';
import { NotYet } from './context.ts';
import type { ModelCtx, Owner } from './context.ts';
import { computeAndUpload } from './gradient.ts';
import { markAbandoned, markCommitted, markLapsed, markRevealed } from './journal.ts';
import { onchainCommit, onchainReveal, onchainRevealOf } from './onchain.ts';
import { policyAllows } from './safety.ts';

/** runs one step of an unfinished submission; a failure is retried after a pause, a NotYet at the next tick */
export async function step(o: Owner, modelId: number, commitment: string, run: () => Promise<void>): Promise<void> {
  const { cfg, log, retryAt } = o;
  if (Date.now() < (retryAt.get(commitment) ?? 0)) return;
  try {
    await run();
    retryAt.delete(commitment);
  } catch (err) {
    if (err instanceof NotYet) {
      log.debug('waiting', { modelId, reason: err.message });
      return;
    }
    retryAt.set(commitment, Date.now() + Math.min(60_000, (cfg.pollMs ?? 1000) * 5));
    log.warn('contribution failed; will retry', { modelId, err });
  }
}

/** takes the batch of this data commitment as far as it can go now */
export async function contribute(o: Owner, m: ModelState, ctx: ModelCtx, commitment: string): Promise<void> {
  const { journal, log, events, address } = o;
  let rec = journal.value.submissions[commitment]!;
  if (rec.state === 'intent') {
    // a batch already revealed on-chain (a journal lost or restored from backup) is not recomputed
    const earlier = await onchainReveal(o, m.modelId, commitment);
    if (earlier) return markRevealed(o, commitment, earlier, rec.rows);
    if (!policyAllows(o, m)) return;
    let uploaded: Awaited<ReturnType<typeof computeAndUpload>>;
    try {
      uploaded = await computeAndUpload(o, m, ctx, rec, commitment);
    } catch (err) {
      // privacy seam (h-privacy): a recompute (after a crash) that would go past the budget
      if (!(err instanceof PrivacyBudgetError)) throw err;
      journal.update((j) => void Object.assign(j.submissions[commitment]!, { state: 'abandoned', reason: err.message }));
      log.warn('submission abandoned', { modelId: m.modelId, reason: err.message });
      events.emit('abandoned', { modelId: m.modelId, commitment, reason: err.message });
      return;
    }
    const { cid, baseVersion, dpEpsilon } = uploaded;
    // the salt is journaled before the commit: without it the commit could never be revealed
    const salt = randomSalt();
    const seal = sealOf(address, m.modelId, commitment, cid, salt);
    journal.update((j) => {
      const s = j.submissions[commitment]!;
      s.state = 'sealed';
      s.gradientCid = cid;
      s.baseVersion = baseVersion;
      s.dpEpsilon = dpEpsilon;
      s.salt = salt;
      s.seal = seal;
    });
    rec = journal.value.submissions[commitment]!;
  }
  if (rec.state === 'sealed') {
    await commit(o, m, commitment);
    rec = journal.value.submissions[commitment]!;
  }
  if (rec.state === 'committed') await reveal(o, commitment);
}

/** sends the commit unless an earlier run's commit of the same seal is on-chain (or may still be pending) */
async function commit(o: Owner, m: ModelState, commitment: string): Promise<void> {
  const { cfg, client, journal, events, address } = o;
  const rec = journal.value.submissions[commitment]!;
  const earlier = await onchainCommit(o, m.modelId, rec.seal!);
  if (earlier) return markCommitted(o, commitment, earlier);
  // the policy again right before paying: the record may come from an earlier run
  if (!policyAllows(o, m)) throw new NotYet(`the policy refuses model ${m.modelId} for now`);
  // a commit sent just before a crash may still be in the mempool: committing again would stake twice
  const [pending, latest] = await Promise.all(['pending', 'latest'].map(async (tag) => Number(await client.provider.send('eth_getTransactionCount', [address, tag]))));
  if (pending! > latest!) throw new NotYet(`${pending! - latest!} transaction(s) of ${address} still pending: waiting before committing`);
  await cfg.beforeCommit?.({ modelId: m.modelId, commitment });
  events.emit('progress', { modelId: m.modelId, stage: 'committing' });
  let res;
  try {
    res = await client.commitGradient(m.modelId, rec.seal!, m.submissionStake);
  } catch (err) {
    if (err instanceof ChainError && !isRetryable(err)) return markAbandoned(o, commitment, err.message);
    throw err;
  }
  await cfg.afterCommit?.({ modelId: m.modelId, commitment, gradientId: res.gradientId });
  markCommitted(o, commitment, { ...res.event, txHash: res.txHash, blockNumber: res.blockNumber });
}

/**
 * Reveals a commit once it is as deep as the configured confirmations, exactly once: an
 * earlier run's reveal is looked for first. Past the reveal deadline the commit has lapsed.
 */
export async function reveal(o: Owner, commitment: string): Promise<void> {
  const { cfg, client, journal, events } = o;
  const rec = journal.value.submissions[commitment]!;
  const gradientId = rec.gradientId!;
  const done = await onchainRevealOf(o, rec.modelId, gradientId);
  if (done) return markRevealed(o, commitment, { gradientId, txHash: done.txHash, gradientCid: done.gradientCid, modelId: rec.modelId }, rec.rows);
  const depth = Math.max(1, client.config.confirmations);
  const head = await headBlock(client.provider);
  if (rec.commitBlock !== undefined && head - rec.commitBlock + 1 < depth) throw new NotYet(`commit of gradient ${gradientId} is ${head - rec.commitBlock + 1} of ${depth} blocks deep`);
  const now = await client.chainTime();
  // the next block is later than the head: a reveal now would land after the deadline
  if (now >= rec.revealDeadline!) return markLapsed(o, commitment, `reveal deadline ${rec.revealDeadline} passed (chain time ${now})`);
  await cfg.beforeReveal?.({ modelId: rec.modelId, commitment, gradientId });
  events.emit('progress', { modelId: rec.modelId, stage: 'revealing' });
  let res;
  try {
    res = await client.revealGradient(gradientId, rec.gradientCid!, commitment, rec.salt!, rec.dpEpsilon ?? 0);
  } catch (err) {
    if (!(err instanceof ChainError) || isRetryable(err)) throw err;
    // a reveal racing ours landed (the chain wins), or the commit can no longer be revealed
    const landed = await onchainRevealOf(o, rec.modelId, gradientId);
    if (landed) return markRevealed(o, commitment, { gradientId, txHash: landed.txHash, gradientCid: landed.gradientCid, modelId: rec.modelId }, rec.rows);
    return markLapsed(o, commitment, err.message);
  }
  await cfg.afterReveal?.({ modelId: rec.modelId, commitment, gradientId });
  markRevealed(o, commitment, { gradientId, txHash: res.txHash, gradientCid: rec.gradientCid!, modelId: rec.modelId }, rec.rows);
}

/**
 * Journaled submissions whatever the models' state now: a batch chosen but not journaled further
 * may be on-chain already (a lost journal); a commit is revealed (or lapses), its stake is paid;
 * a sealed batch of a model that stopped taking submissions is finished if its commit landed.
 */
export async function finishSubmissions(o: Owner, now: number): Promise<void> {
  const { journal, source } = o;
  const view = source.view;
  for (const [commitment, s] of Object.entries(journal.value.submissions)) {
    // a batch chosen but not journaled further may be on-chain already (a lost journal)
    if (s.state === 'intent') {
      const g = await onchainReveal(o, s.modelId, commitment);
      if (g) markRevealed(o, commitment, g, s.rows);
    }
    // a commit is revealed (or lapses) whatever the model's state now: its stake is paid
    if (s.state === 'committed') await step(o, s.modelId, commitment, () => reveal(o, commitment));
    // a sealed batch for a model that stopped taking submissions: finish it if its commit landed
    if (s.state === 'sealed' && !view.acceptsSubmissions(s.modelId, now)) {
      await step(o, s.modelId, commitment, async () => {
        const c = await onchainCommit(o, s.modelId, s.seal!);
        if (!c) return markAbandoned(o, commitment, `model ${s.modelId} no longer takes submissions`);
        markCommitted(o, commitment, c);
        await reveal(o, commitment);
      });
    }
  }
}
