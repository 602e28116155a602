import assert from 'node:assert/strict';
import { it } from 'node:test';
import { chainSuite } from './helpers/suite.ts';
import { GradientStatus, REVEAL_WINDOW } from '../src/index.ts';
import { ETH, as, balance, createModel, evaluate, expectEvents, expectRevert, freshCommitment, gasCost, submit, type Env } from './helpers/chain.ts';

const ONE = 10n ** 18n;
const STAKE = 10n ** 16n;

async function closableAt(env: Env, id: bigint): Promise<bigint> {
  const m = await env.repo.getModel(id);
  return m.submissionDeadline + BigInt(REVEAL_WINDOW) + m.evaluationWindow;
}

chainSuite('expireGradient', (get) => {
  it('after the evaluation deadline anyone expires a gradient and its stake returns to the contributor', async () => {
    const env = get();
    const id = await createModel(env);
    const g = await submit(env, id);
    const d = (await env.repo.getGradient(g)).deadline;
    await env.helpers.time.setNextBlockTimestamp(d);
    await expectRevert(as(env.repo, env.stranger).expireGradient(g), env.repo.interface, 'EvaluationWindowOpen', [g, d, d]);
    await env.helpers.time.setNextBlockTimestamp(d + 1n);
    const tx = await as(env.repo, env.stranger).expireGradient(g);
    await expectEvents(tx, env.repo.interface, [
      ['GradientExpired', [g, id, env.alice.address]],
      ['StakeReleased', [g, id, env.alice.address, STAKE, true]],
    ]);
    assert.equal((await env.repo.getGradient(g)).status, BigInt(GradientStatus.Expired));
    assert.equal(await env.repo.credit(env.alice.address, ETH), STAKE);
    const m = await env.repo.getModel(id);
    assert.equal(m.pendingCount, 0n);
    assert.equal(m.expiredCount, 1n);
    await expectRevert(evaluate(env, g, 700_000n), env.repo.interface, 'GradientNotPending', [g, GradientStatus.Expired]);
  });

  it('reverts UnknownGradient and GradientNotPending (evaluated or already expired)', async () => {
    const env = get();
    await expectRevert(env.repo.expireGradient(3n), env.repo.interface, 'UnknownGradient', [3n]);
    const id = await createModel(env);
    const g1 = await submit(env, id);
    const g2 = await submit(env, id);
    await evaluate(env, g1, 650_000n);
    await env.helpers.time.increase(2 * 86_400);
    await expectRevert(env.repo.expireGradient(g1), env.repo.interface, 'GradientNotPending', [g1, GradientStatus.Accepted]);
    await env.repo.expireGradient(g2);
    await expectRevert(env.repo.expireGradient(g2), env.repo.interface, 'GradientNotPending', [g2, GradientStatus.Expired]);
  });
});

