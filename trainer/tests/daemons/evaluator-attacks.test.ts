// Attacks on the lender's evaluator, each against the real daemon on a real chain: a clone model
// that names the victim's evaluator (hijack), copies of another owner's gradient under a later
// commit (front-run), and unresolvable CIDs submitted ahead of an honest gradient (spam).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { keccak256, parseEther, toUtf8Bytes } from 'ethers';
import type { OpenedModel } from '../../src/roles/lender.ts';
import { startEvaluator } from '../../src/roles/evaluator.ts';
import type { EvaluatorEvents, EvaluatorHandle } from '../../src/roles/evaluator.ts';
import { startOwner } from '../../src/roles/owner.ts';
import type { OwnerEvents } from '../../src/roles/owner.ts';
import type { GradientEvaluated, ModelRepositoryClient } from '@hessian/core/model-repository';
import { buildGradientDocument, validateGradientDocument } from '@hessian/core/model';
import { EmbeddedContentStore } from '@hessian/core/ipfs';
import { startScenario, waitFor, openScenarioModel } from './helpers/scenario.ts';
import type { Scenario } from './helpers/scenario.ts';

const STAKE = parseEther('0.001');

let sc: Scenario;
before(async () => {
  sc = await startScenario({ owners: 2 });
});
after(async () => {
  await sc?.cleanup();
});

function open(lender: ModelRepositoryClient, stateDir: string, evaluationWindow = 3600): Promise<OpenedModel> {
  return openScenarioModel(sc, lender, stateDir, { submissionStake: STAKE, evaluationWindow });
}

/** one honest gradient from owner `i` to `modelId`; resolves with its id */
async function honestGradient(i: number, account: number, modelId: number): Promise<number> {
  const submitted: OwnerEvents['submitted'][0][] = [];
  const owner = await startOwner({
    client: await sc.client(account),
    store: sc.store,
    stateDir: path.join(sc.dir, `owner-${account}-${modelId}`),
    data: sc.ownerCsvs[i]!,
    batchSize: 512,
    maxSubmissionsPerModel: 1,
    filter: { modelIds: [modelId] },
    // no DP noise: these tests need an honest gradient that surely improves the model (noise on
    // by default could make the first step a Declined no-improvement, which is not what is tested)
    privacy: { noiseMultiplier: 0 },
    pollMs: 100,
    log: sc.log.child({ who: `owner-${account}` }),
  });
  owner.events.on('submitted', (e) => submitted.push(e));
  try {
    await waitFor('the honest submission', () => submitted.length > 0, 120_000);
  } finally {
    await owner.stop();
  }
  return submitted[0]!.gradientId;
}

async function evaluations(client: ModelRepositoryClient, modelId: number): Promise<GradientEvaluated[]> {
  return (await client.queryEvents('GradientEvaluated', [null, modelId])) as GradientEvaluated[];
}

