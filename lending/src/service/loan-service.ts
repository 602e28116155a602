// The lender's loan service (model deployment, docs/model-deployment.md): deployModel publishes
// a trained model's service document and records the deployment on the LoanDesk; the service
// daemon answers encrypted quote requests with the plaintext weights and decides loan requests
// from the sealed disclosures. Every step is journaled before its transaction and reconciled
// with the chain's events on restart, so nothing is deployed, answered or decided twice, and a
// quote's tag key survives a crash between journaling and answering.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { concat, sha256 } from 'ethers';
import type { ContentStore } from '@hessian/core/ipfs';
import type { ModelRepositoryClient } from '@hessian/core/model-repository';
import { ChainError, LogWatcher } from '@hessian/core/chain';
import { chainSource } from '@hessian/core/model-repository';
import { LoanDeskView, decodeLoanDeskLog } from '../chain/loan-desk/client.ts';
import type { DecisionReasonName, LoanDeskClient, LoanRequestState, ModelDeployed, QuoteState } from '../chain/loan-desk/client.ts';
import { readCsvFile, encodeTable, featureNames } from '@hessian/core/data';
import type { CsvTable } from '@hessian/core/data';
import { loadSecretKeyFile, maxKeyBytes, maxCiphertextBytes, sameParams } from '@hessian/core/he';
import { dot } from '@hessian/core/ml';
import { closeOnError, closing, recordsJournal } from '@hessian/core/journal';
import type { Journal } from '@hessian/core/journal';
import { silentLogger } from '@hessian/core/log';
import type { Logger } from '@hessian/core/log';
import { runLoop } from '@hessian/core/daemon';
import { lenderJournal, encodingOf, fetchDecryptedWeights, fetchMetadata, modelFeatureCount, openHeContext } from '@hessian/core/model';
import type { LenderModelRecord } from '@hessian/core/model';
import { DEFAULT_TAG_TOLERANCE, QUERY_PARAMETERS, checkQueryLayout, evaluateQuery, newTagKey, openQueryContext, queryLayout, verifyTag } from '../quote/prediction.ts';
import type { QueryLayout, TagKey } from '../quote/prediction.ts';
import { DEFAULT_PRICING, priceLoan, probabilityOfDefault, validatePricingRule } from '../quote/pricing.ts';
import type { PricingRule } from '../quote/pricing.ts';
import { generateDisclosureKeys, open } from '../quote/sealed.ts';
import {
  MAX_QUERY_DOC_BYTES,
  MAX_SEALED_BYTES,
  MAX_SERVICE_DOC_BYTES,
  disclosureContext,
  parseDisclosure,
  parseQueryDocument,
  parseSealedBox,
  parseServiceDocument,
} from '../quote/documents.ts';
import type { ServiceDocument } from '../quote/documents.ts';

// ------------------------------------------------------------------------------------ journal

export interface DeploymentRecord {
  modelId: number;
  metadataCid: string;
  weightsCid: string;
  /** hex; the commitment is sha256(salt ‖ weights as float64 little-endian) */
  salt: string;
  weightsCommitment: string;
  serviceCid: string;
  /** the X25519 private key file (0600) */
  disclosureKeyFile: string;
  state: 'prepared' | 'deployed';
  deploymentId?: number;
  blockNumber?: number;
  txHash?: string;
}

export interface QuoteRecord {
  deploymentId: number;
  /** keyed: tag key drawn (journaled before any answer leaves); answered: on-chain; refused: malformed query */
  state: 'keyed' | 'answered' | 'refused';
  tag?: TagKey;
  resultCid?: string;
  txHash?: string;
  reason?: string;
  fetchFailures?: number;
  /** the service's clock (ms) when it answered: what the per-borrower rate limit counts */
  answeredAt?: number;
}

export interface LoanRecord {
  deploymentId: number;
  /** manual: the pricing rule cannot decide it; left pending for hessian loan decide --request */
  state: 'decided' | 'done' | 'manual';
  approved: boolean;
  /** decimal base units */
  amount: string;
  rateBps: number;
  reason: DecisionReasonName;
  detail?: string;
  probability?: number;
  txHash?: string;
  manual?: boolean;
}

export interface LoanServiceJournal {
  version: 1;
  /** keyed by quote id */
  quotes: Record<string, QuoteRecord>;
  /** keyed by loan request id */
  loans: Record<string, LoanRecord>;
  /** written by versions that kept deployments here; read by deploymentRecords, never written */
  deployments?: Record<string, DeploymentRecord>;
}

/** the service daemon's journal (quotes, loans); only the daemon writes it */
export function loanServiceJournal(stateDir: string, opts: { readOnly?: boolean } = {}): Journal<LoanServiceJournal> {
  return recordsJournal<LoanServiceJournal>(path.join(stateDir, 'loan-service.json'), ['quotes', 'loans'], opts);
}

/**
 * Decisions made by hand (`hessian loan decide --request`), in a file of their own: the daemon
 * may be running and writing loan-service.json, and a second writer would replace its freshly
 * journaled tag keys with a stale copy. One writer per journal file.
 */
export interface ManualDecisionJournal {
  version: 1;
  /** keyed by loan request id */
  loans: Record<string, LoanRecord>;
}

export function manualDecisionJournal(stateDir: string, opts: { readOnly?: boolean } = {}): Journal<ManualDecisionJournal> {
  return recordsJournal<ManualDecisionJournal>(path.join(stateDir, 'loan-manual.json'), ['loans'], opts);
}

export interface DeploymentJournal {
  version: 1;
  /** keyed by service document CID: known before the deployment id exists */
  deployments: Record<string, DeploymentRecord>;
}

