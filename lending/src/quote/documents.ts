import { z } from 'zod';
import { MAX_SCORE } from '@hessian/contracts';
import { featureCount, featureNames, validateEncodingSpec, type EncodingSpec } from '@hessian/core/data';
import { validateCkksParams, type CkksParams } from '@hessian/core/he';
import { isValidCid } from '@hessian/core/ipfs';
import { MetadataError, ckksParamsSchema, encodingSpecSchema } from '@hessian/core/model';
import { checkQueryLayout, TAG_LOGIT_BOUND } from './prediction.ts';
import { pricingRuleSchema } from './pricing.ts';
import { MAX_CONTEXT_LENGTH, type SealedBox } from './sealed.ts';

/**
 * The IPFS documents of model deployment (docs/model-deployment.md), validated field by field on
 * read like metadata.ts: unknown fields, bad CIDs, wrong kinds and inconsistent values are
 * refused with a MetadataError naming the field.
 */

export const MAX_SERVICE_DOC_BYTES = 1024 * 1024;
export const MAX_QUERY_DOC_BYTES = 16 * 1024;
export const MAX_RESULT_DOC_BYTES = 4 * 1024;
export const MAX_SEALED_BYTES = 16 * 1024;

const cid = z.string().refine(isValidCid, { message: 'not a valid CID (raw or dag-pb, sha2-256)' });
const finite = z.number().finite();
const id = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const b64u = (bytes?: number) => z.string().max(4096).regex(/^[A-Za-z0-9_-]*$/, 'not base64url').refine(
  (s) => Buffer.from(s, 'base64url').toString('base64url') === s && (bytes === undefined || Buffer.from(s, 'base64url').length === bytes),
  { message: bytes === undefined ? 'not canonical base64url' : `must be ${bytes} bytes, base64url` },
);

export const serviceDocumentSchema = z.object({
  version: z.literal(1),
  kind: z.literal('hessian/loan-service'),
  name: z.string().min(1).max(200),
  modelId: id,
  /** accepted updates in the deployed weights */
  modelVersion: id,
  metric: z.enum(['auc', 'accuracy', 'logLoss', 'r2']),
  /** the evaluator's best score, SCORE_SCALE fixed point */
  score: z.number().int().min(0).max(Number(MAX_SCORE)),
  task: z.enum(['logistic', 'linear']),
  encoding: encodingSpecSchema,
  featureNames: z.array(z.string()),
  query: z.object({
    ckks: ckksParamsSchema,
    blockSize: z.number().int().positive(),
    galoisSteps: z.array(z.number().int().positive()).max(16),
  }).strict(),
  /** logits the model produces on real rows (with a margin): disclosures outside are refused */
  logitRange: z.tuple([finite, finite]),
  pricing: pricingRuleSchema,
  /** X25519 public key disclosures are sealed to */
  disclosureKey: b64u(32),
  tagTolerance: finite.positive().max(1),
  createdAt: z.string().datetime(),
}).strict();

export type ServiceDocument = z.infer<typeof serviceDocumentSchema>;

export const queryDocumentSchema = z.object({
  version: z.literal(1),
  kind: z.literal('hessian/loan-query'),
  deploymentId: id,
  featureCount: z.number().int().positive().max(4096),
  ckks: ckksParamsSchema,
  publicKey: cid,
  galoisKeys: cid,
  ciphertext: cid,
}).strict();

export type QueryDocument = z.infer<typeof queryDocumentSchema>;

export const resultDocumentSchema = z.object({
  version: z.literal(1),
  kind: z.literal('hessian/loan-result'),
  quoteId: id,
  ciphertext: cid,
}).strict();

export type ResultDocument = z.infer<typeof resultDocumentSchema>;

export const disclosureSchema = z.object({
  version: z.literal(1),
  kind: z.literal('hessian/loan-disclosure'),
  quoteId: id,
  logit: finite,
  tag: finite,
}).strict();

export type Disclosure = z.infer<typeof disclosureSchema>;

export const sealedBoxSchema = z.object({
  version: z.literal(1),
  kind: z.literal('hessian/sealed'),
  recipient: b64u(32),
  context: z.string().min(1).max(MAX_CONTEXT_LENGTH),
  epk: b64u(32),
  nonce: b64u(12),
  ciphertext: b64u(),
}).strict();

/** Associated data of a disclosure: binds it to one quote. */
export function disclosureContext(quoteId: number): string {
  if (!Number.isSafeInteger(quoteId) || quoteId < 0) throw new RangeError(`quote id must be a non-negative integer, got ${quoteId}`);
  return `hessian/loan-disclosure/v1/quote/${quoteId}`;
}

function parseWith<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new MetadataError(what, r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return r.data;
}

/** Shape, then consistency: feature names and query layout derive from the encoding. */
export function parseServiceDocument(json: unknown): ServiceDocument {
  const d = parseWith(serviceDocumentSchema, json, 'service document');
  const fail = (path: string, message: string): never => { throw new MetadataError('service document', [{ path, message }]); };
  const spec = d.encoding as EncodingSpec;
  try {
    validateEncodingSpec(spec);
  } catch (e) {
    fail('encoding', (e as Error).message);
  }
  if (d.task === 'logistic' && d.encoding.label.kind !== 'binary') fail('encoding.label.kind', 'logistic regression needs a binary label');
  const names = featureNames(spec);
  if (d.featureNames.length !== names.length || d.featureNames.some((n, i) => n !== names[i])) fail('featureNames', `must be ${JSON.stringify(names)} (derived from encoding)`);
  try {
    validateCkksParams(d.query.ckks as CkksParams);
    checkQueryLayout({ featureCount: featureCount(spec), blockSize: d.query.blockSize, galoisSteps: d.query.galoisSteps }, d.query.ckks as CkksParams);
  } catch (e) {
    fail('query', (e as Error).message);
  }
  const [lo, hi] = d.logitRange;
  if (!(lo < hi)) fail('logitRange', `[${lo}, ${hi}] is empty`);
  if (lo < -TAG_LOGIT_BOUND || hi > TAG_LOGIT_BOUND) fail('logitRange', `must lie within [-${TAG_LOGIT_BOUND}, ${TAG_LOGIT_BOUND}], where the quote's tag cannot wrap`);
  return d;
}

export function parseQueryDocument(json: unknown): QueryDocument {
  const q = parseWith(queryDocumentSchema, json, 'query document');
  try {
    validateCkksParams(q.ckks as CkksParams);
  } catch (e) {
    throw new MetadataError('query document', [{ path: 'ckks', message: (e as Error).message }]);
  }
  return q;
}

export function parseResultDocument(json: unknown): ResultDocument {
  return parseWith(resultDocumentSchema, json, 'result document');
}

export function parseDisclosure(json: unknown): Disclosure {
  return parseWith(disclosureSchema, json, 'disclosure');
}

export function parseSealedBox(json: unknown): SealedBox {
  return parseWith(sealedBoxSchema, json, 'sealed box') as SealedBox;
}
