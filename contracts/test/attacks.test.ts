// Attacks on the incentive protocol (issue 15), one test each, named for the attack. Each was
// first written against the old submitGradient contract (f53af99) and failed there: the attack
// succeeded. Here each must be stopped.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Interface } from 'ethers';
import { chainSuite } from './helpers/suite.ts';
import { CID, DAY, ETH, as, commit, createModel, evaluate, expectEvents, expectRevert, freshCommitment, freshSalt, modelParams, now, reveal, sealFor, submit, type AnyContract, type Env } from './helpers/chain.ts';
import { GradientStatus, MAX_SUBMISSION_PERIOD, MIN_SUBMISSION_STAKE, REVEAL_WINDOW, Verdict, sealOf } from '../src/index.ts';

const STAKE = 10n ** 16n;
const ONE = 10n ** 18n;
const guardError = new Interface(['error ReentrancyGuardReentrantCall()']);

async function closable(env: Env, id: bigint): Promise<void> {
  const m = await env.repo.getModel(id);
  await env.helpers.time.increaseTo(m.submissionDeadline + BigInt(REVEAL_WINDOW) + m.evaluationWindow);
}

async function fundedToken(env: Env, name: string, holders: [Env['alice'], bigint][]): Promise<AnyContract> {
  const token = await env.ethers.deployContract(name);
  for (const [who, amount] of holders) {
    await token.mint(who.address, amount);
    await as(token, who).approve(await env.repo.getAddress(), amount);
  }
  return token;
}