/**
 * deployModel's journal, in a file of its own: the service daemon runs while `hessian loan
 * deploy` adds deployments, and two writers of one journal would each overwrite the other's
 * records with their own copy. The daemon only reads it.
 */
export function deploymentJournal(stateDir: string, opts: { readOnly?: boolean } = {}): Journal<DeploymentJournal> {
  return recordsJournal<DeploymentJournal>(path.join(stateDir, 'loan-deployments.json'), ['deployments'], opts);
}

/**
 * every deployment journaled in the state directory, keyed by service CID (older ones from
 * loan-service.json; the service daemon, which holds that file, passes its own copy of them)
 */
export function deploymentRecords(stateDir: string, legacy = loanServiceJournal(stateDir, { readOnly: true }).value.deployments): Record<string, DeploymentRecord> {
  return { ...legacy, ...deploymentJournal(stateDir, { readOnly: true }).value.deployments };
}

// ------------------------------------------------------------------------------------- deploy

export interface DeployModelConfig {
  repo: ModelRepositoryClient;
  desk: LoanDeskClient;
  store: ContentStore;
  /** the lender's state directory (lender.json and the CKKS secret key from openModel) */
  stateDir: string;
  modelId: number;
  pricing?: PricingRule;
  /** held-out CSV for the logit range (default: the one the model was opened with) */
  holdout?: string | CsvTable;
  /** widens the observed logit range on each side by this share of its width (default 0.25) */
  logitMargin?: number;
  tagTolerance?: number;
  name?: string;
  /** service account (default: the lender) */
  service?: string;
  log?: Logger;
  /** fault injection for restart tests: after the deployment is journaled, before its transaction */
  beforeDeploy?: () => void | Promise<void>;
  /** fault injection for restart tests: once the transaction is mined, before the journal records it */
  afterDeploy?: () => void | Promise<void>;
}

export interface DeployedModel {
  deploymentId: number;
  modelId: number;
  weightsCid: string;
  serviceCid: string;
  weightsCommitment: string;
  logitRange: [number, number];
  txHash: string;
  /** true when an earlier run had already deployed it (a resumed deployment) */
  resumed: boolean;
}

function findModelRecord(stateDir: string, modelId: number): LenderModelRecord {
  const rec = Object.values(lenderJournal(stateDir, { readOnly: true }).value.models).find((m) => m.modelId === modelId);
  if (!rec) throw new Error(`model ${modelId} was not opened from the state directory ${stateDir} (no lender.json record with this id)`);
  return rec;
}

export function weightsCommitment(salt: Uint8Array, w: Float64Array): string {
  const bytes = new Uint8Array(w.length * 8);
  const view = new DataView(bytes.buffer);
  w.forEach((v, i) => view.setFloat64(i * 8, v, true));
  return sha256(concat([salt, bytes]));
}

/** the model's plaintext weights at a version, decrypted with the lender's secret key */
async function decryptModelWeights(store: ContentStore, record: LenderModelRecord, metadataCid: string, weightsCid: string, log: Logger) {
  const meta = await fetchMetadata(store, metadataCid);
  const he = await openHeContext(meta);
  try {
    const sk = await loadSecretKeyFile(record.secretKeyFile, he, { log });
    try {
      return { meta, w: await fetchDecryptedWeights(store, he, sk, weightsCid, modelFeatureCount(meta)) };
    } finally {
      sk.delete();
    }
  } finally {
    he.delete();
  }
}

async function saveDisclosureKey(file: string, privateKey: string): Promise<void> {
  await writeFile(file, JSON.stringify({ version: 1, kind: 'hessian/x25519-secret-key', privateKey }) + '\n', { mode: 0o600, flag: 'wx' });
}

async function loadDisclosureKey(file: string, log: Logger): Promise<string> {
  const st = await stat(file);
  if ((st.mode & 0o077) !== 0) {
    throw new Error(`disclosure key file ${file} has mode ${(st.mode & 0o777).toString(8)}: it must not be accessible by group or others (chmod 600)`);
  }
  const doc = JSON.parse(await readFile(file, 'utf8')) as { kind?: string; privateKey?: string };
  if (doc?.kind !== 'hessian/x25519-secret-key' || typeof doc.privateKey !== 'string') throw new Error(`${file} is not a disclosure key file`);
  log.addSecret(doc.privateKey);
  return doc.privateKey;
}

export async function deployModel(cfg: DeployModelConfig): Promise<DeployedModel> {
  // a second deploy running on this state directory is refused here, before any work
  const journal = deploymentJournal(cfg.stateDir);
  return closing(journal, () => deployJournaled(cfg, journal));
}

