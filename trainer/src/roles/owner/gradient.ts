// One batch's encrypted gradient: the current weights fetched, the rows clipped and noised
// (the privacy spend journaled before anything leaves the machine), the gradient computed in
// the worker pool or on the main thread, and the ciphertext and its document uploaded.
import { take } from '@hessian/core/data';
import { loadWeights, encryptedGradient } from '@hessian/core/he';
import type { ModelState } from '@hessian/core/model-repository';
import { buildGradientDocument, encodingOf, fetchWeightBlobs, fetchWeightsDocument, modelFeatureCount } from '@hessian/core/model';
import { dpEpsilonOf } from '../../privacy/owner-privacy.ts';
import type { ModelCtx, Owner, SubmissionRecord } from './context.ts';

export async function computeAndUpload(o: Owner, m: ModelState, ctx: ModelCtx, rec: SubmissionRecord, commitment: string): Promise<{ cid: string; baseVersion: number; dpEpsilon: number }> {
  const { cfg, log, events, privacy, pool } = o;
  const d = modelFeatureCount(ctx.meta);
  const baseWeightsCid = m.weightsCid;
  const baseVersion = m.version;
  events.emit('progress', { modelId: m.modelId, stage: 'fetching weights' });
  const manifest = await fetchWeightsDocument(cfg.store, baseWeightsCid, d);
  const blobs = await fetchWeightBlobs(cfg.store, ctx.he, manifest);
  const batch = take(ctx.data.x, ctx.data.y, ctx.batches[rec.batch]!);
  const priv = privacy.privatize(batch.x, encodingOf(ctx.meta).intercept);
  const onProgress = (done: number, total: number) => events.emit('progress', { modelId: m.modelId, stage: 'encrypted gradient', rowsDone: done, rowsTotal: total });
  const x = priv ? priv.x : batch.x;
  let bytes: Uint8Array;
  const t0 = performance.now();
  if (pool) {
    bytes = await pool.gradient({
      params: ctx.he.params,
      task: ctx.meta.task,
      weights: blobs,
      ...ctx.keyBytes,
      x,
      y: batch.y,
      ...(priv ? { noise: priv.noise } : {}),
      onProgress,
    });
  } else {
    const weights = loadWeights(ctx.he, blobs, d);
    try {
      bytes = encryptedGradient(ctx.he, {
        task: ctx.meta.task,
        weights,
        x,
        y: batch.y,
        ...(priv ? { noise: priv.noise } : {}),
        ...(ctx.relinKeys ? { relinKeys: ctx.relinKeys } : {}),
        ...(ctx.galoisKeys ? { galoisKeys: ctx.galoisKeys } : {}),
        onProgress,
      });
    } finally {
      for (const w of weights) w.delete();
    }
  }
  log.info('gradient computed', { modelId: m.modelId, rows: batch.x.length, ms: Math.round(performance.now() - t0), bytes: bytes.length });
  // privacy seam (h-privacy): the spend is journaled before the gradient leaves the machine (L4)
  if (priv) {
    privacy.charge({ modelId: m.modelId, plan: ctx.plan, batch: rec.batch, commitment, report: priv.report });
    log.info('privacy', { modelId: m.modelId, epsilon: priv.report.epsilon, delta: priv.report.delta, sigma: priv.report.sigma, rowsClipped: priv.report.rowsClipped, total: privacy.spent() });
  }
  const ciphertext = await cfg.store.put(bytes);
  const doc = buildGradientDocument({
    modelVersion: baseVersion,
    weightsCid: baseWeightsCid,
    rows: batch.x.length,
    ciphertext,
    ciphertextBytes: bytes.length,
    privacy: priv ? priv.report : null,
  });
  // the reveal declares the epsilon this gradient spent (fixed point, rounded up; 0 without noise)
  return { cid: await cfg.store.putJson(doc), baseVersion, dpEpsilon: priv ? Number(dpEpsilonOf(priv.report)!) : 0 };
}
