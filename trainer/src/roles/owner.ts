// The data owner's daemon: watches for open models that match its filter, computes an encrypted
// gradient over a mini-batch of its rows against the current encrypted weights, uploads it and
// submits it with a commitment to exactly those rows. The journal records intent before each
// step; on restart the chain is checked for each unfinished commitment before anything is
// resent, so a submission is never duplicated and never silently dropped.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { isHexString, keccak256 } from 'ethers';
import type { ContentStore } from '../ipfs/store.ts';
import { ContentNotFoundError } from '../ipfs/store.ts';
import type { ModelRepositoryClient } from '../chain/client.ts';
import { ChainError } from '../chain/errors.ts';
import { chainSource, indexerSource } from '../chain/source.ts';
import type { ModelState } from '../chain/view.ts';
import type { GradientSubmitted } from '../chain/events.ts';
import { readCsvFile } from '../data/csv.ts';
import type { CsvTable } from '../data/csv.ts';
import { encodeTable } from '../data/encoding.ts';
import type { BadRowPolicy, EncodedData } from '../data/encoding.ts';
import { take } from '../data/split.ts';
// privacy seam (h-privacy): secret batch plan, clipping + noise, the budget and its ledger
import { dpEpsilonOf, openOwnerPrivacy, PrivacyBudgetError } from '../privacy/owner-privacy.ts';
import type { OwnerPrivacy, OwnerPrivacyOptions } from '../privacy/owner-privacy.ts';
import { dataCommitment } from '../data/commitment.ts';
import type { HeContext } from '../he/context.ts';
import { loadRelinKeys, loadGaloisKeys } from '../he/keys.ts';
import { loadWeights } from '../he/weights.ts';
import { encryptedGradient, gradientPacking } from '../he/gradient.ts';
import { GradientPool } from '../he/pool.ts';
import type { Metric } from '../ml/metrics.ts';
import type { GaloisKeys, RelinKeys } from 'node-seal';
import { Journal, closeOnError } from '../state.ts';
import { silentLogger } from '../log.ts';
import type { Logger } from '../log.ts';
import { runLoop } from './loop.ts';
import { buildGradientDocument } from '../metadata.ts';
import type { ModelMetadata } from '../metadata.ts';
import { encodingOf, fetchMetadata, fetchPublicKeys, fetchWeightBlobs, fetchWeightsDocument, modelFeatureCount, openHeContext } from './model-io.ts';

export interface OwnerFilter {
  /** ignore models with a smaller bounty (wei) */
  minBounty?: bigint;
  /** only models scored by one of these metrics */
  metrics?: Metric[];
  /** only these model ids */
  modelIds?: number[];
}

export interface OwnerConfig {
  client: ModelRepositoryClient;
  store: ContentStore;
  /** the owner's state directory (journal) */
  stateDir: string;
  /** the owner's rows: a CSV path or a parsed table */
  data: string | CsvTable;
  badRows?: BadRowPolicy;
  filter?: OwnerFilter;
  /** rows per gradient; raised to the model's minBatch (and the owner's own minBatch) when smaller */
  batchSize?: number;
  /**
   * the owner's own floor on rows per gradient (default 256), whatever the lender asks: a small
   * batch's gradient reveals its rows to the lender who decrypts it
   */
  minBatch?: number;
  /** gradients per model at most (default: until the rows run out) */
  maxSubmissionsPerModel?: number;
  /**
   * differential privacy, on by default (DEFAULT_OWNER_PRIVACY): each gradient's rows are clipped
   * and Gaussian noise added; the spend is journaled and refused past the budget (noiseMultiplier 0: off)
   */
  privacy?: Partial<OwnerPrivacyOptions>;
  /** compute gradients in this many worker threads (0: on the main thread, blocking the event loop) */
  workers?: number;
  /** read models from an indexer's GraphQL API instead of scanning chain logs */
  indexerUrl?: string;
  pollMs?: number;
  log?: Logger;
  /** fault injection for restart tests: called after the upload, right before the transaction */
  beforeSubmit?: (info: { modelId: number; commitment: string }) => void | Promise<void>;
  /** fault injection for restart tests: called once the transaction is mined, before the journal records it */
  afterSubmit?: (info: { modelId: number; commitment: string; gradientId: number }) => void | Promise<void>;
}

export interface SubmissionRecord {
  modelId: number;
  /** index into the model's batch plan */
  batch: number;
  rows: number;
  state: 'intent' | 'uploaded' | 'submitted' | 'abandoned';
  gradientCid?: string;
  baseVersion?: number;
  gradientId?: number;
  txHash?: string;
  reason?: string;
  outcome?: { accepted: boolean; score: number; reward: string };
  /** the epsilon this gradient spent, fixed point 1e6 (the contract's dpEpsilon); absent without DP */
  dpEpsilon?: string;
}

