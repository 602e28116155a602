// A gradient's content: fetched (bounded, I/O only), decrypted and bound-checked, and compared
// with the model's other gradients so that a copy is refused (first committed wins).
import { createHash } from 'node:crypto';
import { isRetryable, isUserError } from '@hessian/common/errors';
import type { GradientState, RevealedGradient, ModelState } from '@hessian/core/model-repository';
import { isRevealed } from '@hessian/core/model-repository';
import { decryptGradient, gradientRejection, maxCiphertextBytes } from '@hessian/core/he';
import { MAX_GRADIENT_DOC_BYTES, validateGradientDocument, modelFeatureCount } from '@hessian/core/model';
import type { GradientDocument } from '@hessian/core/model';
import { BadGradient } from '../gradient-fetch.ts';
import type { ContentIds, EvaluationRecord, Evaluator, FetchedGradient, ModelCtx } from './context.ts';
import { fetchKey, recordOf } from './journal.ts';

/** the gradient document and ciphertext bytes (I/O only); BadGradient for content that is wrong */
export async function fetchContent(ev: Evaluator, ctx: ModelCtx, g: RevealedGradient, signal: AbortSignal): Promise<FetchedGradient> {
  const { cfg } = ev;
  let manifestDoc: unknown;
  try {
    manifestDoc = await cfg.store.getJson(g.gradientCid, { maxBytes: MAX_GRADIENT_DOC_BYTES, signal });
  } catch (err) {
    // a CID that is not one, or content over the limit: the owner's fault
    if (isUserError(err)) throw new BadGradient((err as Error).message);
    if (isRetryable(err) || signal.aborted) throw err;
    throw new BadGradient(`gradient document: ${(err as Error).message}`);
  }
  let manifest: GradientDocument;
  try {
    manifest = validateGradientDocument(manifestDoc, ctx.meta);
  } catch (err) {
    throw new BadGradient(`gradient document ${g.gradientCid}: ${(err as Error).message}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await cfg.store.get(manifest.ciphertext, { maxBytes: maxCiphertextBytes(ctx.he, ctx.he.levels()), signal });
  } catch (err) {
    if (isRetryable(err) || signal.aborted) throw err;
    throw new BadGradient(`gradient ciphertext: ${(err as Error).message}`);
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  return { manifest, bytes, content: { gradientCid: g.gradientCid, ciphertextCid: manifest.ciphertext, digest } };
}

/** the decrypted, checked gradient, or BadGradient with the reason to reject it */
export function decryptChecked(ctx: ModelCtx, fetched: FetchedGradient): Float64Array {
  let vec: Float64Array;
  try {
    vec = decryptGradient(ctx.he, fetched.bytes, ctx.sk, ctx.meta.task, modelFeatureCount(ctx.meta));
  } catch (err) {
    throw new BadGradient((err as Error).message);
  }
  const why = gradientRejection(vec, ctx.meta.maxGradientAbs);
  if (why) throw new BadGradient(`gradient ${why}`);
  return vec;
}

/** known content of the model's other revealed gradients, from decisions and finished fetches */
function knownContent(ev: Evaluator, m: ModelState, except: number): { g: GradientState; content: ContentIds }[] {
  const { view, fetcher } = ev;
  const out: { g: GradientState; content: ContentIds }[] = [];
  for (const o of view.gradientsOf(m.modelId)) {
    if (o.gradientId === except || !isRevealed(o)) continue;
    const rec = recordOf(ev, m.modelId, o.gradientId);
    const fetched = fetcher.state(fetchKey(o));
    const content = rec?.seal === o.seal && rec.content ? rec.content : fetched?.kind === 'ready' ? fetched.value.content : { gradientCid: o.gradientCid };
    out.push({ g: o, content });
  }
  return out;
}

/** a refusal of a copy: Rejected when the original was committed first, Declined when it was committed later but judged first */
export function copyVerdict(ev: Evaluator, m: ModelState, g: RevealedGradient, content: ContentIds, stage: 'cid' | 'ciphertext'): Omit<EvaluationRecord, 'state'> | undefined {
  const base = { modelId: m.modelId, seal: g.seal, score: 0, newWeightsCid: '', content };
  for (const { g: o, content: c } of knownContent(ev, m, g.gradientId)) {
    const earlier = o.gradientId < g.gradientId;
    let what: string | undefined;
    if (stage === 'cid') {
      if (!earlier) continue;
      if (c.gradientCid === content.gradientCid) what = 'its gradient CID';
      else if (o.contributor.toLowerCase() === g.contributor.toLowerCase() && o.dataCommitment === g.dataCommitment) what = 'its own data commitment';
    } else if ((c.ciphertextCid && c.ciphertextCid === content.ciphertextCid) || (c.digest && c.digest === content.digest)) {
      what = 'its ciphertext';
    }
    if (!what) continue;
    if (earlier) return { ...base, verdict: 'Rejected', reason: `duplicate: ${what} repeats gradient ${o.gradientId}, committed earlier` };
    // the later copy was judged while this one's content did not resolve: this one is the
    // original by commit order, so it is not punished (stake back), but the update is applied already
    if (o.status !== 'Pending' || recordOf(ev, m.modelId, o.gradientId)?.seal === o.seal) {
      return { ...base, verdict: 'Declined', reason: `${what} was already judged as gradient ${o.gradientId} (committed later, evaluated while this one's content did not resolve)` };
    }
  }
  return undefined;
}
