// A full training run through the real contract on a Hardhat node: the lender opens a model on
// its held-out LendingClub split, three data owners each contribute encrypted gradients over
// their own shard, the evaluator scores and records every one. The encrypted run must track
// plaintext training on the same rounds, and the rewards on-chain must match the evaluations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseEther } from 'ethers';
import { openModel } from '../../src/roles/lender.ts';
import { startEvaluator } from '../../src/roles/evaluator.ts';
import type { EvaluatorEvents } from '../../src/roles/evaluator.ts';
import { startOwner } from '../../src/roles/owner.ts';
import { batchSeedFile, loadOrCreateBatchSeed } from '../../src/privacy/seed.ts';
import type { OwnerHandle } from '../../src/roles/owner.ts';
import { readCsvFile, encodeTable, take } from '@hessian/core/data';
import type { EncodingSpec } from '@hessian/core/data';
import { applyGradient, gradient, predict, auc, metricToScore } from '@hessian/core/ml';
import { validateGradientDocument, fetchMetadata } from '@hessian/core/model';
import type { GradientEvaluated, ModelClosed, RewardEarned } from '@hessian/core/model-repository';
import { startScenario, waitFor, LABEL } from './helpers/scenario.ts';
import type { Scenario } from './helpers/scenario.ts';

const OWNERS = 3;
const ROUNDS = 3;
const BATCH = 512;
const LEARNING_RATE = 1;
const STAKE = parseEther('0.001');
const BOUNTY = parseEther('10');

let sc: Scenario;
before(async () => {
  sc = await startScenario({ owners: OWNERS });
});
after(async () => {
  await sc?.cleanup();
});

