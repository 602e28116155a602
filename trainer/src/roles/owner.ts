// The data owner's daemon: watches for open models that its filter and safety policy accept,
// computes an encrypted gradient over a mini-batch of its rows against the current encrypted
// weights, uploads it and submits it in two steps: a commit of a seal over (itself, model, data
// commitment, CID, random salt), then, once the commit is mined, the reveal of what it sealed.
// Nothing copyable is public before the gradient's place in line is fixed, so a front-runner
// can neither take its credit nor block it. The journal records each step before its
// transaction (the salt before the commit); on restart the chain is checked for each
// unfinished step before anything is resent, so a batch is never committed twice, a commit is
// revealed exactly once (or logged as lapsed once its reveal window is over), and nothing is
// silently dropped.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { isHexString, keccak256 } from 'ethers';
import type { ContentStore } from '@hessian/core/ipfs';
import { ContentNotFoundError } from '@hessian/core/ipfs';
import type { ModelRepositoryClient, GradientStatusName, ModelState, GradientCommitted, GradientRevealed } from '@hessian/core/model-repository';
import { ChainError, headBlock } from '@hessian/core/chain';
import { chainSource, indexerSource, randomSalt, sealOf } from '@hessian/core/model-repository';
import { readCsvFile, encodeTable, take, dataCommitment } from '@hessian/core/data';
import type { CsvTable, BadRowPolicy, EncodedData } from '@hessian/core/data';
// privacy seam (h-privacy): secret batch plan, clipping + noise, the budget and its ledger
import { dpEpsilonOf, openOwnerPrivacy, PrivacyBudgetError } from '../privacy/owner-privacy.ts';
import type { OwnerPrivacy, OwnerPrivacyOptions } from '../privacy/owner-privacy.ts';
import type { HeContext } from '@hessian/core/he';
import { loadRelinKeys, loadGaloisKeys, loadWeights, encryptedGradient, gradientPacking } from '@hessian/core/he';
import { GradientPool } from '../he/pool.ts';
import type { Metric } from '@hessian/core/ml';
import type { GaloisKeys, RelinKeys } from 'node-seal';
import { Journal, closeOnError } from '@hessian/core/journal';
import { silentLogger } from '@hessian/core/log';
import type { Logger } from '@hessian/core/log';
import { runLoop } from '@hessian/core/daemon';
import { buildGradientDocument, encodingOf, fetchMetadata, fetchPublicKeys, fetchWeightBlobs, fetchWeightsDocument, modelFeatureCount, openHeContext } from '@hessian/core/model';
import type { ModelMetadata } from '@hessian/core/model';
import { checkSubmission, checkTerms, ownerPolicy } from './owner-policy.ts';
import type { OwnerPolicy, PolicyRule, Refusal, SubmissionOutcome } from './owner-policy.ts';

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
  /** stake limits, allow/deny lists and stop rules; unset fields take DEFAULT_OWNER_POLICY's safe values */
  policy?: Partial<OwnerPolicy>;
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
  /** fault injection for restart tests: called once the seal is journaled, right before the commit transaction */
  beforeCommit?: (info: { modelId: number; commitment: string }) => void | Promise<void>;
  /** fault injection for restart tests: called once the commit is mined, before the journal records it */
  afterCommit?: (info: { modelId: number; commitment: string; gradientId: number }) => void | Promise<void>;
  /** fault injection for restart tests: called right before the reveal transaction */
  beforeReveal?: (info: { modelId: number; commitment: string; gradientId: number }) => void | Promise<void>;
  /** fault injection for restart tests: called once the reveal is mined, before the journal records it */
  afterReveal?: (info: { modelId: number; commitment: string; gradientId: number }) => void | Promise<void>;
}

