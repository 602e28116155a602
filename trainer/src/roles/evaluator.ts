// The lender's evaluator daemon. It serves only models its own lender opened (the chain's
// ModelCreated must name the lender and match the lender journal's chain, contract and model
// id: a clone naming this evaluator is ignored with one warning). Per model, gradients are
// judged in commit order: one waits while an earlier commit may still be revealed, and a
// revealed one that copies an earlier-committed gradient (same CID, same ciphertext) or reuses
// its contributor's own data commitment is Rejected (first committed wins). Content is fetched
// off the sequential path (gradient-fetch.ts) with a bounded timeout, so content that does not
// resolve is retried later and Declined (stake back) before the deadline while the gradients
// behind it are evaluated. A valid gradient is decrypted, bound-checked, applied with the
// learning rate and scored on the held-out data: Accepted only when it improves the best
// score, else Declined; invalid content is Rejected. Every verdict carries the committed seal,
// so after a reorg it reverts instead of landing on another gradient. The journal keeps each
// decision before its transaction, so a restart re-sends it rather than evaluating again.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { PublicKey } from 'node-seal';
import type { ContentStore } from '@hessian/core/ipfs';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { ContentNotFoundError, ContentTooLargeError, InvalidCidError } from '@hessian/core/ipfs';
import type { ModelRepositoryClient, GradientState, RevealedGradient, ModelState, VerdictName } from '@hessian/core/model-repository';
import { ChainError, LogWatcher } from '@hessian/core/chain';
import { decodeLog, RepositoryView, isRevealed, REVEAL_WINDOW } from '@hessian/core/model-repository';
import { BadGradient, GradientFetcher } from './gradient-fetch.ts';
import { readCsvFile, encodeTable } from '@hessian/core/data';
import type { CsvTable, EncodedData } from '@hessian/core/data';
import type { HeContext, SecretKeyHandle } from '@hessian/core/he';
import { loadPublicKey, loadSecretKeyFile, encryptWeights, decryptGradient, gradientRejection, maxCiphertextBytes } from '@hessian/core/he';
import { evaluateMetric, metricToScore, applyGradient, predict } from '@hessian/core/ml';
import { recordsJournal } from '@hessian/core/journal';
import type { Journal } from '@hessian/core/journal';
import { silentLogger } from '@hessian/core/log';
import type { Logger } from '@hessian/core/log';
import { runLoop } from '@hessian/core/daemon';
import { MAX_GRADIENT_DOC_BYTES, buildWeightsDocument, validateGradientDocument, encodingOf, fetchDecryptedWeights, fetchMetadata, fetchPublicKeys, modelFeatureCount, openHeContext, lenderJournal } from '@hessian/core/model';
import type { GradientDocument, ModelMetadata, LenderModelRecord } from '@hessian/core/model';