async function deployJournaled(cfg: DeployModelConfig, journal: Journal<DeploymentJournal>): Promise<DeployedModel> {
  const log = (cfg.log ?? silentLogger).child({ role: 'loan-deploy' });
  const lender = (await cfg.desk.address()).toLowerCase();

  // an earlier run that crashed after preparing: finish it rather than deploy again
  const pending = Object.entries(deploymentRecords(cfg.stateDir)).find(([, d]) => d.modelId === cfg.modelId && d.state === 'prepared');
  if (pending) {
    const [serviceCid, rec] = pending;
    const onChain = (await cfg.desk.queryEvents('ModelDeployed', [null, cfg.modelId, lender])).find((e) => e.serviceCid === serviceCid);
    const done = onChain ?? (await cfg.desk.deployModel(deployInput(cfg, rec, await metricOf(cfg.store, rec.metadataCid)))).event;
    journal.update((j) => void (j.deployments[serviceCid] = { ...rec, state: 'deployed', deploymentId: done.deploymentId, blockNumber: done.blockNumber, txHash: done.txHash }));
    log.info(onChain ? 'deployment found on-chain' : 'deployment resumed', { modelId: cfg.modelId, deploymentId: done.deploymentId, tx: done.txHash });
    const doc = parseServiceDocument(await cfg.store.getJson(serviceCid, { maxBytes: MAX_SERVICE_DOC_BYTES }));
    return { deploymentId: done.deploymentId, modelId: cfg.modelId, weightsCid: rec.weightsCid, serviceCid, weightsCommitment: rec.weightsCommitment, logitRange: doc.logitRange, txHash: done.txHash, resumed: true };
  }

  const record = findModelRecord(cfg.stateDir, cfg.modelId);
  const source = chainSource(cfg.repo);
  await source.refresh();
  const m = source.view.models.get(cfg.modelId);
  if (!m) throw new Error(`model ${cfg.modelId} does not exist on the ModelRepository at ${cfg.repo.config.address}`);
  if (m.status !== 'TargetReached' && m.status !== 'Closed') throw new Error(`model ${cfg.modelId} is ${m.status}: only a model whose training is over (TargetReached or Closed) can be deployed`);
  const pricing = validatePricingRule(cfg.pricing ?? DEFAULT_PRICING);
  const { meta, w } = await decryptModelWeights(cfg.store, record, m.metadataCid, m.weightsCid, log);

  const holdout = cfg.holdout ?? record.dataPath;
  if (!holdout) throw new Error(`model ${cfg.modelId}: no held-out data for the logit range (pass a holdout CSV)`);
  const table = typeof holdout === 'string' ? await readCsvFile(holdout) : holdout;
  const encoded = encodeTable(table, encodingOf(meta), { badRows: 'skip' });
  if (encoded.x.length === 0) throw new Error(`model ${cfg.modelId}: no held-out row could be encoded for the logit range`);
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of encoded.x) {
    const z = dot(w, x);
    lo = Math.min(lo, z);
    hi = Math.max(hi, z);
  }
  const margin = (cfg.logitMargin ?? 0.25) * Math.max(hi - lo, 1);
  const logitRange: [number, number] = [lo - margin, hi + margin];

  const layout = queryLayout(w.length, QUERY_PARAMETERS);
  const keysDir = path.join(cfg.stateDir, 'keys');
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const disclosure = generateDisclosureKeys();
  log.addSecret(disclosure.privateKey);
  const disclosureKeyFile = path.resolve(keysDir, `disclosure-${randomBytes(8).toString('hex')}.secret.json`);
  await saveDisclosureKey(disclosureKeyFile, disclosure.privateKey);

  const salt = randomBytes(32);
  const commitment = weightsCommitment(salt, w);
  const doc = parseServiceDocument({
    version: 1,
    kind: 'hessian/loan-service',
    name: cfg.name ?? `${meta.name} (model ${cfg.modelId} v${m.version})`,
    modelId: cfg.modelId,
    modelVersion: m.version,
    metric: meta.metric,
    score: m.bestScore,
    task: meta.task,
    encoding: meta.encoding,
    featureNames: featureNames(encodingOf(meta)),
    query: { ckks: QUERY_PARAMETERS, blockSize: layout.blockSize, galoisSteps: layout.galoisSteps },
    logitRange,
    pricing,
    disclosureKey: disclosure.publicKey,
    tagTolerance: cfg.tagTolerance ?? DEFAULT_TAG_TOLERANCE,
    createdAt: new Date().toISOString(),
  });
  const serviceCid = await cfg.store.putJson(doc);
  const rec: DeploymentRecord = {
    modelId: cfg.modelId,
    metadataCid: m.metadataCid,
    weightsCid: m.weightsCid,
    salt: salt.toString('hex'),
    weightsCommitment: commitment,
    serviceCid,
    disclosureKeyFile,
    state: 'prepared',
  };
  journal.update((j) => void (j.deployments[serviceCid] = rec));
  await cfg.beforeDeploy?.();
  const res = await cfg.desk.deployModel(deployInput(cfg, rec, meta.metric));
  await cfg.afterDeploy?.();
  journal.update((j) => Object.assign(j.deployments[serviceCid]!, { state: 'deployed', deploymentId: res.event.deploymentId, blockNumber: res.blockNumber, txHash: res.txHash }));
  log.info('model deployed', { modelId: cfg.modelId, deploymentId: res.event.deploymentId, version: m.version, score: m.bestScore, serviceCid, logitRange, tx: res.txHash });
  return { deploymentId: res.event.deploymentId, modelId: cfg.modelId, weightsCid: m.weightsCid, serviceCid, weightsCommitment: commitment, logitRange, txHash: res.txHash, resumed: false };
}

function deployInput(cfg: DeployModelConfig, rec: DeploymentRecord, metric: string) {
  return {
    modelId: rec.modelId,
    weightsCid: rec.weightsCid,
    weightsCommitment: rec.weightsCommitment,
    serviceCid: rec.serviceCid,
    metric,
    ...(cfg.service ? { service: cfg.service } : {}),
  };
}

async function metricOf(store: ContentStore, metadataCid: string): Promise<string> {
  return (await fetchMetadata(store, metadataCid)).metric;
}

// ------------------------------------------------------------------------------------ service