test('lender + evaluator + 3 owners on LendingClub: AUC rises, tracks plaintext within 0.01, rewards match', { timeout: 280_000 }, async (t) => {
  const lenderClient = await sc.client(1);
  const opened = await openModel({
    client: lenderClient,
    store: sc.store,
    stateDir: `${sc.dir}/lender`,
    data: sc.lenderCsv,
    encoding: { label: LABEL },
    ckks: 'logistic-8192',
    learningRate: LEARNING_RATE,
    minBatch: 256,
    bounty: BOUNTY,
    target: 0.72,
    submissionStake: STAKE,
    evaluationWindow: 3600,
    log: sc.log.child({ who: 'lender' }),
  });
  assert.equal(opened.initialScore, 500_000, 'zero weights score AUC 0.5');

  const evaluations: EvaluatorEvents['evaluated'][0][] = [];
  const evaluator = await startEvaluator({ client: lenderClient, store: sc.store, stateDir: `${sc.dir}/lender`, pollMs: 100, log: sc.log.child({ who: 'evaluator' }) });
  evaluator.events.on('evaluated', (e) => evaluations.push(e));
  const owners: OwnerHandle[] = [];
  let progressEvents = 0;
  for (let i = 0; i < OWNERS; i++) {
    const h = await startOwner({
      client: await sc.client(2 + i),
      store: sc.store,
      stateDir: `${sc.dir}/owner-${i}`,
      data: sc.ownerCsvs[i]!,
      batchSize: BATCH,
      maxSubmissionsPerModel: ROUNDS,
      // scores are compared with a plaintext replay, so no noise here (restart.test.ts runs DP on)
      privacy: { noiseMultiplier: 0 },
      // one owner computes in a worker thread: the pool must give the same gradients
      workers: i === 0 ? 1 : 0,
      pollMs: 100,
      log: sc.log.child({ who: `owner-${i}` }),
    });
    h.events.on('progress', () => progressEvents++);
    owners.push(h);
  }
  try {
    await waitFor(`${OWNERS * ROUNDS} evaluations`, () => evaluations.length >= OWNERS * ROUNDS, 240_000);
  } finally {
    await Promise.all([...owners.map((o) => o.stop()), evaluator.stop()]);
  }
  assert.equal(evaluations.length, OWNERS * ROUNDS);
  assert.ok(progressEvents > 0, 'owners report progress');

  // ---- the chain's account of the run
  const evs = (await lenderClient.queryEvents('GradientEvaluated', [null, opened.modelId])) as GradientEvaluated[];
  const subs = await lenderClient.queryEvents('GradientRevealed', [null, opened.modelId]);
  assert.equal(subs.length, OWNERS * ROUNDS, 'no duplicate submissions');
  assert.equal(evs.length, OWNERS * ROUNDS, 'every gradient evaluated exactly once');
  assert.equal(new Set(subs.map((s) => (s.name === 'GradientRevealed' ? s.dataCommitment : ''))).size, OWNERS * ROUNDS, 'one commitment per batch');
  const accepted = evs.filter((e) => e.accepted);
  assert.ok(accepted.length >= 2, `at least two improvements (got ${accepted.length})`);
  const best = evs.at(-1)!.bestScore;
  assert.ok(best >= 620_000, `AUC rose from 0.5 toward the target (best ${best / 1e6})`);
  for (let i = 1; i < accepted.length; i++) assert.ok(accepted[i]!.score > accepted[i - 1]!.score, 'accepted scores strictly increase');

  // ---- plaintext training on the same rounds: same batches, same base versions, same rule
  const meta = await fetchMetadata(sc.store, opened.metadataCid);
  const spec = meta.encoding as EncodingSpec;
  const heldOut = encodeTable(await readCsvFile(sc.lenderCsv), spec);
  const ownerData = await Promise.all(sc.ownerCsvs.map(async (f) => encodeTable(await readCsvFile(f), spec)));
  const ownerIndex = new Map(owners.map((o, i) => [o.address.toLowerCase(), i]));
  const history: Float64Array[] = [new Float64Array(heldOut.x[0]!.length)];
  let bestPlain = opened.initialScore;
  for (const ev of evs.sort((a, b) => a.gradientId - b.gradientId)) {
    const sub = subs.find((s) => s.name === 'GradientRevealed' && s.gradientId === ev.gradientId)!;
    if (sub.name !== 'GradientRevealed') throw new Error('unreachable');
    const i = ownerIndex.get(sub.contributor.toLowerCase())!;
    const rec = Object.values(owners[i]!.journal.value.submissions).find((s) => s.gradientId === ev.gradientId)!;
    const doc = validateGradientDocument(await sc.store.getJson(sub.gradientCid, { maxBytes: 65536 }));
    // the owner's secret plan, read from its own state directory: the scores matching proves the daemon used it
    const batchIdx = loadOrCreateBatchSeed(batchSeedFile(`${sc.dir}/owner-${i}`, owners[i]!.address)).plan(ownerData[i]!.x.length, BATCH, opened.modelId)[rec.batch]!;
    const b = take(ownerData[i]!.x, ownerData[i]!.y, batchIdx);
    const g = gradient('logistic', history[Math.min(doc.modelVersion, history.length - 1)]!, b.x, b.y, 'poly');
    const cand = applyGradient(history.at(-1)!, g, LEARNING_RATE);
    const score = Number(metricToScore('auc', auc(heldOut.y, predict('logistic', cand, heldOut.x))));
    // the encrypted run's score for the same step: equal up to CKKS noise
    assert.ok(Math.abs(score - ev.score) <= 2_000, `gradient ${ev.gradientId}: encrypted score ${ev.score} vs plaintext ${score}`);
    if (score > bestPlain) {
      bestPlain = score;
      history.push(cand);
    }
  }
  t.diagnostic(`AUC ${opened.initialScore / 1e6} -> ${best / 1e6} encrypted, ${bestPlain / 1e6} plaintext; ${accepted.length}/${evs.length} accepted`);
  assert.ok(Math.abs(best - bestPlain) <= 10_000, `final AUC ${best / 1e6} within 0.01 of plaintext ${bestPlain / 1e6}`);

  // ---- rewards: Improvement rule, bounty * (newBest - prevBest) / (target - initial), capped at target
  const rewards = (await lenderClient.queryEvents('RewardEarned', [opened.modelId])) as RewardEarned[];
  let paid = 0n;
  for (const ev of evs) {
    const gain = ev.accepted ? BigInt(Math.max(0, Math.min(ev.score, opened.targetScore) - ev.previousBestScore)) : 0n;
    const expected: bigint = (BOUNTY * gain) / BigInt(opened.targetScore - opened.initialScore);
    assert.equal(ev.reward, expected, `gradient ${ev.gradientId} reward`);
    const earned = rewards.filter((r) => r.gradientId === ev.gradientId).reduce((s, r) => s + r.amount, 0n);
    assert.equal(earned, ev.reward, `RewardEarned for gradient ${ev.gradientId}`);
    const fromDaemon = evaluations.find((e) => e.gradientId === ev.gradientId)!;
    assert.equal(fromDaemon.reward, ev.reward);
    assert.equal(fromDaemon.accepted, ev.accepted);
    assert.equal(fromDaemon.verdict, ev.verdict);
    paid += ev.reward;
  }
  assert.ok(paid > 0n);
  for (const [i, o] of owners.entries()) {
    const mine = evs.filter((e) => e.contributor.toLowerCase() === o.address.toLowerCase());
    assert.equal(mine.length, ROUNDS, `owner ${i} contributed ${ROUNDS} gradients`);
    // stakes come back unless Rejected (invalid or copied content): honest "no improvement" is Declined
    assert.ok(mine.every((e) => e.verdict !== 'Rejected'), `owner ${i}: no honest gradient rejected`);
    const expectedCredit = mine.reduce((s, e) => s + e.reward + (e.verdict !== 'Rejected' ? STAKE : 0n), 0n);
    assert.equal(await lenderClient.credit(o.address), expectedCredit, `owner ${i} credit = rewards + returned stakes`);
    if (expectedCredit > 0n) assert.equal(await o.withdraw(), expectedCredit);
  }

  // ---- the secret key never left the lender's key file
  const keyDoc = JSON.parse(await (await import('node:fs/promises')).readFile(opened.secretKeyFile, 'utf8')) as { secretKey: string };
  const probe = keyDoc.secretKey.slice(100, 164);
  assert.ok(!sc.logLines.join('').includes(probe), 'secret key in logs');
  const { statSync, readFileSync } = await import('node:fs');
  assert.equal(statSync(opened.secretKeyFile).mode & 0o777, 0o600, 'secret key file mode 0600');
  assert.equal(statSync(path.dirname(opened.secretKeyFile)).mode & 0o077, 0, 'key directory closed to group and others');
  assert.ok(!readFileSync(`${sc.dir}/lender/lender.json`, 'utf8').includes(probe), 'the lender journal holds the key file path, not the key');
  assert.ok(!(await storeContains(sc, Buffer.from(keyDoc.secretKey, 'base64'))), 'secret key in the content store');
});

