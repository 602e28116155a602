import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeContext, parameterSet } from '../src/he/context.ts';
import { generateKeys, loadGaloisKeys, loadPublicKey, loadRelinKeys } from '../src/he/keys.ts';
import { decryptSlots, encryptWeights, loadWeights } from '../src/he/weights.ts';
import { deserializeCiphertext } from '../src/he/codec.ts';
import { decryptGradient, encryptedGradient, gradientPacking } from '../src/he/gradient.ts';
import {
  clipRows, erfc, gaussianDelta, gaussianEpsilon, gaussianNoise, gaussianSigma, privatizeBatch,
} from '../src/he/noise.ts';
import { SeededRandom } from '../src/data/split.ts';
import { gradient } from '../src/ml/models.ts';
import { maxAbsDiff, syntheticData } from '../test-kit/synthetic.ts';

const norm = (r: Float64Array, from = 0): number => Math.sqrt(r.subarray(from).reduce((s, v) => s + v * v, 0));

test('clipping bounds every row norm and leaves small rows alone', () => {
  const { x } = syntheticData(500, 8, 'clip');
  const { x: c, clipped } = clipRows(x, 2.5, { intercept: true });
  assert.ok(clipped > 0 && clipped < 500);
  for (const r of c) {
    assert.equal(r[0], 1, 'intercept kept');
    assert.ok(norm(r) <= 2.5 + 1e-12, `norm ${norm(r)}`);
  }
  const untouched = x.filter((r) => norm(r) <= 2.5);
  assert.equal(untouched.length, 500 - clipped);
  assert.ok(c.every((r, i) => norm(x[i]) > 2.5 || r === x[i]));
  assert.throws(() => clipRows(x, 1, { intercept: true }), /must exceed 1/);
  const plain = clipRows(x, 0.5);
  assert.ok(plain.x.every((r) => norm(r) <= 0.5 + 1e-12));
});

test('erfc matches reference values', () => {
  // values from Abramowitz & Stegun / high-precision tables
  assert.ok(Math.abs(erfc(1) - 0.157299207050285) < 1e-14);
  assert.ok(Math.abs(erfc(2) / 0.004677734981047266 - 1) < 1e-12);
  assert.ok(Math.abs(erfc(3) / 2.209049699858544e-5 - 1) < 1e-12);
  assert.ok(Math.abs(erfc(0.3) - 0.671373240540873) < 1e-14);
  assert.ok(Math.abs(erfc(-1) - 1.842700792949715) < 1e-14);
});

test('analytic Gaussian mechanism: sigma achieves the reported (epsilon, delta) and beats the classical bound', () => {
  for (const [eps, delta] of [[0.5, 1e-5], [1, 1e-5], [1, 1e-6], [4, 1e-5]]) {
    const sigma = gaussianSigma(eps, delta, 1);
    assert.ok(Math.abs(gaussianDelta(sigma, eps, 1) - delta) / delta < 1e-6, 'delta met with equality');
    assert.ok(gaussianDelta(sigma * 0.99, eps, 1) > delta, 'no smaller sigma would do');
    if (eps <= 1) assert.ok(sigma < Math.sqrt(2 * Math.log(1.25 / delta)) / eps, 'tighter than the classical sigma');
  }
  // sigma scales linearly with sensitivity
  assert.ok(Math.abs(gaussianSigma(1, 1e-5, 0.01) / gaussianSigma(1, 1e-5, 1) - 0.01) < 1e-9);
  // Balle & Wang (2018), Fig. 1: eps = 1, delta = 1e-5 needs sigma ~ 3.73 (classical 4.84)
  assert.ok(Math.abs(gaussianSigma(1, 1e-5, 1) - 3.73) < 0.01);
});

