// The borrower (docs/model-deployment.md): asks a deployed model for a private quote (features
// encrypted under its own fresh CKKS key, which never leaves its state directory), reads the
// probability of default and the rate the published pricing rule gives, and, if it wants the
// loan, discloses {logit, tag} sealed to the service's key with a loan request. The journal
// records each quote and request so a rerun never files the same request twice.
import { HessianError } from '@hessian/common/errors';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ContentStore } from '@hessian/core/ipfs';
import { ChainError } from '@hessian/core/chain';
import type { DecisionReasonName, LoanDecided, LoanDeskClient } from './chain/loan-desk/index.ts';
import { readCsvFile, featureEncoder } from '@hessian/core/data';
import type { CsvTable, EncodingSpec } from '@hessian/core/data';
import { loadSecretKeyFile, saveSecretKeyFile, maxCiphertextBytes } from '@hessian/core/he';
import { closing, recordsJournal } from '@hessian/core/journal';
import type { Journal } from '@hessian/core/journal';
import { silentLogger } from '@hessian/core/log';
import type { Logger } from '@hessian/core/log';
import { createBorrowerKeys, decryptResult, encryptQuery, openQueryContext } from './quote/prediction.ts';
import type { QueryLayout } from './quote/prediction.ts';
import { priceLoan, probabilityOfDefault } from './quote/pricing.ts';
import { seal } from './quote/sealed.ts';
import { MAX_RESULT_DOC_BYTES, MAX_SERVICE_DOC_BYTES, disclosureContext, parseResultDocument, parseServiceDocument } from './quote/documents.ts';
import type { ServiceDocument } from './quote/documents.ts';

export interface BorrowerQuoteRecord {
  deploymentId: number;
  serviceCid: string;
  queryCid: string;
  secretKeyFile: string;
  state: 'requested' | 'answered';
  quoteId: number;
  txHash: string;
  logit?: number;
  tag?: number;
  probability?: number;
  loan?: { state: 'prepared' | 'requested' | 'decided'; amount: string; termDays: number; disclosureCid: string; requestId?: number; txHash?: string; decision?: LoanDecisionSummary };
}

export interface LoanDecisionSummary {
  approved: boolean;
  amount: string;
  rateBps: number;
  reason: DecisionReasonName;
  txHash: string;
}

export interface BorrowerJournal {
  version: 1;
  /** keyed by quote id */
  quotes: Record<string, BorrowerQuoteRecord>;
}

export function borrowerJournal(stateDir: string, opts: { readOnly?: boolean } = {}): Journal<BorrowerJournal> {
  return recordsJournal<BorrowerJournal>(path.join(stateDir, 'borrower.json'), ['quotes'], opts);
}

export async function fetchServiceDocument(desk: LoanDeskClient, store: ContentStore, deploymentId: number): Promise<{ serviceCid: string; doc: ServiceDocument }> {
  const dep = await desk.deployment(deploymentId);
  const doc = parseServiceDocument(await store.getJson(dep.serviceCid, { maxBytes: MAX_SERVICE_DOC_BYTES }));
  if (doc.modelId !== dep.modelId) throw new Error(`deployment ${deploymentId}: service document is for model ${doc.modelId}, the deployment for model ${dep.modelId}`);
  return { serviceCid: dep.serviceCid, doc };
}

/** One row's features with the published encoding (the borrower has no label column). */
export function encodeBorrowerRow(table: CsvTable, spec: EncodingSpec, row = 0): Float64Array {
  const r = table.rows[row];
  if (!r) throw new Error(`${table.source} has ${table.rows.length} data row(s); row ${row} does not exist`);
  return featureEncoder(table, spec)(r);
}

export interface QuoteConfig {
  desk: LoanDeskClient;
  store: ContentStore;
  stateDir: string;
  deploymentId: number;
  /** the borrower's features: a CSV path or table (the label column may be absent) */
  features: string | CsvTable;
  /** data row to use (0-based, default 0) */
  row?: number;
  /** amount the preview is priced for (base units; default the rule's maximum) */
  amount?: bigint;
  /** term the preview is priced for (default 365 days, at most the rule's maximum) */
  termDays?: number;
  /** how long to wait for the answer (default 120 s) */
  timeoutMs?: number;
  pollMs?: number;
  log?: Logger;
}

