// A malicious receiver and a malicious token try to re-enter the repository while it moves
// funds; the guard must stop them and the books must stay exact.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Interface } from 'ethers';
import { chainSuite } from './helpers/suite.ts';
import { CID, ETH, as, balance, createModel, evaluate, freshCommitment, freshSalt, sealFor, type AnyContract, type Env } from './helpers/chain.ts';
import { Verdict, sealOf } from '../src/index.ts';

const STAKE = 10n ** 16n;
const guardError = new Interface(['error ReentrancyGuardReentrantCall()']);

async function deployAttacker(env: Env): Promise<AnyContract> {
  return env.ethers.deployContract('ReentrantAttacker', [await env.repo.getAddress()]);
}

/** The attacker contract is the contributor: it commits its own seal, then reveals. */
async function contractSubmits(env: Env, attacker: AnyContract, modelId: bigint): Promise<void> {
  const commitment = freshCommitment();
  const salt = freshSalt();
  await (await attacker.commitGradient(modelId, sealOf(await attacker.getAddress(), modelId, commitment, CID.gradient, salt), { value: STAKE })).wait();
  await (await attacker.revealGradient(await env.repo.gradientCount(), CID.gradient, commitment, salt)).wait();
}

function assertGuardStopped(lastError: string) {
  const parsed = guardError.parseError(lastError);
  assert.equal(parsed?.name, 'ReentrancyGuardReentrantCall', `re-entry failed with ${lastError}, not the guard`);
}

chainSuite('reentrancy', (get) => {
  it('a receiver re-entering withdraw from receive() is stopped and paid exactly once', async () => {
    const env = get();
    const attacker = await deployAttacker(env);
    const attackerAddr = await attacker.getAddress();
    const id = await createModel(env);
    await contractSubmits(env, attacker, id);
    await evaluate(env, 1n, 700_000n);
    const owed = 10n ** 18n / 2n + STAKE;
    assert.equal(await env.repo.credit(attackerAddr, ETH), owed);
    await attacker.arm(env.repo.interface.encodeFunctionData('withdraw', [ETH, attackerAddr]));
    const repoBefore = await balance(env, await env.repo.getAddress());
    await attacker.withdraw(ETH);
    assert.equal(await attacker.attempted(), true);
    assert.equal(await attacker.reentrySucceeded(), false);
    assertGuardStopped(await attacker.lastError());
    assert.equal(await balance(env, attackerAddr), owed);
    assert.equal(await balance(env, await env.repo.getAddress()), repoBefore - owed);
    assert.equal(await env.repo.credit(attackerAddr, ETH), 0n);
  });

  it('a receiver re-entering addBounty during withdraw is stopped', async () => {
    const env = get();
    const attacker = await deployAttacker(env);
    const id = await createModel(env);
    await contractSubmits(env, attacker, id);
    await evaluate(env, 1n, 610_000n);
    await attacker.arm(env.repo.interface.encodeFunctionData('addBounty', [id, 1n]));
    await attacker.withdraw(ETH);
    assertGuardStopped(await attacker.lastError());
    assert.equal((await env.repo.getModel(id)).totalBounty, 10n ** 18n);
  });

  it('a reentrant call that is harmless (claiming nothing) fails on its own terms, not silently', async () => {
    const env = get();
    const attacker = await deployAttacker(env);
    const attackerAddr = await attacker.getAddress();
    const id = await createModel(env);
    await contractSubmits(env, attacker, id);
    await evaluate(env, 1n, 650_000n);
    // evaluateGradient is not guarded (it moves no funds); re-entering it still needs the evaluator
    await attacker.arm(env.repo.interface.encodeFunctionData('evaluateGradient', [1n, await sealFor(env, 1n), 1n, Verdict.Accepted, CID.newWeights]));
    await attacker.withdraw(ETH);
    const err = env.repo.interface.parseError(await attacker.lastError());
    assert.equal(err?.name, 'NotEvaluator');
    assert.equal(await env.repo.credit(attackerAddr, ETH), 0n);
  });

  it('a token re-entering addBounty from transferFrom during createModel is stopped; the bounty is exact', async () => {
    const env = get();
    const evil = await deployAttacker(env);
    const evilAddr = await evil.getAddress();
    const repoAddr = await env.repo.getAddress();
    await evil.mint(env.lender.address, 1_000n);
    await as(evil, env.lender).approve(repoAddr, 1_000n);
    const first = await createModel(env, { token: evilAddr, bounty: 400n });
    await evil.arm(env.repo.interface.encodeFunctionData('addBounty', [first, 100n]));
    const second = await createModel(env, { token: evilAddr, bounty: 500n });
    assert.equal(await evil.attempted(), true);
    assertGuardStopped(await evil.lastError());
    assert.equal((await env.repo.getModel(first)).totalBounty, 400n);
    assert.equal((await env.repo.getModel(second)).totalBounty, 500n);
    assert.equal(await evil.balanceOf(repoAddr), 900n);
  });

  it('a token re-entering withdraw from transfer is stopped and pays once', async () => {
    const env = get();
    const evil = await deployAttacker(env);
    const evilAddr = await evil.getAddress();
    const repoAddr = await env.repo.getAddress();
    // the token itself is the contributor, so its re-entrant withdraw would pull its own credit again
    await evil.mint(env.lender.address, 1_000n);
    await as(evil, env.lender).approve(repoAddr, 1_000n);
    const id = await createModel(env, { token: evilAddr, bounty: 1_000n });
    await contractSubmits(env, evil, id);
    await evaluate(env, 1n, 800_000n);
    assert.equal(await env.repo.credit(evilAddr, evilAddr), 1_000n);
    await evil.arm(env.repo.interface.encodeFunctionData('withdraw', [evilAddr, evilAddr]));
    await evil.withdraw(evilAddr);
    assertGuardStopped(await evil.lastError());
    assert.equal(await evil.balanceOf(evilAddr), 1_000n);
    assert.equal(await evil.balanceOf(repoAddr), 0n);
    assert.equal(await env.repo.credit(evilAddr, evilAddr), 0n);
  });
});
