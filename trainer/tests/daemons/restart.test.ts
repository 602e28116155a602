// Restart safety with real crashes injected at the worst moments: an owner killed at each point of
// a commit-reveal submission (commit mined but not journaled, commit journaled but not revealed,
// reveal mined but not journaled, seal journaled but not committed), one whose journal is lost,
// and one that comes back after its reveal window; an evaluator killed after journaling a
// decision but before sending it, and after sending it but before journaling that. No batch is
// committed twice, no commit is revealed twice, nothing is evaluated twice and nothing is skipped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { OpenedModel } from '../../src/roles/lender.ts';
import { modelKey, startEvaluator } from '../../src/roles/evaluator.ts';
import type { EvaluatorConfig, EvaluatorEvents, EvaluatorHandle } from '../../src/roles/evaluator.ts';
import { startOwner } from '../../src/roles/owner.ts';
import type { OwnerConfig, OwnerHandle } from '../../src/roles/owner.ts';
import type { GradientCommitted, GradientEvaluated, GradientRevealed, ModelRepositoryClient } from '@hessian/core/model-repository';
import { REVEAL_WINDOW } from '@hessian/core/model-repository';
import { validateGradientDocument } from '@hessian/core/model';
import { gaussianEpsilon } from '@hessian/core/he';
import { copyFileSync, mkdirSync } from 'node:fs';
import { batchSeedFile } from '../../src/privacy/seed.ts';
import { PrivacyLedger } from '../../src/privacy/ledger.ts';
import { privacyLedgerFile } from '../../src/privacy/owner-privacy.ts';
import { startScenario, waitFor, openScenarioModel } from './helpers/scenario.ts';
import type { Scenario } from './helpers/scenario.ts';

let sc: Scenario;
before(async () => {
  sc = await startScenario({ owners: 2 });
});
after(async () => {
  await sc?.cleanup();
});

async function open(lender: ModelRepositoryClient, stateDir: string): Promise<OpenedModel> {
  return openScenarioModel(sc, lender, stateDir);
}

class Crash extends Error {}

/** runs an owner until a hook crashes it (the hook stops the daemon and throws) */
type OwnerHook = 'beforeCommit' | 'afterCommit' | 'beforeReveal' | 'afterReveal';
async function ownerUntilCrash(cfg: OwnerConfig, hook: OwnerHook): Promise<void> {
  let handle: OwnerHandle | undefined;
  let crashed = false;
  handle = await startOwner({
    ...cfg,
    [hook]: () => {
      crashed = true;
      void handle!.stop();
      throw new Crash(`simulated crash ${hook}`);
    },
  });
  await handle.done;
  assert.ok(crashed, `the owner reached ${hook}`);
}

async function evaluatorUntilCrash(cfg: EvaluatorConfig, hook: 'beforeEvaluate' | 'afterEvaluate'): Promise<EvaluatorEvents['evaluated'][0][]> {
  let handle: EvaluatorHandle | undefined;
  let crashed = false;
  const seen: EvaluatorEvents['evaluated'][0][] = [];
  handle = await startEvaluator({
    ...cfg,
    [hook]: () => {
      crashed = true;
      void handle!.stop();
      throw new Crash(`simulated crash ${hook}`);
    },
  });
  handle.events.on('evaluated', (e) => seen.push(e));
  await handle.done;
  assert.ok(crashed, `the evaluator reached ${hook}`);
  return seen;
}

