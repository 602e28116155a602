import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeContext, parameterSet, generateKeys, loadPublicKey, encryptWeights, decryptGradient, gradientPacking } from '@hessian/core/he';
import { GradientPool } from '../../src/he/pool.ts';
import { gradient } from '@hessian/core/ml';
import { maxAbsDiff, syntheticData } from '@hessian/core/test-kit';

test('worker pool: a batch split across workers adds up to the plaintext gradient; errors come back', async () => {
  const params = parameterSet('logistic-8192');
  const he = await HeContext.create(params, 'logistic');
  const d = 9;
  const { x, y } = syntheticData(3 * 4096 + 100, d, 'pool');
  const w = Float64Array.from({ length: d }, (_, j) => 0.2 * Math.cos(j));
  const p = gradientPacking('logistic', params, d);
  const keys = generateKeys(he, { relin: true, galoisSteps: p.galoisSteps });
  const pk = loadPublicKey(he, keys.publicKey);
  const weights = encryptWeights(he, w, { publicKey: pk, secretKey: keys.secretKey });
  const pool = new GradientPool(2);
  try {
    const seen: number[] = [];
    const noise = Float64Array.from({ length: d }, (_, j) => 0.01 * j);
    const bytes = await pool.gradient({ params, task: 'logistic', weights, relinKeys: keys.relinKeys, galoisKeys: keys.galoisKeys, x, y, noise, onProgress: (done) => seen.push(done) });
    const g = decryptGradient(he, bytes, keys.secretKey, 'logistic', d);
    const expected = gradient('logistic', w, x, y, 'poly').map((v, j) => v + noise[j]);
    assert.ok(maxAbsDiff(g, expected) < 5e-5, `error ${maxAbsDiff(g, expected)}`);
    assert.equal(seen.at(-1), x.length);
    // second call reuses the workers' cached keys and weights
    const again = decryptGradient(he, await pool.gradient({ params, task: 'logistic', weights, relinKeys: keys.relinKeys, galoisKeys: keys.galoisKeys, x: x.slice(0, 500), y: y.slice(0, 500) }), keys.secretKey, 'logistic', d);
    assert.ok(maxAbsDiff(again, gradient('logistic', w, x.slice(0, 500), y.slice(0, 500), 'poly')) < 5e-5);
    // a bad input is reported by the worker, and the pool keeps working
    const bad = [...weights];
    bad[2] = new Uint8Array(64);
    await assert.rejects(pool.gradient({ params, task: 'logistic', weights: bad, relinKeys: keys.relinKeys, galoisKeys: keys.galoisKeys, x: x.slice(0, 10), y: y.slice(0, 10) }), /weight ciphertext 2: not a SEAL object/);
    const ok = await pool.gradient({ params, task: 'logistic', weights, relinKeys: keys.relinKeys, galoisKeys: keys.galoisKeys, x: x.slice(0, 10), y: y.slice(0, 10) });
    // fresh-encryption noise at scale 2^30 only averages out over many rows: 10 rows land ~5e-5 off
    assert.ok(maxAbsDiff(decryptGradient(he, ok, keys.secretKey, 'logistic', d), gradient('logistic', w, x.slice(0, 10), y.slice(0, 10), 'poly')) < 5e-4);
  } finally {
    await pool.close();
    pk.delete(); keys.secretKey.delete(); he.delete();
  }
});