export interface EvaluatorConfig {
  client: ModelRepositoryClient;
  store: ContentStore;
  /** the lender's state directory (lender.json, secret key files); the evaluator journal goes here too */
  stateDir: string;
  /** held-out data overriding the path recorded when the model was opened */
  data?: string | CsvTable;
  /**
   * the account whose models this evaluator serves, when the lender journal does not name it
   * (records written before it did); default: the evaluator's own account
   */
  lender?: string;
  pollMs?: number;
  /** ms one fetch attempt of a gradient's content may take (default 15 s) */
  fetchTimeoutMs?: number;
  /** a gradient whose content cannot be found is Declined after this many attempts (default 5)... */
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

/** what identifies a gradient's content, to refuse copies of it */
export interface ContentIds {
  gradientCid: string;
  ciphertextCid?: string;
  /** sha-256 of the ciphertext bytes */
  digest?: string;
}

export interface EvaluationRecord {
  modelId: number;
  /** the committed seal the decision is about (a reorg may give the id to other content) */
  seal: string;
  state: 'decided' | 'done' | 'missed';
  verdict: VerdictName;
  score: number;
  metricValue?: number;
  newWeightsCid: string;
  reason?: string;
  content?: ContentIds;
  txHash?: string;
}

export interface ModelJournal {
  /** keyed by gradient id */
  evaluations: Record<string, EvaluationRecord>;
}

export interface EvaluatorJournal {
  version: 1;
  /** keyed by modelKey(): chain id, ModelRepository address and model id */
  models: Record<string, ModelJournal>;
}

/** the evaluator journal's key of a model: gradient and model ids are only unique per chain and contract */
export function modelKey(chainId: number, contract: string, modelId: number): string {
  return `${chainId}:${contract.toLowerCase()}:${modelId}`;
}

export interface EvaluatorEvents {
  model: [{ modelId: number; bestScore: number; targetScore: number }];
  evaluated: [{ modelId: number; gradientId: number; verdict: VerdictName; accepted: boolean; score: number; metricValue?: number; reward: bigint; reason?: string; txHash: string }];
  closed: [{ modelId: number; txHash: string }];
  /** a model naming this evaluator that it does not serve (once per model) */
  ignored: [{ modelId: number; reason: string }];
}

export interface EvaluatorHandle {
  address: string;
  events: EventEmitter<EvaluatorEvents>;
  journal: Journal<EvaluatorJournal>;
  /** the journal's record of a gradient's evaluation */
  record(modelId: number, gradientId: number): EvaluationRecord | undefined;
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

interface FetchedGradient {
  manifest: GradientDocument;
  bytes: Uint8Array;
  content: ContentIds;
}

/** the chain no longer holds the content a decision was about (a reorg): rebuild from the chain */
class ChainRewritten extends Error {}

export async function startEvaluator(cfg: EvaluatorConfig): Promise<EvaluatorHandle> {
  const log = (cfg.log ?? silentLogger).child({ role: 'evaluator' });
  const client = cfg.client;
  const address = await client.address();
  const me = address.toLowerCase();
  const chainId = Number((await client.provider.getNetwork()).chainId);
  const contract = client.config.address.toLowerCase();
  const events = new EventEmitter<EvaluatorEvents>();
  const legacyJournal = path.join(cfg.stateDir, `evaluator-${me}.json`);
  if (existsSync(legacyJournal)) log.warn('an evaluator journal keyed by gradient id only is no longer read; decisions it holds are taken from the chain', { file: legacyJournal });
  const journal = recordsJournal<EvaluatorJournal>(path.join(cfg.stateDir, `evaluations-${me}.json`), ['models']);
  // nothing from here to runLoop can throw, so no failed start can keep the journal's lock
  const newWatcher = () => new LogWatcher({ provider: client.provider, address: client.config.address, fromBlock: client.config.startBlock, confirmations: client.config.confirmations, decode: decodeLog });
  let watcher = newWatcher();
  let view = new RepositoryView();
  /** retryAt: a model that could not be loaded (content unreachable, data missing) is tried again later */
  const contexts = new Map<number, ModelCtx | { failed: string; retryAt: number }>();
  const stopping = new AbortController();
  const fetchTimeoutMs = cfg.fetchTimeoutMs ?? 15_000;
  const fetcher = new GradientFetcher<FetchedGradient>({
    timeoutMs: fetchTimeoutMs,
    signal: stopping.signal,
    onRetry: (key, attempt, err) => {
      if (attempt === 1) log.warn('gradient not retrievable yet; will retry', { gradient: key, err });
      else log.debug('gradient still not retrievable', { gradient: key, attempt, err });
    },
  });
  const closing = new Set<number>();
  const warned = new Set<number>();
  /** held-out tables by file (models opened from different files score on their own data) */
  const heldOutFiles = new Map<string, CsvTable>();
  const ownLender = (cfg.lender ?? address).toLowerCase();

  const keyOf = (modelId: number) => modelKey(chainId, contract, modelId);
  const recordOf = (modelId: number, gradientId: number): EvaluationRecord | undefined => journal.value.models[keyOf(modelId)]?.evaluations[String(gradientId)];
  const fetchKey = (g: GradientState) => `${g.gradientId}/${g.seal}`;
  function setRecord(modelId: number, gradientId: number, rec: EvaluationRecord | undefined): void {
    journal.update((j) => {
      const mj = (j.models[keyOf(modelId)] ??= { evaluations: {} });
      if (rec) mj.evaluations[String(gradientId)] = rec;
      else delete mj.evaluations[String(gradientId)];
    });
  }

  /** the lender record of a model this evaluator serves, or why it does not serve it */
  function ownRecord(m: ModelState, records: Record<string, LenderModelRecord>): LenderModelRecord | string {
    const record = Object.values(records).find(
      (r) => r.metadataCid === m.metadataCid && (r.modelId === undefined || r.modelId === m.modelId) && (r.chainId === undefined || r.chainId === chainId) && (r.contract === undefined || r.contract.toLowerCase() === contract),
    );
    const lender = (record?.lender ?? ownLender).toLowerCase();
    // only the lender can have opened a model naming itself as lender: a clone cannot
    if (m.lender.toLowerCase() !== lender) return `opened by ${m.lender}, not by this evaluator's lender ${lender}`;
    if (!record) return 'not in the lender journal of this state directory';
    return record;
  }

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

  /** the gradient document and ciphertext bytes (I/O only); BadGradient for content that is wrong */
  async function fetchContent(ctx: ModelCtx, g: RevealedGradient, signal: AbortSignal): Promise<FetchedGradient> {
    let manifestDoc: unknown;
    try {
      manifestDoc = await cfg.store.getJson(g.gradientCid, { maxBytes: MAX_GRADIENT_DOC_BYTES, signal });
    } catch (err) {
      if (err instanceof InvalidCidError || err instanceof ContentTooLargeError) throw new BadGradient((err as Error).message);
      if (err instanceof ContentNotFoundError || signal.aborted) throw err;
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
      if (err instanceof ContentNotFoundError || signal.aborted) throw err;
      throw new BadGradient(`gradient ciphertext: ${(err as Error).message}`);
    }
    const digest = createHash('sha256').update(bytes).digest('hex');
    return { manifest, bytes, content: { gradientCid: g.gradientCid, ciphertextCid: manifest.ciphertext, digest } };
  }

  /** the decrypted, checked gradient, or BadGradient with the reason to reject it */
  function decryptChecked(ctx: ModelCtx, fetched: FetchedGradient): Float64Array {
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
  function knownContent(m: ModelState, except: number): { g: GradientState; content: ContentIds }[] {
    const out: { g: GradientState; content: ContentIds }[] = [];
    for (const o of view.gradientsOf(m.modelId)) {
      if (o.gradientId === except || !isRevealed(o)) continue;
      const rec = recordOf(m.modelId, o.gradientId);
      const fetched = fetcher.state(fetchKey(o));
      const content = rec?.seal === o.seal && rec.content ? rec.content : fetched?.kind === 'ready' ? fetched.value.content : { gradientCid: o.gradientCid };
      out.push({ g: o, content });
    }
    return out;
  }

  /** a refusal of a copy: Rejected when the original was committed first, Declined when it was committed later but judged first */
  function copyVerdict(m: ModelState, g: RevealedGradient, content: ContentIds, stage: 'cid' | 'ciphertext'): Omit<EvaluationRecord, 'state'> | undefined {
    const base = { modelId: m.modelId, seal: g.seal, score: 0, newWeightsCid: '', content };
    for (const { g: o, content: c } of knownContent(m, g.gradientId)) {
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
      if (o.status !== 'Pending' || recordOf(m.modelId, o.gradientId)?.seal === o.seal) {
        return { ...base, verdict: 'Declined', reason: `${what} was already judged as gradient ${o.gradientId} (committed later, evaluated while this one's content did not resolve)` };
      }
    }
    return undefined;
  }

  async function decide(m: ModelState, ctx: ModelCtx, g: RevealedGradient, now: number): Promise<Omit<EvaluationRecord, 'state'> | undefined> {
    const cidCopy = copyVerdict(m, g, { gradientCid: g.gradientCid }, 'cid');
    if (cidCopy) return cidCopy;
    const key = fetchKey(g);
    let st = fetcher.request(key, (signal) => fetchContent(ctx, g, signal));
    if (st.kind === 'waiting' && st.attempts === 0) {
      // the first attempt is bounded by its timeout: content that is simply slow keeps its place in line
      await fetcher.settled(key, fetchTimeoutMs + 1000);
      st = fetcher.state(key) ?? st;
    }
    const base = { modelId: m.modelId, seal: g.seal, newWeightsCid: '' };
    if (st.kind === 'bad') return { ...base, verdict: 'Rejected', score: 0, reason: st.reason, content: { gradientCid: g.gradientCid } };
    if (st.kind === 'waiting') {
      const margin = Math.max(30, Math.ceil(m.evaluationWindow / 10));
      const gaveUp = st.attempts >= (cfg.fetchAttempts ?? 5) && st.since !== undefined && Date.now() - st.since >= (cfg.fetchGraceMs ?? 120_000);
      if (gaveUp || now + margin >= g.evaluationDeadline) {
        // not the owner's fault as far as the evaluator can tell (the lender's storage may be slow): stake back
        return { ...base, verdict: 'Declined', score: 0, reason: `gradient content did not resolve after ${st.attempts} attempts: ${st.lastError ?? 'no answer yet'}`, content: { gradientCid: g.gradientCid } };
      }
      return undefined;
    }
    const fetched = st.value;
    const copy = copyVerdict(m, g, fetched.content, 'ciphertext');
    if (copy) return copy;
    let grad: Float64Array;
    try {
      grad = decryptChecked(ctx, fetched);
    } catch (err) {
      if (!(err instanceof BadGradient)) throw err;
      return { ...base, verdict: 'Rejected', score: 0, reason: err.message, content: fetched.content };
    }
    const candidate = applyGradient(ctx.w, grad, ctx.meta.learningRate);
    const value = evaluateMetric(ctx.meta.metric, ctx.test.y, predict(ctx.meta.task, candidate, ctx.test.x));
    const score = Number(metricToScore(ctx.meta.metric, value));
    if (score <= ctx.bestScore) {
      return { ...base, verdict: 'Declined', score, metricValue: value, reason: `no improvement (${score} <= best ${ctx.bestScore})`, content: fetched.content };
    }
    const blobs = encryptWeights(ctx.he, candidate, { publicKey: ctx.pk, secretKey: ctx.sk });
    const cids: string[] = [];
    for (const b of blobs) cids.push(await cfg.store.put(b));
    const newWeightsCid = await cfg.store.putJson(buildWeightsDocument(ctx.version + 1, cids));
    return { ...base, verdict: 'Accepted', score, metricValue: value, newWeightsCid, content: fetched.content };
  }

  /** 'done' once the gradient needs nothing more; 'wait' while its content is not fetched yet */
  async function evaluate(m: ModelState, ctx: ModelCtx, g: RevealedGradient): Promise<'done' | 'wait'> {
    let rec = recordOf(m.modelId, g.gradientId);
    if (rec && rec.seal !== g.seal) {
      // decided for other content under this id (the chain was rewritten): judge what is there now
      log.warn('journaled decision was about other content; deciding again', { modelId: m.modelId, gradientId: g.gradientId });
      setRecord(m.modelId, g.gradientId, undefined);
      rec = undefined;
    }
    if (rec?.state === 'done' || rec?.state === 'missed') return 'done';
    const now = await client.chainTime();
    if (now >= g.evaluationDeadline) {
      setRecord(m.modelId, g.gradientId, { modelId: m.modelId, seal: g.seal, state: 'missed', verdict: 'Declined', score: 0, newWeightsCid: '', reason: 'evaluation deadline passed' });
      log.warn('evaluation deadline passed; gradient left to expire', { gradientId: g.gradientId, deadline: g.evaluationDeadline });
      return 'done';
    }
    if (!rec) {
      const decided = await decide(m, ctx, g, now);
      if (!decided) return 'wait';
      rec = { ...decided, state: 'decided' };
      setRecord(m.modelId, g.gradientId, rec);
    }
    fetcher.forget(fetchKey(g));
    await cfg.beforeEvaluate?.({ modelId: m.modelId, gradientId: g.gradientId });
    let res;
    try {
      res = await client.evaluateGradient(g.gradientId, g.seal, rec.score, rec.verdict, rec.newWeightsCid);
    } catch (err) {
      if (err instanceof ChainError && err.errorName === 'GradientNotPending') {
        // evaluated already (by a previous run whose journal update was lost): the chain wins
        journal.update((j) => void (j.models[keyOf(m.modelId)]!.evaluations[String(g.gradientId)]!.state = 'done'));
        return 'done';
      }
      if (err instanceof ChainError && err.errorName === 'SealMismatch') {
        setRecord(m.modelId, g.gradientId, undefined);
        throw new ChainRewritten(`gradient ${g.gradientId} now holds other content than the evaluator judged (a reorg?): rebuilding from the chain`);
      }
      throw err;
    }
    await cfg.afterEvaluate?.({ modelId: m.modelId, gradientId: g.gradientId });
    journal.update((j) => {
      const e = j.models[keyOf(m.modelId)]!.evaluations[String(g.gradientId)]!;
      e.state = 'done';
      e.txHash = res.txHash;
    });
    if (rec.verdict === 'Accepted') {
      ctx.w = (await currentWeights(ctx, rec.newWeightsCid)) ?? ctx.w;
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

  /** the model's gradients in commit order, each judged once every earlier commit is revealed, lapsed or judged */
  async function serve(m: ModelState, ctx: ModelCtx): Promise<void> {
    const gradients = view.gradientsOf(m.modelId);
    // fetch everything revealed now, in the background: the queue below only looks at the results
    for (const g of gradients) {
      if (g.status === 'Pending' && isRevealed(g) && recordOf(m.modelId, g.gradientId)?.seal !== g.seal) fetcher.request(fetchKey(g), (signal) => fetchContent(ctx, g, signal));
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
      await evaluate(m, ctx, g);
    }
  }

  /** the plaintext of published weights (what the chain now says is current) */
  async function currentWeights(ctx: ModelCtx, cid: string): Promise<Float64Array | undefined> {
    return fetchDecryptedWeights(cfg.store, ctx.he, ctx.sk, cid, modelFeatureCount(ctx.meta));
  }

  async function maybeClose(m: ModelState): Promise<void> {
    if (!(cfg.autoClose ?? true) || m.status === 'Closed' || closing.has(m.modelId)) return;
    const open = view.unsettledGradients(m.modelId).filter((g) => recordOf(m.modelId, g.gradientId)?.state !== 'done');
    const now = await client.chainTime();
    const due = m.status === 'TargetReached' || now >= m.submissionDeadline + REVEAL_WINDOW + m.evaluationWindow;
    if (!due) return;
    // commits never revealed and gradients no longer evaluable block the close: lapse or expire them
    if (open.some((g) => now <= (g.status === 'Committed' ? g.revealDeadline : (g.evaluationDeadline ?? Infinity)))) return;
    closing.add(m.modelId);
    try {
      for (const g of open) {
        try {
          const res = await client.expireGradient(g.gradientId);
          log.info(g.status === 'Committed' ? 'commit lapsed' : 'gradient expired', { modelId: m.modelId, gradientId: g.gradientId, tx: res.txHash });
        } catch (err) {
          if (!(err instanceof ChainError && (err.errorName === 'GradientNotPending' || err.errorName === 'GradientNotCommitted'))) throw err;
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
    for (const [mk, mj] of Object.entries(journal.value.models)) {
      for (const [key, rec] of Object.entries(mj.evaluations)) {
        if (rec.state !== 'decided') continue;
        const g = view.gradients.get(Number(key));
        if (!g || keyOf(g.modelId) !== mk || g.seal !== rec.seal || g.status === 'Pending' || g.status === 'Committed') continue;
        journal.update((j) => {
          const e = j.models[mk]!.evaluations[key]!;
          e.state = 'done';
          if (g.evaluatedTx) e.txHash = g.evaluatedTx;
        });
        log.info('evaluation found on-chain', { gradientId: g.gradientId, status: g.status, tx: g.evaluatedTx });
      }
    }
  }

  function freeAll(): void {
    for (const c of contexts.values()) if (!('failed' in c)) freeCtx(c);
    contexts.clear();
  }

  async function tick(): Promise<void> {
    view.applyAll(await watcher.poll());
    reconcile();
    const records = lenderJournal(cfg.stateDir, { readOnly: true }).value.models;
    for (const m of view.models.values()) {
      if (m.evaluator.toLowerCase() !== me) continue;
      const record = ownRecord(m, records);
      if (typeof record === 'string') {
        if (!warned.has(m.modelId)) {
          warned.add(m.modelId);
          log.warn('model names this evaluator but is not its lender\'s: ignored', { modelId: m.modelId, lender: m.lender, reason: record });
          events.emit('ignored', { modelId: m.modelId, reason: record });
        }
        continue;
      }
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
        await serve(m, ctx);
      } catch (err) {
        if (err instanceof ChainRewritten) {
          // ids may name other commits now: forget everything read and follow the chain again
          log.error('chain rewritten under the evaluator; re-reading it', { modelId: m.modelId, err });
          freeAll();
          view = new RepositoryView();
          watcher = newWatcher();
          return;
        }
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
      stopping.abort();
      freeAll();
    },
  });
  log.info('evaluator started', { account: address, lender: ownLender, chainId, contract });
  return { address, events, journal, record: recordOf, stop: () => loop.stop(), done: loop.done };
}
