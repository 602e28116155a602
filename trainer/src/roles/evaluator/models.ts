// The models this evaluator serves: only those its own lender opened (a clone naming this
// evaluator is ignored with one warning), each loaded once (secret key, held-out data, current
// weights); a model that cannot be loaded is tried again after 30 s.
import type { PublicKey } from 'node-seal';
import type { ModelState } from '@hessian/core/model-repository';
import { readCsvFile, encodeTable } from '@hessian/core/data';
import type { SecretKeyHandle } from '@hessian/core/he';
import { loadPublicKey, loadSecretKeyFile } from '@hessian/core/he';
import { encodingOf, fetchDecryptedWeights, fetchMetadata, fetchPublicKeys, modelFeatureCount, openHeContext } from '@hessian/core/model';
import type { LenderModelRecord } from '@hessian/core/model';
import type { Evaluator, ModelCtx } from './context.ts';

/** the model's context when this evaluator serves it and it is loaded, else undefined (why is logged) */
export async function servedModel(ev: Evaluator, m: ModelState, records: Record<string, LenderModelRecord>): Promise<ModelCtx | undefined> {
  const { me, warned, log, events, contexts } = ev;
  if (m.evaluator.toLowerCase() !== me) return undefined;
  const record = ownRecord(ev, m, records);
  if (typeof record === 'string') {
    if (!warned.has(m.modelId)) {
      warned.add(m.modelId);
      log.warn('model names this evaluator but is not its lender\'s: ignored', { modelId: m.modelId, lender: m.lender, reason: record });
      events.emit('ignored', { modelId: m.modelId, reason: record });
    }
    return undefined;
  }
  let ctx = contexts.get(m.modelId);
  if (ctx && 'failed' in ctx && Date.now() >= ctx.retryAt) ctx = undefined;
  if (!ctx) {
    try {
      ctx = await openCtx(ev, m, record);
    } catch (err) {
      ctx = { failed: (err as Error).message, retryAt: Date.now() + 30_000 };
      log.error('cannot evaluate this model', { modelId: m.modelId, err });
    }
    contexts.set(m.modelId, ctx);
  }
  return 'failed' in ctx ? undefined : ctx;
}

/** the lender record of a model this evaluator serves, or why it does not serve it */
function ownRecord(ev: Evaluator, m: ModelState, records: Record<string, LenderModelRecord>): LenderModelRecord | string {
  const { chainId, contract, ownLender } = ev;
  const record = Object.values(records).find(
    (r) => r.metadataCid === m.metadataCid && (r.modelId === undefined || r.modelId === m.modelId) && (r.chainId === undefined || r.chainId === chainId) && (r.contract === undefined || r.contract.toLowerCase() === contract),
  );
  const lender = (record?.lender ?? ownLender).toLowerCase();
  // only the lender can have opened a model naming itself as lender: a clone cannot
  if (m.lender.toLowerCase() !== lender) return `opened by ${m.lender}, not by this evaluator's lender ${lender}`;
  if (!record) return 'not in the lender journal of this state directory';
  return record;
}

async function openCtx(ev: Evaluator, m: ModelState, record: LenderModelRecord): Promise<ModelCtx> {
  const { cfg, log, events, heldOutFiles } = ev;
  const meta = await fetchMetadata(cfg.store, m.metadataCid);
  const he = await openHeContext(meta);
  let sk: SecretKeyHandle | undefined;
  let pk: PublicKey | undefined;
  try {
    // the key's text is registered so that no log line can carry it
    sk = await loadSecretKeyFile(record.secretKeyFile, he, { log });
    const keyBytes = await fetchPublicKeys(cfg.store, he, meta, { relin: false, galois: false });
    pk = loadPublicKey(he, keyBytes.publicKey);
    let heldOut = typeof cfg.data === 'object' ? cfg.data : undefined;
    if (!heldOut) {
      const file = typeof cfg.data === 'string' ? cfg.data : record.dataPath;
      if (!file) throw new Error(`model ${m.modelId}: no held-out data (pass data, or open the model from a CSV file)`);
      heldOut = heldOutFiles.get(file) ?? (await readCsvFile(file));
      heldOutFiles.set(file, heldOut);
    }
    const test = encodeTable(heldOut, encodingOf(meta), { badRows: record.badRows });
    const d = modelFeatureCount(meta);
    const w = await fetchDecryptedWeights(cfg.store, he, sk, m.weightsCid, d);
    log.info('model loaded', { modelId: m.modelId, version: m.version, bestScore: m.bestScore, testRows: test.x.length });
    events.emit('model', { modelId: m.modelId, bestScore: m.bestScore, targetScore: m.targetScore });
    return { record, meta, he, sk, pk, test, w, weightsCid: m.weightsCid, version: m.version, bestScore: m.bestScore };
  } catch (err) {
    pk?.delete();
    sk?.delete();
    he.delete();
    throw err;
  }
}

export function freeCtx(ctx: ModelCtx) {
  ctx.pk.delete();
  ctx.sk.delete();
  ctx.he.delete();
}

/** forgets one model's loaded state (it is loaded again from the chain) */
export function forgetModel(ev: Evaluator, modelId: number, ctx: ModelCtx): void {
  freeCtx(ctx);
  ev.contexts.delete(modelId);
}

export function freeAll(ev: Evaluator): void {
  for (const c of ev.contexts.values()) if (!('failed' in c)) freeCtx(c);
  ev.contexts.clear();
}

/** the plaintext of published weights (what the chain now says is current) */
export async function currentWeights(ev: Evaluator, ctx: ModelCtx, cid: string): Promise<Float64Array | undefined> {
  return fetchDecryptedWeights(ev.cfg.store, ctx.he, ctx.sk, cid, modelFeatureCount(ctx.meta));
}