chainSuite('closeModel', (get) => {
  it('after deadline + window refunds the whole bounty when nothing was earned', async () => {
    const env = get();
    const id = await createModel(env);
    const at = await closableAt(env, id);
    await env.helpers.time.setNextBlockTimestamp(at - 1n);
    await expectRevert(as(env.repo, env.stranger).closeModel(id), env.repo.interface, 'NotClosable', [id, 1n, 0n, at]);
    await env.helpers.time.setNextBlockTimestamp(at);
    const tx = await as(env.repo, env.stranger).closeModel(id);
    await expectEvents(tx, env.repo.interface, [
      ['ModelClosed', [id, env.stranger.address, 0n, 0n, 0n, 0n, 0n, ONE]],
      ['Refunded', [id, env.lender.address, ETH, ONE]],
    ]);
    assert.equal(await env.repo.credit(env.lender.address, ETH), ONE);
    assert.equal((await env.repo.getModel(id)).status, 3n);
  });

  it('Improvement: refunds bounty minus what was paid', async () => {
    const env = get();
    const id = await createModel(env);
    await evaluate(env, await submit(env, id), 700_000n);
    await env.helpers.time.increaseTo(await closableAt(env, id));
    const tx = await as(env.repo, env.lender).closeModel(id);
    await expectEvents(tx, env.repo.interface, [
      ['ModelClosed', [id, env.lender.address, 0n, ONE / 2n, 0n, 0n, 0n, ONE / 2n]],
      ['Refunded', [id, env.lender.address, ETH, ONE / 2n]],
    ]);
  });

  it('closes early once the target is reached, with nothing left to refund', async () => {
    const env = get();
    const id = await createModel(env);
    await evaluate(env, await submit(env, id), 800_000n);
    const tx = await env.repo.closeModel(id);
    await expectEvents(tx, env.repo.interface, [['ModelClosed', [id, env.lender.address, 1n, ONE, 0n, 0n, 0n, 0n]]]);
  });

  it('refuses to close with a pending gradient, even after the target or the deadline', async () => {
    const env = get();
    const id = await createModel(env);
    const g1 = await submit(env, id, env.alice);
    const g2 = await submit(env, id, env.bob);
    await evaluate(env, g1, 900_000n);
    const at = await closableAt(env, id);
    await expectRevert(env.repo.closeModel(id), env.repo.interface, 'NotClosable', [id, 2n, 1n, at]);
    await env.helpers.time.increaseTo(at);
    await expectRevert(env.repo.closeModel(id), env.repo.interface, 'NotClosable', [id, 2n, 1n, at]);
    await env.repo.expireGradient(g2);
    await env.repo.closeModel(id);
  });

  it('shares what the lender left unearned among expired gradients; dust returns to the lender', async () => {
    const env = get();
    const id = await createModel(env, { value: 1000n });
    const g1 = await submit(env, id, env.alice);
    const g2 = await submit(env, id, env.bob);
    const g3 = await submit(env, id, env.carol);
    const g4 = await submit(env, id, env.stranger);
    await evaluate(env, g1, 650_000n); // earns 250
    await evaluate(env, g4, 0n, false);
    await env.helpers.time.increaseTo(await closableAt(env, id));
    await env.repo.expireGradient(g2);
    await env.repo.expireGradient(g3);
    const tx = await env.repo.closeModel(id);
    // 750 left, 2 expired -> 375 each, no dust
    await expectEvents(tx, env.repo.interface, [['ModelClosed', [id, env.lender.address, 0n, 250n, 750n, 2n, 375n, 0n]]]);
    await expectEvents(await as(env.repo, env.stranger).claimShare(g2), env.repo.interface, [['RewardEarned', [id, env.bob.address, g2, ETH, 375n, 2n]]]);
    await env.repo.claimShare(g3);
    assert.equal(await env.repo.credit(env.carol.address, ETH), 375n + STAKE);
    await expectRevert(env.repo.claimShare(g1), env.repo.interface, 'NothingToClaim', [g1, GradientStatus.Accepted]);
    await expectRevert(env.repo.claimShare(g4), env.repo.interface, 'NothingToClaim', [g4, GradientStatus.Rejected]);
  });

  it('EqualShare: splits the pool among accepted and expired gradients, dust to the lender', async () => {
    const env = get();
    const id = await createModel(env, { rule: 1, value: 1000n });
    const gs = [];
    for (const who of [env.alice, env.bob, env.carol, env.stranger]) gs.push(await submit(env, id, who));
    await evaluate(env, gs[0]!, 610_000n);
    await evaluate(env, gs[1]!, 590_000n); // accepted without improvement still shares
    await evaluate(env, gs[2]!, 0n, false);
    await env.helpers.time.increaseTo(await closableAt(env, id));
    await env.repo.expireGradient(gs[3]!);
    const tx = await env.repo.closeModel(id);
    await expectEvents(tx, env.repo.interface, [
      ['ModelClosed', [id, env.lender.address, 0n, 0n, 999n, 3n, 333n, 1n]],
      ['Refunded', [id, env.lender.address, ETH, 1n]],
    ]);
    await expectEvents(await env.repo.claimShare(gs[0]!), env.repo.interface, [['RewardEarned', [id, env.alice.address, gs[0]!, ETH, 333n, 1n]]]);
    await expectEvents(await env.repo.claimShare(gs[1]!), env.repo.interface, [['RewardEarned', [id, env.bob.address, gs[1]!, ETH, 333n, 1n]]]);
    await expectEvents(await env.repo.claimShare(gs[3]!), env.repo.interface, [['RewardEarned', [id, env.stranger.address, gs[3]!, ETH, 333n, 2n]]]);
    await expectRevert(env.repo.claimShare(gs[2]!), env.repo.interface, 'NothingToClaim', [gs[2]!, GradientStatus.Rejected]);
  });

  it('EqualShare without accepted or expired gradients refunds everything', async () => {
    const env = get();
    const id = await createModel(env, { rule: 1 });
    await evaluate(env, await submit(env, id), 0n, false);
    await env.helpers.time.increaseTo(await closableAt(env, id));
    await expectEvents(await env.repo.closeModel(id), env.repo.interface, [
      ['ModelClosed', [id, env.lender.address, 0n, 0n, 0n, 0n, 0n, ONE]],
      ['Refunded', [id, env.lender.address, ETH, ONE]],
    ]);
  });

  it('reverts UnknownModel and AlreadyClosed', async () => {
    const env = get();
    await expectRevert(env.repo.closeModel(1n), env.repo.interface, 'UnknownModel', [1n]);
    const id = await createModel(env);
    await env.helpers.time.increaseTo(await closableAt(env, id));
    await env.repo.closeModel(id);
    await expectRevert(env.repo.closeModel(id), env.repo.interface, 'AlreadyClosed', [id]);
  });
});

