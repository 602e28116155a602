import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dpEpsilonFixed, epsilonForRho, gaussianRho, rdpEpsilon, worstRowRho } from '../../src/privacy/accountant.ts';
import { gaussianDelta, gaussianEpsilon } from '@hessian/core/he';
import { PrivacyLedger } from '../../src/privacy/ledger.ts';
import { openOwnerPrivacy, privacyLedgerFile, PrivacyBudgetError, dpEpsilonOf } from '../../src/privacy/owner-privacy.ts';
import { validateGradientDocument, buildGradientDocument } from '@hessian/core/model';
import { syntheticData } from '@hessian/core/test-kit';
import { cidOf } from './cid.ts';

const ACCOUNT = '0x00000000000000000000000000000000000000B2';
const tmp = () => mkdtempSync(path.join(tmpdir(), 'ledger-'));

test('RDP accounting: one release is the analytic Gaussian; k equal releases are one with noise / sqrt(k); the generic RDP bound is looser', () => {
  for (const z of [0.8, 2, 5]) {
    assert.ok(Math.abs(epsilonForRho(gaussianRho(z), 1e-6) / gaussianEpsilon(z, 1e-6) - 1) < 1e-9);
    for (const k of [2, 10, 100]) {
      const composed = epsilonForRho(k * gaussianRho(z), 1e-6);
      assert.ok(Math.abs(composed / gaussianEpsilon(z / Math.sqrt(k), 1e-6) - 1) < 1e-9);
      // the (epsilon, delta) it states is met: delta(epsilon) of the composed Gaussian equals delta
      assert.ok(Math.abs(gaussianDelta(z / Math.sqrt(k), composed, 1) / 1e-6 - 1) < 1e-6);
      assert.ok(composed <= rdpEpsilon(k * gaussianRho(z), 1e-6), 'tight conversion <= generic RDP conversion');
      // and it grows sublinearly: better than adding k epsilons
      assert.ok(composed < k * gaussianEpsilon(z, 1e-6));
    }
  }
  assert.equal(epsilonForRho(0, 1e-6), 0);
  assert.equal(dpEpsilonFixed(1.5), 1_500_000n);
  assert.equal(dpEpsilonFixed(2.2540000001), 2_254_001n, 'rounded up: never understated');
});

test('a row is in one batch per plan: batches of one plan count once, a batch released twice and other plans add up', () => {
  const rho = gaussianRho(2);
  assert.equal(worstRowRho([{ plan: 'a', batch: 0, rho }, { plan: 'a', batch: 1, rho }, { plan: 'a', batch: 2, rho }]), rho);
  assert.equal(worstRowRho([{ plan: 'a', batch: 0, rho }, { plan: 'a', batch: 0, rho }]), 2 * rho);
  assert.equal(worstRowRho([{ plan: 'a', batch: 0, rho }, { plan: 'b', batch: 0, rho }, { plan: 'b', batch: 1, rho }]), 2 * rho);
  assert.equal(worstRowRho([]), 0);
});

test('ledger: appended durably (0600), read back across a restart, a torn last line cut, a corrupt line refused', () => {
  const file = path.join(tmp(), 'l.jsonl');
  const l = PrivacyLedger.open(file);
  assert.equal(l.total(1e-6).epsilon, 0);
  const rec = { v: 1 as const, at: new Date().toISOString(), modelId: 1, plan: 'p1', batch: 0, commitment: '0x01', rows: 512, noiseMultiplier: 2, clip: 6, rho: gaussianRho(2), epsilon: gaussianEpsilon(2, 1e-6), delta: 1e-6 };
  l.append(rec);
  l.append({ ...rec, modelId: 2, plan: 'p2' });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const again = PrivacyLedger.open(file);
  assert.equal(again.records.length, 2);
  const t = again.total(1e-6);
  assert.equal(t.gradients, 2);
  assert.equal(t.models, 2);
  assert.ok(Math.abs(t.epsilon - gaussianEpsilon(2 / Math.SQRT2, 1e-6)) < 1e-9);
  // a crash in the middle of an append: that spend never returned, so its gradient never left
  appendFileSync(file, '{"v":1,"at":"x","mod');
  const torn = PrivacyLedger.open(file);
  assert.equal(torn.records.length, 2);
  torn.append({ ...rec, modelId: 3, plan: 'p3' });
  assert.equal(PrivacyLedger.open(file).records.length, 3, 'appends after the cut are readable');
  const lines = readFileSync(file, 'utf8').split('\n');
  lines[1] = '{"v":1,"bogus":true}';
  writeFileSync(file, lines.join('\n'));
  assert.throws(() => PrivacyLedger.open(file), /privacy ledger .* line 2 is invalid .*cannot be known/);
});

