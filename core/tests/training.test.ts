import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readCsvFile } from '../src/data/csv.ts';
import { encodeTable, fitEncoding } from '../src/data/encoding.ts';
import { shards, take, trainTestSplit } from '../src/data/split.ts';
import { HeContext, parameterSet } from '../src/he/context.ts';
import { generateKeys, loadGaloisKeys, loadPublicKey, loadRelinKeys } from '../src/he/keys.ts';
import { encryptWeights, loadWeights } from '../src/he/weights.ts';
import { decryptGradient, encryptedGradient, gradientPacking } from '../src/he/gradient.ts';
import { applyGradient, gradient, predict } from '../src/ml/models.ts';
import { auc } from '../src/ml/metrics.ts';
import { maxAbsDiff } from '../test-kit/synthetic.ts';

const LENDING_CLUB = fileURLToPath(new URL('../../trainer/data/lending_club_loan_data.csv', import.meta.url));

test('encrypted gradient descent on LendingClub (3 owners) tracks plaintext training; AUC within 0.01', async () => {
  const table = await readCsvFile(LENDING_CLUB);
  const all = encodeTable(table, fitEncoding(table, { label: 'not.fully.paid' }));
  const { train, test: testIdx } = trainTestSplit(all.x.length, { testFraction: 0.2, seed: 'lc', stratify: all.y });
  const testSet = take(all.x, all.y, testIdx);
  const owners = shards(train, 3, 'owners').map((idx) => take(all.x, all.y, idx));
  const d = all.x[0].length;

  const he = await HeContext.create(parameterSet('logistic-8192'), 'logistic');
  const p = gradientPacking('logistic', he.params, d);
  const keys = generateKeys(he, { relin: true, galoisSteps: p.galoisSteps });
  const pk = loadPublicKey(he, keys.publicKey);
  const rk = loadRelinKeys(he, keys.relinKeys!);
  const gk = loadGaloisKeys(he, keys.galoisKeys!, p.galoisSteps);

  const rounds = 8;
  const lr = 1;
  let wEnc: Float64Array = new Float64Array(d);
  let wPlain: Float64Array = new Float64Array(d);
  const aucs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // lender publishes encrypted weights; each owner returns an encrypted mean gradient over its
    // shard; the lender decrypts and combines them weighted by rows (= the full-batch mean)
    const wc = loadWeights(he, encryptWeights(he, wEnc, { publicKey: pk, secretKey: keys.secretKey }), d);
    const combined = new Float64Array(d);
    let rows = 0;
    for (const o of owners) {
      const g = decryptGradient(he, encryptedGradient(he, { task: 'logistic', weights: wc, x: o.x, y: o.y, relinKeys: rk, galoisKeys: gk }), keys.secretKey, 'logistic', d);
      for (let j = 0; j < d; j++) combined[j] += g[j] * o.x.length;
      rows += o.x.length;
    }
    for (const c of wc) c.delete();
    for (let j = 0; j < d; j++) combined[j] /= rows;
    // the same step in plaintext with the same polynomial sigmoid
    const trainX = owners.flatMap((o) => o.x);
    const trainY = Float64Array.from(owners.flatMap((o) => Array.from(o.y)));
    const gPlain = gradient('logistic', wPlain, trainX, trainY, 'poly');
    assert.ok(maxAbsDiff(combined, gPlain) < 1e-4, `round ${r}: gradient error ${maxAbsDiff(combined, gPlain)}`);
    wEnc = applyGradient(wEnc, combined, lr);
    wPlain = applyGradient(wPlain, gPlain, lr);
    aucs.push(auc(testSet.y, predict('logistic', wEnc, testSet.x)));
  }
  const aucPlain = auc(testSet.y, predict('logistic', wPlain, testSet.x));
  const aucEnc = aucs[aucs.length - 1];
  assert.ok(maxAbsDiff(wEnc, wPlain) < 1e-3, `weights drift ${maxAbsDiff(wEnc, wPlain)}`);
  assert.ok(Math.abs(aucEnc - aucPlain) < 0.01, `encrypted AUC ${aucEnc} vs plaintext ${aucPlain}`);
  assert.ok(aucEnc > 0.62, `AUC ${aucEnc} should be well above chance`);
  assert.ok(aucEnc > aucs[0], `AUC should rise: ${aucs.map((a) => a.toFixed(4)).join(', ')}`);
  // the polynomial sigmoid costs little against exact-sigmoid training on the same rounds
  let wExact: Float64Array = new Float64Array(d);
  const trainX = owners.flatMap((o) => o.x);
  const trainY = Float64Array.from(owners.flatMap((o) => Array.from(o.y)));
  for (let r = 0; r < rounds; r++) wExact = applyGradient(wExact, gradient('logistic', wExact, trainX, trainY, 'exact'), lr);
  const aucExact = auc(testSet.y, predict('logistic', wExact, testSet.x));
  assert.ok(Math.abs(aucEnc - aucExact) < 0.02, `encrypted ${aucEnc} vs exact-sigmoid ${aucExact}`);
  console.log(`LendingClub AUC per round: ${aucs.map((a) => a.toFixed(4)).join(' ')}; plaintext(poly) ${aucPlain.toFixed(4)}, exact sigmoid ${aucExact.toFixed(4)}`);
  rk.delete(); gk.delete(); pk.delete(); keys.secretKey.delete(); he.delete();
});