test('noise samples have the calibrated spread; privatizeBatch reports what it did', () => {
  const rng = new SeededRandom('noise');
  const s = gaussianNoise(20000, 2, () => rng.next() || 1e-12);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const sd = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / s.length);
  assert.ok(Math.abs(mean) < 0.06 && Math.abs(sd - 2) < 0.06, `mean ${mean} sd ${sd}`);
  const { x } = syntheticData(1000, 6, 'priv');
  const r = privatizeBatch(x, { noiseMultiplier: 2, delta: 1e-5, clipNorm: 3 }, { intercept: true });
  assert.equal(r.report.noiseMultiplier, 2);
  assert.equal(r.report.clip, 3);
  assert.equal(r.report.delta, 1e-5);
  assert.equal(r.report.rows, 1000);
  assert.ok(Math.abs(r.report.sensitivity - (2 * 1.05 * 3) / 1000) < 1e-15);
  assert.ok(Math.abs(r.report.sigma - 2 * r.report.sensitivity) < 1e-15);
  // the reported epsilon is the one the analytic Gaussian mechanism gives this sigma
  assert.ok(Math.abs(gaussianSigma(r.report.epsilon, 1e-5, r.report.sensitivity) / r.report.sigma - 1) < 1e-6);
  assert.equal(r.noise.length, 6);
  assert.ok(r.x.every((row) => norm(row) <= 3 + 1e-12));
  assert.throws(() => privatizeBatch(x, { noiseMultiplier: 0, delta: 1e-5, clipNorm: 3 }), /noise multiplier must be in \(0, 1000\]/);
  assert.throws(() => privatizeBatch(x, { noiseMultiplier: 1, delta: 1, clipNorm: 3 }), /delta must be in \(0, 1\)/);
});

test('gaussianEpsilon inverts gaussianSigma: more noise, less epsilon', () => {
  for (const z of [0.7, 1, 2, 5]) {
    const eps = gaussianEpsilon(z, 1e-6);
    assert.ok(Math.abs(gaussianSigma(eps, 1e-6, 1) / z - 1) < 1e-6, `z ${z}`);
  }
  assert.ok(gaussianEpsilon(4, 1e-6) < gaussianEpsilon(2, 1e-6));
});

test('noise added under encryption arrives exactly (the lender sees gradient + noise, replicas agree)', async () => {
  const he = await HeContext.create(parameterSet('logistic-8192'), 'logistic');
  const d = 6;
  const { x, y } = syntheticData(3000, d, 'enc-noise');
  const w = Float64Array.from({ length: d }, (_, j) => 0.1 * (j - 2));
  const p = gradientPacking('logistic', he.params, d);
  const keys = generateKeys(he, { relin: true, galoisSteps: p.galoisSteps });
  const pk = loadPublicKey(he, keys.publicKey);
  const wc = loadWeights(he, encryptWeights(he, w, { publicKey: pk, secretKey: keys.secretKey }));
  const rk = loadRelinKeys(he, keys.relinKeys!);
  const gk = loadGaloisKeys(he, keys.galoisKeys!, p.galoisSteps);
  const priv = privatizeBatch(x, { noiseMultiplier: 1, delta: 1e-5, clipNorm: 4 }, { intercept: true });
  const bytes = encryptedGradient(he, { task: 'logistic', weights: wc, x: priv.x, y, relinKeys: rk, galoisKeys: gk, noise: priv.noise });
  const g = decryptGradient(he, bytes, keys.secretKey, 'logistic', d);
  // every replica carries the same noise: averaging the replicas cannot wash it out
  const ct = deserializeCiphertext(he, bytes, { level: he.levels() });
  const slots = decryptSlots(he, ct, keys.secretKey);
  ct.delete();
  for (let s = 0; s < slots.length; s += 97) {
    const j = s % p.featureSlots;
    if (j < d) assert.ok(Math.abs(slots[s] - slots[j]) < 1e-4, `slot ${s} differs from slot ${j}`);
  }
  const plain = gradient('logistic', w, priv.x, y, 'poly');
  const expected = plain.map((v, j) => v + priv.noise[j]);
  assert.ok(maxAbsDiff(g, expected) < 5e-5, `error ${maxAbsDiff(g, expected)}`);
  assert.ok(maxAbsDiff(g, plain) > priv.report.sigma * 0.05, 'noise really added');
  for (const c of wc) c.delete();
  rk.delete(); gk.delete(); pk.delete(); keys.secretKey.delete(); he.delete();
});