test('owner privacy: DP on by default, each release journaled before it is made, refused past the budget with the budget and the spend named', () => {
  const dir = tmp();
  const p = openOwnerPrivacy({ stateDir: dir, account: ACCOUNT, options: { epsilonBudget: 3 } });
  assert.equal(p.enabled, true);
  assert.equal(p.options.noiseMultiplier, 2);
  const { x, y } = syntheticData(1000, 6, 'owner-privacy');
  const plan = p.batchPlan(1, { x, y, skipped: [] } as never, 100);
  assert.equal(plan.batches.length, 10);
  const priv = p.privatize(Array.from(plan.batches[0]!, (i) => x[i]!), true)!;
  assert.ok(priv.report.epsilon > 0 && priv.report.noiseMultiplier === 2);
  p.charge({ modelId: 1, plan: plan.id, batch: 0, commitment: '0xaa', report: priv.report });
  const one = p.spent();
  assert.ok(Math.abs(one.epsilon - gaussianEpsilon(2, 1e-6)) < 1e-9);
  // the other batches of this model hold other rows: they cost nothing more
  p.charge({ modelId: 1, plan: plan.id, batch: 1, commitment: '0xab', report: priv.report });
  assert.equal(p.spent().epsilon, one.epsilon);
  // a second model does (2.25 -> 3.31 > 3)
  const plan2 = p.batchPlan(2, { x, y, skipped: [] } as never, 100);
  const { refusal } = p.check(2, plan2.id, 0);
  assert.match(refusal!, /privacy budget exceeded: a gradient on batch 0 of model 2 would bring this owner's spend to epsilon 3\.30\d \(delta 1e-6\), over its budget of epsilon 3; spent so far: epsilon 2\.25\d over 2 gradients on 1 models/);
  assert.throws(() => p.charge({ modelId: 2, plan: plan2.id, batch: 0, commitment: '0xba', report: priv.report }), PrivacyBudgetError);
  assert.equal(p.ledger.records.length, 2, 'a refused release leaves no trace');
  // a restart with the same budget still refuses: the spend survived
  const restarted = openOwnerPrivacy({ stateDir: dir, account: ACCOUNT, options: { epsilonBudget: 3 } });
  assert.ok(restarted.check(2, plan2.id, 0).refusal);
  assert.equal(restarted.spent().gradients, 2);
  assert.equal(PrivacyLedger.open(privacyLedgerFile(dir, ACCOUNT)).records[0]!.commitment, '0xaa');
  // the same rows re-planned for the same model under the restarted seed: the same plan id
  assert.equal(restarted.batchPlan(1, { x, y, skipped: [] } as never, 100).id, plan.id);
  assert.equal(dpEpsilonOf(priv.report), dpEpsilonFixed(priv.report.epsilon));
  assert.equal(dpEpsilonOf(null), undefined, 'no DP is not "epsilon 0"');
  const off = openOwnerPrivacy({ stateDir: tmp(), account: ACCOUNT, options: { noiseMultiplier: 0 } });
  assert.equal(off.enabled, false);
  assert.equal(off.privatize(x, true), undefined);
  assert.throws(() => openOwnerPrivacy({ stateDir: tmp(), account: ACCOUNT, options: { epsilonBudget: -1 } }), /epsilon budget must be > 0/);
});

test('gradient document: privacy fields published and checked against each other', async () => {
  const { x } = syntheticData(300, 5, 'doc');
  const p = openOwnerPrivacy({ stateDir: tmp(), account: ACCOUNT });
  const report = p.privatize(x, true)!.report;
  const doc = buildGradientDocument({ modelVersion: 0, weightsCid: await cidOf('w'), rows: 300, ciphertext: await cidOf('c'), ciphertextBytes: 10, privacy: report });
  assert.deepEqual(Object.keys(doc.privacy!).filter((k) => ['epsilon', 'delta', 'noiseMultiplier', 'clip'].includes(k)).sort(), ['clip', 'delta', 'epsilon', 'noiseMultiplier']);
  assert.throws(() => validateGradientDocument({ ...doc, privacy: { ...report, epsilon: report.epsilon / 2 } }), /privacy\.epsilon: .* is not the epsilon of noise multiplier 2/);
  assert.throws(() => validateGradientDocument({ ...doc, privacy: { ...report, sigma: report.sigma / 10 } }), /privacy\.sigma/);
  assert.throws(() => validateGradientDocument({ ...doc, privacy: { ...report, clip: 1 } }), /privacy\.sensitivity/);
});
