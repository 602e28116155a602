import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readCsvFile, encodeTable, fitEncoding, SeededRandom } from '@hessian/core/data';
import { HeContext, generateKeys, loadPublicKey, serializeCiphertext } from '@hessian/core/he';
import { dot, trainPlain } from '@hessian/core/ml';
import {
  DEFAULT_TAG_TOLERANCE, LOGIT_SLOT_SCALE, QUERY_PARAMETERS, QueryError, RESULT_NOISE_SIGMA, createBorrowerKeys, decryptResult, decryptResultSlots,
  encryptQuery, evaluateQuery, newTagKey, openQueryContext, queryLayout, verifyTag, TAG_A_RANGE, TAG_B_RANGE,
} from '../src/quote/prediction.ts';

const LENDING_CLUB = fileURLToPath(new URL('../../trainer/data/lending_club_loan_data.csv', import.meta.url));

async function lendingClub(): Promise<{ x: Float64Array[]; w: Float64Array }> {
  const table = await readCsvFile(LENDING_CLUB);
  const all = encodeTable(table, fitEncoding(table, { label: 'not.fully.paid' }));
  const w = trainPlain(all.x, all.y, { task: 'logistic', learningRate: 1, rounds: 30 });
  return { x: all.x, w };
}

test('query layout: next power of two, rotations 1..D/2, refuses what does not fit', () => {
  assert.deepEqual(queryLayout(21), { featureCount: 21, blockSize: 32, galoisSteps: [1, 2, 4, 8, 16] });
  assert.deepEqual(queryLayout(1), { featureCount: 1, blockSize: 2, galoisSteps: [1] });
  assert.deepEqual(queryLayout(2048).blockSize, 2048);
  assert.throws(() => queryLayout(2049), (e: Error) => e instanceof QueryError && /2049 features need 2 x 4096 slots/.test(e.message));
  assert.throws(() => queryLayout(0), /feature count must be a positive integer/);
  assert.throws(() => queryLayout(21, { polyModulusDegree: 8192, coeffModulusBits: [60, 40, 60], scaleBits: 40 }), /allow 1 rescales; a query needs 2/);
});

test('QUERY_PARAMETERS are accepted by SEAL at 128-bit security', async () => {
  const he = await HeContext.create(QUERY_PARAMETERS);
  try {
    assert.equal(he.levels(), 2);
    assert.equal(he.slotCount, 4096);
  } finally {
    he.delete();
  }
});