export interface OwnerJournal {
  version: 1;
  account: string;
  /** salts the data commitments so a lender cannot test guessed rows against them */
  salt: string;
  /** keyed by data commitment */
  submissions: Record<string, SubmissionRecord>;
  /** next batch index per model id */
  nextBatch: Record<string, number>;
}

export interface OwnerEvents {
  model: [{ modelId: number; eligible: boolean; reason?: string }];
  progress: [{ modelId: number; stage: string; rowsDone?: number; rowsTotal?: number }];
  submitted: [{ modelId: number; gradientId: number; commitment: string; rows: number; txHash: string; gradientCid: string }];
  evaluated: [{ modelId: number; gradientId: number; accepted: boolean; score: number; reward: bigint }];
  abandoned: [{ modelId: number; commitment: string; reason: string }];
}

export interface OwnerHandle {
  address: string;
  events: EventEmitter<OwnerEvents>;
  journal: Journal<OwnerJournal>;
  stop(): Promise<void>;
  done: Promise<void>;
  /** withdraws the account's whole ETH credit; returns the amount */
  withdraw(): Promise<bigint>;
  /** the owner's privacy spend and budget (privacy/owner-privacy.ts) */
  privacy: OwnerPrivacy;
}

interface ModelCtx {
  meta: ModelMetadata;
  he: HeContext;
  relinKeys?: RelinKeys;
  galoisKeys?: GaloisKeys;
  /** the same key bytes for the worker pool (cached per worker by identity) */
  keyBytes: { relinKeys?: Uint8Array; galoisKeys?: Uint8Array };
  data: EncodedData;
  batches: Uint32Array[];
  /** the batch plan's id in the privacy ledger */
  plan: string;
}

/** retryAt: the failure may be transient (content not reachable yet), look again after it */
type Eligibility = { ok: true; ctx: ModelCtx } | { ok: false; reason: string; retryAt?: number };

const RECHECK_MS = 30_000;

/** a fetch that may work later, as opposed to content that is wrong */
function transient(err: unknown): boolean {
  return err instanceof ContentNotFoundError || /timeout|timed out|ECONN|fetch failed|aborted/i.test(String((err as Error)?.message));
}

export const DEFAULT_OWNER_MIN_BATCH = 256;

export const COMMITMENT_SALT_MESSAGE = 'Hessian data-commitment salt v1';

