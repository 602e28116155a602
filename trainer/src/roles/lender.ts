// The lender: fits the encoding on its own (held-out) data, generates CKKS keys (the secret key
// stays in a 0600 file, never logged, never uploaded), publishes public keys, encrypted initial
// weights and the metadata document, then opens the model on-chain with its bounty and terms.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ContentStore } from '@hessian/core/ipfs';
import type { ModelRepositoryClient, RewardRuleName } from '@hessian/core/model-repository';
import { MIN_SUBMISSION_STAKE } from '@hessian/core/model-repository';
import { readCsvFile, fitEncoding, encodeTable, featureCount } from '@hessian/core/data';
import type { CsvTable, BadRowPolicy, FitEncodingOptions } from '@hessian/core/data';
import { HeContext, parameterSet, generateKeys, saveSecretKeyFile, loadPublicKey, encryptWeights, gradientPacking } from '@hessian/core/he';
import type { CkksParams, HeTask } from '@hessian/core/he';
import { evaluateMetric, metricToScore, predict } from '@hessian/core/ml';
import type { Metric } from '@hessian/core/ml';
import { closing } from '@hessian/core/journal';
import { silentLogger } from '@hessian/core/log';
import { lenderJournal, buildModelMetadata, buildWeightsDocument } from '@hessian/core/model';
import type { LenderModelRecord } from '@hessian/core/model';
import type { Logger } from '@hessian/core/log';

export interface OpenModelConfig {
  client: ModelRepositoryClient;
  store: ContentStore;
  /** the lender's state directory: journal and secret key files */
  stateDir: string;
  /** the lender's held-out data (CSV path or parsed table): fits the encoding, scores gradients */
  data: string | CsvTable;
  encoding: FitEncodingOptions;
  badRows?: BadRowPolicy;
  name?: string;
  task?: HeTask;
  metric?: Metric;
  /** a parameter set name (see he/context.ts) or explicit parameters */
  ckks?: string | CkksParams;
  learningRate?: number;
  minBatch?: number;
  maxGradientAbs?: number;
  /** wei */
  bounty: bigint;
  /** metric value to reach, e.g. 0.68 (AUC) */
  target: number;
  rule?: RewardRuleName;
  /** seconds from now until submissions close */
  duration?: number;
  /** seconds the evaluator has per gradient */
  evaluationWindow?: number;
  /** wei per submission (default and least: the contract's MIN_SUBMISSION_STAKE) */
  submissionStake?: bigint;
  /** defaults to the lender's own account */
  evaluator?: string;
  log?: Logger;
}

export interface OpenedModel {
  modelId: number;
  metadataCid: string;
  weightsCid: string;
  secretKeyFile: string;
  initialScore: number;
  targetScore: number;
  features: number;
  txHash: string;
}

export function defaultParameterSet(task: HeTask): string {
  return task === 'linear' ? 'linear-8192' : 'logistic-16384';
}

