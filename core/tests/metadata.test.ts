import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { parseCsv } from '../src/data/csv.ts';
import { fitEncoding } from '../src/data/encoding.ts';
import { parameterSet } from '../src/he/context.ts';
import {
  buildGradientDocument, buildModelMetadata, buildWeightsDocument, MetadataError, validateGradientDocument,
  validateModelMetadata, validateWeightsDocument, type ModelMetadata,
} from '../src/model/metadata.ts';

async function cidOf(s: string): Promise<string> {
  return CID.createV1(0x55, await sha256.digest(new TextEncoder().encode(s))).toString();
}

const table = parseCsv('age,city,label\n30,Paris,1\n40,Lyon,0\n50,Paris,0\n');
const encoding = fitEncoding(table, { label: 'label' });

async function validMetadata(): Promise<ModelMetadata> {
  return buildModelMetadata({
    name: 'credit model',
    task: 'logistic',
    metric: 'auc',
    encoding,
    ckks: parameterSet('logistic-8192'),
    keys: { publicKey: await cidOf('pk'), relinKeys: await cidOf('rk'), galoisKeys: await cidOf('gk') },
    weightCids: await Promise.all(['w0', 'w1', 'w2', 'w3'].map(cidOf)),
    learningRate: 0.5,
    minBatch: 100,
    createdAt: '2026-11-21T06:00:00Z',
  });
}

function expectField(fn: () => unknown, path: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    if (!(e instanceof MetadataError)) return false;
    const hit = e.issues.find((i) => i.path === path);
    return hit !== undefined && (message === undefined || message.test(hit.message)) && e.message.includes(path);
  }, `expected an error naming ${path}`);
}

test('a built metadata document validates and survives a JSON round trip', async () => {
  const m = await validMetadata();
  assert.deepEqual(m.featureNames, ['(intercept)', 'age', 'city=Lyon', 'city=Paris']);
  assert.equal(m.packing.featureSlots, 4);
  assert.deepEqual(validateModelMetadata(JSON.parse(JSON.stringify(m))), m);
});

test('bad metadata fields are named', async () => {
  const m = await validMetadata();
  const bad = (patch: (d: Record<string, any>) => void) => { const d = structuredClone(m) as Record<string, any>; patch(d); return () => validateModelMetadata(d); };
  expectField(bad((d) => { d.version = 2; }), 'version');
  expectField(bad((d) => { d.task = 'forest'; }), 'task');
  expectField(bad((d) => { d.learningRate = -1; }), 'learningRate');
  expectField(bad((d) => { d.minBatch = 2.5; }), 'minBatch');
  expectField(bad((d) => { d.keys.publicKey = 'Qm-not-a-cid'; }), 'keys.publicKey', /not a valid CID/);
  expectField(bad((d) => { d.weights.cids.pop(); }), 'weights.cids', /3 ciphertexts for 4 features/);
  expectField(bad((d) => { d.encoding.features[0].std = 0; }), 'encoding.features.0.std');
  expectField(bad((d) => { d.ckks.coeffModulusBits = [60, 40, 60]; }), 'ckks', /allow 1 rescales but logistic regression needs 4/);
  expectField(bad((d) => { d.packing.galoisSteps = [1]; }), 'packing');
  expectField(bad((d) => { d.featureNames[1] = 'AGE'; }), 'featureNames');
  expectField(bad((d) => { d.keys.relinKeys = null; }), 'keys', /needs relinKeys/);
  expectField(bad((d) => { d.extra = 'field'; }), '', /extra/);
  expectField(() => validateModelMetadata('not an object'), '');
});

test('weights and gradient documents: valid ones pass, bad fields and small batches are named', async () => {
  const cids = await Promise.all(['a', 'b'].map(cidOf));
  const w = buildWeightsDocument(0, cids);
  assert.deepEqual(validateWeightsDocument(JSON.parse(JSON.stringify(w)), 2), w);
  expectField(() => validateWeightsDocument(w, 3), 'cids', /2 ciphertexts, the model has 3/);
  expectField(() => validateWeightsDocument({ ...w, modelVersion: -1 }), 'modelVersion');
  const m = await validMetadata();
  const g = buildGradientDocument({ modelVersion: 0, weightsCid: await cidOf('w'), rows: 150, ciphertext: await cidOf('ct'), ciphertextBytes: 1234, privacy: null });
  assert.deepEqual(validateGradientDocument(g, m), g);
  expectField(() => validateGradientDocument({ ...g, rows: 99 }, m), 'rows', /below the model's minimum of 100/);
  expectField(() => validateGradientDocument({ ...g, ciphertext: 'zzz' }), 'ciphertext');
  expectField(() => validateGradientDocument({
    ...g, privacy: { mechanism: 'gaussian', epsilon: 1, delta: 1e-5, noiseMultiplier: 2, clip: 3, sigma: 0.1, sensitivity: 0.01, residualBound: 1.05, rows: 10, rowsClipped: 0 },
  }), 'privacy.rows');
});
