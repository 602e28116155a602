// Reading a model's published material from the content store: every download bounded before
// it starts, every document validated (by metadata.ts) before use.
import type { ContentStore } from '../ipfs/store.ts';
import type { EncodingSpec } from '../data/encoding.ts';
import { featureCount } from '../data/encoding.ts';
import type { CkksParams } from '../he/context.ts';
import { HeContext } from '../he/context.ts';
import { maxCiphertextBytes } from '../he/codec.ts';
import { maxKeyBytes, type SecretKeyHandle } from '../he/keys.ts';
import { decryptWeights } from '../he/weights.ts';
import { MAX_METADATA_BYTES, MAX_WEIGHTS_DOC_BYTES, validateModelMetadata, validateWeightsDocument } from './metadata.ts';
import type { ModelMetadata, WeightsDocument } from './metadata.ts';

export async function fetchMetadata(store: ContentStore, cid: string): Promise<ModelMetadata> {
  return validateModelMetadata(await store.getJson(cid, { maxBytes: MAX_METADATA_BYTES }));
}

export async function fetchWeightsDocument(store: ContentStore, cid: string, expectedCount: number): Promise<WeightsDocument> {
  return validateWeightsDocument(await store.getJson(cid, { maxBytes: MAX_WEIGHTS_DOC_BYTES }), expectedCount);
}

/** the weight ciphertexts of a version, each bounded by the largest fresh ciphertext */
export async function fetchWeightBlobs(store: ContentStore, he: HeContext, doc: WeightsDocument): Promise<Uint8Array[]> {
  const max = maxCiphertextBytes(he, 0);
  return Promise.all(doc.cids.map((cid) => store.get(cid, { maxBytes: max })));
}

/** the plaintext weights of a published version (the lender's and its evaluator's view) */
export async function fetchDecryptedWeights(store: ContentStore, he: HeContext, sk: SecretKeyHandle, cid: string, expectedCount: number): Promise<Float64Array> {
  const doc = await fetchWeightsDocument(store, cid, expectedCount);
  return decryptWeights(he, await fetchWeightBlobs(store, he, doc), sk);
}

export interface PublicKeyBytes {
  publicKey: Uint8Array;
  relinKeys?: Uint8Array;
  galoisKeys?: Uint8Array;
}

export async function fetchPublicKeys(
  store: ContentStore,
  he: HeContext,
  meta: ModelMetadata,
  which: { relin: boolean; galois: boolean },
): Promise<PublicKeyBytes> {
  const out: PublicKeyBytes = { publicKey: await store.get(meta.keys.publicKey, { maxBytes: maxKeyBytes(he, 'publicKey') }) };
  if (which.relin && meta.keys.relinKeys) out.relinKeys = await store.get(meta.keys.relinKeys, { maxBytes: maxKeyBytes(he, 'relinKeys') });
  if (which.galois && meta.keys.galoisKeys) {
    const steps = Math.max(32, meta.packing.galoisSteps.length);
    out.galoisKeys = await store.get(meta.keys.galoisKeys, { maxBytes: maxKeyBytes(he, 'galoisKeys', steps) });
  }
  return out;
}

export function encodingOf(meta: ModelMetadata): EncodingSpec {
  return meta.encoding as EncodingSpec;
}

export function modelFeatureCount(meta: ModelMetadata): number {
  return featureCount(encodingOf(meta));
}

export function openHeContext(meta: ModelMetadata): Promise<HeContext> {
  return HeContext.create(meta.ckks as CkksParams, meta.task);
}