export interface QuoteResult {
  quoteId: number;
  deploymentId: number;
  logit: number;
  tag: number;
  probability: number;
  /** what the published pricing rule gives for the preview amount and term */
  approved: boolean;
  rateBps: number;
  amount: bigint;
  termDays: number;
  reason: DecisionReasonName;
  queryCid: string;
  txHash: string;
}

/** the chain did not show what the borrower waits for in time: it may still come, try again */
export class QuoteTimeoutError extends HessianError {
  override name = 'QuoteTimeoutError';
  constructor(message: string) {
    super(message, { kind: 'retryable' });
  }
}

async function waitUntil<T>(what: string, timeoutMs: number, pollMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new QuoteTimeoutError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

function layoutOf(doc: ServiceDocument): QueryLayout {
  return { featureCount: doc.featureNames.length, blockSize: doc.query.blockSize, galoisSteps: doc.query.galoisSteps };
}

export async function requestQuote(cfg: QuoteConfig): Promise<QuoteResult> {
  const log = (cfg.log ?? silentLogger).child({ role: 'borrower' });
  const journal = borrowerJournal(cfg.stateDir);
  const quoteId = await closing(journal, () => sendQuote(cfg, journal, log));
  return finishQuote({ ...cfg, log }, quoteId);
}

async function sendQuote(cfg: QuoteConfig, journal: Journal<BorrowerJournal>, log: Logger): Promise<number> {
  const { serviceCid, doc } = await fetchServiceDocument(cfg.desk, cfg.store, cfg.deploymentId);
  const table = typeof cfg.features === 'string' ? await readCsvFile(cfg.features) : cfg.features;
  const x = encodeBorrowerRow(table, doc.encoding as EncodingSpec, cfg.row ?? 0);
  const layout = layoutOf(doc);
  const params = doc.query.ckks;

  const keys = await createBorrowerKeys(layout, params);
  let secretKeyFile: string;
  let queryCid: string;
  try {
    const he = await openQueryContext(params);
    await mkdir(path.join(cfg.stateDir, 'keys'), { recursive: true, mode: 0o700 });
    secretKeyFile = path.resolve(cfg.stateDir, 'keys', `query-${randomBytes(8).toString('hex')}.secret.json`);
    await saveSecretKeyFile(secretKeyFile, he, keys.secretKey, { log });
    const ciphertext = await encryptQuery(layout, keys.publicKey, x, params);
    queryCid = await cfg.store.putJson({
      version: 1,
      kind: 'hessian/loan-query',
      deploymentId: cfg.deploymentId,
      featureCount: layout.featureCount,
      ckks: params,
      publicKey: await cfg.store.put(keys.publicKey),
      galoisKeys: await cfg.store.put(keys.galoisKeys),
      ciphertext: await cfg.store.put(ciphertext),
    });
  } finally {
    keys.secretKey.delete();
  }
  const sent = await cfg.desk.requestQuote(cfg.deploymentId, queryCid);
  const quoteId = sent.event.quoteId;
  journal.update((j) => void (j.quotes[String(quoteId)] = { deploymentId: cfg.deploymentId, serviceCid, queryCid, secretKeyFile, state: 'requested', quoteId, txHash: sent.txHash }));
  log.info('quote requested', { quoteId, deploymentId: cfg.deploymentId, queryCid, tx: sent.txHash });
  return quoteId;
}

/** waits for the answer of a requested quote, decrypts and prices it (also resumes an earlier run's quote) */
export async function finishQuote(cfg: Omit<QuoteConfig, 'features' | 'deploymentId'>, quoteId: number): Promise<QuoteResult> {
  const journal = borrowerJournal(cfg.stateDir);
  return closing(journal, () => finishJournaled(cfg, quoteId, journal));
}

async function finishJournaled(cfg: Omit<QuoteConfig, 'features' | 'deploymentId'>, quoteId: number, journal: Journal<BorrowerJournal>): Promise<QuoteResult> {
  const log = cfg.log ?? silentLogger;
  const rec = journal.value.quotes[String(quoteId)];
  if (!rec) throw new Error(`quote ${quoteId} was not requested from the state directory ${cfg.stateDir}`);
  const doc = parseServiceDocument(await cfg.store.getJson(rec.serviceCid, { maxBytes: MAX_SERVICE_DOC_BYTES }));
  if (rec.logit === undefined || rec.tag === undefined) {
    const answered = await waitUntil(`the service to answer quote ${quoteId}`, cfg.timeoutMs ?? 120_000, cfg.pollMs ?? 500, async () =>
      (await cfg.desk.queryEvents('QuoteAnswered', [quoteId]))[0],
    );
    const result = parseResultDocument(await cfg.store.getJson(answered.resultCid, { maxBytes: MAX_RESULT_DOC_BYTES }));
    if (result.quoteId !== quoteId) throw new Error(`result document ${answered.resultCid} is for quote ${result.quoteId}, not ${quoteId}`);
    const he = await openQueryContext(doc.query.ckks);
    const bytes = await cfg.store.get(result.ciphertext, { maxBytes: maxCiphertextBytes(he, 0) });
    const sk = await loadSecretKeyFile(rec.secretKeyFile, he);
    let claim: { logit: number; tag: number };
    try {
      claim = await decryptResult(layoutOf(doc), sk, bytes, doc.query.ckks);
    } finally {
      sk.delete();
    }
    const probability = probabilityOfDefault(claim.logit);
    journal.update((j) => Object.assign(j.quotes[String(quoteId)]!, { state: 'answered', logit: claim.logit, tag: claim.tag, probability }));
    log.info('quote answered', { quoteId, probability });
  }
  const r = journal.value.quotes[String(quoteId)]!;
  const amount = cfg.amount ?? BigInt(doc.pricing.maxAmount);
  const termDays = Math.min(cfg.termDays ?? 365, doc.pricing.maxTermDays);
  const priced = priceLoan(doc.pricing, r.probability!, amount, termDays);
  return {
    quoteId,
    deploymentId: r.deploymentId,
    logit: r.logit!,
    tag: r.tag!,
    probability: r.probability!,
    approved: priced.approved,
    rateBps: priced.rateBps,
    amount: priced.amount,
    termDays,
    reason: priced.reason,
    queryCid: r.queryCid,
    txHash: r.txHash,
  };
}

export interface LoanRequestConfig {
  desk: LoanDeskClient;
  store: ContentStore;
  stateDir: string;
  quoteId: number;
  /** base units */
  amount: bigint;
  termDays: number;
  /** wait for the service's decision */
  wait?: boolean;
  timeoutMs?: number;
  pollMs?: number;
  log?: Logger;
  /** test hook: the disclosure sent instead of the honest one (a forged logit) */
  tamper?: (claim: { quoteId: number; logit: number; tag: number }) => { quoteId: number; logit: number; tag: number };
}

export interface LoanRequestResult {
  requestId: number;
  quoteId: number;
  amount: bigint;
  termDays: number;
  disclosureCid: string;
  txHash: string;
  decision?: LoanDecisionSummary;
}

export async function requestLoan(cfg: LoanRequestConfig): Promise<LoanRequestResult> {
  const journal = borrowerJournal(cfg.stateDir);
  return closing(journal, () => requestJournaled(cfg, journal));
}

async function requestJournaled(cfg: LoanRequestConfig, journal: Journal<BorrowerJournal>): Promise<LoanRequestResult> {
  const log = (cfg.log ?? silentLogger).child({ role: 'borrower' });
  const key = String(cfg.quoteId);
  const rec = journal.value.quotes[key];
  if (!rec) throw new Error(`quote ${cfg.quoteId} was not requested from the state directory ${cfg.stateDir}`);
  if (rec.logit === undefined || rec.tag === undefined) throw new Error(`quote ${cfg.quoteId} has no answer yet: run the quote again (hessian loan quote --quote ${cfg.quoteId}) once the service has answered`);
  if (cfg.amount <= 0n) throw new Error(`loan amount must be > 0, got ${cfg.amount}`);
  const doc = parseServiceDocument(await cfg.store.getJson(rec.serviceCid, { maxBytes: MAX_SERVICE_DOC_BYTES }));
  if (!Number.isInteger(cfg.termDays) || cfg.termDays < 1 || cfg.termDays > doc.pricing.maxTermDays) {
    throw new Error(`term must be a whole number of days in [1, ${doc.pricing.maxTermDays}] (the deployment's pricing rule), got ${cfg.termDays}`);
  }
  const me = (await cfg.desk.address()).toLowerCase();

  if (!rec.loan) {
    const honest = { quoteId: cfg.quoteId, logit: rec.logit, tag: rec.tag };
    const claim = cfg.tamper ? cfg.tamper(honest) : honest;
    const box = seal(doc.disclosureKey, Buffer.from(JSON.stringify({ version: 1, kind: 'hessian/loan-disclosure', ...claim })), disclosureContext(cfg.quoteId));
    const disclosureCid = await cfg.store.putJson(box);
    journal.update((j) => void (j.quotes[key]!.loan = { state: 'prepared', amount: cfg.amount.toString(), termDays: cfg.termDays, disclosureCid }));
  }
  let loan = journal.value.quotes[key]!.loan!;
  if (loan.state === 'prepared') {
    // a previous run may have sent the request before its journal update: the chain decides
    const found = (await cfg.desk.queryEvents('LoanRequested', [null, rec.deploymentId, me])).find((e) => e.quoteId === cfg.quoteId);
    let requestId: number;
    let txHash: string;
    if (found) {
      requestId = found.requestId;
      txHash = found.txHash;
    } else {
      try {
        const res = await cfg.desk.requestLoan(cfg.quoteId, BigInt(loan.amount), loan.termDays, loan.disclosureCid);
        requestId = res.event.requestId;
        txHash = res.txHash;
      } catch (err) {
        if (err instanceof ChainError && err.errorName === 'QuoteAlreadyUsed') throw new Error(`quote ${cfg.quoteId} already has a loan request (one request per quote: ask for a new quote)`, { cause: err });
        throw err;
      }
    }
    journal.update((j) => Object.assign(j.quotes[key]!.loan!, { state: 'requested', requestId, txHash }));
    log.info('loan requested', { quoteId: cfg.quoteId, requestId, amount: loan.amount, termDays: loan.termDays, tx: txHash });
  } else if (BigInt(loan.amount) !== cfg.amount || loan.termDays !== cfg.termDays) {
    throw new Error(`quote ${cfg.quoteId} already has loan request ${loan.requestId} (amount ${loan.amount}, ${loan.termDays} days): one request per quote`);
  }
  loan = journal.value.quotes[key]!.loan!;
  const out: LoanRequestResult = { requestId: loan.requestId!, quoteId: cfg.quoteId, amount: BigInt(loan.amount), termDays: loan.termDays, disclosureCid: loan.disclosureCid, txHash: loan.txHash! };
  if (loan.decision) return { ...out, decision: loan.decision };
  if (!cfg.wait) return out;
  const decided = await waitForDecision(cfg.desk, loan.requestId!, cfg.timeoutMs ?? 120_000, cfg.pollMs ?? 500);
  const decision: LoanDecisionSummary = { approved: decided.approved, amount: decided.amount.toString(), rateBps: decided.rateBps, reason: decided.reason, txHash: decided.txHash };
  journal.update((j) => Object.assign(j.quotes[key]!.loan!, { state: 'decided', decision }));
  log.info('loan decided', { requestId: loan.requestId, ...decision });
  return { ...out, decision };
}

export function waitForDecision(desk: LoanDeskClient, requestId: number, timeoutMs: number, pollMs = 500): Promise<LoanDecided> {
  return waitUntil(`the decision on loan request ${requestId}`, timeoutMs, pollMs, async () => (await desk.queryEvents('LoanDecided', [requestId]))[0]);
}