test('encrypted prediction equals plaintext w·x (random and LendingClub rows); tag verifies; other slots masked', async (t) => {
  const { x: lcRows, w: lcW } = await lendingClub();
  const d = lcW.length;
  const layout = queryLayout(d);
  const timing = { keygen: 0, encrypt: 0, evaluate: 0, decrypt: 0 };
  let start = performance.now();
  const keys = await createBorrowerKeys(layout);
  timing.keygen = performance.now() - start;

  const rng = new SeededRandom('loan-prediction');
  const randomW = Float64Array.from({ length: d }, () => (rng.next() - 0.5) * 2);
  const cases: { name: string; x: Float64Array; w: Float64Array }[] = [];
  for (let i = 0; i < 3; i++) {
    const x = Float64Array.from({ length: d }, () => (rng.next() - 0.5) * 6);
    cases.push({ name: `random ${i}`, x, w: randomW });
  }
  for (const i of [0, 17, 1234, 5000, lcRows.length - 1]) cases.push({ name: `LendingClub row ${i}`, x: lcRows[i], w: lcW });

  let maxErr = 0;
  let maxRawErr = 0;
  let maxTagErr = 0;
  let maxMasked = 0;
  let maxMaskedRaw = 0;
  let sizes = { query: 0, result: 0 };
  for (const c of cases) {
    start = performance.now();
    const ciphertext = await encryptQuery(layout, keys.publicKey, c.x);
    timing.encrypt = performance.now() - start;
    const input = { publicKey: keys.publicKey, galoisKeys: keys.galoisKeys, ciphertext };
    const tag = newTagKey();
    const z = dot(c.w, c.x);

    start = performance.now();
    const result = await evaluateQuery(layout, input, c.w, tag);
    timing.evaluate = performance.now() - start;
    start = performance.now();
    const claim = await decryptResult(layout, keys.secretKey, result);
    timing.decrypt = performance.now() - start;
    sizes = { query: ciphertext.length, result: result.length };

    maxErr = Math.max(maxErr, Math.abs(claim.logit - z));
    assert.ok(Math.abs(claim.logit - z) < 10 * RESULT_NOISE_SIGMA / LOGIT_SLOT_SCALE, `${c.name}: logit ${claim.logit} vs ${z}`);
    const tagErr = Math.abs(claim.tag - (tag.a * claim.logit + tag.b));
    maxTagErr = Math.max(maxTagErr, tagErr);
    assert.ok(verifyTag(tag, claim), `${c.name}: honest tag error ${tagErr}`);
    assert.equal(verifyTag(tag, { logit: claim.logit + 0.01, tag: claim.tag }), false, `${c.name}: altered logit`);
    assert.equal(verifyTag(tag, { logit: claim.logit - 1, tag: claim.tag }), false);
    assert.equal(verifyTag(tag, { logit: claim.logit, tag: claim.tag + 0.01 }), false, `${c.name}: altered tag`);
    // a borrower who shifts its logit and guesses a in the middle of its range is caught
    const mid = (TAG_A_RANGE[0] + TAG_A_RANGE[1]) / 2;
    assert.equal(verifyTag(tag, { logit: claim.logit - 0.5, tag: claim.tag - 0.5 * mid }), Math.abs((tag.a - mid) * 0.5) <= DEFAULT_TAG_TOLERANCE);

    const slots = await decryptResultSlots(layout, keys.secretKey, result);
    for (let s = 0; s < slots.length; s++) if (s !== 0 && s !== layout.blockSize) maxMasked = Math.max(maxMasked, Math.abs(slots[s]));

    // without the flooding noise: the raw CKKS precision, and the mask leaves exact zeros
    const raw = await evaluateQuery(layout, input, c.w, tag, QUERY_PARAMETERS, { noiseSigma: 0 });
    const rawClaim = await decryptResult(layout, keys.secretKey, raw);
    maxRawErr = Math.max(maxRawErr, Math.abs(rawClaim.logit - z));
    assert.ok(Math.abs(rawClaim.logit - z) < 1e-6, `${c.name}: raw logit error ${rawClaim.logit - z}`);
    const rawSlots = await decryptResultSlots(layout, keys.secretKey, raw);
    for (let s = 0; s < rawSlots.length; s++) if (s !== 0 && s !== layout.blockSize) maxMaskedRaw = Math.max(maxMaskedRaw, Math.abs(rawSlots[s]));
  }
  // partial sums K·w_j·x_j are O(100..10,000) here; masked slots hold only noise
  assert.ok(maxMasked < 10 * RESULT_NOISE_SIGMA, `masked slots up to ${maxMasked}`);
  assert.ok(maxMaskedRaw < 1e-5, `masked slots without noise up to ${maxMaskedRaw}`);
  assert.ok(maxTagErr < DEFAULT_TAG_TOLERANCE / 4, `tag error ${maxTagErr} too close to the tolerance`);
  const report = {
    features: d, blockSize: layout.blockSize, rows: cases.length,
    maxAbsLogitError: maxErr, maxAbsLogitErrorWithoutNoise: maxRawErr, maxAbsTagError: maxTagErr, maxMaskedSlot: maxMasked, maxMaskedSlotWithoutNoise: maxMaskedRaw,
    ms: Object.fromEntries(Object.entries(timing).map(([k, v]) => [k, Math.round(v)])),
    bytes: { publicKey: keys.publicKey.length, galoisKeys: keys.galoisKeys.length, ...sizes },
  };
  t.diagnostic(`loan prediction at N=8192: ${JSON.stringify(report)}`);
});

test('tag keys: drawn in range, distinct, and b never lets |a·z + b| near the last prime', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const k = newTagKey();
    assert.ok(k.a >= TAG_A_RANGE[0] && k.a < TAG_A_RANGE[1]);
    assert.ok(k.b >= TAG_B_RANGE[0] && k.b < TAG_B_RANGE[1]);
    assert.ok(Math.abs(k.a * 50) + Math.abs(k.b) < 2 ** 19 / 4);
    seen.add(k.a);
  }
  assert.equal(seen.size, 200);
  assert.equal(verifyTag({ a: 600, b: 1 }, { logit: Number.NaN, tag: 1 }), false);
});

