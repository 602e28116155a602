// Attack: front-run copy (security review C2a), against the owner daemon. A copier watches the
// mempool, sees the owner's transaction carrying its gradient CID and gets the same CID on-chain
// first under its own fresh commitment. With one-step submissions the copy took the lower id,
// the Improvement reward and the owner's credit, and the owner's identical gradient then showed
// "no improvement" and lost its stake. Under commit-reveal the CID first appears in the reveal,
// after the owner's commit fixed its place in line: the copier's copy is committed later, the
// evaluator rejects it as a duplicate (first committed wins), and the owner is credited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, parseEther, toUtf8Bytes } from 'ethers';
import { startOwner } from '../../src/roles/owner.ts';
import type { OwnerConfig, OwnerEvents, OwnerHandle } from '../../src/roles/owner.ts';
import type { GradientEvaluated } from '@hessian/core/model-repository';
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

test('front-run copy: a copier that gets the owner\'s CID on-chain first earns nothing; the owner is credited', { timeout: 200_000 }, async () => {
  const stake = parseEther('0.001');
  const { lender, model, evaluator } = await honestLender(sc, stake);
  const copier = await sc.client(8);
  let owner: OwnerHandle | undefined;
  const copies: number[] = [];
  /** runs when the owner's transaction carrying the CID is about to go out: the copier's lands first */
  const copy = async ({ commitment }: { commitment: string }) => {
    const cid = owner?.journal.value.submissions[commitment]?.gradientCid;
    assert.ok(cid, 'the CID is in the transaction the copier sees');
    const res = await copier.submitGradient(model.modelId, cid, keccak256(toUtf8Bytes(`copier ${commitment}`)), stake);
    copies.push(res.gradientId);
  };
  // beforeSubmit is the one-step protocol's hook, so the attack runs on either
  const hooks = { beforeReveal: copy, beforeSubmit: copy } as Partial<OwnerConfig>;
  owner = await startOwner({
    client: await sc.client(2),
    store: sc.store,
    stateDir: `${sc.dir}/owner`,
    data: sc.ownerCsvs[0]!,
    batchSize: 512,
    maxSubmissionsPerModel: 1,
    pollMs: 100,
    log: sc.log.child({ who: 'owner' }),
    ...hooks,
  });
  const judged: OwnerEvents['evaluated'][0][] = [];
  owner.events.on('evaluated', (e) => judged.push(e));
  try {
    await waitFor('both gradients judged', async () => (await lender.queryEvents('GradientEvaluated', [null, model.modelId])).length >= 2, 150_000);
    await waitFor('the owner to note its verdict', () => judged.length >= 1, 10_000);
  } finally {
    await owner.stop();
    await evaluator.stop();
  }
  assert.equal(copies.length, 1, 'the copier copied the owner\'s gradient once');
  const evs = (await lender.queryEvents('GradientEvaluated', [null, model.modelId])) as GradientEvaluated[];
  const ownerAddress = owner.address.toLowerCase();
  const mine = evs.find((e) => e.contributor.toLowerCase() === ownerAddress)!;
  const theirs = evs.find((e) => e.gradientId === copies[0])!;
  assert.ok(mine.gradientId < theirs.gradientId, 'the owner\'s gradient is first in line though the copy was on-chain first');
  assert.equal(mine.verdict, 'Accepted', 'the owner\'s gradient is accepted');
  assert.ok(mine.reward > 0n, 'and earns the improvement reward');
  assert.equal(theirs.verdict, 'Rejected', 'the copy is rejected');
  assert.equal(theirs.reward, 0n);
  assert.equal(await lender.credit(await copier.address()), 0n, 'the copier earns nothing and loses its stake');
  assert.equal(await lender.credit(owner.address), mine.reward + stake, 'the owner is credited its reward and its stake');
  assert.deepEqual(judged.map((j) => j.status), ['Accepted'], 'the owner\'s own record says Accepted');
});