export interface LoanServiceConfig {
  desk: LoanDeskClient;
  store: ContentStore;
  /** the lender's state directory (lender.json, loan-service.json, key files) */
  stateDir: string;
  /**
   * deployments to serve (default: every deployment naming this account as its service, those
   * made while the service runs included); each needs its material in stateDir
   */
  deploymentIds?: number[];
  /** process what is pending, then stop */
  once?: boolean;
  pollMs?: number;
  /** a query whose content cannot be found is refused after this many attempts (default 5) */
  fetchAttempts?: number;
  /** per-borrower bounds on the work quotes cost this service (DEFAULT_QUOTE_LIMITS) */
  quoteLimits?: Partial<QuoteLimits>;
  log?: Logger;
  /** fault injection for restart tests: after the tag key is journaled, before the answer is sent */
  beforeAnswer?: (info: { quoteId: number }) => void | Promise<void>;
  /** fault injection for restart tests: after the decision is journaled, before its transaction */
  beforeDecide?: (info: { requestId: number }) => void | Promise<void>;
}

/**
 * Each quote costs the service a transaction, the download of a query (up to ~10 MiB) and CKKS
 * work, and requestQuote is free on the desk apart from gas: these bound what one address can
 * make it spend (security review M5). Quotes over the rate wait, unanswered and not downloaded,
 * until the window lets them through; quotes beyond `maxWaiting` are refused for good (journaled,
 * never fetched), as is a query document the same borrower already used.
 */
export interface QuoteLimits {
  /** quotes answered per borrower address within `windowMs` */
  perBorrower: number;
  windowMs: number;
  /** a borrower's quotes held back by the rate at one time; later ones are refused */
  maxWaiting: number;
}

export const DEFAULT_QUOTE_LIMITS: QuoteLimits = { perBorrower: 5, windowMs: 3_600_000, maxWaiting: 10 };

function quoteLimits(l: Partial<QuoteLimits> = {}): QuoteLimits {
  const out = { ...DEFAULT_QUOTE_LIMITS, ...l };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v < (k === 'maxWaiting' ? 0 : 1)) throw new Error(`quoteLimits.${k} must be a whole number >= ${k === 'maxWaiting' ? 0 : 1}, got ${v}`);
  }
  return out;
}

export interface LoanServiceHandle {
  address: string;
  journal: Journal<LoanServiceJournal>;
  view: LoanDeskView;
  /** the deployments loaded now (material found, weights decrypted), by id */
  serving(): number[];
  stop(): Promise<void>;
  done: Promise<void>;
}

interface ServiceCtx {
  deploymentId: number;
  doc: ServiceDocument;
  layout: QueryLayout;
  w: Float64Array;
  disclosureKey: string;
}

/** content that is wrong (refuse it) as opposed to content that may still arrive */
class BadInput extends Error {}

/** what one deployment of this account needs from this machine, or what is missing */
interface Material {
  rec: DeploymentRecord;
  model: LenderModelRecord;
}

/**
 * The deployment's secret material, checked without decrypting anything: its journal record
 * (salt, commitment, disclosure key file: written by `hessian loan deploy` in this state
 * directory), the lender.json record of its model and the two key files. A string names what
 * is missing.
 */
