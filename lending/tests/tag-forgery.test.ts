import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deserializeCiphertext, decryptSlots, generateKeys } from '@hessian/core/he';
import { SeededRandom } from '@hessian/core/data';
import { dot } from '@hessian/core/ml';
import { decryptComplexResult, encryptComplexQuery, timesI } from '../src/quote/complex-slots.ts';
import {
  LOGIT_SLOT_SCALE, QueryError, TAG_LOGIT_BOUND, createBorrowerKeys, encryptQuery, evaluateQuery, newTagKey, openQueryContext, queryLayout, verifyTag,
} from '../src/quote/prediction.ts';

// A cheating borrower (security review H2): it holds the secret key, so it can send complex slot
// values (loan/complex-slots.ts) in an otherwise well-formed query.

test('complex-slot helpers: X^(N/2) multiplies every slot by i (checked on a known vector)', async () => {
  const he = await openQueryContext();
  const layout = queryLayout(5);
  const keys = await createBorrowerKeys(layout);
  const x = [1, -2, 0.5, 3, -0.25];
  const ct = deserializeCiphertext(he, await encryptQuery(layout, keys.publicKey, x), { level: 0 });
  const once = timesI(he, ct);
  const twice = timesI(he, once);
  try {
    const re1 = decryptSlots(he, once, keys.secretKey);
    const re2 = decryptSlots(he, twice, keys.secretKey);
    // Re(i·x) = 0 for real x, and i·i·x = -x: a wrong NTT multiplier would give garbage
    for (let j = 0; j < 5; j++) {
      assert.ok(Math.abs(re1[j]) < 1e-5, `Re(i·x)[${j}] = ${re1[j]}`);
      assert.ok(Math.abs(re2[j] + x[j]) < 1e-5, `i·i·x[${j}] = ${re2[j]}, expected ${-x[j]}`);
    }
  } finally {
    for (const o of [ct, once, twice]) o.delete();
    keys.secretKey.delete();
  }
});

/**
 * The attack: one quote with x + i·x. If the service's mask, noise and b act on real parts
 * only, Im(slot 0) = K·z and Im(slot D) = a·z exactly, so a = K·Im(D)/Im(0) and
 * b = Re(D) - a·Re(0)/K: a valid tag for any logit the borrower likes.
 */
test('attack: a borrower encrypting complex slots learns the tag key and forges a tag for another logit (none accepted over 40 quotes)', async (t) => {
  const d = 20;
  const layout = queryLayout(d);
  const keys = await createBorrowerKeys(layout);
  const rng = new SeededRandom('tag-forgery');
  const w = Float64Array.from({ length: d }, () => (rng.next() - 0.5) * 0.6);
  const quotes = 40;
  let accepted = 0;
  let closest = Infinity;
  let maxImag = 0;
  let maxLogitError = 0;
  try {
    for (let q = 0; q < quotes; q++) {
      const x = Float64Array.from({ length: d }, () => (rng.next() - 0.5) * 4);
      const z = dot(w, x);
      const ciphertext = await encryptComplexQuery(layout, keys.publicKey, x, x);
      const tag = newTagKey();
      const result = await evaluateQuery(layout, { publicKey: keys.publicKey, galoisKeys: keys.galoisKeys, ciphertext }, w, tag);
      const { re, im } = await decryptComplexResult(layout, keys.secretKey, result);
      const D = layout.blockSize;
      for (const v of im) maxImag = Math.max(maxImag, Math.abs(v));
      // what the service answers is the prediction for Re(x), the borrower's real query
      maxLogitError = Math.max(maxLogitError, Math.abs(re[0] / LOGIT_SLOT_SCALE - z));
      const a = (LOGIT_SLOT_SCALE * im[D]) / im[0];
      const b = re[D] - (a * re[0]) / LOGIT_SLOT_SCALE;
      // the best logit for the borrower: far below its own, still inside the service's range
      const forged = Math.max(-TAG_LOGIT_BOUND + 1, z - 5);
      const claim = { logit: forged, tag: a * forged + b };
      closest = Math.min(closest, Math.abs(claim.tag - (tag.a * forged + tag.b)));
      if (verifyTag(tag, claim)) accepted++;
    }
  } finally {
    keys.secretKey.delete();
  }
  t.diagnostic(`tag forgery through complex slots: ${accepted}/${quotes} forged tags accepted; closest forged tag off by ${closest.toExponential(2)}; `
    + `largest imaginary part of any result slot ${maxImag.toExponential(2)}; logit error vs w·Re(x) ${maxLogitError.toExponential(2)}`);
  assert.equal(accepted, 0, `${accepted} of ${quotes} forged tags verified (closest off by ${closest})`);
  // K·z and a·z are O(10^2..10^4): the imaginary parts must be key-switching error only
  assert.ok(maxImag < 1e-3, `imaginary parts up to ${maxImag}`);
  assert.ok(maxLogitError < 1e-3, `logit error ${maxLogitError}`);
});

test('a query whose Galois keys lack the conjugation key is refused before any work', async () => {
  const he = await openQueryContext();
  const layout = queryLayout(5);
  const keys = await createBorrowerKeys(layout);
  const old = generateKeys(he, { relin: false, galoisSteps: layout.galoisSteps });
  try {
    const ciphertext = await encryptQuery(layout, keys.publicKey, [1, 2, 3, 4, 5]);
    await assert.rejects(evaluateQuery(layout, { publicKey: keys.publicKey, galoisKeys: old.galoisKeys!, ciphertext }, [1, 1, 1, 1, 1], newTagKey()),
      (e: Error) => e instanceof QueryError && /^Galois keys: missing the complex-conjugation key \(Galois element 16383, SEAL step 0\)/.test(e.message));
  } finally {
    keys.secretKey.delete();
    old.secretKey.delete();
  }
});
