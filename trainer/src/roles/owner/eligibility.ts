// Whether this owner can contribute to a model: its terms (before anything of it is fetched),
// its filter, its metadata, whether the owner's rows encode for it and fill a batch, and its
// public keys. The answer is kept per model; a failure that may pass (content not reachable
// yet) is looked at again after RECHECK_MS.
import { isRetryable } from '@hessian/common/errors';
import type { ModelState } from '@hessian/core/model-repository';
import { encodeTable } from '@hessian/core/data';
import type { EncodedData } from '@hessian/core/data';
import { loadRelinKeys, loadGaloisKeys, gradientPacking } from '@hessian/core/he';
import { encodingOf, fetchMetadata, fetchPublicKeys, modelFeatureCount, openHeContext } from '@hessian/core/model';
import type { ModelMetadata } from '@hessian/core/model';
import { checkTerms } from '../owner-policy.ts';
import type { Eligibility, ModelCtx, Owner } from './context.ts';
import { refuse } from './safety.ts';

const RECHECK_MS = 30_000;

export const DEFAULT_OWNER_MIN_BATCH = 256;

/** a fetch that may work later, as opposed to content that is wrong */
function transient(err: unknown): boolean {
  return isRetryable(err) || /timeout|timed out|ECONN|fetch failed|aborted/i.test(String((err as Error)?.message));
}

/** the model's context when this owner can contribute to it now, else undefined (why is logged and emitted once) */
export async function eligibleModel(o: Owner, m: ModelState): Promise<ModelCtx | undefined> {
  const { policy, eligibility, log, events } = o;
  // the model's terms first: nothing of a model the policy refuses is even fetched
  const terms = checkTerms(policy, m);
  if (terms) {
    refuse(o, m.modelId, terms);
    return undefined;
  }
  let el = eligibility.get(m.modelId);
  if (el && !el.ok && el.retryAt !== undefined && Date.now() >= el.retryAt) el = undefined;
  if (!el) {
    el = await checkModel(o, m);
    eligibility.set(m.modelId, el);
    if (el.ok) log.info('model eligible', { modelId: m.modelId, metric: el.ctx.meta.metric, batches: el.ctx.batches.length });
    else log.info('model skipped', { modelId: m.modelId, reason: el.reason });
    events.emit('model', { modelId: m.modelId, eligible: el.ok, ...(el.ok ? {} : { reason: el.reason }) });
  }
  return el.ok ? el.ctx : undefined;
}

/** the model is out of reach for good (its privacy budget is spent): its context is freed */
export function setIneligible(o: Owner, modelId: number, ctx: ModelCtx, reason: string): void {
  freeCtx(ctx);
  o.eligibility.set(modelId, { ok: false, reason });
  o.events.emit('model', { modelId, eligible: false, reason });
}

async function checkModel(o: Owner, m: ModelState): Promise<Eligibility> {
  const { cfg, log, table, privacy, pool } = o;
  const f = cfg.filter ?? {};
  if (f.modelIds && !f.modelIds.includes(m.modelId)) return { ok: false, reason: 'not in the model id filter' };
  if (f.minBounty !== undefined && m.bounty < f.minBounty) return { ok: false, reason: `bounty ${m.bounty} is under the minimum ${f.minBounty}` };
  let meta: ModelMetadata;
  try {
    meta = await fetchMetadata(cfg.store, m.metadataCid);
  } catch (err) {
    return { ok: false, reason: `metadata ${m.metadataCid}: ${(err as Error).message}`, ...(transient(err) ? { retryAt: Date.now() + RECHECK_MS } : {}) };
  }
  if (f.metrics && !f.metrics.includes(meta.metric)) return { ok: false, reason: `metric ${meta.metric} is not one of ${f.metrics.join(', ')}` };
  let data: EncodedData;
  try {
    data = encodeTable(table, encodingOf(meta), { badRows: cfg.badRows ?? 'error' });
  } catch (err) {
    return { ok: false, reason: `cannot encode the owner's data for this model: ${(err as Error).message}` };
  }
  if (data.skipped.length) log.warn('rows skipped', { modelId: m.modelId, count: data.skipped.length, first: data.skipped[0] });
  const batchSize = Math.max(cfg.batchSize ?? meta.minBatch, meta.minBatch, cfg.minBatch ?? DEFAULT_OWNER_MIN_BATCH);
  if (data.x.length < batchSize) return { ok: false, reason: `${data.x.length} usable rows, fewer than a batch of ${batchSize} (the model's minimum is ${meta.minBatch})` };
  const he = await openHeContext(meta);
  const d = modelFeatureCount(meta);
  const packing = gradientPacking(meta.task, he.params, d);
  const plan = privacy.batchPlan(m.modelId, data, batchSize);
  const ctx: ModelCtx = { meta, he, data, batches: plan.batches, plan: plan.id, keyBytes: {} };
  try {
    const keys = await fetchPublicKeys(cfg.store, he, meta, { relin: packing.needsRelin, galois: packing.galoisSteps.length > 0 });
    if (packing.needsRelin) {
      if (!keys.relinKeys) throw new Error('the model publishes no relinearization keys');
      ctx.relinKeys = loadRelinKeys(he, keys.relinKeys);
      ctx.keyBytes.relinKeys = keys.relinKeys;
    }
    if (packing.galoisSteps.length) {
      if (!keys.galoisKeys) throw new Error('the model publishes no rotation keys');
      ctx.galoisKeys = loadGaloisKeys(he, keys.galoisKeys, packing.galoisSteps);
      ctx.keyBytes.galoisKeys = keys.galoisKeys;
    }
    if (pool) {
      // checked above; the workers load their own copies
      ctx.relinKeys?.delete();
      ctx.galoisKeys?.delete();
      delete ctx.relinKeys;
      delete ctx.galoisKeys;
    }
  } catch (err) {
    freeCtx(ctx);
    return { ok: false, reason: `keys: ${(err as Error).message}`, ...(transient(err) ? { retryAt: Date.now() + RECHECK_MS } : {}) };
  }
  return { ok: true, ctx };
}

export function freeCtx(ctx: ModelCtx) {
  ctx.relinKeys?.delete();
  ctx.galoisKeys?.delete();
  ctx.he.delete();
}

/** frees every loaded model (the daemon stopped) */
export function freeAll(o: Owner): void {
  for (const el of o.eligibility.values()) if (el.ok) freeCtx(el.ctx);
  o.eligibility.clear();
}