test('evaluator hijack: a clone model with the victim\'s metadata naming the victim\'s evaluator is ignored (warned once)', async () => {
  const victim = await sc.client(1);
  const stateDir = path.join(sc.dir, 'victim');
  const opened = await open(victim, stateDir);
  // the attacker copies the public terms and names the victim's account as evaluator
  const attacker = await sc.client(5);
  const clone = await attacker.createModel({
    weightsCid: opened.weightsCid,
    metadataCid: opened.metadataCid,
    bounty: 1n,
    initialScore: opened.initialScore,
    targetScore: opened.targetScore,
    rule: 'Improvement',
    submissionDeadline: (await attacker.chainTime()) + 3600,
    evaluationWindow: 3600,
    evaluator: await victim.address(),
    submissionStake: parseEther('0.0001'),
  });
  const probe = await attacker.submitGradient(clone.modelId, opened.weightsCid, keccak256(toUtf8Bytes('probe')), parseEther('0.0001'));

  const ignored: EvaluatorEvents['ignored'][0][] = [];
  const evaluated: EvaluatorEvents['evaluated'][0][] = [];
  const evaluator = await startEvaluator({ client: victim, store: sc.store, stateDir, pollMs: 100, log: sc.log.child({ who: 'victim-evaluator' }) });
  evaluator.events.on('ignored', (e) => ignored.push(e));
  evaluator.events.on('evaluated', (e) => evaluated.push(e));
  try {
    // the victim's own model is served (a later gradient, so the clone's came first in every tick)
    const own = await honestGradient(0, 2, opened.modelId);
    await waitFor('the victim\'s own gradient evaluated', () => evaluated.some((e) => e.gradientId === own), 120_000);
    // a few more ticks
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await evaluator.stop();
  }
  assert.deepEqual(await evaluations(victim, clone.modelId), [], 'the clone\'s gradient was not scored on the victim\'s data');
  assert.ok(!evaluated.some((e) => e.modelId === clone.modelId));
  assert.equal(ignored.length, 1, 'one warning, not one per tick');
  assert.equal(ignored[0]!.modelId, clone.modelId);
  assert.match(ignored[0]!.reason, /opened by 0x[0-9a-fA-F]{40}, not by this evaluator's lender/);
  const warnings = sc.logLines.filter((l) => l.includes('is not its lender') && l.includes(`"modelId":${clone.modelId}`));
  assert.equal(warnings.length, 1);
  assert.equal(evaluator.record(clone.modelId, probe.gradientId), undefined, 'nothing journaled for the clone');
});

test('front-run: copies of an honest gradient committed after it are Rejected; the original is judged on its merits', async () => {
  const lender = await sc.client(3);
  const stateDir = path.join(sc.dir, 'lender-front-run');
  const opened = await open(lender, stateDir);
  const honestId = await honestGradient(1, 4, opened.modelId);
  const honestReveal = (await lender.queryEvents('GradientRevealed', [honestId]))[0]!;
  assert.ok(honestReveal.name === 'GradientRevealed');
  const cid = honestReveal.gradientCid;
  const doc = validateGradientDocument(await sc.store.getJson(cid, { maxBytes: 65536 }));
  // the copier reads the CID from the reveal: its own commit comes later
  const copier = await sc.client(6);
  const sameCid = await copier.submitGradient(opened.modelId, cid, keccak256(toUtf8Bytes('copier 1')), STAKE);
  // a fresh document around the same ciphertext (a different CID)
  const rewrapped = await sc.store.putJson(buildGradientDocument({ ...doc, rows: doc.rows + 1, privacy: doc.privacy ?? null }));
  assert.notEqual(rewrapped, cid);
  const sameCiphertext = await copier.submitGradient(opened.modelId, rewrapped, keccak256(toUtf8Bytes('copier 2')), STAKE);
  // an account reusing its own data commitment for a second gradient
  const again = await copier.submitGradient(opened.modelId, opened.weightsCid, keccak256(toUtf8Bytes('copier 1')), STAKE);

  const evaluator = await startEvaluator({ client: lender, store: sc.store, stateDir, pollMs: 100, log: sc.log.child({ who: 'evaluator-front-run' }) });
  try {
    await waitFor('four evaluations', async () => (await evaluations(lender, opened.modelId)).length >= 4, 120_000);
  } finally {
    await evaluator.stop();
  }
  const evs = await evaluations(lender, opened.modelId);
  const verdict = (id: number) => evs.find((e) => e.gradientId === id)!;
  assert.equal(verdict(honestId).verdict, 'Accepted', 'the original improves the model and is accepted');
  assert.ok(verdict(honestId).reward > 0n);
  for (const [what, id] of [['same CID', sameCid.gradientId], ['same ciphertext', sameCiphertext.gradientId], ['own commitment reused', again.gradientId]] as const) {
    assert.equal(verdict(id).verdict, 'Rejected', `${what}: Rejected`);
    assert.equal(verdict(id).reward, 0n, `${what}: no reward`);
  }
  assert.match(evaluator.record(opened.modelId, sameCid.gradientId)!.reason!, new RegExp(`duplicate: its gradient CID repeats gradient ${honestId}`));
  assert.match(evaluator.record(opened.modelId, sameCiphertext.gradientId)!.reason!, new RegExp(`duplicate: its ciphertext repeats gradient ${honestId}`));
  assert.match(evaluator.record(opened.modelId, again.gradientId)!.reason!, new RegExp(`its own data commitment repeats gradient ${sameCid.gradientId}`));
  assert.equal(await lender.credit(await copier.address()), 0n, 'the copier earns nothing and loses its stakes');
});

test('spam: unresolvable CIDs do not block honest gradients', async () => {
  const lender = await sc.client(8);
  const stateDir = path.join(sc.dir, 'lender-spam');
  const window = 900;
  const opened = await open(lender, stateDir, window);
  // valid CIDs of content that exists nowhere this evaluator can reach
  const elsewhere = await EmbeddedContentStore.open(path.join(sc.dir, 'elsewhere'));
  const spamCids: string[] = [];
  for (let i = 0; i < 3; i++) spamCids.push(await elsewhere.put(randomBytes(1000 + i)));
  await elsewhere.close();
  const spammer = await sc.client(9);
  const spam: number[] = [];
  for (const [i, cid] of spamCids.entries()) spam.push((await spammer.submitGradient(opened.modelId, cid, keccak256(toUtf8Bytes(`spam ${i}`)), STAKE)).gradientId);

  // patient with missing content (10 minutes), but each attempt is bounded
  const evaluated: EvaluatorEvents['evaluated'][0][] = [];
  let evaluator: EvaluatorHandle | undefined = await startEvaluator({ client: lender, store: sc.store, stateDir, pollMs: 100, fetchTimeoutMs: 500, fetchAttempts: 5, fetchGraceMs: 600_000, log: sc.log.child({ who: 'evaluator-spam' }) });
  evaluator.events.on('evaluated', (e) => evaluated.push(e));
  try {
    const honestId = await honestGradient(0, 10, opened.modelId);
    assert.ok(spam.every((id) => id < honestId), 'the spam was committed first');
    await waitFor('the honest gradient evaluated behind the spam', () => evaluated.some((e) => e.gradientId === honestId), 60_000);
    const honest = evaluated.find((e) => e.gradientId === honestId)!;
    assert.equal(honest.verdict, 'Accepted');
    assert.ok(!evaluated.some((e) => spam.includes(e.gradientId)), 'the spam is still being retried, not declined early');
    // a restart in the middle of the queue: nothing judged twice, nothing skipped
    await evaluator.stop();
    evaluator = await startEvaluator({ client: lender, store: sc.store, stateDir, pollMs: 100, fetchTimeoutMs: 500, fetchAttempts: 5, fetchGraceMs: 600_000, log: sc.log.child({ who: 'evaluator-spam-2' }) });
    evaluator.events.on('evaluated', (e) => evaluated.push(e));
    // close to the spam's evaluation deadline the evaluator gives up on it: Declined, stakes back
    await lender.provider.send('evm_increaseTime', [window - 60]);
    await lender.provider.send('evm_mine', []);
    await waitFor('the spam declined', () => spam.every((id) => evaluated.some((e) => e.gradientId === id)), 60_000);
  } finally {
    await evaluator.stop();
  }
  const evs = await evaluations(lender, opened.modelId);
  assert.equal(evs.length, spam.length + 1, 'each gradient evaluated once');
  for (const id of spam) {
    const ev = evs.find((e) => e.gradientId === id)!;
    assert.equal(ev.verdict, 'Declined', `spam ${id}: Declined (the content may sit on slow storage)`);
    assert.match(evaluated.find((e) => e.gradientId === id)!.reason!, /did not resolve after \d+ attempts/);
  }
  assert.equal(await lender.credit(await spammer.address()), BigInt(spam.length) * STAKE, 'declined stakes come back');
});
