// The lender's evaluator daemon: for each gradient submitted to its models, in submission
// order, fetch it (bounded, parameter-checked), decrypt, reject non-finite or out-of-bound
// values with a reason, apply it to the current weights with the learning rate, score the
// result on the held-out data and accept only an improvement; accepted weights are encrypted,
// published and recorded on-chain with the score. State comes from the chain on every start;
// the journal keeps each decision so a restart re-sends it rather than evaluating again.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { PublicKey } from 'node-seal';
import type { ContentStore } from '../ipfs/store.ts';
import { ContentNotFoundError, ContentTooLargeError, InvalidCidError } from '../ipfs/store.ts';
import type { ModelRepositoryClient } from '../chain/client.ts';
import { ChainError } from '../chain/errors.ts';
import { LogWatcher } from '../chain/watch.ts';
import { decodeLog } from '../chain/events.ts';
import { RepositoryView } from '../chain/view.ts';
import type { RevealedGradient, ModelState } from '../chain/view.ts';
import type { VerdictName } from '../chain/abi.ts';
import { readCsvFile } from '../data/csv.ts';
import type { CsvTable } from '../data/csv.ts';
import { encodeTable } from '../data/encoding.ts';
import type { EncodedData } from '../data/encoding.ts';
import type { HeContext } from '../he/context.ts';
import { loadPublicKey, loadSecretKeyFile } from '../he/keys.ts';
import type { SecretKeyHandle } from '../he/keys.ts';
import { encryptWeights } from '../he/weights.ts';
import { decryptGradient, gradientRejection } from '../he/gradient.ts';
import { maxCiphertextBytes } from '../he/codec.ts';
import { evaluateMetric, metricToScore } from '../ml/metrics.ts';
import { applyGradient, predict } from '../ml/models.ts';
import { recordsJournal } from '../state.ts';
import type { Journal } from '../state.ts';
import { silentLogger } from '../log.ts';
import type { Logger } from '../log.ts';
import { runLoop } from './loop.ts';
import { MAX_GRADIENT_DOC_BYTES, buildWeightsDocument, validateGradientDocument } from '../metadata.ts';
import type { ModelMetadata } from '../metadata.ts';
import { encodingOf, fetchDecryptedWeights, fetchMetadata, fetchPublicKeys, modelFeatureCount, openHeContext } from './model-io.ts';
import { lenderJournal } from './lender.ts';
import type { LenderModelRecord } from './lender.ts';

export interface EvaluatorConfig {
  client: ModelRepositoryClient;
  store: ContentStore;
  /** the lender's state directory (lender.json, secret key files); the evaluator journal goes here too */
  stateDir: string;
  /** held-out data overriding the path recorded when the model was opened */
  data?: string | CsvTable;
  pollMs?: number;
  /** a gradient whose content cannot be found is rejected after this many attempts (default 5)... */
  fetchAttempts?: number;
  /** ...spanning at least this long since the first failure (default 120 s; IPFS content may still be propagating) */
  fetchGraceMs?: number;
  /** close a model once its target is reached (or its deadline passed) with nothing pending */
  autoClose?: boolean;
  log?: Logger;
  /** fault injection for restart tests: called after a decision is journaled, before its transaction */
  beforeEvaluate?: (info: { modelId: number; gradientId: number }) => void | Promise<void>;
  /** fault injection for restart tests: called once the transaction is mined, before the journal records it */
  afterEvaluate?: (info: { modelId: number; gradientId: number }) => void | Promise<void>;
}

export interface EvaluationRecord {
  modelId: number;
  state: 'decided' | 'done' | 'missed';
  verdict: VerdictName;
  accepted: boolean;
  score: number;
  metricValue?: number;
  newWeightsCid: string;
  reason?: string;
  txHash?: string;
}

export interface EvaluatorJournal {
  version: 1;
  /** keyed by gradient id */
  evaluations: Record<string, EvaluationRecord>;
}

export interface EvaluatorEvents {
  model: [{ modelId: number; bestScore: number; targetScore: number }];
  evaluated: [{ modelId: number; gradientId: number; accepted: boolean; score: number; metricValue?: number; reward: bigint; reason?: string; txHash: string }];
  closed: [{ modelId: number; txHash: string }];
}

export interface EvaluatorHandle {
  address: string;
  events: EventEmitter<EvaluatorEvents>;
  journal: Journal<EvaluatorJournal>;
  stop(): Promise<void>;
  done: Promise<void>;
}