test('owner killed at every step of commit-reveal, then its journal lost: each batch committed once, each commit revealed once', { timeout: 300_000 }, async () => {
  const lender = await sc.client(1);
  const model = await open(lender, `${sc.dir}/lender-a`);
  const evaluator = await startEvaluator({ client: lender, store: sc.store, stateDir: `${sc.dir}/lender-a`, pollMs: 100, log: sc.log.child({ who: 'evaluator-a' }) });
  const ownerClient = await sc.client(2);
  const me = await ownerClient.address();
  const cfg: OwnerConfig = {
    client: ownerClient,
    store: sc.store,
    stateDir: `${sc.dir}/owner-a`,
    data: sc.ownerCsvs[0]!,
    batchSize: 512,
    maxSubmissionsPerModel: 3,
    filter: { modelIds: [model.modelId] },
    pollMs: 100,
    log: sc.log.child({ who: 'owner-a' }),
  };
  const commits = async () => (await lender.queryEvents('GradientCommitted', [null, model.modelId, me])) as GradientCommitted[];
  const reveals = async () => (await lender.queryEvents('GradientRevealed', [null, model.modelId, me])) as GradientRevealed[];
  const counts = async () => [(await commits()).length, (await reveals()).length];
  try {
    // 1: the commit is mined, the journal still says sealed
    await ownerUntilCrash(cfg, 'afterCommit');
    assert.deepEqual(await counts(), [1, 0]);
    // 2: finds its commit by the journaled seal (no second commit), crashes right before revealing
    await ownerUntilCrash(cfg, 'beforeReveal');
    assert.deepEqual(await counts(), [1, 0], 'the commit was found, not sent again');
    // 3: reveals; the reveal is mined, the journal still says committed
    await ownerUntilCrash(cfg, 'afterReveal');
    assert.deepEqual(await counts(), [1, 1]);
    // 4: finds its reveal (no second one), waits for the verdict, seals batch 2 and crashes before committing it
    await ownerUntilCrash(cfg, 'beforeCommit');
    assert.deepEqual(await counts(), [1, 1], 'the crash before committing sent nothing');
    // 5: finishes: batch 2 committed from its journaled seal, batch 3 computed
    const h = await startOwner(cfg);
    try {
      await waitFor('three reveals', async () => (await reveals()).length >= 3 && Object.values(h.journal.value.submissions).every((s) => s.state === 'revealed'), 120_000);
      await waitFor('three evaluations', async () => (await lender.queryEvents('GradientEvaluated', [null, model.modelId])).length >= 3, 120_000);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await h.stop();
    }
    const [cs, rs] = [await commits(), await reveals()];
    assert.equal(cs.length, 3, 'exactly three commits');
    assert.equal(rs.length, 3, 'exactly three reveals');
    assert.deepEqual(rs.map((r) => r.gradientId), cs.map((c) => c.gradientId), 'each commit revealed once');
    assert.equal(new Set(rs.map((s) => s.dataCommitment)).size, 3);
    const journal = new (await import('@hessian/core/journal')).Journal<{ submissions: Record<string, { batch: number; state: string; gradientId?: number; seal?: string }> }>({
      file: `${sc.dir}/owner-a/owner-${me.toLowerCase()}.json`,
      initial: () => ({ submissions: {} }),
      readOnly: true,
    });
    const recs = Object.entries(journal.value.submissions);
    assert.deepEqual(recs.map(([, r]) => r.batch).sort(), [0, 1, 2], 'batches 0, 1, 2: none skipped, none repeated');
    for (const [commitment, r] of recs) {
      assert.equal(r.state, 'revealed');
      assert.equal(rs.find((s) => s.gradientId === r.gradientId)?.dataCommitment, commitment);
      assert.equal(cs.find((c) => c.gradientId === r.gradientId)?.seal, r.seal, 'the journaled seal is the committed one');
    }
    assert.ok(sc.logLines.some((l) => l.includes('simulated crash afterCommit')), 'the crash was logged');
    assert.ok(!sc.logLines.some((l) => l.includes('"who":"owner-a"') && l.includes('commit lapsed')), 'nothing lapsed');

    // 6: the journal is lost entirely: the same account derives the same data commitments, finds
    // batches 0-2 revealed on-chain without recomputing them, and submits only batch 3
    const computedBefore = sc.logLines.filter((l) => l.includes('"who":"owner-a"') && l.includes('"msg":"gradient computed"')).length;
    // every gradient that left was journaled in the privacy ledger first, once: batches 0-2 of one
    // secret plan, so the owner's most exposed row is in one release
    const ledger = PrivacyLedger.open(privacyLedgerFile(`${sc.dir}/owner-a`, me));
    assert.deepEqual(ledger.records.map((r) => r.batch).sort(), [0, 1, 2]);
    assert.deepEqual(ledger.records.map((r) => r.commitment).sort(), recs.map(([c]) => c).sort());
    assert.equal(new Set(ledger.records.map((r) => r.plan)).size, 1);
    assert.ok(Math.abs(ledger.total(1e-6).epsilon - gaussianEpsilon(2, 1e-6)) < 1e-9);
    // only the journal is lost: the owner's secret batch seed and its ledger are kept (like its wallet key)
    mkdirSync(`${sc.dir}/owner-a-fresh`, { recursive: true });
    for (const f of [batchSeedFile(`${sc.dir}/owner-a`, me), privacyLedgerFile(`${sc.dir}/owner-a`, me)]) copyFileSync(f, f.replace('/owner-a/', '/owner-a-fresh/'));
    const fresh = await startOwner({ ...cfg, stateDir: `${sc.dir}/owner-a-fresh`, maxSubmissionsPerModel: 4 });
    try {
      await waitFor('a fourth submission', async () => Object.values(fresh.journal.value.submissions).filter((s) => s.state === 'revealed').length >= 4, 120_000);
    } finally {
      await fresh.stop();
    }
    assert.deepEqual(await counts(), [4, 4], 'one new submission, no duplicates');
    assert.equal(new Set((await reveals()).map((s) => s.dataCommitment)).size, 4);
    const computedAfter = sc.logLines.filter((l) => l.includes('"who":"owner-a"') && l.includes('"msg":"gradient computed"')).length;
    assert.equal(computedAfter - computedBefore, 1, 'only the new batch was computed');
    assert.equal(PrivacyLedger.open(privacyLedgerFile(`${sc.dir}/owner-a-fresh`, me)).records.length, 4);

    // 7: a smaller batch is a new plan whose batches overlap the old ones: a second release for
    // some rows (2.254 -> 3.308), past a budget of 3: refused, naming the budget and the spend
    const refusals: string[] = [];
    const capped = await startOwner({ ...cfg, stateDir: `${sc.dir}/owner-a-fresh`, batchSize: 256, maxSubmissionsPerModel: 6, privacy: { epsilonBudget: 3 } });
    capped.events.on('model', (e) => e.reason && refusals.push(e.reason));
    try {
      await waitFor('the refusal', () => refusals.some((r) => r.includes('privacy budget')), 60_000);
    } finally {
      await capped.stop();
    }
    assert.match(refusals.find((r) => r.includes('privacy budget'))!, /would bring this owner's spend to epsilon 3\.308 \(delta 1e-6\), over its budget of epsilon 3; spent so far: epsilon 2\.254 over 4 gradients on 1 models/);
    assert.deepEqual(await counts(), [4, 4], 'nothing committed past the budget');
    assert.equal(PrivacyLedger.open(privacyLedgerFile(`${sc.dir}/owner-a-fresh`, me)).records.length, 4, 'nothing spent past the budget');
  } finally {
    await evaluator.stop();
  }
});

test('owner back after its reveal window: the commit is logged lapsed once, its stake counted lost, and the next batch is committed instead', { timeout: 200_000 }, async () => {
  const lender = await sc.client(5);
  const model = await open(lender, `${sc.dir}/lender-c`);
  const ownerClient = await sc.client(6);
  const me = await ownerClient.address();
  const cfg: OwnerConfig = {
    client: ownerClient,
    store: sc.store,
    stateDir: `${sc.dir}/owner-c`,
    data: sc.ownerCsvs[1]!,
    batchSize: 256,
    maxSubmissionsPerModel: 2,
    filter: { modelIds: [model.modelId] },
    pollMs: 100,
    log: sc.log.child({ who: 'owner-c' }),
  };
  await ownerUntilCrash(cfg, 'beforeReveal');
  const [first] = (await lender.queryEvents('GradientCommitted', [null, model.modelId, me])) as GradientCommitted[];
  assert.ok(first);
  // the owner stays down past its reveal window
  await lender.provider.send('evm_increaseTime', [REVEAL_WINDOW + 1]);
  await lender.provider.send('evm_mine', []);
  const h = await startOwner(cfg);
  const lapsed: string[] = [];
  h.events.on('lapsed', (e) => lapsed.push(e.commitment));
  try {
    await waitFor('the next batch revealed', async () => ((await lender.queryEvents('GradientRevealed', [null, model.modelId, me])) as GradientRevealed[]).length >= 1, 120_000);
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await h.stop();
  }
  const cs = (await lender.queryEvents('GradientCommitted', [null, model.modelId, me])) as GradientCommitted[];
  const rs = (await lender.queryEvents('GradientRevealed', [null, model.modelId, me])) as GradientRevealed[];
  assert.equal(cs.length, 2, 'one new commit after the lapsed one');
  assert.equal(rs.length, 1);
  assert.notEqual(rs[0]!.gradientId, first.gradientId, 'the lapsed commit was not revealed late');
  const recs = Object.entries(h.journal.value.submissions).sort(([, a], [, b]) => a.batch - b.batch);
  assert.deepEqual(recs.map(([, r]) => [r.batch, r.state]), [[0, 'lapsed'], [1, 'revealed']], 'batch 0 is never committed again');
  assert.deepEqual(lapsed, [recs[0]![0]], 'the lapse was reported once');
  assert.equal(recs[0]![1].outcome?.status, 'Lapsed', 'the lost stake is in the owner\'s record (the policy counts it)');
  assert.equal(rs[0]!.dataCommitment, recs[1]![0]);
  assert.equal(sc.logLines.filter((l) => l.includes('"who":"owner-c"') && l.includes('commit lapsed')).length, 1);
});

test('evaluator killed before and after sending a decision: each gradient evaluated once, none skipped', { timeout: 200_000 }, async () => {
  const lender = await sc.client(7);
  const stateDir = `${sc.dir}/lender-b`;
  const model = await open(lender, stateDir);
  const owner = await startOwner({
    client: await sc.client(3),
    store: sc.store,
    stateDir: `${sc.dir}/owner-b`,
    data: sc.ownerCsvs[1]!,
    batchSize: 512,
    maxSubmissionsPerModel: 3,
    filter: { modelIds: [model.modelId] },
    // this owner adds calibrated noise (more than the default, less epsilon): its gradient documents must say so
    privacy: { noiseMultiplier: 3, delta: 1e-6, clipNorm: 6 },
    pollMs: 100,
    log: sc.log.child({ who: 'owner-b' }),
  });
  const evals = async () => (await lender.queryEvents('GradientEvaluated', [null, model.modelId])) as GradientEvaluated[];
  const cfg: EvaluatorConfig = { client: lender, store: sc.store, stateDir, pollMs: 100, log: sc.log.child({ who: 'evaluator-b' }) };
  try {
    await waitFor('a first submission', async () => (await lender.queryEvents('GradientRevealed', [null, model.modelId])).length >= 1, 60_000);
    // 1: decision journaled, transaction never sent
    await evaluatorUntilCrash(cfg, 'beforeEvaluate');
    assert.equal((await evals()).length, 0);
    const journalFile = `${stateDir}/evaluations-${(await lender.address()).toLowerCase()}.json`;
    const { readFileSync } = await import('node:fs');
    const key = modelKey(Number((await lender.provider.getNetwork()).chainId), sc.chain.chain.address, model.modelId);
    const decided = JSON.parse(readFileSync(journalFile, 'utf8')).models[key].evaluations as Record<string, { state: string; newWeightsCid: string; score: number }>;
    const [firstId, first] = Object.entries(decided)[0]!;
    assert.equal(first.state, 'decided');
    // 2: resends the journaled decision (not a new one), crashes before journaling the receipt
    await evaluatorUntilCrash(cfg, 'afterEvaluate');
    const afterTwo = await evals();
    assert.equal(afterTwo.length, 1);
    assert.equal(afterTwo[0]!.gradientId, Number(firstId));
    assert.equal(afterTwo[0]!.score, first.score, 'the journaled score was sent');
    // encryption is randomized: an identical weights CID proves the decision was not recomputed
    assert.equal(afterTwo[0]!.newWeightsCid, first.newWeightsCid);
    // 3: runs normally: gradient 1 is found evaluated on-chain; 2 and 3 are evaluated
    const h = await startEvaluator(cfg);
    const seen: number[] = [];
    h.events.on('evaluated', (e) => seen.push(e.gradientId));
    try {
      await waitFor('three evaluations', async () => (await evals()).length >= 3, 150_000);
    } finally {
      await h.stop();
    }
    const all = await evals();
    assert.equal(all.length, 3);
    assert.equal(new Set(all.map((e) => e.gradientId)).size, 3, 'each gradient evaluated once');
    assert.ok(!seen.includes(Number(firstId)), 'the restarted evaluator did not act on gradient 1 again');
    assert.ok(!sc.logLines.some((l) => l.includes('GradientNotPending')), 'no second evaluation was even attempted');
    const subs = await lender.queryEvents('GradientRevealed', [null, model.modelId]);
    assert.deepEqual(all.map((e) => e.gradientId).sort(), subs.map((s) => (s as GradientRevealed).gradientId).sort(), 'none skipped');
    for (const sub of subs) {
      const doc = validateGradientDocument(await sc.store.getJson((sub as GradientRevealed).gradientCid, { maxBytes: 65536 }));
      assert.equal(doc.privacy?.noiseMultiplier, 3);
      assert.ok(Math.abs(doc.privacy!.epsilon - gaussianEpsilon(3, 1e-6)) < 1e-9);
      assert.equal(doc.privacy?.rows, 512);
      assert.ok(doc.privacy!.sigma > 0);
    }
    assert.ok(sc.logLines.some((l) => l.includes('"msg":"privacy"') && l.includes(`"epsilon":${gaussianEpsilon(3, 1e-6)}`)), 'the privacy spend is logged');
    const final = JSON.parse(readFileSync(journalFile, 'utf8')).models[key].evaluations as Record<string, { state: string }>;
    assert.ok(Object.values(final).every((e) => e.state === 'done'));
  } finally {
    await owner.stop();
  }
});