async function findMaterial(stateDir: string, records: Record<string, DeploymentRecord>, d: ModelDeployed): Promise<Material | string> {
  const rec = Object.values(records).find((r) => r.serviceCid === d.serviceCid);
  if (!rec) return `no record of its service document ${d.serviceCid} in ${path.join(stateDir, 'loan-deployments.json')} (was it deployed from another state directory?)`;
  if (rec.weightsCid !== d.weightsCid || rec.weightsCommitment !== d.weightsCommitment) {
    return `the journaled deployment of ${d.serviceCid} names weights ${rec.weightsCid} (commitment ${rec.weightsCommitment}), the chain ${d.weightsCid} (${d.weightsCommitment})`;
  }
  // service document, weights and commitment are public: anyone can deploy a copy naming this
  // account as its service (security review L7). Only the deployment this directory made is ours.
  if (rec.modelId !== d.modelId || (rec.deploymentId !== undefined && rec.deploymentId !== d.deploymentId)) {
    return `${d.serviceCid} was deployed from this state directory as deployment ${rec.deploymentId ?? '(not yet recorded)'} of model ${rec.modelId}; deployment ${d.deploymentId} (model ${d.modelId}, by ${d.lender}) is a copy`;
  }
  let model: LenderModelRecord;
  try {
    model = findModelRecord(stateDir, rec.modelId);
  } catch (err) {
    return `the CKKS secret key of model ${rec.modelId}: ${(err as Error).message}`;
  }
  for (const [what, file] of [['the CKKS secret key file', model.secretKeyFile], ['the disclosure key file', rec.disclosureKeyFile]] as const) {
    try {
      await access(file, constants.R_OK);
    } catch (err) {
      return `${what} ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
  }
  return { rec, model };
}

/** a deployment of this account, as the service sees it */
interface Served {
  ctx?: ServiceCtx;
  /** what kept it from being loaded, as last logged */
  unavailable?: string;
  /** loading failed after the material was found: retried with a back-off */
  failures: number;
  retryAt: number;
  /** retired with nothing left to answer or decide */
  finished?: boolean;
}

export async function startLoanService(cfg: LoanServiceConfig): Promise<LoanServiceHandle> {
  const log = (cfg.log ?? silentLogger).child({ role: 'loan-service' });
  const desk = cfg.desk;
  const pollMs = cfg.pollMs ?? 1000;
  const address = await desk.address();
  const me = address.toLowerCase();
  // before anything else: a second service on this state directory is refused here
  const journal = loanServiceJournal(cfg.stateDir);
  const qhe = await closeOnError(journal, async () => {
    // a typo in --deployment would otherwise wait forever for a deployment that is not coming;
    // one this state directory just deployed may not be confirmed yet
    for (const id of cfg.deploymentIds ?? []) {
      const [d] = await desk.queryEvents('ModelDeployed', [id]);
      if (d && d.service.toLowerCase() !== me) throw new Error(`deployment ${id} is served by ${d.service}, not by this account (${address})`);
      if (!d && !Object.values(deploymentRecords(cfg.stateDir, journal.value.deployments ?? {})).some((r) => r.deploymentId === id)) {
        throw new Error(`no deployment ${id} on the LoanDesk at ${desk.config.address}, nor in ${cfg.stateDir}`);
      }
    }
    return openQueryContext(QUERY_PARAMETERS);
  });
  const wanted = (d: ModelDeployed) => d.service.toLowerCase() === me && (!cfg.deploymentIds || cfg.deploymentIds.includes(d.deploymentId));
  // ModelDeployed events from the desk's first block: deployments made before this start and
  // after it are found the same way
  const watcher = new LogWatcher({ provider: desk.provider, address: desk.config.address, fromBlock: desk.config.startBlock, confirmations: desk.config.confirmations, decode: decodeLoanDeskLog });
  const view = new LoanDeskView();
  const served = new Map<number, Served>();

  async function openCtx(d: ModelDeployed, { rec, model }: Material): Promise<ServiceCtx> {
    const doc = parseServiceDocument(await cfg.store.getJson(rec.serviceCid, { maxBytes: MAX_SERVICE_DOC_BYTES }));
    const { w } = await decryptModelWeights(cfg.store, model, rec.metadataCid, rec.weightsCid, log);
    if (weightsCommitment(Buffer.from(rec.salt, 'hex'), w) !== rec.weightsCommitment) {
      throw new Error(`deployment ${d.deploymentId}: the decrypted weights do not match the deployed commitment`);
    }
    const layout: QueryLayout = { featureCount: w.length, blockSize: doc.query.blockSize, galoisSteps: doc.query.galoisSteps };
    checkQueryLayout(layout, doc.query.ckks);
    const disclosureKey = await loadDisclosureKey(rec.disclosureKeyFile, log);
    log.info('deployment loaded', { deploymentId: d.deploymentId, modelId: rec.modelId, features: w.length, retired: view.deployments.get(d.deploymentId)?.retired ?? false });
    return { deploymentId: d.deploymentId, doc, layout, w, disclosureKey };
  }

  /** whether a quote or loan request of the deployment still waits for this service */
  function hasPendingWork(id: number): boolean {
    const quoteSettled = (q: QuoteState) => Boolean(q.resultCid) || ['answered', 'refused'].includes(journal.value.quotes[String(q.quoteId)]?.state ?? '');
    const loanSettled = (l: LoanRequestState) => l.status !== 'Pending' || ['done', 'manual'].includes(journal.value.loans[String(l.requestId)]?.state ?? '');
    for (const q of view.quotes.values()) if (q.deploymentId === id && !quoteSettled(q)) return true;
    for (const l of view.loans.values()) if (l.deploymentId === id && !loanSettled(l)) return true;
    return false;
  }

  /** the query's public key, Galois keys and ciphertext, each bounded before download */
  async function fetchQuery(ctx: ServiceCtx, q: QuoteState) {
    const get = async (what: string, cid: string, maxBytes: number) => {
      try {
        return await cfg.store.get(cid, { maxBytes });
      } catch (err) {
        if ((err as Error).name === 'ContentNotFoundError') throw err;
        throw new BadInput(`${what} ${cid}: ${(err as Error).message}`);
      }
    };
    let raw: unknown;
    try {
      raw = await cfg.store.getJson(q.queryCid, { maxBytes: MAX_QUERY_DOC_BYTES });
    } catch (err) {
      if ((err as Error).name === 'ContentNotFoundError') throw err;
      throw new BadInput(`query document ${q.queryCid}: ${(err as Error).message}`);
    }
    let doc;
    try {
      doc = parseQueryDocument(raw);
    } catch (err) {
      throw new BadInput(`query document ${q.queryCid}: ${(err as Error).message}`);
    }
    if (doc.deploymentId !== ctx.deploymentId) throw new BadInput(`query document is for deployment ${doc.deploymentId}, not ${ctx.deploymentId}`);
    if (!sameParams(doc.ckks, ctx.doc.query.ckks)) throw new BadInput(`query uses CKKS parameters ${JSON.stringify(doc.ckks)}, the service ${JSON.stringify(ctx.doc.query.ckks)}`);
    if (doc.featureCount !== ctx.layout.featureCount) throw new BadInput(`query has ${doc.featureCount} features, the model ${ctx.layout.featureCount}`);
    return {
      publicKey: await get('public key', doc.publicKey, maxKeyBytes(qhe, 'publicKey')),
      // the rotations plus the conjugation key, uncompressed at worst: checked against the
      // content's declared size before any of it is read
      galoisKeys: await get('Galois keys', doc.galoisKeys, maxKeyBytes(qhe, 'galoisKeys', ctx.layout.galoisSteps.length + 1)),
      ciphertext: await get('query ciphertext', doc.ciphertext, maxCiphertextBytes(qhe, 0)),
    };
  }

  function refuse(q: QuoteState, reason: string) {
    journal.update((j) => void (j.quotes[String(q.quoteId)] = { deploymentId: q.deploymentId, state: 'refused', reason }));
    log.error('quote refused', { quoteId: q.quoteId, deploymentId: q.deploymentId, borrower: q.borrower, queryCid: q.queryCid, reason });
  }

  const limits = quoteLimits(cfg.quoteLimits);
  const deferredLogged = new Set<number>();

  /**
   * One tick's view of what each borrower has been given: answers inside the window, from the
   * journal (so a restart keeps counting), and which quote first used each query document.
   */
  function admission() {
    const since = Date.now() - limits.windowMs;
    const answered = new Map<string, number>();
    for (const [id, rec] of Object.entries(journal.value.quotes)) {
      if (rec.state !== 'answered' || rec.answeredAt === undefined || rec.answeredAt < since) continue;
      const who = view.quotes.get(Number(id))?.borrower.toLowerCase();
      if (who) answered.set(who, (answered.get(who) ?? 0) + 1);
    }
    // per borrower: across borrowers a copied query CID (seen in the mempool, sent first with
    // more gas) would otherwise get the victim's own quote refused
    const useKey = (q: QuoteState) => `${q.borrower.toLowerCase()}/${q.queryCid}`;
    const firstUse = new Map<string, number>();
    for (const q of view.quotes.values()) {
      const first = firstUse.get(useKey(q));
      if (first === undefined || q.quoteId < first) firstUse.set(useKey(q), q.quoteId);
    }
    const waiting = new Map<string, number>();
    /** go: answer it now; wait: over the rate, not fetched this tick; refused: settled for good */
    return (q: QuoteState): 'go' | 'wait' | 'refused' => {
      const rec = journal.value.quotes[String(q.quoteId)];
      // settled, reconciled from the chain, or admitted before (its tag key is drawn): carry on
      if (rec?.state === 'answered' || rec?.state === 'refused' || rec?.tag || q.resultCid) return 'go';
      const first = firstUse.get(useKey(q))!;
      if (first !== q.quoteId) {
        refuse(q, `query document ${q.queryCid} was already used by this borrower's quote ${first}`);
        return 'refused';
      }
      const who = q.borrower.toLowerCase();
      const given = answered.get(who) ?? 0;
      if (given < limits.perBorrower) {
        answered.set(who, given + 1);
        return 'go';
      }
      const queued = (waiting.get(who) ?? 0) + 1;
      waiting.set(who, queued);
      if (queued > limits.maxWaiting) {
        refuse(q, `borrower ${q.borrower} has ${limits.maxWaiting} quotes waiting for its rate limit (${limits.perBorrower} per ${limits.windowMs / 1000} s); this one is refused`);
        return 'refused';
      }
      if (!deferredLogged.has(q.quoteId)) {
        deferredLogged.add(q.quoteId);
        log.warn('quote held back: borrower over its rate limit', { quoteId: q.quoteId, borrower: q.borrower, perBorrower: limits.perBorrower, windowSeconds: limits.windowMs / 1000, waiting: queued });
      }
      return 'wait';
    };
  }

  /** true when settled (answered, refused), false when it should be tried again later */
  async function answer(ctx: ServiceCtx, q: QuoteState): Promise<boolean> {
    const key = String(q.quoteId);
    let rec = journal.value.quotes[key];
    if (rec?.state === 'answered' || rec?.state === 'refused') return true;
    if (q.resultCid) {
      // answered on-chain by an earlier run whose journal update was lost
      journal.update((j) => Object.assign((j.quotes[key] ??= { deploymentId: q.deploymentId, state: 'answered' }), { state: 'answered', resultCid: q.resultCid, txHash: q.answeredTx, answeredAt: Date.now() }));
      return true;
    }
    let input;
    try {
      input = await fetchQuery(ctx, q);
    } catch (err) {
      if (err instanceof BadInput) {
        refuse(q, err.message);
        return true;
      }
      const failures = (rec?.fetchFailures ?? 0) + 1;
      if (failures >= (cfg.fetchAttempts ?? 5)) {
        refuse(q, `query content not found after ${failures} attempts: ${(err as Error).message}`);
        return true;
      }
      journal.update((j) => void (j.quotes[key] = { ...(j.quotes[key] ?? { deploymentId: q.deploymentId, state: 'keyed' }), fetchFailures: failures }));
      log.warn('query content not retrievable yet; will retry', { quoteId: q.quoteId, attempt: failures, err });
      return false;
    }
    if (!rec?.tag) {
      // the tag key is durable before anything derived from it leaves this process
      const tag = newTagKey();
      journal.update((j) => void (j.quotes[key] = { deploymentId: q.deploymentId, state: 'keyed', tag }));
      rec = journal.value.quotes[key]!;
    }
    let result: Uint8Array;
    try {
      result = await evaluateQuery(ctx.layout, input, ctx.w, rec.tag!, ctx.doc.query.ckks);
    } catch (err) {
      if ((err as Error).name === 'QueryError') {
        refuse(q, (err as Error).message);
        return true;
      }
      throw err;
    }
    const resultCid = await cfg.store.putJson({ version: 1, kind: 'hessian/loan-result', quoteId: q.quoteId, ciphertext: await cfg.store.put(result) });
    await cfg.beforeAnswer?.({ quoteId: q.quoteId });
    let txHash: string | undefined;
    try {
      txHash = (await desk.answerQuote(q.quoteId, resultCid)).txHash;
    } catch (err) {
      if (!(err instanceof ChainError && err.errorName === 'QuoteNotRequested')) throw err;
      log.info('quote already answered on-chain', { quoteId: q.quoteId });
    }
    journal.update((j) => Object.assign(j.quotes[key]!, { state: 'answered', resultCid, answeredAt: Date.now(), ...(txHash ? { txHash } : {}) }));
    if (txHash) log.info('quote answered', { quoteId: q.quoteId, deploymentId: q.deploymentId, borrower: q.borrower, resultCid, tx: txHash });
    return true;
  }

  async function decide(ctx: ServiceCtx, l: LoanRequestState): Promise<boolean> {
    const key = String(l.requestId);
    let rec = journal.value.loans[key];
    if (rec?.state === 'done') return true;
    if (l.status !== 'Pending') {
      if (rec) journal.update((j) => void (j.loans[key]!.state = 'done'));
      return true;
    }
    if (rec?.state === 'manual') return true;
    if (!rec) {
      const { manual, ...decided } = await evaluateDisclosure(ctx, l);
      journal.update((j) => void (j.loans[key] = { ...decided, state: manual ? 'manual' : 'decided' }));
      rec = journal.value.loans[key]!;
      if (manual) {
        log.warn('loan request left for a manual decision', { requestId: l.requestId, termDays: l.termDays, detail: rec.detail });
        return true;
      }
    }
    await cfg.beforeDecide?.({ requestId: l.requestId });
    let txHash: string | undefined;
    try {
      txHash = (await desk.decideLoan(l.requestId, rec.approved, BigInt(rec.amount), rec.rateBps, rec.reason)).txHash;
    } catch (err) {
      if (!(err instanceof ChainError && err.errorName === 'LoanRequestNotPending')) throw err;
      log.info('loan request no longer pending', { requestId: l.requestId });
    }
    journal.update((j) => Object.assign(j.loans[key]!, { state: 'done', ...(txHash ? { txHash } : {}) }));
    if (txHash) {
      const fields = { requestId: l.requestId, quoteId: l.quoteId, deploymentId: l.deploymentId, borrower: l.borrower, approved: rec.approved, amount: rec.amount, rateBps: rec.rateBps, reason: rec.reason, tx: txHash };
      if (rec.reason === 'InvalidDisclosure') log.warn('loan declined: invalid disclosure', { ...fields, detail: rec.detail });
      else log.info(rec.approved ? 'loan approved' : 'loan declined', fields);
    }
    return true;
  }

  async function evaluateDisclosure(ctx: ServiceCtx, l: LoanRequestState): Promise<Omit<LoanRecord, 'state'>> {
    const decline = (detail: string): Omit<LoanRecord, 'state'> => ({ deploymentId: l.deploymentId, approved: false, amount: '0', rateBps: 0, reason: 'InvalidDisclosure', detail });
    const quote = journal.value.quotes[String(l.quoteId)];
    if (!quote?.tag || quote.deploymentId !== l.deploymentId) return decline(`quote ${l.quoteId} was not answered by this service`);
    let claim: { logit: number; tag: number };
    try {
      const box = parseSealedBox(await cfg.store.getJson(l.disclosureCid, { maxBytes: MAX_SEALED_BYTES }));
      const plain = open(ctx.disclosureKey, box, disclosureContext(l.quoteId));
      const disclosure = parseDisclosure(JSON.parse(Buffer.from(plain).toString('utf8')));
      if (disclosure.quoteId !== l.quoteId) return decline(`disclosure is for quote ${disclosure.quoteId}, not ${l.quoteId}`);
      claim = { logit: disclosure.logit, tag: disclosure.tag };
    } catch (err) {
      return decline(`disclosure ${l.disclosureCid}: ${(err as Error).message}`);
    }
    if (!verifyTag(quote.tag, claim, ctx.doc.tagTolerance)) return decline(`the disclosed logit does not match the quote's tag`);
    const [lo, hi] = ctx.doc.logitRange;
    if (!(claim.logit >= lo && claim.logit <= hi)) return decline(`logit ${claim.logit} outside the model's range [${lo}, ${hi}]`);
    const probability = probabilityOfDefault(claim.logit);
    let q;
    try {
      q = priceLoan(ctx.doc.pricing, probability, l.amount, l.termDays);
    } catch (err) {
      // the rule gives no price (a term beyond it): no reason code would be true, so a person decides
      return { deploymentId: l.deploymentId, approved: false, amount: '0', rateBps: 0, reason: 'Manual', detail: `needs a manual decision: ${(err as Error).message}`, probability, manual: true };
    }
    return {
      deploymentId: l.deploymentId,
      approved: q.approved,
      amount: q.approved ? q.amount.toString() : '0',
      rateBps: q.approved ? q.rateBps : 0,
      reason: q.reason,
      probability,
    };
  }

  /**
   * Loads a deployment once its material is on this machine. Missing material is warned about
   * once per distinct gap and looked for again every tick (cheap file checks); a load that
   * fails with the material present (content not retrievable, a commitment mismatch) is retried
   * with a back-off, since each attempt decrypts the weights. Returns false when not loaded.
   */
  async function load(d: ModelDeployed, s: Served, records: () => Record<string, DeploymentRecord>): Promise<boolean> {
    if (Date.now() < s.retryAt) return false;
    const material = await findMaterial(cfg.stateDir, records(), d);
    if (typeof material === 'string') {
      if (s.unavailable !== material) {
        log.warn('deployment not served: its secret material is not on this machine; serving the others and looking again every poll', { deploymentId: d.deploymentId, modelId: d.modelId, missing: material });
        s.unavailable = material;
      }
      return false;
    }
    s.unavailable = undefined;
    try {
      s.ctx = await openCtx(d, material);
      s.failures = 0;
      return true;
    } catch (err) {
      s.failures++;
      s.retryAt = Date.now() + pollMs * Math.min(60, 2 ** s.failures);
      log.error('loading the deployment failed; will retry', { deploymentId: d.deploymentId, failures: s.failures, err });
      return false;
    }
  }

  async function tick(): Promise<void | 'done'> {
    view.applyAll(await watcher.poll());
    let unsettled = 0;
    let records: Record<string, DeploymentRecord> | undefined;
    // re-read each tick that needs it: `hessian loan deploy` adds records while this runs. Older
    // records in loan-service.json are this daemon's own journal, which nobody else writes and
    // which grows with every quote: taken from memory, not parsed again each poll
    const currentRecords = () => (records ??= deploymentRecords(cfg.stateDir, journal.value.deployments ?? {}));
    const admit = admission();
    for (const d of [...view.deployments.values()].filter(wanted).sort((a, b) => a.deploymentId - b.deploymentId)) {
      const id = d.deploymentId;
      let s = served.get(id);
      if (!s) served.set(id, (s = { failures: 0, retryAt: 0 }));
      if (s.finished) continue;
      if (d.retired) {
        // the desk takes no new quote or loan request once retired, and the view holds every
        // event up to the retirement: what is pending now is all there will ever be
        if (!hasPendingWork(id)) {
          s.finished = true;
          s.ctx = undefined;
          log.info('deployment retired and nothing left to answer or decide: no longer served', { deploymentId: id });
          continue;
        }
      }
      if (!s.ctx && !(await load(d, s, currentRecords))) {
        // missing material does not hold up --once: it was warned about and cannot be waited for
        if (s.unavailable === undefined) unsettled++;
        continue;
      }
      const ctx = s.ctx!;
      for (const q of [...view.quotes.values()].filter((q) => q.deploymentId === id).sort((a, b) => a.quoteId - b.quoteId)) {
        try {
          // a quote held back by the rate limit does not keep --once running: it may wait an hour
          if (admit(q) !== 'go') continue;
          if (!(await answer(ctx, q))) unsettled++;
        } catch (err) {
          // one quote's failure (e.g. a dropped RPC connection) must not stall the others
          unsettled++;
          log.error('answering a quote failed; will retry', { quoteId: q.quoteId, err });
        }
      }
      for (const l of [...view.loans.values()].filter((l) => l.deploymentId === id).sort((a, b) => a.requestId - b.requestId)) {
        try {
          await decide(ctx, l);
        } catch (err) {
          unsettled++;
          log.error('deciding a loan request failed; will retry', { requestId: l.requestId, err });
        }
      }
    }
    if (cfg.once && unsettled === 0) return 'done';
  }

  const loop = runLoop(tick, { pollMs, log, journal });
  log.info('loan service started', { account: address, deployments: cfg.deploymentIds ?? 'every deployment served by this account, as they are made' });
  return { address, journal, view, serving: () => [...served].filter(([, s]) => s.ctx).map(([id]) => id), stop: () => loop.stop(), done: loop.done };
}