export async function startOwner(cfg: OwnerConfig): Promise<OwnerHandle> {
  const log = (cfg.log ?? silentLogger).child({ role: 'owner' });
  const client = cfg.client;
  const address = await client.address();
  const chainId = (await client.provider.getNetwork()).chainId;
  const table = typeof cfg.data === 'string' ? await readCsvFile(cfg.data) : cfg.data;
  // privacy seam (h-privacy): batch membership follows from a secret only this owner holds (H3)
  const privacy = openOwnerPrivacy({ stateDir: cfg.stateDir, account: address, ...(cfg.privacy ? { options: cfg.privacy } : {}), log });
  const events = new EventEmitter<OwnerEvents>();
  // the commitment salt comes from the account itself (a deterministic signature), so the same
  // rows give the same commitment even if the journal is lost, and the contract's
  // one-use-per-commitment rule still stops a resubmission
  const salt = keccak256(await client.signer!.signMessage(COMMITMENT_SALT_MESSAGE));
  const journal = new Journal<OwnerJournal>({
    file: path.join(cfg.stateDir, `owner-${address.toLowerCase()}.json`),
    initial: () => ({ version: 1, account: address, salt, submissions: {}, nextBatch: {} }),
    validate: (d) => {
      const doc = d as OwnerJournal;
      if (doc?.version !== 1 || !isHexString(doc.salt, 32) || typeof doc.submissions !== 'object') throw new Error('expected {version: 1, salt, submissions, nextBatch}');
      if (doc.account.toLowerCase() !== address.toLowerCase()) throw new Error(`journal belongs to ${doc.account}, not ${address}`);
      return doc;
    },
  });
  const { pool, source } = await closeOnError(journal, () => {
    if (!journal.value.nextBatch) journal.update((j) => void (j.nextBatch = {}));
    const source = cfg.indexerUrl ? indexerSource({ url: cfg.indexerUrl, contributor: address }) : chainSource(client);
    return { source, pool: cfg.workers ? new GradientPool(cfg.workers) : undefined };
  });
  const eligibility = new Map<number, Eligibility>();
  const retryAt = new Map<string, number>();

  const me = address.toLowerCase();
  const mine = (g: { contributor: string }) => g.contributor.toLowerCase() === me;

  /** our submission with this commitment, straight from the chain's logs (exact, even when the view lags) */
  async function onchainSubmission(modelId: number, commitment: string): Promise<GradientSubmitted | undefined> {
    const found = await client.queryEvents('GradientSubmitted', [null, modelId, address]);
    return found.find((e): e is GradientSubmitted => e.name === 'GradientSubmitted' && e.dataCommitment.toLowerCase() === commitment.toLowerCase());
  }

  function markSubmitted(commitment: string, g: { gradientId: number; txHash: string; gradientCid: string; modelId: number }, rows: number) {
    journal.update((j) => {
      const s = j.submissions[commitment]!;
      s.state = 'submitted';
      s.gradientId = g.gradientId;
      s.txHash = g.txHash;
      s.gradientCid = g.gradientCid;
    });
    log.info('gradient submitted', { modelId: g.modelId, gradientId: g.gradientId, rows, tx: g.txHash });
    events.emit('submitted', { modelId: g.modelId, gradientId: g.gradientId, commitment, rows, txHash: g.txHash, gradientCid: g.gradientCid });
  }

  /** records the outcome of our gradients the view shows as judged */
  function noteOutcomes() {
    for (const [commitment, sub] of Object.entries(journal.value.submissions)) {
      if (sub.state !== 'submitted' || sub.outcome || sub.gradientId === undefined) continue;
      const g = source.view.gradients.get(sub.gradientId);
      if (!g || g.status === 'Pending') continue;
      const accepted = g.status === 'Accepted';
      const score = g.score ?? 0;
      journal.update((j) => void (j.submissions[commitment]!.outcome = { accepted, score, reward: g.reward.toString() }));
      if (g.status === 'Expired') log.warn('gradient expired unevaluated', { modelId: g.modelId, gradientId: g.gradientId });
      else log.info(accepted ? 'gradient accepted' : 'gradient rejected', { modelId: g.modelId, gradientId: g.gradientId, score, reward: g.reward });
      events.emit('evaluated', { modelId: g.modelId, gradientId: g.gradientId, accepted, score, reward: g.reward });
    }
  }

  async function checkModel(m: ModelState): Promise<Eligibility> {
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

  function freeCtx(ctx: ModelCtx) {
    ctx.relinKeys?.delete();
    ctx.galoisKeys?.delete();
    ctx.he.delete();
  }

  async function computeAndUpload(m: ModelState, ctx: ModelCtx, rec: SubmissionRecord, commitment: string): Promise<{ cid: string; baseVersion: number; dpEpsilon?: string }> {
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
    return { cid: await cfg.store.putJson(doc), baseVersion, ...(priv ? { dpEpsilon: dpEpsilonOf(priv.report)!.toString() } : {}) };
  }

  async function contribute(m: ModelState, ctx: ModelCtx, commitment: string): Promise<void> {
    let rec = journal.value.submissions[commitment]!;
    if (rec.state === 'intent') {
      // a batch already on-chain (a journal lost or restored from backup) is not recomputed
      const earlier = await onchainSubmission(m.modelId, commitment);
      if (earlier) return markSubmitted(commitment, earlier, rec.rows);
      let uploaded: Awaited<ReturnType<typeof computeAndUpload>>;
      try {
        uploaded = await computeAndUpload(m, ctx, rec, commitment);
      } catch (err) {
        // privacy seam (h-privacy): a recompute (after a crash) that would go past the budget
        if (!(err instanceof PrivacyBudgetError)) throw err;
        journal.update((j) => void Object.assign(j.submissions[commitment]!, { state: 'abandoned', reason: err.message }));
        log.warn('submission abandoned', { modelId: m.modelId, reason: err.message });
        events.emit('abandoned', { modelId: m.modelId, commitment, reason: err.message });
        return;
      }
      const { cid, baseVersion, dpEpsilon } = uploaded;
      journal.update((j) => {
        const s = j.submissions[commitment]!;
        s.state = 'uploaded';
        s.gradientCid = cid;
        s.baseVersion = baseVersion;
        if (dpEpsilon !== undefined) s.dpEpsilon = dpEpsilon;
      });
      rec = journal.value.submissions[commitment]!;
    }
    await cfg.beforeSubmit?.({ modelId: m.modelId, commitment });
    events.emit('progress', { modelId: m.modelId, stage: 'submitting' });
    try {
      const res = await client.submitGradient(m.modelId, rec.gradientCid!, commitment, m.submissionStake);
      await cfg.afterSubmit?.({ modelId: m.modelId, commitment, gradientId: res.gradientId });
      markSubmitted(commitment, { gradientId: res.gradientId, txHash: res.txHash, gradientCid: rec.gradientCid!, modelId: m.modelId }, rec.rows);
    } catch (err) {
      if (!(err instanceof ChainError)) throw err;
      if (err.errorName === 'CommitmentAlreadyUsed') {
        // our own earlier attempt landed: find it rather than resubmit
        const g = await onchainSubmission(m.modelId, commitment);
        if (g) return markSubmitted(commitment, g, rec.rows);
        throw err;
      }
      if (!err.transient) {
        journal.update((j) => {
          const s = j.submissions[commitment]!;
          s.state = 'abandoned';
          s.reason = err.message;
        });
        log.warn('submission abandoned', { modelId: m.modelId, reason: err.message });
        events.emit('abandoned', { modelId: m.modelId, commitment, reason: err.message });
        return;
      }
      throw err;
    }
  }

  async function tick(): Promise<void> {
    await source.refresh();
    const view = source.view;
    noteOutcomes();
    // reconcile unfinished intents with the chain before acting on anything
    for (const [commitment, s] of Object.entries(journal.value.submissions)) {
      if (s.state !== 'intent' && s.state !== 'uploaded') continue;
      const g = await onchainSubmission(s.modelId, commitment);
      if (g) markSubmitted(commitment, g, s.rows);
    }
    const now = await client.chainTime();
    for (const m of view.models.values()) {
      if (!view.acceptsSubmissions(m.modelId, now)) continue;
      let el = eligibility.get(m.modelId);
      if (el && !el.ok && el.retryAt !== undefined && Date.now() >= el.retryAt) el = undefined;
      if (!el) {
        el = await checkModel(m);
        eligibility.set(m.modelId, el);
        if (el.ok) log.info('model eligible', { modelId: m.modelId, metric: el.ctx.meta.metric, batches: el.ctx.batches.length });
        else log.info('model skipped', { modelId: m.modelId, reason: el.reason });
        events.emit('model', { modelId: m.modelId, eligible: el.ok, ...(el.ok ? {} : { reason: el.reason }) });
      }
      if (!el.ok) continue;
      const ctx = el.ctx;
      // one gradient in flight per model: the next one is computed on the updated weights
      const subs = Object.entries(journal.value.submissions).filter(([, s]) => s.modelId === m.modelId);
      // a view that lags (an indexer) may not show our last submission yet: the journal does
      const inFlight =
        subs.some(([, s]) => s.state === 'submitted' && !s.outcome && (view.gradients.get(s.gradientId!)?.status ?? 'Pending') === 'Pending') ||
        m.gradientIds.some((id) => {
          const g = view.gradients.get(id)!;
          return mine(g) && g.status === 'Pending';
        });
      if (inFlight) continue;
      const unfinished = subs.find(([, s]) => s.state === 'intent' || s.state === 'uploaded');
      let commitment: string;
      if (unfinished) {
        commitment = unfinished[0];
        const at = retryAt.get(commitment) ?? 0;
        if (Date.now() < at) continue;
      } else {
        const done = subs.filter(([, s]) => s.state === 'submitted').length;
        if (cfg.maxSubmissionsPerModel !== undefined && done >= cfg.maxSubmissionsPerModel) continue;
        const k = journal.value.nextBatch[m.modelId] ?? 0;
        if (k >= ctx.batches.length) continue;
        // privacy seam (h-privacy): no new batch past the owner's budget
        const { refusal } = privacy.check(m.modelId, ctx.plan, k);
        if (refusal) {
          log.warn('gradient refused: privacy budget', { modelId: m.modelId, reason: refusal });
          freeCtx(ctx);
          eligibility.set(m.modelId, { ok: false, reason: refusal });
          events.emit('model', { modelId: m.modelId, eligible: false, reason: refusal });
          continue;
        }
        const idx = ctx.batches[k]!;
        const batch = take(ctx.data.x, ctx.data.y, idx);
        commitment = dataCommitment(batch.x, batch.y, { chainId, modelId: m.modelId, contributor: address, salt: journal.value.salt });
        journal.update((j) => {
          j.nextBatch[m.modelId] = k + 1;
          j.submissions[commitment] = { modelId: m.modelId, batch: k, rows: idx.length, state: 'intent' };
        });
      }
      try {
        await contribute(m, ctx, commitment);
        retryAt.delete(commitment);
      } catch (err) {
        const wait = Math.min(60_000, (cfg.pollMs ?? 1000) * 5);
        retryAt.set(commitment, Date.now() + wait);
        log.warn('contribution failed; will retry', { modelId: m.modelId, err });
      }
    }
  }

  const loop = runLoop(tick, {
    pollMs: cfg.pollMs ?? 1000,
    log,
    journal,
    cleanup: async () => {
      for (const el of eligibility.values()) if (el.ok) freeCtx(el.ctx);
      eligibility.clear();
      await pool?.close();
    },
  });
  log.info('owner started', { account: address, rows: table.rows.length });
  return {
    address,
    events,
    journal,
    stop: () => loop.stop(),
    done: loop.done,
    privacy,
    async withdraw() {
      const res = await client.withdraw();
      log.info('withdrawn', { amount: res.amount, tx: res.txHash });
      return res.amount;
    },
  };
}
