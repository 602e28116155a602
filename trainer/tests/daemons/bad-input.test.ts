// A rogue owner submits gradients that are garbage, oversized, made with other CKKS parameters,
// out of bounds, or point at content that does not exist. Each is rejected on-chain (its stake
// forfeited) with the reason logged, the evaluator keeps running and still accepts an honest
// gradient submitted afterwards, and nothing is submitted twice. Malformed CSVs get clear errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { keccak256, parseEther } from 'ethers';
import { startEvaluator } from '../../src/roles/evaluator.ts';
import type { EvaluatorEvents } from '../../src/roles/evaluator.ts';
import { startOwner } from '../../src/roles/owner.ts';
import type { OwnerEvents } from '../../src/roles/owner.ts';
import { HeContext, parameterSet, loadPublicKey, maxCiphertextBytes, serializeCiphertext } from '@hessian/core/he';
import { buildGradientDocument, fetchMetadata } from '@hessian/core/model';
import { EmbeddedContentStore } from '@hessian/core/ipfs';
import type { ContentStore } from '@hessian/core/ipfs';
import type { GradientEvaluated } from '@hessian/core/model-repository';
import { REVEAL_WINDOW } from '@hessian/core/model-repository';
import { startScenario, waitFor, openScenarioModel } from './helpers/scenario.ts';
import type { Scenario } from './helpers/scenario.ts';

const STAKE = parseEther('0.001');
let sc: Scenario;
/** the first test's published model material, reused for a fresh model by the CSV test */
let published: { metadataCid: string; weightsCid: string } | undefined;
before(async () => {
  sc = await startScenario({ owners: 2 });
});
after(async () => {
  await sc?.cleanup();
});

/** a ciphertext at the last level (where gradients live) encrypting `value` in every slot */
function lastLevelCiphertext(he: HeContext, publicKey: Uint8Array, value: number): Uint8Array {
  const pk = loadPublicKey(he, publicKey);
  const enc = new he.seal.Encryptor(he.context, pk);
  const pt = new he.seal.Plaintext();
  const ct = new he.seal.Ciphertext();
  const pid = he.parmsIdAt(he.levels());
  try {
    he.encoder.encode(new Float64Array(he.slotCount).fill(value), he.scale, pt);
    he.evaluator.plainModSwitchToInplace(pt, pid);
    enc.encrypt(pt, ct);
    return serializeCiphertext(he, ct);
  } finally {
    for (const o of [pk, enc, pt, ct, pid]) o.delete();
  }
}

async function gradientDoc(store: ContentStore, weightsCid: string, ciphertext: Uint8Array, rows = 512): Promise<string> {
  const cid = await store.put(ciphertext);
  return store.putJson(buildGradientDocument({ modelVersion: 0, weightsCid, rows, ciphertext: cid, ciphertextBytes: ciphertext.length, privacy: null }));
}