// ----------------------------------------------------------------------------- manual decision

export interface ManualDecision {
  requestId: number;
  approved: boolean;
  /** base units; ignored (0) when declined */
  amount?: bigint;
  rateBps?: number;
}

/** decides a pending loan request by hand (reason Manual), journaled like the daemon's decisions */
export async function decideManually(cfg: { desk: LoanDeskClient; stateDir: string; log?: Logger }, d: ManualDecision): Promise<{ txHash: string }> {
  const log = (cfg.log ?? silentLogger).child({ role: 'loan-service' });
  const key = String(d.requestId);
  const byService = loanServiceJournal(cfg.stateDir, { readOnly: true }).value.loans[key];
  if (byService?.state === 'done') throw new Error(`loan request ${d.requestId} was already decided by this service`);
  const journal = manualDecisionJournal(cfg.stateDir);
  return closing(journal, () => decideJournaled(cfg, d, journal, log));
}

async function decideJournaled(cfg: { desk: LoanDeskClient; stateDir: string }, d: ManualDecision, journal: Journal<ManualDecisionJournal>, log: Logger): Promise<{ txHash: string }> {
  const key = String(d.requestId);
  if (journal.value.loans[key]?.state === 'done') throw new Error(`loan request ${d.requestId} was already decided by hand (tx ${journal.value.loans[key]!.txHash ?? 'unknown'})`);
  const [req] = (await cfg.desk.queryEvents('LoanRequested', [d.requestId]));
  if (!req) throw new Error(`no loan request ${d.requestId} on the LoanDesk`);
  const { serviceCid } = await cfg.desk.deployment(req.deploymentId);
  const ours = Object.values(deploymentRecords(cfg.stateDir)).some((r) => r.serviceCid === serviceCid);
  if (!ours) throw new Error(`loan request ${d.requestId} is for deployment ${req.deploymentId}, which this state directory did not deploy`);
  // decided elsewhere (the daemon, or an earlier run of this command that crashed before its record)
  const [decided] = await cfg.desk.queryEvents('LoanDecided', [d.requestId]);
  if (decided) throw new Error(`loan request ${d.requestId} is already decided on-chain (${decided.approved ? 'approved' : 'declined'}, ${decided.reason}, tx ${decided.txHash})`);
  const amount = d.approved ? (d.amount ?? req.amount) : 0n;
  const rateBps = d.approved ? (d.rateBps ?? 0) : 0;
  if (d.approved && (amount <= 0n || amount > req.amount)) throw new Error(`approved amount must be in (0, ${req.amount}] (the requested amount), got ${amount}`);
  if (d.approved && (!Number.isInteger(rateBps) || rateBps <= 0)) throw new Error(`an approval needs a rate in basis points > 0, got ${rateBps}`);
  journal.update((j) => void (j.loans[key] = { deploymentId: req.deploymentId, state: 'decided', approved: d.approved, amount: amount.toString(), rateBps, reason: 'Manual', detail: 'decided by hand' }));
  const res = await cfg.desk.decideLoan(d.requestId, d.approved, amount, rateBps, 'Manual');
  journal.update((j) => Object.assign(j.loans[key]!, { state: 'done', txHash: res.txHash }));
  log.info('loan decided by hand', { requestId: d.requestId, approved: d.approved, amount, rateBps, tx: res.txHash });
  return { txHash: res.txHash };
}