export interface SubmissionRecord {
  modelId: number;
  /** index into the model's batch plan */
  batch: number;
  rows: number;
  /**
   * intent (batch chosen) -> sealed (uploaded; CID, salt and seal journaled before the commit) ->
   * committed (gradient id known) -> revealed; a commit not revealed in time -> lapsed;
   * a batch the chain will not take -> abandoned
   */
  state: 'intent' | 'sealed' | 'committed' | 'revealed' | 'lapsed' | 'abandoned';
  /** wei, the model's stake when the batch was started (what this submission puts at risk) */
  stake?: string;
  gradientCid?: string;
  baseVersion?: number;
  /** the DP epsilon the gradient document declares, fixed point PRIVACY_SCALE (0: no noise) */
  dpEpsilon?: number;
  /** random, secret until the reveal: without it the seal of a guessable CID could be matched */
  salt?: string;
  seal?: string;
  gradientId?: number;
  commitTx?: string;
  commitBlock?: number;
  /** chain time (s) after which the commit can only lapse */
  revealDeadline?: number;
  /** the reveal's transaction */
  txHash?: string;
  reason?: string;
  outcome?: { accepted: boolean; score: number; reward: string; status?: SubmissionOutcome['status']; stake?: string };
}

export interface OwnerJournal {
  /** 2: commit-reveal submissions (1 was one-step submitGradient) */
  version: 2;
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
  /** the seal is on-chain: the gradient's id and place in line are fixed */
  committed: [{ modelId: number; gradientId: number; commitment: string; seal: string; txHash: string }];
  /** revealed: the gradient is submitted for evaluation */
  submitted: [{ modelId: number; gradientId: number; commitment: string; rows: number; txHash: string; gradientCid: string }];
  /** judged (or expired unjudged); status Declined and Expired return the stake, Rejected forfeits it */
  evaluated: [{ modelId: number; gradientId: number; status: GradientStatusName; accepted: boolean; score: number; reward: bigint }];
  /** a commit that could not be revealed in its window: its stake is forfeited */
  lapsed: [{ modelId: number; gradientId: number; commitment: string; reason: string }];
  abandoned: [{ modelId: number; commitment: string; reason: string }];
  /** the safety policy refused to submit to a model (emitted once per model and rule) */
  refused: [{ modelId: number; rule: PolicyRule; reason: string }];
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

/**
 * A version-1 journal (one-step submissions) read as version 2: a submitted batch is revealed;
 * an uploaded one was never sent under commit-reveal, so it starts over from its intent.
 */
function migrateJournal(d: unknown): OwnerJournal {
  const doc = d as { version?: number; submissions?: Record<string, { state: string; gradientCid?: string }> };
  if (doc?.version !== 1 || typeof doc.submissions !== 'object') return d as OwnerJournal;
  for (const s of Object.values(doc.submissions)) {
    if (s.state === 'submitted') s.state = 'revealed';
    else if (s.state === 'uploaded') {
      s.state = 'intent';
      delete s.gradientCid;
    }
  }
  doc.version = 2;
  return doc as unknown as OwnerJournal;
}

/** a step that cannot be taken yet (a transaction of ours still pending, a commit not deep enough): the tick tries again */
class NotYet extends Error {}

export async function startOwner(cfg: OwnerConfig): Promise<OwnerHandle> {
  const log = (cfg.log ?? silentLogger).child({ role: 'owner' });
  const client = cfg.client;
  const address = await client.address();
  const chainId = (await client.provider.getNetwork()).chainId;
  const policy = ownerPolicy(cfg.policy);
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
    initial: () => ({ version: 2, account: address, salt, submissions: {}, nextBatch: {} }),
    validate: (d) => {
      const doc = migrateJournal(d);
      if (doc?.version !== 2 || !isHexString(doc.salt, 32) || typeof doc.submissions !== 'object') throw new Error('expected {version: 2, salt, submissions, nextBatch}');
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

  /** our revealed submission with this data commitment, from the chain's logs (exact, even when the view lags) */
  async function onchainReveal(modelId: number, commitment: string): Promise<GradientRevealed | undefined> {
    const found = await client.queryEvents('GradientRevealed', [null, modelId, address]);
    return found.find((e): e is GradientRevealed => e.name === 'GradientRevealed' && e.dataCommitment.toLowerCase() === commitment.toLowerCase());
  }

  /** our commit of this seal, from the chain's logs (the first one, if a race sent it twice) */
  async function onchainCommit(modelId: number, seal: string): Promise<GradientCommitted | undefined> {
    const found = await client.queryEvents('GradientCommitted', [null, modelId, address]);
    return found.find((e): e is GradientCommitted => e.name === 'GradientCommitted' && e.seal.toLowerCase() === seal.toLowerCase());
  }

  function markCommitted(commitment: string, c: { gradientId: number; txHash: string; blockNumber: number; revealDeadline: number; seal: string; modelId: number }) {
    journal.update((j) => {
      const s = j.submissions[commitment]!;
      s.state = 'committed';
      s.gradientId = c.gradientId;
      s.commitTx = c.txHash;
      s.commitBlock = c.blockNumber;
      s.revealDeadline = c.revealDeadline;
    });
    log.info('gradient committed', { modelId: c.modelId, gradientId: c.gradientId, tx: c.txHash, revealDeadline: c.revealDeadline });
    events.emit('committed', { modelId: c.modelId, gradientId: c.gradientId, commitment, seal: c.seal, txHash: c.txHash });
  }

  function markRevealed(commitment: string, g: { gradientId: number; txHash: string; gradientCid: string; modelId: number }, rows: number) {
    journal.update((j) => {
      const s = j.submissions[commitment]!;
      s.state = 'revealed';
      s.gradientId = g.gradientId;
      s.txHash = g.txHash;
      s.gradientCid = g.gradientCid;
    });
    log.info('gradient submitted', { modelId: g.modelId, gradientId: g.gradientId, rows, tx: g.txHash });
    events.emit('submitted', { modelId: g.modelId, gradientId: g.gradientId, commitment, rows, txHash: g.txHash, gradientCid: g.gradientCid });
  }

  /** the commit can no longer be revealed: its stake is lost, which the policy counts at once */
  function markLapsed(commitment: string, reason: string) {
    const rec = journal.value.submissions[commitment]!;
    journal.update((j) => {
      const s = j.submissions[commitment]!;
      s.state = 'lapsed';
      s.reason = reason;
      s.outcome = { accepted: false, score: 0, reward: '0', status: 'Lapsed', stake: s.stake ?? '0' };
    });
    log.warn('commit lapsed', { modelId: rec.modelId, gradientId: rec.gradientId, reason });
    events.emit('lapsed', { modelId: rec.modelId, gradientId: rec.gradientId!, commitment, reason });
  }

  function markAbandoned(commitment: string, reason: string) {
    const rec = journal.value.submissions[commitment]!;
    journal.update((j) => {
      const s = j.submissions[commitment]!;
      s.state = 'abandoned';
      s.reason = reason;
    });
    log.warn('submission abandoned', { modelId: rec.modelId, reason });
    events.emit('abandoned', { modelId: rec.modelId, commitment, reason });
  }

  /** records the outcome of our revealed gradients the view shows as settled */
  function noteOutcomes() {
    for (const [commitment, sub] of Object.entries(journal.value.submissions)) {
      if (sub.state !== 'revealed' || sub.outcome || sub.gradientId === undefined) continue;
      const g = source.view.gradients.get(sub.gradientId);
      if (!g || g.status === 'Pending' || g.status === 'Committed') continue;
      const accepted = g.status === 'Accepted';
      const score = g.score ?? 0;
      const outcome = { accepted, score, reward: g.reward.toString(), status: g.status, stake: g.stake.toString() };
      journal.update((j) => void (j.submissions[commitment]!.outcome = outcome));
      if (g.status === 'Expired') log.warn('gradient expired unevaluated', { modelId: g.modelId, gradientId: g.gradientId });
      else log.info(`gradient ${g.status.toLowerCase()}`, { modelId: g.modelId, gradientId: g.gradientId, score, reward: g.reward });
      events.emit('evaluated', { modelId: g.modelId, gradientId: g.gradientId, status: g.status, accepted, score, reward: g.reward });
    }
  }

  /** the rule currently refusing each model, so a refusal is logged once, not every poll */
  const refusing = new Map<number, PolicyRule>();
  function refuse(modelId: number, r: Refusal): void {
    if (refusing.get(modelId) === r.rule) return;
    refusing.set(modelId, r.rule);
    log.warn('submission refused by policy', { modelId, rule: r.rule, reason: r.reason });
    events.emit('refused', { modelId, rule: r.rule, reason: r.reason });
  }

  const stakeOf = (s: SubmissionRecord) => BigInt(s.outcome?.stake ?? s.stake ?? source.view.gradients.get(s.gradientId ?? 0)?.stake ?? 0);

  /** how this owner's judged submissions to the model ended, in commit order */
  function history(modelId: number): SubmissionOutcome[] {
    return Object.values(journal.value.submissions)
      .filter((s) => s.modelId === modelId && s.outcome)
      .sort((a, b) => (a.gradientId ?? 0) - (b.gradientId ?? 0))
      .map((s) => ({ status: s.outcome!.status ?? (s.outcome!.accepted ? 'Accepted' : 'Rejected'), stake: stakeOf(s), reward: BigInt(s.outcome!.reward) }));
  }

  /** whether the policy lets this owner stake on the model now (a refusal is logged once) */
  function policyAllows(m: ModelState): boolean {
    const refusal = checkTerms(policy, m) ?? checkSubmission(policy, m, history(m.modelId), atRisk(m.modelId));
    if (refusal) {
      refuse(m.modelId, refusal);
      return false;
    }
    refusing.delete(m.modelId);
    return true;
  }

  /** stakes of submissions not yet judged, everywhere but `except` (the model about to submit) */
  function atRisk(except: number): bigint {
    let sum = 0n;
    for (const s of Object.values(journal.value.submissions)) {
      if (s.modelId === except || s.outcome) continue;
      if (s.state !== 'abandoned') sum += stakeOf(s);
    }
    return sum;
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

  async function computeAndUpload(m: ModelState, ctx: ModelCtx, rec: SubmissionRecord, commitment: string): Promise<{ cid: string; baseVersion: number; dpEpsilon: number }> {
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

  /** our reveal of this gradient id, from the chain's logs */
  async function onchainRevealOf(modelId: number, gradientId: number): Promise<GradientRevealed | undefined> {
    const found = await client.queryEvents('GradientRevealed', [gradientId, modelId, address]);
    return found.find((e): e is GradientRevealed => e.name === 'GradientRevealed');
  }

  /** sends the commit unless an earlier run's commit of the same seal is on-chain (or may still be pending) */
  async function commit(m: ModelState, commitment: string): Promise<void> {
    const rec = journal.value.submissions[commitment]!;
    const earlier = await onchainCommit(m.modelId, rec.seal!);
    if (earlier) return markCommitted(commitment, earlier);
    // the policy again right before paying: the record may come from an earlier run
    if (!policyAllows(m)) throw new NotYet(`the policy refuses model ${m.modelId} for now`);
    // a commit sent just before a crash may still be in the mempool: committing again would stake twice
    const [pending, latest] = await Promise.all(['pending', 'latest'].map(async (tag) => Number(await client.provider.send('eth_getTransactionCount', [address, tag]))));
    if (pending! > latest!) throw new NotYet(`${pending! - latest!} transaction(s) of ${address} still pending: waiting before committing`);
    await cfg.beforeCommit?.({ modelId: m.modelId, commitment });
    events.emit('progress', { modelId: m.modelId, stage: 'committing' });
    let res;
    try {
      res = await client.commitGradient(m.modelId, rec.seal!, m.submissionStake);
    } catch (err) {
      if (err instanceof ChainError && !err.transient) return markAbandoned(commitment, err.message);
      throw err;
    }
    await cfg.afterCommit?.({ modelId: m.modelId, commitment, gradientId: res.gradientId });
    markCommitted(commitment, { ...res.event, txHash: res.txHash, blockNumber: res.blockNumber });
  }

  /**
   * Reveals a commit once it is as deep as the configured confirmations, exactly once: an
   * earlier run's reveal is looked for first. Past the reveal deadline the commit has lapsed.
   */
  async function reveal(commitment: string): Promise<void> {
    const rec = journal.value.submissions[commitment]!;
    const gradientId = rec.gradientId!;
    const done = await onchainRevealOf(rec.modelId, gradientId);
    if (done) return markRevealed(commitment, { gradientId, txHash: done.txHash, gradientCid: done.gradientCid, modelId: rec.modelId }, rec.rows);
    const depth = Math.max(1, client.config.confirmations);
    const head = await headBlock(client.provider);
    if (rec.commitBlock !== undefined && head - rec.commitBlock + 1 < depth) throw new NotYet(`commit of gradient ${gradientId} is ${head - rec.commitBlock + 1} of ${depth} blocks deep`);
    const now = await client.chainTime();
    // the next block is later than the head: a reveal now would land after the deadline
    if (now >= rec.revealDeadline!) return markLapsed(commitment, `reveal deadline ${rec.revealDeadline} passed (chain time ${now})`);
    await cfg.beforeReveal?.({ modelId: rec.modelId, commitment, gradientId });
    events.emit('progress', { modelId: rec.modelId, stage: 'revealing' });
    let res;
    try {
      res = await client.revealGradient(gradientId, rec.gradientCid!, commitment, rec.salt!, rec.dpEpsilon ?? 0);
    } catch (err) {
      if (!(err instanceof ChainError) || err.transient) throw err;
      // a reveal racing ours landed (the chain wins), or the commit can no longer be revealed
      const landed = await onchainRevealOf(rec.modelId, gradientId);
      if (landed) return markRevealed(commitment, { gradientId, txHash: landed.txHash, gradientCid: landed.gradientCid, modelId: rec.modelId }, rec.rows);
      return markLapsed(commitment, err.message);
    }
    await cfg.afterReveal?.({ modelId: rec.modelId, commitment, gradientId });
    markRevealed(commitment, { gradientId, txHash: res.txHash, gradientCid: rec.gradientCid!, modelId: rec.modelId }, rec.rows);
  }

  async function contribute(m: ModelState, ctx: ModelCtx, commitment: string): Promise<void> {
    let rec = journal.value.submissions[commitment]!;
    if (rec.state === 'intent') {
      // a batch already revealed on-chain (a journal lost or restored from backup) is not recomputed
      const earlier = await onchainReveal(m.modelId, commitment);
      if (earlier) return markRevealed(commitment, earlier, rec.rows);
      if (!policyAllows(m)) return;
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
      await commit(m, commitment);
      rec = journal.value.submissions[commitment]!;
    }
    if (rec.state === 'committed') await reveal(commitment);
  }

  /** runs one step of an unfinished submission; a failure is retried after a pause, a NotYet at the next tick */
  async function step(modelId: number, commitment: string, run: () => Promise<void>): Promise<void> {
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

  async function tick(): Promise<void> {
    await source.refresh();
    const view = source.view;
    noteOutcomes();
    const now = await client.chainTime();
    for (const [commitment, s] of Object.entries(journal.value.submissions)) {
      // a batch chosen but not journaled further may be on-chain already (a lost journal)
      if (s.state === 'intent') {
        const g = await onchainReveal(s.modelId, commitment);
        if (g) markRevealed(commitment, g, s.rows);
      }
      // a commit is revealed (or lapses) whatever the model's state now: its stake is paid
      if (s.state === 'committed') await step(s.modelId, commitment, () => reveal(commitment));
      // a sealed batch for a model that stopped taking submissions: finish it if its commit landed
      if (s.state === 'sealed' && !view.acceptsSubmissions(s.modelId, now)) {
        await step(s.modelId, commitment, async () => {
          const c = await onchainCommit(s.modelId, s.seal!);
          if (!c) return markAbandoned(commitment, `model ${s.modelId} no longer takes submissions`);
          markCommitted(commitment, c);
          await reveal(commitment);
        });
      }
    }
    noteOutcomes();
    for (const m of view.models.values()) {
      if (!view.acceptsSubmissions(m.modelId, now)) continue;
      // the model's terms first: nothing of a model the policy refuses is even fetched
      const terms = checkTerms(policy, m);
      if (terms) {
        refuse(m.modelId, terms);
        continue;
      }
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
      let commitment: string;
      if (unfinished) {
        commitment = unfinished[0];
      } else {
        if (inFlight || !policyAllows(m)) continue;
        // every batch that reached the chain counts, a lapsed one too: it is never committed again
        const spent = subs.filter(([, s]) => s.state === 'committed' || s.state === 'revealed' || s.state === 'lapsed').length;
        if (cfg.maxSubmissionsPerModel !== undefined && spent >= cfg.maxSubmissionsPerModel) continue;
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
          j.submissions[commitment] = { modelId: m.modelId, batch: k, rows: idx.length, state: 'intent', stake: m.submissionStake.toString() };
        });
      }
      await step(m.modelId, commitment, () => contribute(m, ctx, commitment));
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