interface ModelCtx {
  record: LenderModelRecord;
  meta: ModelMetadata;
  he: HeContext;
  sk: SecretKeyHandle;
  pk: PublicKey;
  test: EncodedData;
  /** current plaintext weights and the manifest they were published under */
  w: Float64Array;
  weightsCid: string;
  version: number;
  bestScore: number;
}

/** a gradient whose content is wrong (reject it) as opposed to a fetch that may work later */
class BadGradient extends Error {}

export async function startEvaluator(cfg: EvaluatorConfig): Promise<EvaluatorHandle> {
  const log = (cfg.log ?? silentLogger).child({ role: 'evaluator' });
  const client = cfg.client;
  const address = await client.address();
  const me = address.toLowerCase();
  const events = new EventEmitter<EvaluatorEvents>();
  const journal = recordsJournal<EvaluatorJournal>(path.join(cfg.stateDir, `evaluator-${me}.json`), ['evaluations']);
  // nothing from here to runLoop can throw, so no failed start can keep the journal's lock
  const watcher = new LogWatcher({ provider: client.provider, address: client.config.address, fromBlock: client.config.startBlock, confirmations: client.config.confirmations, decode: decodeLog });
  const view = new RepositoryView();
  /** retryAt: a model that could not be loaded (content unreachable, data missing) is tried again later */
  const contexts = new Map<number, ModelCtx | { failed: string; retryAt: number }>();
  const fetchFailures = new Map<number, { n: number; since: number }>();
  const closing = new Set<number>();
  /** held-out tables by file (models opened from different files score on their own data) */
  const heldOutFiles = new Map<string, CsvTable>();

  async function openCtx(m: ModelState, record: LenderModelRecord): Promise<ModelCtx> {
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

  function freeCtx(ctx: ModelCtx) {
    ctx.pk.delete();
    ctx.sk.delete();
    ctx.he.delete();
  }

  /** the decrypted, checked gradient, or BadGradient with the reason to reject it */
  async function fetchGradient(ctx: ModelCtx, g: RevealedGradient): Promise<{ g: Float64Array; rows: number }> {
    let manifestDoc: unknown;
    try {
      manifestDoc = await cfg.store.getJson(g.gradientCid, { maxBytes: MAX_GRADIENT_DOC_BYTES });
    } catch (err) {
      if (err instanceof InvalidCidError || err instanceof ContentTooLargeError) throw new BadGradient((err as Error).message);
      if (err instanceof ContentNotFoundError) throw err;
      throw new BadGradient(`gradient document: ${(err as Error).message}`);
    }
    let manifest;
    try {
      manifest = validateGradientDocument(manifestDoc, ctx.meta);
    } catch (err) {
      throw new BadGradient(`gradient document ${g.gradientCid}: ${(err as Error).message}`);
    }
    let bytes: Uint8Array;
    try {
      bytes = await cfg.store.get(manifest.ciphertext, { maxBytes: maxCiphertextBytes(ctx.he, ctx.he.levels()) });
    } catch (err) {
      if (err instanceof ContentNotFoundError) throw err;
      throw new BadGradient(`gradient ciphertext: ${(err as Error).message}`);
    }
    let vec: Float64Array;
    try {
      vec = decryptGradient(ctx.he, bytes, ctx.sk, ctx.meta.task, modelFeatureCount(ctx.meta));
    } catch (err) {
      throw new BadGradient((err as Error).message);
    }
    const why = gradientRejection(vec, ctx.meta.maxGradientAbs);
    if (why) throw new BadGradient(`gradient ${why}`);
    return { g: vec, rows: manifest.rows };
  }

  async function decide(m: ModelState, ctx: ModelCtx, g: RevealedGradient): Promise<EvaluationRecord | undefined> {
    let grad: Float64Array;
    try {
      grad = (await fetchGradient(ctx, g)).g;
    } catch (err) {
      if (err instanceof BadGradient) {
        return { modelId: m.modelId, state: 'decided', verdict: 'Rejected', accepted: false, score: 0, newWeightsCid: '', reason: err.message };
      }
      const prev = fetchFailures.get(g.gradientId);
      const n = (prev?.n ?? 0) + 1;
      const since = prev?.since ?? Date.now();
      fetchFailures.set(g.gradientId, { n, since });
      const now = await client.chainTime();
      const margin = Math.max(30, Math.ceil(m.evaluationWindow / 10));
      const gaveUp = n >= (cfg.fetchAttempts ?? 5) && Date.now() - since >= (cfg.fetchGraceMs ?? 120_000);
      if (gaveUp || now + margin >= g.evaluationDeadline) {
        return { modelId: m.modelId, state: 'decided', verdict: 'Declined', accepted: false, score: 0, newWeightsCid: '', reason: `gradient content did not resolve after ${n} attempts: ${(err as Error).message}` };
      }
      log.warn('gradient not retrievable yet; will retry', { gradientId: g.gradientId, attempt: n, err });
      return undefined;
    }
    const candidate = applyGradient(ctx.w, grad, ctx.meta.learningRate);
    const value = evaluateMetric(ctx.meta.metric, ctx.test.y, predict(ctx.meta.task, candidate, ctx.test.x));
    const score = Number(metricToScore(ctx.meta.metric, value));
    if (score <= ctx.bestScore) {
      return { modelId: m.modelId, state: 'decided', verdict: 'Declined', accepted: false, score, metricValue: value, newWeightsCid: '', reason: `no improvement (${score} <= best ${ctx.bestScore})` };
    }
    const blobs = encryptWeights(ctx.he, candidate, { publicKey: ctx.pk, secretKey: ctx.sk });
    const cids: string[] = [];
    for (const b of blobs) cids.push(await cfg.store.put(b));
    const newWeightsCid = await cfg.store.putJson(buildWeightsDocument(ctx.version + 1, cids));
    return { modelId: m.modelId, state: 'decided', verdict: 'Accepted', accepted: true, score, metricValue: value, newWeightsCid };
  }

  async function evaluate(m: ModelState, ctx: ModelCtx, g: RevealedGradient): Promise<boolean> {
    const key = String(g.gradientId);
    let rec = journal.value.evaluations[key];
    if (rec?.state === 'done' || rec?.state === 'missed') return true;
    const now = await client.chainTime();
    if (now >= g.evaluationDeadline) {
      journal.update((j) => void (j.evaluations[key] = { modelId: m.modelId, state: 'missed', verdict: 'Declined', accepted: false, score: 0, newWeightsCid: '', reason: 'evaluation deadline passed' }));
      log.warn('evaluation deadline passed; gradient left to expire', { gradientId: g.gradientId, deadline: g.evaluationDeadline });
      return true;
    }
    if (!rec) {
      const decided = await decide(m, ctx, g);
      if (!decided) return false;
      journal.update((j) => void (j.evaluations[key] = decided));
      rec = decided;
    }
    await cfg.beforeEvaluate?.({ modelId: m.modelId, gradientId: g.gradientId });
    let res;
    try {
      res = await client.evaluateGradient(g.gradientId, g.seal, rec.score, rec.verdict, rec.newWeightsCid);
    } catch (err) {
      if (err instanceof ChainError && err.errorName === 'GradientNotPending') {
        // evaluated already (by a previous run whose journal update was lost): the chain wins
        journal.update((j) => void (j.evaluations[key]!.state = 'done'));
        return true;
      }
      throw err;
    }
    await cfg.afterEvaluate?.({ modelId: m.modelId, gradientId: g.gradientId });
    journal.update((j) => {
      const e = j.evaluations[key]!;
      e.state = 'done';
      e.txHash = res.txHash;
    });
    if (rec.accepted) {
      ctx.w = (await currentWeights(ctx, rec.newWeightsCid)) ?? ctx.w;
      ctx.weightsCid = rec.newWeightsCid;
      ctx.version = res.event.modelVersion;
    }
    ctx.bestScore = res.event.bestScore;
    const fields = { modelId: m.modelId, gradientId: g.gradientId, accepted: rec.accepted, score: rec.score, reward: res.event.reward, tx: res.txHash };
    if (rec.reason && !rec.accepted && rec.score === 0) log.warn('gradient rejected', { ...fields, reason: rec.reason });
    else log.info(rec.accepted ? 'gradient accepted' : 'gradient rejected', { ...fields, ...(rec.reason ? { reason: rec.reason } : {}), metricValue: rec.metricValue });
    events.emit('evaluated', {
      modelId: m.modelId,
      gradientId: g.gradientId,
      accepted: rec.accepted,
      score: rec.score,
      reward: res.event.reward,
      txHash: res.txHash,
      ...(rec.metricValue !== undefined ? { metricValue: rec.metricValue } : {}),
      ...(rec.reason ? { reason: rec.reason } : {}),
    });
    return true;
  }

  /** the plaintext of published weights (what the chain now says is current) */
  async function currentWeights(ctx: ModelCtx, cid: string): Promise<Float64Array | undefined> {
    return fetchDecryptedWeights(cfg.store, ctx.he, ctx.sk, cid, modelFeatureCount(ctx.meta));
  }

  async function maybeClose(m: ModelState): Promise<void> {
    if (!(cfg.autoClose ?? true) || m.status === 'Closed' || closing.has(m.modelId)) return;
    const open = view.pendingGradients(m.modelId).filter((g) => journal.value.evaluations[String(g.gradientId)]?.state !== 'done');
    const now = await client.chainTime();
    const due = m.status === 'TargetReached' || now >= m.submissionDeadline + m.evaluationWindow;
    if (!due) return;
    // gradients that can no longer be evaluated block the close: expire them (their stakes go back)
    if (open.some((g) => now < g.evaluationDeadline)) return;
    closing.add(m.modelId);
    try {
      for (const g of open) {
        try {
          const res = await client.expireGradient(g.gradientId);
          log.info('gradient expired', { modelId: m.modelId, gradientId: g.gradientId, tx: res.txHash });
        } catch (err) {
          if (!(err instanceof ChainError && err.errorName === 'GradientNotPending')) throw err;
        }
      }
      const res = await client.closeModel(m.modelId);
      log.info('model closed', { modelId: m.modelId, tx: res.txHash });
      events.emit('closed', { modelId: m.modelId, txHash: res.txHash });
    } catch (err) {
      if (err instanceof ChainError && (err.errorName === 'AlreadyClosed' || err.errorName === 'NotClosable')) {
        log.info('model not closable yet', { modelId: m.modelId, reason: err.message });
        closing.delete(m.modelId);
        return;
      }
      closing.delete(m.modelId);
      throw err;
    }
  }

  /** decisions whose transaction landed while the journal update was lost: the chain says done */
  function reconcile(): void {
    for (const [key, rec] of Object.entries(journal.value.evaluations)) {
      if (rec.state !== 'decided') continue;
      const g = view.gradients.get(Number(key));
      if (!g || g.status === 'Pending') continue;
      journal.update((j) => {
        const e = j.evaluations[key]!;
        e.state = 'done';
        if (g.evaluatedTx) e.txHash = g.evaluatedTx;
      });
      log.info('evaluation found on-chain', { gradientId: g.gradientId, status: g.status, tx: g.evaluatedTx });
    }
  }

  async function tick(): Promise<void> {
    view.applyAll(await watcher.poll());
    reconcile();
    const records = lenderJournal(cfg.stateDir, { readOnly: true }).value.models;
    for (const m of view.models.values()) {
      if (m.evaluator.toLowerCase() !== me) continue;
      const record = records[m.metadataCid];
      if (!record) continue;
      let ctx = contexts.get(m.modelId);
      if (ctx && 'failed' in ctx && Date.now() >= ctx.retryAt) ctx = undefined;
      if (!ctx) {
        try {
          ctx = await openCtx(m, record);
        } catch (err) {
          ctx = { failed: (err as Error).message, retryAt: Date.now() + 30_000 };
          log.error('cannot evaluate this model', { modelId: m.modelId, err });
        }
        contexts.set(m.modelId, ctx);
      }
      if ('failed' in ctx) continue;
      try {
        for (const g of view.pendingGradients(m.modelId).sort((a, b) => a.gradientId - b.gradientId)) {
          // gradients apply in submission order: stop at one that cannot be judged yet
          if (!(await evaluate(m, ctx, g))) break;
        }
      } catch (err) {
        // a transaction may or may not have landed: rebuild this model's state from the chain
        freeCtx(ctx);
        contexts.delete(m.modelId);
        throw err;
      }
      await maybeClose(m);
    }
  }

  const loop = runLoop(tick, {
    pollMs: cfg.pollMs ?? 1000,
    log,
    journal,
    cleanup: () => {
      for (const c of contexts.values()) if (!('failed' in c)) freeCtx(c);
      contexts.clear();
    },
  });
  log.info('evaluator started', { account: address });
  return { address, events, journal, stop: () => loop.stop(), done: loop.done };
}