test('rogue gradients are rejected with reasons; the daemons keep running; nothing is double-submitted', { timeout: 200_000 }, async (t) => {
  const lenderClient = await sc.client(1);
  const opened = await openScenarioModel(sc, lenderClient, `${sc.dir}/lender`, { submissionStake: STAKE, evaluationWindow: 600 });
  published = { metadataCid: opened.metadataCid, weightsCid: opened.weightsCid };
  const meta = await fetchMetadata(sc.store, opened.metadataCid);
  const he = await HeContext.create(parameterSet('logistic-8192'), 'logistic');
  const other = await HeContext.create(parameterSet('linear-8192'), 'linear');
  const pkBytes = await sc.store.get(meta.keys.publicKey, { maxBytes: 10 << 20 });
  const { generateKeys } = await import('@hessian/core/he');
  const otherKeys = generateKeys(other, { relin: false });

  // content that never reaches the shared store: a valid CID that resolves nowhere
  const elsewhere = await EmbeddedContentStore.open(path.join(sc.dir, 'elsewhere'));
  const missingCid = await elsewhere.put(randomBytes(1000));
  await elsewhere.close();

  const w = opened.weightsCid;
  const rogueCases: { name: string; cid: string; reason: RegExp }[] = [
    { name: 'garbage bytes', cid: await gradientDoc(sc.store, w, randomBytes(4000)), reason: /not a SEAL object/ },
    { name: 'oversized', cid: await gradientDoc(sc.store, w, randomBytes(maxCiphertextBytes(he, he.levels()) + 1)), reason: /over the limit|exceeds the limit/ },
    { name: 'other CKKS parameters', cid: await gradientDoc(sc.store, w, lastLevelCiphertext(other, otherKeys.publicKey, 0.1)), reason: /different CKKS parameters|level|polynomial degree|parameters/ },
    { name: 'out of bounds', cid: await gradientDoc(sc.store, w, lastLevelCiphertext(he, pkBytes, 500)), reason: /exceeds the bound 10/ },
    { name: 'under the minimum batch', cid: await gradientDoc(sc.store, w, lastLevelCiphertext(he, pkBytes, 0.01), 10), reason: /below the model's minimum of 256/ },
    { name: 'gradient CID does not resolve', cid: missingCid, reason: /did not resolve after 2 attempts/ },
    { name: 'ciphertext CID does not resolve', cid: await sc.store.putJson(buildGradientDocument({ modelVersion: 0, weightsCid: w, rows: 512, ciphertext: missingCid, ciphertextBytes: 1000, privacy: null })), reason: /did not resolve/ },
    { name: 'not JSON', cid: await sc.store.put(randomBytes(200)), reason: /not (UTF-8|valid JSON)/ },
    { name: 'malformed CID string', cid: 'not-a-cid', reason: /malformed CID/ },
  ];
  otherKeys.secretKey.delete();
  other.delete();
  he.delete();

  // a gradient whose evaluation window has passed before the evaluator sees it: left to expire
  const late = await sc.client(7);
  const lateSub = await late.submitGradient(opened.modelId, opened.weightsCid, keccak256(Buffer.from('late')), STAKE);
  await late.provider.send('evm_increaseTime', [601]);
  await late.provider.send('evm_mine', []);

  const rogue = await sc.client(6);
  const rogueIds = new Map<number, (typeof rogueCases)[number]>();
  for (const c of rogueCases) {
    const res = await rogue.submitGradient(opened.modelId, c.cid, keccak256(Buffer.from(c.name)), STAKE);
    rogueIds.set(res.gradientId, c);
  }

  const evaluations: EvaluatorEvents['evaluated'][0][] = [];
  const evaluator = await startEvaluator({ client: lenderClient, store: sc.store, stateDir: `${sc.dir}/lender`, pollMs: 100, fetchAttempts: 2, fetchGraceMs: 0, log: sc.log.child({ who: 'evaluator' }) });
  evaluator.events.on('evaluated', (e) => evaluations.push(e));
  const honestEvents: OwnerEvents['submitted'][0][] = [];
  const honest = await startOwner({
    client: await sc.client(2),
    store: sc.store,
    stateDir: `${sc.dir}/owner-0`,
    data: sc.ownerCsvs[0]!,
    batchSize: 512,
    maxSubmissionsPerModel: 1,
    // the test is about the rogue gradients: the honest one's acceptance must not hinge on a DP
    // noise draw (with noise on, one 512-row batch is now and then declined as no improvement)
    privacy: { noiseMultiplier: 0 },
    pollMs: 100,
    log: sc.log.child({ who: 'owner-0' }),
  });
  honest.events.on('submitted', (e) => honestEvents.push(e));
  const closed: number[] = [];
  evaluator.events.on('closed', (e) => closed.push(e.modelId));
  try {
    await waitFor('all evaluations', () => evaluations.length >= rogueCases.length + 1, 150_000);
    await honest.stop();
    // past the submission deadline and the evaluation window: the evaluator expires the gradient
    // it missed (which would otherwise block closing) and closes the model
    // past the submission deadline, the last reveal window and the evaluation window
    await late.provider.send('evm_increaseTime', [24 * 3600 + REVEAL_WINDOW + 601]);
    await late.provider.send('evm_mine', []);
    await waitFor('the model to close', () => closed.includes(opened.modelId), 60_000);
  } finally {
    await Promise.all([honest.stop(), evaluator.stop()]);
  }

  const chainEvals = (await lenderClient.queryEvents('GradientEvaluated', [null, opened.modelId])) as GradientEvaluated[];
  assert.equal(chainEvals.length, rogueCases.length + 1);
  for (const [id, c] of rogueIds) {
    const onChain = chainEvals.find((e) => e.gradientId === id)!;
    // content that could not be fetched is Declined (stake back: maybe the lender's storage); wrong content is Rejected
    assert.equal(onChain.verdict, /did not resolve/.test(c.reason.source) ? 'Declined' : 'Rejected', `${c.name}: verdict on-chain`);
    assert.equal(onChain.score, 0, `${c.name} scored 0`);
    const fromDaemon = evaluations.find((e) => e.gradientId === id)!;
    assert.match(fromDaemon.reason ?? '', c.reason, `${c.name}: reason "${fromDaemon.reason}"`);
    t.diagnostic(`${c.name}: ${fromDaemon.reason}`);
    assert.ok(sc.logLines.some((l) => l.includes(`gradient ${onChain.verdict.toLowerCase()}`) && l.includes(`"gradientId":${id}`)), `${c.name}: verdict logged`);
  }
  const declined = rogueCases.filter((c) => /did not resolve/.test(c.reason.source)).length;
  assert.equal(declined, 2);
  assert.equal(await lenderClient.credit(await rogue.address()), BigInt(declined) * STAKE, 'rejected stakes are forfeited, declined ones come back');
  assert.ok(!chainEvals.some((e) => e.gradientId === lateSub.gradientId), 'no evaluation after the deadline');
  assert.equal(evaluator.record(opened.modelId, lateSub.gradientId)?.state, 'missed');
  assert.ok(sc.logLines.some((l) => l.includes('evaluation deadline passed') && l.includes(`"gradientId":${lateSub.gradientId}`)));
  const expired = await lenderClient.queryEvents('GradientExpired', [lateSub.gradientId]);
  assert.equal(expired.length, 1, 'the missed gradient was expired');
  const closedEvs = await lenderClient.queryEvents('ModelClosed', [opened.modelId]);
  assert.equal(closedEvs.length, 1);
  assert.equal(closedEvs[0]!.name === 'ModelClosed' && closedEvs[0]!.reason, 'Deadline');
  assert.ok((await lenderClient.credit(await late.address())) >= STAKE, 'an expired gradient\'s stake comes back (plus its share of the leftover)');
  assert.equal(honestEvents.length, 1);
  const honestEval = chainEvals.find((e) => e.gradientId === honestEvents[0]!.gradientId)!;
  assert.equal(honestEval.accepted, true, 'the honest gradient after the rogue ones is accepted');
  const honestSubs = await lenderClient.queryEvents('GradientRevealed', [null, opened.modelId, honest.address]);
  assert.equal(honestSubs.length, 1, 'the honest owner submitted once');
  assert.equal(Object.values(honest.journal.value.submissions).filter((s) => s.state === 'revealed').length, 1);
});

test('malformed CSVs: a clear error naming the file and line, or a skipped model with the reason', async () => {
  const client = await sc.client(3);
  const broken = path.join(sc.dir, 'broken.csv');
  writeFileSync(broken, 'a,b,not.fully.paid\n1,2,0\n3,"4,1\n');
  await assert.rejects(
    startOwner({ client, store: sc.store, stateDir: `${sc.dir}/owner-broken`, data: broken }),
    /broken\.csv:3: unterminated quoted field/,
  );
  const ragged = path.join(sc.dir, 'ragged.csv');
  writeFileSync(ragged, 'a,b,not.fully.paid\n1,2,0\n3,4\n');
  await assert.rejects(startOwner({ client, store: sc.store, stateDir: `${sc.dir}/owner-ragged`, data: ragged }), /ragged\.csv:3/);

  // well-formed CSV with a bad value: the model is skipped, with the line and column named
  const lines = (await import('node:fs')).readFileSync(sc.ownerCsvs[1]!, 'utf8').split('\n');
  const header = lines[0]!.split(',');
  const fico = header.indexOf('fico');
  const row = lines[5]!.split(',');
  row[fico] = 'seven hundred';
  lines[5] = row.join(',');
  const badValue = path.join(sc.dir, 'bad-value.csv');
  writeFileSync(badValue, lines.join('\n'));
  // an open model (the first test's material; its own model is closed by now)
  assert.ok(published, 'the first test published a model');
  const lender = await sc.client(1);
  const fresh = await lender.createModel({
    ...published,
    bounty: parseEther('1'),
    initialScore: 500_000,
    targetScore: 750_000,
    rule: 'Improvement',
    submissionDeadline: (await lender.chainTime()) + 3600,
    evaluationWindow: 600,
    submissionStake: STAKE,
  });
  const seen: OwnerEvents['model'][0][] = [];
  const owner = await startOwner({ client, store: sc.store, stateDir: `${sc.dir}/owner-bad-value`, data: badValue, filter: { modelIds: [fresh.modelId] }, pollMs: 100, log: sc.log.child({ who: 'owner-bad-value' }) });
  owner.events.on('model', (e) => e.modelId === fresh.modelId && seen.push(e));
  try {
    await waitFor('the model decision', () => seen.length > 0, 30_000);
  } finally {
    await owner.stop();
  }
  assert.equal(seen[0]!.eligible, false);
  assert.match(seen[0]!.reason!, /bad-value\.csv:6 column "fico": value "seven hundred" is not a number/);

  // the owner's own minimum batch holds whatever the model asks: too few rows, no gradient
  const floor: OwnerEvents['model'][0][] = [];
  const careful = await startOwner({ client, store: sc.store, stateDir: `${sc.dir}/owner-floor`, data: sc.ownerCsvs[1]!, minBatch: 5000, filter: { modelIds: [fresh.modelId] }, pollMs: 100 });
  careful.events.on('model', (e) => e.modelId === fresh.modelId && floor.push(e));
  try {
    await waitFor('the model decision', () => floor.length > 0, 30_000);
  } finally {
    await careful.stop();
  }
  assert.equal(floor[0]!.eligible, false);
  assert.match(floor[0]!.reason!, /fewer than a batch of 5000/);
});
