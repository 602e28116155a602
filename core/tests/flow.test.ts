import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsvFile } from '../src/data/csv.ts';
import { encodeTable, featureCount, fitEncoding } from '../src/data/encoding.ts';
import { shards, take, trainTestSplit } from '../src/data/split.ts';
import { dataCommitment } from '../src/data/commitment.ts';
import { HeContext, parameterSet, type CkksParams } from '../src/he/context.ts';
import { generateKeys, loadGaloisKeys, loadPublicKey, loadRelinKeys, maxKeyBytes, saveSecretKeyFile, loadSecretKeyFile } from '../src/he/keys.ts';
import { encryptWeights, loadWeights } from '../src/he/weights.ts';
import { decryptGradient, encryptedGradient, gradientPacking, gradientRejection } from '../src/he/gradient.ts';
import { maxCiphertextBytes } from '../src/he/codec.ts';
import { privatizeBatch } from '../src/he/noise.ts';
import { KuboContentStore } from '../src/ipfs/kubo.ts';
import { startKuboStandin } from '../test-kit/kubo-standin.ts';
import {
  buildGradientDocument, buildModelMetadata, buildWeightsDocument, MAX_GRADIENT_DOC_BYTES, MAX_METADATA_BYTES,
  MAX_WEIGHTS_DOC_BYTES, validateGradientDocument, validateModelMetadata, validateWeightsDocument,
} from '../src/model/metadata.ts';
import { applyGradient, gradient, predict } from '../src/ml/models.ts';
import { auc } from '../src/ml/metrics.ts';

const LENDING_CLUB = fileURLToPath(new URL('../../trainer/data/lending_club_loan_data.csv', import.meta.url));

/**
 * The documents that connect lender, owners and evaluator, end to end through a Kubo RPC store
 * (no chain): each party only sees what it fetches, with the size limits and validation the
 * daemons use.
 */
test('lender publishes, an owner fetches and answers with a private gradient, the lender evaluates it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hessian-flow-'));
  const standin = await startKuboStandin({ path: join(dir, 'kubo') });
  const store = new KuboContentStore({ url: standin.url, timeoutMs: 30_000 });
  try {
    // ---- lender: fit on its own rows, keys, metadata, initial weights
    const table = await readCsvFile(LENDING_CLUB);
    const encoding = fitEncoding(table, { label: 'not.fully.paid' });
    const all = encodeTable(table, encoding);
    const { train, test: held } = trainTestSplit(all.x.length, { testFraction: 0.2, seed: 'flow', stratify: all.y });
    const heldOut = take(all.x, all.y, held);
    const ckks = parameterSet('logistic-8192');
    const d = featureCount(encoding);
    const lenderHe = await HeContext.create(ckks, 'logistic');
    const p = gradientPacking('logistic', ckks, d);
    const keys = generateKeys(lenderHe, { relin: true, galoisSteps: p.galoisSteps });
    const skPath = join(dir, 'lender.sk');
    await saveSecretKeyFile(skPath, lenderHe, keys.secretKey);
    keys.secretKey.delete();
    const sk = await loadSecretKeyFile(skPath, lenderHe);
    const lenderPk = loadPublicKey(lenderHe, keys.publicKey);
    let w: Float64Array = new Float64Array(d);
    const weightCids = await Promise.all(encryptWeights(lenderHe, w, { publicKey: lenderPk, secretKey: sk }).map((b) => store.put(b)));
    const metadata = buildModelMetadata({
      name: 'LendingClub default risk', task: 'logistic', metric: 'auc', encoding, ckks,
      keys: { publicKey: await store.put(keys.publicKey), relinKeys: await store.put(keys.relinKeys!), galoisKeys: await store.put(keys.galoisKeys!) },
      weightCids, learningRate: 1, minBatch: 500,
    });
    const metadataCid = await store.putJson(metadata);
    const weightsCid = await store.putJson(buildWeightsDocument(0, weightCids));

    // ---- owner: only the two CIDs from the chain
    const meta = validateModelMetadata(await store.getJson(metadataCid, { maxBytes: MAX_METADATA_BYTES }));
    const ownerHe = await HeContext.create(meta.ckks as CkksParams, meta.task);
    const wdoc = validateWeightsDocument(await store.getJson(weightsCid, { maxBytes: MAX_WEIGHTS_DOC_BYTES }), meta.featureNames.length);
    const blobs = await Promise.all(wdoc.cids.map((c) => store.get(c, { maxBytes: maxCiphertextBytes(ownerHe, 0) })));
    const weights = loadWeights(ownerHe, blobs, meta.featureNames.length);
    const rk = loadRelinKeys(ownerHe, await store.get(meta.keys.relinKeys!, { maxBytes: maxKeyBytes(ownerHe, 'relinKeys') }));
    const gk = loadGaloisKeys(ownerHe, await store.get(meta.keys.galoisKeys!, { maxBytes: maxKeyBytes(ownerHe, 'galoisKeys', meta.packing.galoisSteps.length) }), meta.packing.galoisSteps);
    const ownerRows = take(all.x, all.y, shards(train, 2, 'flow-owners')[0]);
    // the owner encodes its own CSV rows with the published spec (here: the same file's rows)
    const priv = privatizeBatch(ownerRows.x, { noiseMultiplier: 0.6, delta: 1e-5, clipNorm: 8 }, { intercept: meta.encoding.intercept });
    const ct = encryptedGradient(ownerHe, { task: meta.task, weights, x: priv.x, y: ownerRows.y, relinKeys: rk, galoisKeys: gk, noise: priv.noise });
    const gradientDoc = buildGradientDocument({ modelVersion: wdoc.modelVersion, weightsCid, rows: ownerRows.x.length, ciphertext: await store.put(ct), ciphertextBytes: ct.length, privacy: priv.report });
    const gradientCid = await store.putJson(gradientDoc);
    const commitment = dataCommitment(ownerRows.x, ownerRows.y, { chainId: 31337, modelId: 1, contributor: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' });
    assert.match(commitment, /^0x[0-9a-f]{64}$/);
    for (const c of weights) c.delete();
    rk.delete(); gk.delete(); ownerHe.delete();

    // ---- lender as evaluator: the gradient CID from the chain
    const gdoc = validateGradientDocument(await store.getJson(gradientCid, { maxBytes: MAX_GRADIENT_DOC_BYTES }), meta);
    assert.equal(gdoc.privacy?.epsilon, priv.report.epsilon);
    assert.equal(gdoc.privacy?.noiseMultiplier, 0.6);
    const g = decryptGradient(lenderHe, await store.get(gdoc.ciphertext, { maxBytes: maxCiphertextBytes(lenderHe, lenderHe.levels()) }), sk, meta.task, d);
    assert.equal(gradientRejection(g, meta.maxGradientAbs), undefined);
    const expected = gradient('logistic', w, priv.x, ownerRows.y, 'poly').map((v, j) => v + priv.noise[j]);
    assert.ok(Math.max(...g.map((v, j) => Math.abs(v - expected[j]))) < 1e-4);
    const before = 0.5;
    w = applyGradient(w, g, meta.learningRate);
    const after = auc(heldOut.y, predict('logistic', w, heldOut.x));
    assert.ok(after > before + 0.1, `held-out AUC ${after} should improve on ${before}`);
    lenderPk.delete(); sk.delete(); lenderHe.delete();
  } finally {
    await standin.close();
    await rm(dir, { recursive: true, force: true });
  }
});
