// deployModel: publishes a trained model's service document and records the deployment on the
// LoanDesk, journaled before its transaction so a crashed deploy is finished, never repeated.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ContentStore } from '@hessian/core/ipfs';
import type { ModelRepositoryClient } from '@hessian/core/model-repository';
import { chainSource } from '@hessian/core/model-repository';
import type { LoanDeskClient } from '../chain/loan-desk/index.ts';
import { readCsvFile, encodeTable, featureNames } from '@hessian/core/data';
import type { CsvTable } from '@hessian/core/data';
import { dot } from '@hessian/core/ml';
import { closing } from '@hessian/core/journal';
import type { Journal } from '@hessian/core/journal';
import { silentLogger } from '@hessian/core/log';
import type { Logger } from '@hessian/core/log';
import { encodingOf, fetchMetadata } from '@hessian/core/model';
import { DEFAULT_TAG_TOLERANCE, QUERY_PARAMETERS, queryLayout } from '../quote/prediction.ts';
import { DEFAULT_PRICING, validatePricingRule } from '../quote/pricing.ts';
import type { PricingRule } from '../quote/pricing.ts';
import { generateDisclosureKeys } from '../quote/sealed.ts';
import { MAX_SERVICE_DOC_BYTES, parseServiceDocument } from '../quote/documents.ts';
import { deploymentJournal, deploymentRecords } from './journal.ts';
import type { DeploymentRecord, DeploymentJournal } from './journal.ts';
import { findModelRecord, weightsCommitment, decryptModelWeights, saveDisclosureKey } from './material.ts';

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