chainSuite('attacks', (get) => {
  it("squat: another account using the victim's data commitment blocks nothing", async () => {
    const env = get();
    const id = await createModel(env);
    const victim = freshCommitment();
    // the squatter commits and even reveals first with the victim's commitment
    await submit(env, id, env.stranger, victim);
    const g = await submit(env, id, env.alice, victim);
    assert.equal((await env.repo.getGradient(g)).status, BigInt(GradientStatus.Pending));
    await evaluate(env, g, 700_000n);
    assert.equal(await env.repo.credit(env.alice.address, ETH), ONE / 2n + STAKE);
  });

  it('front-run copy: a copied CID earns nothing and a copied seal cannot be revealed by another account', async () => {
    const env = get();
    const id = await createModel(env);
    const provider = env.conn.provider;
    const fast = { value: STAKE, maxPriorityFeePerGas: 10n ** 10n, maxFeePerGas: 10n ** 11n };
    await provider.request({ method: 'evm_setAutomine', params: [false] });
    try {
      // 1. the victim's commit is in the mempool: all it shows is the seal; the copier outbids it
      const commitment = freshCommitment();
      const salt = freshSalt();
      const seal = sealOf(env.alice.address, id, commitment, CID.gradient, salt);
      const victimCommit = await as(env.repo, env.alice).commitGradient(id, seal, { value: STAKE });
      const seen = env.repo.interface.parseTransaction({ data: (await env.ethers.provider.getTransaction(victimCommit.hash))!.data })!;
      await as(env.repo, env.stranger).commitGradient(id, seen.args[1], fast);
      await provider.request({ method: 'evm_mine', params: [] });
      const copiedSealId = 1n; // the copier's commit was mined first...
      const victimId = 2n;
      assert.equal((await env.repo.getGradient(copiedSealId)).contributor, env.stranger.address);
      assert.equal((await env.repo.getGradient(victimId)).contributor, env.alice.address);
      // ...but it cannot reveal the victim's gradient, nor its copied seal with the victim's content
      await provider.request({ method: 'evm_setAutomine', params: [true] });
      await expectRevert(as(env.repo, env.stranger).revealGradient(victimId, CID.gradient, commitment, salt, 0n), env.repo.interface, 'NotContributor', [victimId, env.stranger.address, env.alice.address]);
      const copierSeal = sealOf(env.stranger.address, id, commitment, CID.gradient, salt);
      await expectRevert(as(env.repo, env.stranger).revealGradient(copiedSealId, CID.gradient, commitment, salt, 0n), env.repo.interface, 'SealMismatch', [copiedSealId, seal, copierSeal]);
      await provider.request({ method: 'evm_setAutomine', params: [false] });
      // 2. the victim reveals; the CID is now public in the mempool and the copier commits it at once
      const victimReveal = await as(env.repo, env.alice).revealGradient(victimId, CID.gradient, commitment, salt, 0n);
      const revealed = env.repo.interface.parseTransaction({ data: (await env.ethers.provider.getTransaction(victimReveal.hash))!.data })!;
      const copySalt = freshSalt();
      const copyCommitment = freshCommitment();
      const copyCid = revealed.args[1] as string;
      await as(env.repo, env.stranger).commitGradient(id, sealOf(env.stranger.address, id, copyCommitment, copyCid, copySalt), fast);
      await provider.request({ method: 'evm_mine', params: [] });
      await provider.request({ method: 'evm_setAutomine', params: [true] });
      // the copier's commit of the public CID is mined first in the block, yet it is a later id
      // than the victim's commit, which was fixed before the CID was public
      const copyId = 3n;
      assert.equal((await env.repo.getGradient(copyId)).contributor, env.stranger.address);
      await as(env.repo, env.stranger).revealGradient(copyId, copyCid, copyCommitment, copySalt, 0n);
    } finally {
      await provider.request({ method: 'evm_setAutomine', params: [true] });
    }
    const copy = { gradientId: 3n };
    // the evaluator keeps the first-committed gradient carrying a CID and rejects later copies
    await evaluate(env, 2n, 700_000n);
    await evaluate(env, copy.gradientId, 700_000n, Verdict.Rejected);
    assert.equal(await env.repo.credit(env.alice.address, ETH), ONE / 2n + STAKE);
    assert.equal(await env.repo.credit(env.stranger.address, ETH), 0n, 'the copier earned something');
    // the unrevealable copied seal lapses and its stake goes to the lender
    await env.helpers.time.increase(REVEAL_WINDOW + 1);
    await env.repo.expireGradient(1n);
    assert.equal((await env.repo.getGradient(1n)).status, BigInt(GradientStatus.Lapsed));
    assert.equal(await env.repo.credit(env.lender.address, ETH), 2n * STAKE);
  });

  it('reorg verdict: a verdict judged on one gradient cannot land on another (SealMismatch)', async () => {
    const env = get();
    const id = await createModel(env);
    const snap = await env.helpers.takeSnapshot();
    const judged = await submit(env, id, env.alice); // the evaluator judges this content...
    const judgedSeal = await sealFor(env, judged);
    await snap.restore(); // ...a reorg drops it and another gradient takes its id
    const other = await submit(env, id, env.stranger, freshCommitment(), STAKE, CID.newWeights);
    assert.equal(judged, other);
    await expectRevert(
      as(env.repo, env.evaluator).evaluateGradient(judged, judgedSeal, 700_000n, Verdict.Accepted, CID.newWeights),
      env.repo.interface,
      'SealMismatch',
      [judged, await sealFor(env, other), judgedSeal],
    );
  });

  it('unbounded deadline: a submission deadline beyond MAX_SUBMISSION_PERIOD reverts DeadlineTooFar naming it', async () => {
    const env = get();
    const t = (await now(env)) + 1n;
    const max = t + BigInt(MAX_SUBMISSION_PERIOD);
    await env.helpers.time.setNextBlockTimestamp(t);
    await expectRevert(
      as(env.repo, env.lender).createModel(await modelParams(env, { submissionDeadline: t + BigInt(36_500 * DAY) }), { value: ONE }),
      env.repo.interface,
      'DeadlineTooFar',
      [t + BigInt(36_500 * DAY), max],
    );
    await env.helpers.time.setNextBlockTimestamp(t + 1n);
    await expectRevert(as(env.repo, env.lender).createModel(await modelParams(env, { submissionDeadline: max + 2n }), { value: ONE }), env.repo.interface, 'DeadlineTooFar', [max + 2n, max + 1n]);
    await env.helpers.time.setNextBlockTimestamp(t + 2n);
    await as(env.repo, env.lender).createModel(await modelParams(env, { submissionDeadline: max + 2n }), { value: ONE });
  });

  it('target 1.0: a target of SCORE_SCALE (never reached, so shares never paid) reverts InvalidScores', async () => {
    const env = get();
    await expectRevert(as(env.repo, env.lender).createModel(await modelParams(env, { targetScore: 1_000_000n }), { value: ONE }), env.repo.interface, 'InvalidScores', [600_000n, 1_000_000n]);
  });

  it('third-party top-up refund: each funder gets its unspent part back in proportion, the lender only its own', async () => {
    const env = get();
    const id = await createModel(env, { value: 1000n });
    await as(env.repo, env.bob).addBounty(id, 500n, { value: 500n });
    await as(env.repo, env.carol).addBounty(id, 300n, { value: 300n });
    await as(env.repo, env.carol).addBounty(id, 200n, { value: 200n });
    await as(env.repo, env.lender).addBounty(id, 1n, { value: 1n }); // the lender's own top-up stays the lender's
    await evaluate(env, await submit(env, id), 650_000n); // pays 2001 / 4 = 500
    await closable(env, id);
    // refund 1501 of 2001: bob 1501*500/2001 -> 375, carol 1501*500/2001 -> 375 (pool 750), lender 751
    await expectEvents(await env.repo.closeModel(id), env.repo.interface, [
      ['ModelClosed', [id, env.lender.address, 0n, 500n, 0n, 0n, 0n, 1501n]],
      ['Refunded', [id, env.lender.address, ETH, 751n]],
    ]);
    await expectEvents(await as(env.repo, env.carol).claimRefund(id), env.repo.interface, [['Refunded', [id, env.carol.address, ETH, 375n]]]);
    await expectEvents(await as(env.repo, env.bob).claimRefund(id), env.repo.interface, [['Refunded', [id, env.bob.address, ETH, 375n]]]);
    assert.equal(await env.repo.credit(env.bob.address, ETH), 375n);
    assert.equal(await env.repo.credit(env.lender.address, ETH), 751n);
    await expectRevert(as(env.repo, env.bob).claimRefund(id), env.repo.interface, 'NothingToRefund', [id, env.bob.address]);
    await expectRevert(as(env.repo, env.lender).claimRefund(id), env.repo.interface, 'NothingToRefund', [id, env.lender.address]);
  });

  it('ERC-777 hook closes during addBounty: the guard stops it and the top-up is never locked', async () => {
    const env = get();
    const token = await fundedToken(env, 'HookToken', [[env.lender, 1000n], [env.bob, 500n]]);
    const hook = await env.ethers.deployContract('TransferHook');
    const tokenAddr = await token.getAddress();
    const repoAddr = await env.repo.getAddress();
    const id = await createModel(env, { token: tokenAddr, bounty: 1000n });
    await closable(env, id);
    await as(token, env.bob).setHook(await hook.getAddress());
    await hook.arm(repoAddr, env.repo.interface.encodeFunctionData('closeModel', [id]));
    await as(env.repo, env.bob).addBounty(id, 500n);
    assert.equal(await hook.attempted(), true);
    assert.equal(await hook.succeeded(), false);
    assert.equal(guardError.parseError(await hook.lastError())?.name, 'ReentrancyGuardReentrantCall');
    await env.repo.closeModel(id);
    await as(env.repo, env.bob).claimRefund(id);
    for (const who of [env.lender, env.bob]) await as(env.repo, who).withdraw(tokenAddr, who.address);
    assert.equal(await token.balanceOf(repoAddr), 0n, 'tokens locked in the repository');
    assert.equal(await token.balanceOf(env.bob.address), 500n);
  });

  it('rebasing token: gains and losses are shared pro rata and the last withdrawal empties the balance', async () => {
    const env = get();
    const token = await fundedToken(env, 'RebasingToken', [[env.lender, 1000n]]);
    const tokenAddr = await token.getAddress();
    const repoAddr = await env.repo.getAddress();
    const id = await createModel(env, { token: tokenAddr, bounty: 1000n });
    await evaluate(env, await submit(env, id, env.alice), 700_000n); // alice earns 500
    await closable(env, id);
    await env.repo.closeModel(id); // lender refunded 500
    await token.rebase(repoAddr, 800n); // -20 %
    await expectEvents(await as(env.repo, env.alice).withdraw(tokenAddr, env.alice.address), env.repo.interface, [['Withdrawal', [env.alice.address, tokenAddr, env.alice.address, 400n]]]);
    await token.rebase(repoAddr, 601n); // then a gain: the last one takes all that is left
    await as(env.repo, env.lender).withdraw(tokenAddr, env.lender.address);
    assert.equal(await token.balanceOf(repoAddr), 0n);
    assert.equal(await token.balanceOf(env.alice.address), 400n);
    assert.equal(await token.balanceOf(env.lender.address), 601n);
    assert.equal(await env.repo.owed(tokenAddr), 0n);
  });

  it('zero-stake spam: a model cannot ask less than MIN_SUBMISSION_STAKE, so junk commits always cost (StakeTooLow)', async () => {
    const env = get();
    for (const stake of [0n, 1n, MIN_SUBMISSION_STAKE - 1n]) {
      await expectRevert(as(env.repo, env.lender).createModel(await modelParams(env, { submissionStake: stake }), { value: ONE }), env.repo.interface, 'StakeTooLow', [stake, MIN_SUBMISSION_STAKE]);
    }
    const id = await createModel(env, { submissionStake: MIN_SUBMISSION_STAKE });
    // a junk commit that never reveals lapses and its stake goes to the lender, sharing nothing
    const junk = await commit(env, id, env.stranger, { stake: MIN_SUBMISSION_STAKE });
    await env.helpers.time.increase(REVEAL_WINDOW + 1);
    await env.repo.expireGradient(junk.gradientId);
    assert.equal(await env.repo.credit(env.lender.address, ETH), MIN_SUBMISSION_STAKE);
    assert.equal((await env.repo.getModel(id)).expiredCount, 0n);
  });
});
