import { z } from 'zod';
import { HessianError } from '@hessian/common/errors';
import { featureCount, featureNames, validateEncodingSpec, type EncodingSpec } from '../data/encoding.ts';
import { validateCkksParams, type CkksParams } from '../he/context.ts';
import { gradientPacking } from '../he/gradient.ts';
import { gaussianEpsilon, meanGradientSensitivity } from '../he/noise.ts';
import { isValidCid } from '../ipfs/store.ts';

/**
 * Documents exchanged through IPFS between lender, evaluator and owners. All are JSON, versioned,
 * and validated field by field on read: nothing fetched is trusted or executed.
 *  - ModelMetadata (the model's `metadataCid`): what to train and how to encode rows.
 *  - WeightsDocument (`weightsCid` / `newWeightsCid`): the CIDs of one weight ciphertext per feature.
 *  - GradientDocument (`gradientCid`): an owner's encrypted gradient and how it was made.
 */

/** size limits for fetching the JSON documents */
export const MAX_METADATA_BYTES = 1024 * 1024;
export const MAX_WEIGHTS_DOC_BYTES = 256 * 1024;
export const MAX_GRADIENT_DOC_BYTES = 64 * 1024;

/** a document (metadata, weights, gradient, a pricing rule) that is malformed: wrong input, refused */
export class MetadataError extends HessianError {
  override name = 'MetadataError';
  readonly issues: { path: string; message: string }[];
  constructor(what: string, issues: { path: string; message: string }[]) {
    super(`invalid ${what}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, { kind: 'user' });
    this.issues = issues;
  }
}

const cid = z.string().refine(isValidCid, { message: 'not a valid CID (raw or dag-pb, sha2-256)' });
const finite = z.number().finite();
const nonEmpty = z.string().min(1).max(256);

const labelSchema = z.discriminatedUnion('kind', [
  z.object({ column: nonEmpty, kind: z.literal('binary'), positive: z.string().max(256), negative: z.string().max(256) }).strict(),
  z.object({ column: nonEmpty, kind: z.literal('numeric') }).strict(),
]);

const featureSchema = z.discriminatedUnion('kind', [
  z.object({ column: nonEmpty, kind: z.literal('numeric'), mean: finite, std: finite.positive() }).strict(),
  z.object({ column: nonEmpty, kind: z.literal('categorical'), categories: z.array(z.string().max(256)).min(1).max(1024) }).strict(),
]);

export const encodingSpecSchema = z.object({
  label: labelSchema,
  features: z.array(featureSchema).min(1).max(1024),
  intercept: z.boolean(),
}).strict();

export const ckksParamsSchema = z.object({
  polyModulusDegree: z.number().int(),
  coeffModulusBits: z.array(z.number().int()).min(3).max(16),
  scaleBits: z.number().int(),
}).strict();

/** what a gradient's differential privacy spent: the fields he/noise.ts PrivacyReport has */
const privacyReportSchema = z.object({
  mechanism: z.literal('gaussian'),
  /** what this gradient spends on its own, at delta (the contract's dpEpsilon / 1e6) */
  epsilon: finite.nonnegative(),
  delta: finite.positive().lt(1),
  /** noise standard deviation / sensitivity */
  noiseMultiplier: finite.positive(),
  /** the L2 bound rows were clipped to */
  clip: finite.positive(),
  sigma: finite.positive(),
  sensitivity: finite.positive(),
  residualBound: finite.positive(),
  rows: z.number().int().positive(),
  rowsClipped: z.number().int().nonnegative(),
}).strict();

export const modelMetadataSchema = z.object({
  version: z.literal(1),
  kind: z.literal('hessian/model-metadata'),
  name: z.string().min(1).max(200),
  description: z.string().max(10_000).optional(),
  task: z.enum(['logistic', 'linear']),
  metric: z.enum(['auc', 'accuracy', 'logLoss', 'r2']),
  encoding: encodingSpecSchema,
  /** derived from encoding; stored so humans and dashboards can read the weight order */
  featureNames: z.array(z.string()),
  ckks: ckksParamsSchema,
  /** derived from task, ckks and feature count (see he/gradient.ts gradientPacking) */
  packing: z.object({
    featureSlots: z.number().int().positive(),
    babySteps: z.number().int().positive(),
    giantSteps: z.number().int().positive(),
    galoisSteps: z.array(z.number().int()),
  }).strict(),
  keys: z.object({
    publicKey: cid,
    /** null for linear regression (no ciphertext products) */
    relinKeys: cid.nullable(),
    /** null for linear regression (no rotations) */
    galoisKeys: cid.nullable(),
  }).strict(),
  /** the initial encrypted weights, one ciphertext per feature */
  weights: z.object({ cids: z.array(cid).min(1) }).strict(),
  learningRate: finite.positive().max(100),
  /** smallest batch an owner may submit a gradient for (a small batch's gradient leaks its rows) */
  minBatch: z.number().int().positive(),
  /** the evaluator rejects gradients with a component beyond this (see gradientRejection) */
  maxGradientAbs: finite.positive(),
  createdAt: z.string().datetime().optional(),
}).strict();

export type ModelMetadata = z.infer<typeof modelMetadataSchema>;

export const weightsDocumentSchema = z.object({
  version: z.literal(1),
  kind: z.literal('hessian/weights'),
  /** number of accepted updates these weights include (0 = initial) */
  modelVersion: z.number().int().nonnegative(),
  cids: z.array(cid).min(1).max(4096),
}).strict();

export type WeightsDocument = z.infer<typeof weightsDocumentSchema>;

export const gradientDocumentSchema = z.object({
  version: z.literal(1),
  kind: z.literal('hessian/gradient'),
  /** model version (accepted updates) of the weights the gradient was computed on */
  modelVersion: z.number().int().nonnegative(),
  /** the weights document the gradient was computed on */
  weightsCid: cid,
  /** rows in the batch (the gradient is their mean) */
  rows: z.number().int().positive(),
  /** the serialized gradient ciphertext */
  ciphertext: cid,
  ciphertextBytes: z.number().int().positive(),
  privacy: privacyReportSchema.nullable(),
}).strict();

export type GradientDocument = z.infer<typeof gradientDocumentSchema>;

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new MetadataError(what, r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  return r.data;
}

/** Validates a metadata document (shape, then cross-field consistency), naming the bad field. */
export function validateModelMetadata(value: unknown): ModelMetadata {
  const m = parseWith(modelMetadataSchema, value, 'model metadata');
  const fail = (path: string, message: string): never => { throw new MetadataError('model metadata', [{ path, message }]); };
  try {
    validateEncodingSpec(m.encoding as EncodingSpec);
  } catch (e) {
    fail('encoding', (e as Error).message);
  }
  if (m.task === 'logistic' && m.encoding.label.kind !== 'binary') fail('encoding.label.kind', 'logistic regression needs a binary label');
  if (m.encoding.label.kind === 'numeric' && m.metric !== 'r2') fail('metric', `${m.metric} needs a binary label; use r2 for a numeric one`);
  const names = featureNames(m.encoding as EncodingSpec);
  if (m.featureNames.length !== names.length || m.featureNames.some((n, i) => n !== names[i])) fail('featureNames', `must be ${JSON.stringify(names)} (derived from encoding)`);
  try {
    validateCkksParams(m.ckks as CkksParams, m.task);
  } catch (e) {
    fail('ckks', (e as Error).message);
  }
  const d = featureCount(m.encoding as EncodingSpec);
  const p = gradientPacking(m.task, m.ckks as CkksParams, d);
  if (m.packing.featureSlots !== p.featureSlots || m.packing.babySteps !== p.babySteps || m.packing.giantSteps !== p.giantSteps ||
    m.packing.galoisSteps.length !== p.galoisSteps.length || m.packing.galoisSteps.some((s, i) => s !== p.galoisSteps[i])) {
    fail('packing', `does not match the packing for ${m.task} with ${d} features at N=${m.ckks.polyModulusDegree}`);
  }
  if (m.task === 'logistic' && (m.keys.relinKeys === null || m.keys.galoisKeys === null)) fail('keys', 'logistic regression needs relinKeys and galoisKeys');
  if (m.weights.cids.length !== d) fail('weights.cids', `has ${m.weights.cids.length} ciphertexts for ${d} features`);
  return m;
}

export interface BuildMetadataInput {
  name: string;
  description?: string;
  task: 'logistic' | 'linear';
  metric: 'auc' | 'accuracy' | 'logLoss' | 'r2';
  encoding: EncodingSpec;
  ckks: CkksParams;
  keys: { publicKey: string; relinKeys: string | null; galoisKeys: string | null };
  weightCids: string[];
  learningRate: number;
  minBatch: number;
  maxGradientAbs?: number;
  createdAt?: string;
}

/** Builds (and validates) a metadata document, deriving featureNames and packing. */
export function buildModelMetadata(input: BuildMetadataInput): ModelMetadata {
  const d = featureCount(input.encoding);
  const p = gradientPacking(input.task, input.ckks, d);
  const doc = {
    version: 1,
    kind: 'hessian/model-metadata',
    name: input.name,
    ...(input.description === undefined ? {} : { description: input.description }),
    task: input.task,
    metric: input.metric,
    encoding: input.encoding,
    featureNames: featureNames(input.encoding),
    ckks: { polyModulusDegree: input.ckks.polyModulusDegree, coeffModulusBits: [...input.ckks.coeffModulusBits], scaleBits: input.ckks.scaleBits },
    packing: { featureSlots: p.featureSlots, babySteps: p.babySteps, giantSteps: p.giantSteps, galoisSteps: p.galoisSteps },
    keys: input.keys,
    weights: { cids: input.weightCids },
    learningRate: input.learningRate,
    minBatch: input.minBatch,
    maxGradientAbs: input.maxGradientAbs ?? 10,
    ...(input.createdAt === undefined ? {} : { createdAt: input.createdAt }),
  };
  return validateModelMetadata(doc);
}

export function validateWeightsDocument(value: unknown, expectedCount?: number): WeightsDocument {
  const w = parseWith(weightsDocumentSchema, value, 'weights document');
  if (expectedCount !== undefined && w.cids.length !== expectedCount) {
    throw new MetadataError('weights document', [{ path: 'cids', message: `has ${w.cids.length} ciphertexts, the model has ${expectedCount} features` }]);
  }
  return w;
}

export function buildWeightsDocument(modelVersion: number, cids: string[]): WeightsDocument {
  return validateWeightsDocument({ version: 1, kind: 'hessian/weights', modelVersion, cids });
}

/** Validates a gradient document; with metadata, also checks it against the model's rules. */
export function validateGradientDocument(value: unknown, metadata?: ModelMetadata): GradientDocument {
  const g = parseWith(gradientDocumentSchema, value, 'gradient document');
  if (metadata && g.rows < metadata.minBatch) {
    throw new MetadataError('gradient document', [{ path: 'rows', message: `batch of ${g.rows} rows is below the model's minimum of ${metadata.minBatch}` }]);
  }
  const p = g.privacy;
  if (p) {
    const fail = (path: string, message: string): never => { throw new MetadataError('gradient document', [{ path: `privacy.${path}`, message }]); };
    if (p.rows !== g.rows) fail('rows', `${p.rows} differs from rows ${g.rows}`);
    // the claims must agree with each other: a document cannot state less epsilon than its noise gives
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b));
    const sensitivity = meanGradientSensitivity(p.rows, p.clip, p.residualBound);
    if (!close(p.sensitivity, sensitivity)) fail('sensitivity', `${p.sensitivity} is not 2 * residualBound * clip / rows = ${sensitivity}`);
    if (!close(p.sigma, p.noiseMultiplier * p.sensitivity)) fail('sigma', `${p.sigma} is not noiseMultiplier * sensitivity = ${p.noiseMultiplier * p.sensitivity}`);
    const epsilon = gaussianEpsilon(p.noiseMultiplier, p.delta);
    if (!close(p.epsilon, epsilon)) fail('epsilon', `${p.epsilon} is not the epsilon of noise multiplier ${p.noiseMultiplier} at delta ${p.delta} (${epsilon})`);
  }
  return g;
}

export function buildGradientDocument(input: Omit<GradientDocument, 'version' | 'kind'>): GradientDocument {
  return validateGradientDocument({ version: 1, kind: 'hessian/gradient', ...input });
}