test('bad input is refused with an error naming it', async () => {
  const layout = queryLayout(5);
  const keys = await createBorrowerKeys(layout);
  const w = [0.5, -1, 2, 0.25, 1];
  const x = [1, 0.2, -0.3, 1.5, -2];
  const ciphertext = await encryptQuery(layout, keys.publicKey, x);
  const good = { publicKey: keys.publicKey, galoisKeys: keys.galoisKeys, ciphertext };
  const tag = newTagKey();
  const rejects = (p: Promise<unknown>, re: RegExp) => assert.rejects(p, (e: Error) => {
    assert.ok(e instanceof QueryError, `not a QueryError: ${e}`);
    assert.match(e.message, re);
    return true;
  });

  // keys from other parameters: N=4096 and N=16384
  const small = await HeContext.create({ polyModulusDegree: 4096, coeffModulusBits: [40, 30, 39], scaleBits: 30 });
  const big = await HeContext.create({ polyModulusDegree: 16384, coeffModulusBits: [60, 40, 40, 60], scaleBits: 40 });
  try {
    const smallKeys = generateKeys(small, { relin: false, galoisSteps: layout.galoisSteps });
    const bigKeys = generateKeys(big, { relin: false });
    await rejects(evaluateQuery(layout, { ...good, publicKey: smallKeys.publicKey }, w, tag), /public key: wrong key size/);
    await rejects(evaluateQuery(layout, { ...good, publicKey: bigKeys.publicKey }, w, tag), /public key: wrong key size/);
    await rejects(encryptQuery(layout, bigKeys.publicKey, x), /public key: wrong key size/);
    await rejects(evaluateQuery(layout, { ...good, galoisKeys: smallKeys.galoisKeys! }, w, tag), /Galois keys: .*different CKKS parameters/);
    smallKeys.secretKey.delete();
    bigKeys.secretKey.delete();
  } finally {
    small.delete();
    big.delete();
  }

  // rotation keys without step 4 (a 5-feature layout needs 1, 2 and 4)
  const partial = await createBorrowerKeys(queryLayout(3));
  await rejects(evaluateQuery(layout, { ...good, galoisKeys: partial.galoisKeys }, w, tag), /Galois keys: .*missing the key for rotation step 4/);

  // ciphertexts: garbage, truncated, trailing bytes, oversized, at the wrong level
  await rejects(evaluateQuery(layout, { ...good, ciphertext: new Uint8Array(100).fill(7) }, w, tag), /^query ciphertext: not a SEAL object/);
  await rejects(evaluateQuery(layout, { ...good, ciphertext: ciphertext.subarray(0, ciphertext.length - 10) }, w, tag), /query ciphertext: truncated/);
  const longer = new Uint8Array(ciphertext.length + 3);
  longer.set(ciphertext);
  await rejects(evaluateQuery(layout, { ...good, ciphertext: longer }, w, tag), /query ciphertext: 3 trailing bytes/);
  await rejects(evaluateQuery(layout, { ...good, ciphertext: new Uint8Array(2 * 1024 * 1024) }, w, tag), /query ciphertext: .*exceeds the limit/);
  const result = await evaluateQuery(layout, good, w, tag);
  await rejects(evaluateQuery(layout, { ...good, ciphertext: result }, w, tag), /query ciphertext: at modulus level 2, expected 0/);
  await rejects(decryptResult(layout, keys.secretKey, ciphertext), /result ciphertext: .*exceeds the limit/);
  // a level-0 ciphertext at another scale would make the result's scale wrong
  const he = await openQueryContext();
  const pkObj = loadPublicKey(he, keys.publicKey);
  const enc = new he.seal.Encryptor(he.context, pkObj);
  const pt = new he.seal.Plaintext();
  const odd = new he.seal.Ciphertext();
  he.encoder.encode(Float64Array.from({ length: he.slotCount }, () => 0.5), 2 ** 45, pt);
  enc.encrypt(pt, odd);
  const oddBytes = serializeCiphertext(he, odd);
  for (const o of [odd, pt, enc, pkObj]) o.delete();
  await rejects(evaluateQuery(layout, { ...good, ciphertext: oddBytes }, w, tag), /^query ciphertext: scale 2\^45.0, expected 2\^40$/);

  // feature and weight counts, non-finite values
  await rejects(encryptQuery(layout, keys.publicKey, [1, 2, 3]), /expected 5 features, got 3/);
  await rejects(encryptQuery(layout, keys.publicKey, [1, 2, Number.NaN, 4, 5]), /feature 2 is not a finite number \(NaN\)/);
  await rejects(encryptQuery(layout, keys.publicKey, [1, 2, 3, Infinity, 5]), /feature 3 is not a finite number/);
  await rejects(evaluateQuery(layout, good, [1, 2, 3], tag), /model has 3 weights, the query layout 5 features/);
  await rejects(evaluateQuery(layout, good, [1, 2, 3, 4, Number.NaN], tag), /weight 4 is not finite/);
  await rejects(evaluateQuery({ ...layout, blockSize: 16 }, good, w, tag), /must have blockSize 8/);
  await rejects(evaluateQuery(layout, good, w, { a: 1e9, b: 0 }), /tag key a must be in/);
  keys.secretKey.delete();
  partial.secretKey.delete();
});