chainSuite('claimShare', (get) => {
  it('reverts UnknownGradient, ModelNotClosed, AlreadyClaimed', async () => {
    const env = get();
    await expectRevert(env.repo.claimShare(1n), env.repo.interface, 'UnknownGradient', [1n]);
    const id = await createModel(env);
    const g = await submit(env, id);
    await env.helpers.time.increaseTo(await closableAt(env, id));
    await env.repo.expireGradient(g);
    await expectRevert(env.repo.claimShare(g), env.repo.interface, 'ModelNotClosed', [id]);
    await env.repo.closeModel(id);
    await env.repo.claimShare(g);
    await expectRevert(env.repo.claimShare(g), env.repo.interface, 'AlreadyClaimed', [g]);
    assert.equal(await env.repo.credit(env.alice.address, ETH), ONE + STAKE);
  });

  it('pays token shares in the token', async () => {
    const env = get();
    const tokenAddr = await env.token.getAddress();
    await env.token.mint(env.lender.address, 90n);
    await as(env.token, env.lender).approve(await env.repo.getAddress(), 90n);
    const id = await createModel(env, { token: tokenAddr, bounty: 90n, rule: 1 });
    const g = await submit(env, id);
    await evaluate(env, g, 700_000n);
    await env.helpers.time.increaseTo(await closableAt(env, id));
    await env.repo.closeModel(id);
    await expectEvents(await env.repo.claimShare(g), env.repo.interface, [['RewardEarned', [id, env.alice.address, g, tokenAddr, 90n, 1n]]]);
    assert.equal(await env.repo.credit(env.alice.address, tokenAddr), 90n);
  });
});

chainSuite('withdraw', (get) => {
  it('pays the whole ETH credit to any address and zeroes it', async () => {
    const env = get();
    const id = await createModel(env);
    await evaluate(env, await submit(env, id), 650_000n);
    const amount = ONE / 4n + STAKE;
    const before = await balance(env, env.carol.address);
    const tx = await as(env.repo, env.alice).withdraw(ETH, env.carol.address);
    await expectEvents(tx, env.repo.interface, [['Withdrawal', [env.alice.address, ETH, env.carol.address, amount]]]);
    assert.equal(await balance(env, env.carol.address), before + amount);
    assert.equal(await env.repo.credit(env.alice.address, ETH), 0n);
    assert.equal(await balance(env, await env.repo.getAddress()), ONE + STAKE - amount);
    await expectRevert(as(env.repo, env.alice).withdraw(ETH, env.alice.address), env.repo.interface, 'NothingToWithdraw', [env.alice.address, ETH]);
  });

  it('returns the amount from a static call and pays the caller itself', async () => {
    const env = get();
    const id = await createModel(env);
    await evaluate(env, await submit(env, id), 0n, false);
    assert.equal(await as(env.repo, env.lender).withdraw.staticCall(ETH, env.lender.address), STAKE);
    const before = await balance(env, env.lender.address);
    const tx = await as(env.repo, env.lender).withdraw(ETH, env.lender.address);
    assert.equal(await balance(env, env.lender.address), before + STAKE - (await gasCost(tx)));
  });

  it('pays token credits with transfer', async () => {
    const env = get();
    const tokenAddr = await env.token.getAddress();
    await env.token.mint(env.lender.address, 100n);
    await as(env.token, env.lender).approve(await env.repo.getAddress(), 100n);
    const id = await createModel(env, { token: tokenAddr, bounty: 100n });
    await evaluate(env, await submit(env, id), 800_000n);
    const tx = await as(env.repo, env.alice).withdraw(tokenAddr, env.alice.address);
    await expectEvents(tx, env.repo.interface, [['Withdrawal', [env.alice.address, tokenAddr, env.alice.address, 100n]]]);
    assert.equal(await env.token.balanceOf(env.alice.address), 100n);
    assert.equal(await env.repo.credit(env.alice.address, ETH), STAKE, 'the ETH stake credit is untouched');
  });

  it('reverts ZeroAddress, NothingToWithdraw, and EthTransferFailed (keeping the credit)', async () => {
    const env = get();
    await expectRevert(as(env.repo, env.alice).withdraw(ETH, ETH), env.repo.interface, 'ZeroAddress');
    await expectRevert(as(env.repo, env.alice).withdraw(await env.token.getAddress(), env.alice.address), env.repo.interface, 'NothingToWithdraw', [env.alice.address, await env.token.getAddress()]);
    const id = await createModel(env);
    await evaluate(env, await submit(env, id, env.alice, freshCommitment()), 650_000n);
    const noReceive = await env.token.getAddress(); // a contract without receive()
    await expectRevert(as(env.repo, env.alice).withdraw(ETH, noReceive), env.repo.interface, 'EthTransferFailed', [noReceive, ONE / 4n + STAKE]);
    assert.equal(await env.repo.credit(env.alice.address, ETH), ONE / 4n + STAKE);
  });
});

chainSuite('views', (get) => {
  it('getModel and getGradient revert for unknown ids; counters start at 0', async () => {
    const env = get();
    assert.equal(await env.repo.modelCount(), 0n);
    assert.equal(await env.repo.gradientCount(), 0n);
    await expectRevert(env.repo.getModel(1n), env.repo.interface, 'UnknownModel', [1n]);
    await expectRevert(env.repo.getGradient(1n), env.repo.interface, 'UnknownGradient', [1n]);
    const id = await createModel(env);
    const g = await submit(env, id);
    assert.equal((await env.repo.getGradient(g)).contributor, env.alice.address);
    await expectRevert(env.repo.getGradient(g + 1n), env.repo.interface, 'UnknownGradient', [g + 1n]);
    assert.equal(await env.repo.credit(env.alice.address, ETH), 0n);
  });
});