/** scans every block in the embedded store for a 64-byte window of the secret */
async function storeContains(s: Scenario, secret: Uint8Array): Promise<boolean> {
  const { readdir, readFile } = await import('node:fs/promises');
  const needle = Buffer.from(secret.subarray(40, 104));
  const walk = async (dir: string): Promise<boolean> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory() ? await walk(p) : (await readFile(p)).includes(needle)) return true;
    }
    return false;
  };
  return walk(`${s.dir}/ipfs`);
}

test('linear regression through the same daemons: matches plaintext; reaching the target stops the owner and closes the model', { timeout: 200_000 }, async (t) => {
  const lenderClient = await sc.client(8);
  const opened = await openModel({
    client: lenderClient,
    store: sc.store,
    stateDir: `${sc.dir}/lender-linear`,
    data: sc.lenderCsv,
    encoding: { label: LABEL },
    task: 'linear',
    ckks: 'linear-8192',
    learningRate: 0.5,
    minBatch: 256,
    bounty: BOUNTY,
    // the first linear step reaches it (AUC ~0.62-0.64 on any 512-row batch)
    target: 0.6,
    log: sc.log.child({ who: 'lender-linear' }),
  });
  const meta = await fetchMetadata(sc.store, opened.metadataCid);
  assert.equal(meta.keys.relinKeys, null, 'linear regression publishes no relinearization keys');
  assert.equal(meta.keys.galoisKeys, null, 'nor rotation keys');
  const evaluations: EvaluatorEvents['evaluated'][0][] = [];
  const evaluator = await startEvaluator({ client: lenderClient, store: sc.store, stateDir: `${sc.dir}/lender-linear`, pollMs: 100, log: sc.log.child({ who: 'evaluator-linear' }) });
  evaluator.events.on('evaluated', (e) => evaluations.push(e));
  const closed: number[] = [];
  evaluator.events.on('closed', (e) => closed.push(e.modelId));
  const owner = await startOwner({
    client: await sc.client(9),
    store: sc.store,
    stateDir: `${sc.dir}/owner-linear`,
    data: sc.ownerCsvs[0]!,
    batchSize: BATCH,
    maxSubmissionsPerModel: 3,
    filter: { modelIds: [opened.modelId] },
    privacy: { noiseMultiplier: 0 },
    pollMs: 100,
    log: sc.log.child({ who: 'owner-linear' }),
  });
  try {
    await waitFor('the model to close at its target', () => closed.includes(opened.modelId), 150_000);
    // give the owner a few polls to (wrongly) submit a third gradient
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    await Promise.all([owner.stop(), evaluator.stop()]);
  }
  const spec = meta.encoding as EncodingSpec;
  const heldOut = encodeTable(await readCsvFile(sc.lenderCsv), spec);
  const data = encodeTable(await readCsvFile(sc.ownerCsvs[0]!), spec);
  const batches = loadOrCreateBatchSeed(batchSeedFile(`${sc.dir}/owner-linear`, owner.address)).plan(data.x.length, BATCH, opened.modelId);
  let w: Float64Array<ArrayBufferLike> = new Float64Array(heldOut.x[0]!.length);
  let best = opened.initialScore;
  const evs = ((await lenderClient.queryEvents('GradientEvaluated', [null, opened.modelId])) as GradientEvaluated[]).sort((a, b) => a.gradientId - b.gradientId);
  assert.ok(evs.length >= 1);
  for (const [k, ev] of evs.entries()) {
    const b = take(data.x, data.y, batches[k]!);
    const cand = applyGradient(w, gradient('linear', w, b.x, b.y), 0.5);
    const score = Number(metricToScore('auc', auc(heldOut.y, predict('linear', cand, heldOut.x))));
    assert.ok(Math.abs(score - ev.score) <= 1_000, `linear step ${k}: encrypted ${ev.score} vs plaintext ${score}`);
    if (score > best) {
      best = score;
      w = cand;
    }
  }
  t.diagnostic(`linear AUC ${evs.map((e) => e.score / 1e6).join(', ')}`);
  assert.ok(evs[0]!.accepted && evs[0]!.score > 600_000, `the first linear step improves AUC (${evs[0]!.score / 1e6})`);
  assert.ok(evs.at(-1)!.bestScore >= opened.targetScore, 'the target is reached');
  assert.ok(evs.slice(0, -1).every((e) => e.bestScore < opened.targetScore), 'only by the last gradient');
  assert.equal((await lenderClient.queryEvents('GradientRevealed', [null, opened.modelId])).length, evs.length, 'no submission once the target is reached');
  const paid = evs.reduce((sum, e) => sum + e.reward, 0n);
  const span = BigInt(opened.targetScore - opened.initialScore);
  const capped = evs.reduce((sum, e) => sum + (BOUNTY * BigInt(Math.min(e.bestScore, opened.targetScore) - e.previousBestScore)) / span, 0n);
  assert.equal(paid, capped, 'overshoot past the target is not paid');
  assert.ok(BOUNTY - paid <= 2n, 'reaching the target pays (all but rounding of) the bounty');
  const [closedEv] = (await lenderClient.queryEvents('ModelClosed', [opened.modelId])) as ModelClosed[];
  assert.equal(closedEv!.reason, 'TargetReached');
  assert.equal(closedEv!.refund, BOUNTY - paid);
});