export async function openModel(cfg: OpenModelConfig): Promise<OpenedModel> {
  const log = cfg.log ?? silentLogger;
  const task = cfg.task ?? 'logistic';
  const metric = cfg.metric ?? 'auc';
  const badRows = cfg.badRows ?? 'error';
  const table = typeof cfg.data === 'string' ? await readCsvFile(cfg.data) : cfg.data;
  const spec = fitEncoding(table, cfg.encoding);
  const encoded = encodeTable(table, spec, { badRows });
  if (encoded.skipped.length) log.warn('held-out rows skipped', { count: encoded.skipped.length, first: encoded.skipped[0] });
  const d = featureCount(spec);
  const params = typeof cfg.ckks === 'object' ? cfg.ckks : parameterSet(cfg.ckks ?? defaultParameterSet(task));
  const initialWeights = new Float64Array(d);
  const initialValue = evaluateMetric(metric, encoded.y, predict(task, initialWeights, encoded.x));
  const initialScore = Number(metricToScore(metric, initialValue));
  const targetScore = Number(metricToScore(metric, cfg.target));
  if (targetScore <= initialScore) {
    throw new Error(`target ${metric} ${cfg.target} must be better than the initial model's ${initialValue.toFixed(4)} on the held-out data`);
  }

  await mkdir(path.join(cfg.stateDir, 'keys'), { recursive: true, mode: 0o700 });
  const he = await HeContext.create(params, task);
  const packing = gradientPacking(task, params, d);
  const keys = generateKeys(he, { relin: packing.needsRelin, galoisSteps: packing.galoisSteps });
  const pk = loadPublicKey(he, keys.publicKey);
  let secretKeyFile: string;
  let metadataCid: string;
  let weightsCid: string;
  try {
    secretKeyFile = path.resolve(cfg.stateDir, 'keys', `ckks-${randomBytes(8).toString('hex')}.secret.json`);
    // from here on no log line may carry the key, even by accident
    await saveSecretKeyFile(secretKeyFile, he, keys.secretKey, { log });
    log.info('keys generated', { features: d, polyModulusDegree: params.polyModulusDegree, rotations: packing.galoisSteps.length, secretKeyFile });

    const publicKey = await cfg.store.put(keys.publicKey);
    const relinKeys = keys.relinKeys ? await cfg.store.put(keys.relinKeys) : undefined;
    const galoisKeys = keys.galoisKeys ? await cfg.store.put(keys.galoisKeys) : undefined;
    const blobs = encryptWeights(he, initialWeights, { publicKey: pk, secretKey: keys.secretKey });
    const weightCids: string[] = [];
    for (const b of blobs) weightCids.push(await cfg.store.put(b));
    weightsCid = await cfg.store.putJson(buildWeightsDocument(0, weightCids));
    const metadata = buildModelMetadata({
      name: cfg.name ?? `${task} regression on ${path.basename(table.source)}`,
      task,
      metric,
      encoding: spec,
      ckks: params,
      keys: { publicKey, relinKeys: relinKeys ?? null, galoisKeys: galoisKeys ?? null },
      weightCids,
      learningRate: cfg.learningRate ?? 1,
      minBatch: cfg.minBatch ?? 256,
      maxGradientAbs: cfg.maxGradientAbs ?? 10,
      createdAt: new Date().toISOString(),
    });
    metadataCid = await cfg.store.putJson(metadata);
  } finally {
    pk.delete();
    keys.secretKey.delete();
    he.delete();
  }

  const journal = lenderJournal(cfg.stateDir);
  const lender = await cfg.client.address();
  const chainId = Number((await cfg.client.provider.getNetwork()).chainId);
  return closing(journal, async () => {
    journal.update((j) => {
      j.models[metadataCid] = {
        metadataCid,
        weightsCid,
        secretKeyFile,
        ...(typeof cfg.data === 'string' ? { dataPath: path.resolve(cfg.data) } : {}),
        badRows,
        lender,
        chainId,
        contract: cfg.client.config.address,
      };
    });
    const now = await cfg.client.chainTime();
    const created = await cfg.client.createModel({
      weightsCid,
      metadataCid,
      bounty: cfg.bounty,
      initialScore,
      targetScore,
      rule: cfg.rule ?? 'Improvement',
      submissionDeadline: now + (cfg.duration ?? 24 * 3600),
      evaluationWindow: cfg.evaluationWindow ?? 3600,
      submissionStake: cfg.submissionStake ?? MIN_SUBMISSION_STAKE,
      ...(cfg.evaluator ? { evaluator: cfg.evaluator } : {}),
    });
    journal.update((j) => {
      j.models[metadataCid]!.modelId = created.modelId;
      j.models[metadataCid]!.createTx = created.txHash;
    });
    log.info('model opened', { modelId: created.modelId, metadataCid, weightsCid, initialScore, targetScore, tx: created.txHash });
    return { modelId: created.modelId, metadataCid, weightsCid, secretKeyFile, initialScore, targetScore, features: d, txHash: created.txHash };
  });
}

/** closes a model (after its deadline, or once the target is reached with nothing pending) */
export async function closeModel(client: ModelRepositoryClient, modelId: number, log: Logger = silentLogger): Promise<{ txHash: string; refund: bigint }> {
  const res = await client.closeModel(modelId);
  const closed = res.events.find((e) => e.name === 'ModelClosed');
  const refund = closed && closed.name === 'ModelClosed' ? closed.refund : 0n;
  log.info('model closed', { modelId, refund, tx: res.txHash });
  return { txHash: res.txHash, refund };
}
