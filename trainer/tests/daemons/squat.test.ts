// Attack: squat (security review C2b). A front-runner sees an owner's submission coming and gets
// its own gradient on-chain first under the owner's data commitment. When commitments were
// global and one-use, the owner's transaction reverted with CommitmentAlreadyUsed, it found no
// submission of its own under that commitment and retried the same batch forever: that model
// was dead for it. Under commit-reveal, commitments belong to their sender and the owner's seal
// fixes its place in line, so a squatter blocks nothing. The squatter here is stronger than a
// real one: it learns each commitment before the owner even commits (a commit shows only a seal).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseEther } from 'ethers';
import { startOwner } from '../../src/roles/owner.ts';
import type { OwnerConfig, OwnerEvents } from '../../src/roles/owner.ts';
import { startScenario, waitFor } from './helpers/scenario.ts';
import type { Scenario } from './helpers/scenario.ts';
import { honestLender } from './helpers/attacker.ts';

let sc: Scenario;
before(async () => {
  sc = await startScenario({ owners: 1 });
});
after(async () => {
  await sc?.cleanup();
});

test('squat: a front-runner submitting the owner\'s data commitment first does not block it; the owner completes its batches', { timeout: 200_000 }, async () => {
  const stake = parseEther('0.001');
  const { lender, model, evaluator } = await honestLender(sc, stake);
  const squatter = await sc.client(8);
  const squatted: string[] = [];
  /** front-runs the owner's next transaction with the owner's own data commitment */
  const squat = async ({ commitment }: { commitment: string }) => {
    if (squatted.includes(commitment)) return;
    squatted.push(commitment);
    // any content will do: the squatter only wants the commitment used first
    await squatter.submitGradient(model.modelId, model.weightsCid, commitment, stake);
  };
  // beforeSubmit is the hook's name in the one-step protocol, so the attack runs on either
  const hooks = { beforeCommit: squat, beforeSubmit: squat } as Partial<OwnerConfig>;
  const owner = await startOwner({
    client: await sc.client(2),
    store: sc.store,
    stateDir: `${sc.dir}/owner`,
    data: sc.ownerCsvs[0]!,
    batchSize: 512,
    maxSubmissionsPerModel: 2,
    pollMs: 100,
    log: sc.log.child({ who: 'owner' }),
    ...hooks,
  });
  const submitted: OwnerEvents['submitted'][0][] = [];
  const evaluated: OwnerEvents['evaluated'][0][] = [];
  owner.events.on('submitted', (e) => submitted.push(e));
  owner.events.on('evaluated', (e) => evaluated.push(e));
  try {
    await waitFor('both batches submitted and judged', () => {
      const stuck = sc.logLines.find((l) => l.includes('"who":"owner"') && l.includes('CommitmentAlreadyUsed'));
      assert.equal(stuck, undefined, 'the squatted batch failed and is retried (forever)');
      return evaluated.length >= 2;
    }, 150_000);
  } finally {
    await owner.stop();
    await evaluator.stop();
  }
  assert.equal(squatted.length, 2, 'both batches were squatted before the owner sent them');
  assert.deepEqual(submitted.map((s) => s.commitment), squatted, 'the owner submitted exactly the squatted commitments, once each');
  assert.ok(evaluated.every((e) => e.status !== 'Rejected' && e.status !== 'Lapsed'), `the owner's gradients were judged on their merits: ${evaluated.map((e) => e.status).join(', ')}`);
  const squatterGradients = (await lender.queryEvents('GradientEvaluated', [null, model.modelId, await squatter.address()])).filter((e) => e.name === 'GradientEvaluated');
  assert.ok(squatterGradients.every((e) => e.name === 'GradientEvaluated' && !e.accepted), 'the squatter earned nothing');
});
