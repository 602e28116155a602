import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeContext, parameterSet } from '../src/he/context.ts';
import { generateKeys, loadGaloisKeys, loadPublicKey, loadRelinKeys } from '../src/he/keys.ts';
import { encryptWeights, loadWeights, decryptWeights } from '../src/he/weights.ts';
import { decryptGradient, encryptedGradient, gradientPacking } from '../src/he/gradient.ts';
import { gradient } from '../src/ml/models.ts';
import { maxAbsDiff, syntheticData } from '../test-kit/synthetic.ts';

// Tolerances: the N=8192 test set (scale 2^30) lands within ~3e-6 of float64; the production
// N=16384 set (scale 2^40) within ~1e-8. Asserted with 10x margin.
const TOL = { 'logistic-8192': 5e-5, 'logistic-16384': 1e-7, 'linear-8192': 1e-7 } as const;

for (const [task, set, n] of [
  ['logistic', 'logistic-8192', 5000],
  ['linear', 'linear-8192', 3000],
  ['logistic', 'logistic-16384', 9000],
] as const) {
  test(`encrypted ${task} gradient equals the plaintext one (${set}, ${n} rows)`, async () => {
    const he = await HeContext.create(parameterSet(set), task);
    const d = 21;
    const { x, y } = syntheticData(n, d, `${set}-data`);
    const w = Float64Array.from({ length: d }, (_, j) => Math.sin(j + 1) * 0.4);
    const p = gradientPacking(task, he.params, d);
    const keys = generateKeys(he, { relin: p.needsRelin, galoisSteps: p.galoisSteps });
    const pk = loadPublicKey(he, keys.publicKey);
    const blobs = encryptWeights(he, w, { publicKey: pk, secretKey: keys.secretKey });
    assert.ok(maxAbsDiff(decryptWeights(he, blobs, keys.secretKey), w) < 1e-6, 'weights round-trip');
    const wc = loadWeights(he, blobs, d);
    const rk = keys.relinKeys ? loadRelinKeys(he, keys.relinKeys) : undefined;
    const gk = keys.galoisKeys ? loadGaloisKeys(he, keys.galoisKeys, p.galoisSteps) : undefined;
    let progress = 0;
    const bytes = encryptedGradient(he, { task, weights: wc, x, y, relinKeys: rk, galoisKeys: gk, onProgress: () => progress++ });
    assert.equal(progress, task === "linear" ? 1 : Math.ceil(n / he.slotCount));
    const g = decryptGradient(he, bytes, keys.secretKey, task, d);
    const expected = gradient(task, w, x, y, 'poly');
    const err = maxAbsDiff(g, expected);
    assert.ok(err < TOL[set], `max abs error ${err} over tolerance ${TOL[set]}`);
    // and it is really the gradient: different from a gradient at other weights
    assert.ok(maxAbsDiff(g, gradient(task, new Float64Array(d), x, y, 'poly')) > 1e-3);
    for (const c of wc) c.delete();
    rk?.delete(); gk?.delete(); pk.delete(); keys.secretKey.delete(); he.delete();
  });
}
