// Attack: stake drain (security review C1). Anyone can open a model asking a large stake for a
// 1-wei bounty, copy an honest-looking model's metadata, name itself as evaluator and reject
// every gradient: each rejection credits the stake to it. An owner daemon on its defaults used to
// pay whatever stake a model asked and submit its next batch as soon as the last was rejected.
// Now its safety policy refuses the large stake and the lopsided bounty outright, stops after a
// few forfeited stakes in a row on a model that looks fair, and logs each refusal once, naming
// the rule.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseEther } from 'ethers';
import { startOwner } from '../../src/roles/owner.ts';
import type { OwnerEvents } from '../../src/roles/owner.ts';
import type { ModelRepositoryClient } from '@hessian/core/model-repository';
import { rejectEverything, submissionsBy } from './helpers/attacker.ts';
import { startScenario, waitFor, openScenarioModel } from './helpers/scenario.ts';
import type { Scenario } from './helpers/scenario.ts';

let sc: Scenario;
before(async () => {
  sc = await startScenario({ owners: 1 });
});
after(async () => {
  await sc?.cleanup();
});

test('stake drain: the owner refuses a 5 ETH stake for a 1-wei bounty and stops after 3 rejections in a row', { timeout: 300_000 }, async () => {
  const attacker: ModelRepositoryClient = await sc.client(4);
  // the drain model: a 5 ETH stake for a 1-wei bounty, scored by its own creator
  const drain = await openScenarioModel(sc, attacker, `${sc.dir}/attacker`, { bounty: 1n, submissionStake: parseEther('5'), log: sc.log.child({ who: 'attacker' }) });
  // copies of its metadata: a small stake for a 1-wei bounty, and one that looks fair
  const now = await attacker.chainTime();
  const copy = { weightsCid: drain.weightsCid, metadataCid: drain.metadataCid, initialScore: drain.initialScore, targetScore: drain.targetScore, rule: 'Improvement' as const, submissionDeadline: now + 24 * 3600, evaluationWindow: 3600 };
  const lopsided = await attacker.createModel({ ...copy, bounty: 1n, submissionStake: parseEther('0.001') });
  const fair = await attacker.createModel({ ...copy, bounty: parseEther('0.01'), submissionStake: parseEther('0.001') });
  const rejecter = rejectEverything(attacker, [drain.modelId, lopsided.modelId, fair.modelId]);

  const ownerClient = await sc.client(2);
  const me = await ownerClient.address();
  const balanceBefore = await ownerClient.provider.getBalance(me);
  const owner = await startOwner({
    client: ownerClient,
    store: sc.store,
    stateDir: `${sc.dir}/owner`,
    data: sc.ownerCsvs[0]!,
    batchSize: 256,
    pollMs: 100,
    log: sc.log.child({ who: 'owner' }),
  });
  const refused: OwnerEvents['refused'][0][] = [];
  owner.events.on('refused', (e) => refused.push(e));
  /** fails at once when the owner pays into a model it must refuse, rather than at the timeout */
  const noDrain = async () => {
    for (const id of [drain.modelId, lopsided.modelId]) {
      const n = (await submissionsBy(attacker, id, me)).length;
      assert.equal(n, 0, `the owner paid ${n} stake(s) into model ${id} (${id === drain.modelId ? '5 ETH each' : 'for a 1-wei bounty'})`);
    }
  };
  try {
    await waitFor('the fair-looking model refused after rejections', async () => {
      await noDrain();
      return refused.some((r) => r.modelId === fair.modelId);
    }, 240_000);
    // the daemon keeps polling: nothing more is paid, nothing is logged twice
    await new Promise((r) => setTimeout(r, 2000));
    await noDrain();
  } finally {
    await owner.stop();
    await rejecter.stop();
  }
  const rules = Object.fromEntries(refused.map((r) => [r.modelId, r.rule]));
  assert.deepEqual(rules, { [drain.modelId]: 'max-stake', [lopsided.modelId]: 'max-stake-ratio', [fair.modelId]: 'max-rejections' });
  assert.equal(refused.length, 3, 'each refusal emitted once');
  const fairSubs = await submissionsBy(attacker, fair.modelId, me);
  assert.equal(fairSubs.length, 3, 'three stakes lost on the fair-looking model, then it stopped');
  assert.equal(rejecter.rejected(), 3, 'the attacker rejected all three');
  const logged = sc.logLines.filter((l) => l.includes('"who":"owner"') && l.includes('submission refused by policy'));
  assert.equal(logged.length, 3, 'each refusal logged once');
  for (const [id, rule] of Object.entries(rules)) assert.ok(logged.some((l) => l.includes(`"modelId":${id}`) && l.includes(`"rule":"${rule}"`)), `model ${id}: ${rule} logged`);
  // what the attack cost the owner: three small stakes and gas, nowhere near 5 ETH
  const spent = balanceBefore - (await ownerClient.provider.getBalance(me));
  assert.ok(spent < parseEther('0.004'), `spent ${spent} wei`);
  assert.equal(await ownerClient.credit(me), 0n, 'the rejected stakes went to the attacker');
});
