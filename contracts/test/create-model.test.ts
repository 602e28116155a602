import assert from 'node:assert/strict';
import { it } from 'node:test';
import { chainSuite } from './helpers/suite.ts';
import { CID, DAY, ETH, as, balance, createModel, evaluate, expectEvents, expectRevert, modelParams, now, submit } from './helpers/chain.ts';

const ONE = 10n ** 18n;

chainSuite('createModel', (get) => {

  it('escrows an ETH bounty and emits ModelCreated with every parameter', async () => {
    const env = get();
    const p = await modelParams(env, { submissionStake: 10n ** 14n });
    const tx = await as(env.repo, env.lender).createModel(p, { value: ONE });
    await expectEvents(tx, env.repo.interface, [
      ['ModelCreated', [1n, env.lender.address, env.evaluator.address, ETH, ONE, 0n, 600_000n, 800_000n, p.submissionDeadline, BigInt(DAY), 10n ** 14n, CID.weights, CID.metadata]],
    ]);
    assert.equal(await balance(env, await env.repo.getAddress()), ONE);
    assert.equal(await env.repo.modelCount(), 1n);
    const m = await env.repo.getModel(1n);
    assert.equal(m.lender, env.lender.address);
    assert.equal(m.evaluator, env.evaluator.address);
    assert.equal(m.status, 1n);
    assert.equal(m.bestScore, 600_000n);
    assert.equal(m.totalBounty, ONE);
    assert.equal(m.paid, 0n);
  });

  it('numbers models from 1 and accepts params.bounty equal to msg.value', async () => {
    const env = get();
    assert.equal(await createModel(env), 1n);
    assert.equal(await createModel(env, { bounty: ONE, value: ONE }), 2n);
    assert.equal(await env.repo.modelCount(), 2n);
  });

  it('defaults the evaluator to the lender', async () => {
    const env = get();
    const id = await createModel(env, { evaluator: ETH });
    assert.equal((await env.repo.getModel(id)).evaluator, env.lender.address);
  });

  it('pulls an ERC-20 bounty with transferFrom', async () => {
    const env = get();
    const tokenAddr = await env.token.getAddress();
    await env.token.mint(env.lender.address, 1000n);
    await as(env.token, env.lender).approve(await env.repo.getAddress(), 1000n);
    const p = await modelParams(env, { token: tokenAddr, bounty: 600n, rule: 1 });
    const tx = await as(env.repo, env.lender).createModel(p);
    await expectEvents(tx, env.repo.interface, [
      ['ModelCreated', [1n, env.lender.address, env.evaluator.address, tokenAddr, 600n, 1n, 600_000n, 800_000n, p.submissionDeadline, BigInt(DAY), p.submissionStake, CID.weights, CID.metadata]],
    ]);
    assert.equal(await env.token.balanceOf(await env.repo.getAddress()), 600n);
    assert.equal(await env.token.balanceOf(env.lender.address), 400n);
  });

  it('reverts ZeroBounty for ETH without value and for a zero token amount', async () => {
    const env = get();
    await expectRevert(as(env.repo, env.lender).createModel(await modelParams(env), { value: 0n }), env.repo.interface, 'ZeroBounty');
    const p = await modelParams(env, { token: await env.token.getAddress(), bounty: 0n });
    await expectRevert(as(env.repo, env.lender).createModel(p), env.repo.interface, 'ZeroBounty');
  });

  it('reverts EthValueMismatch when params.bounty disagrees with msg.value', async () => {
    const env = get();
    await expectRevert(as(env.repo, env.lender).createModel(await modelParams(env, { bounty: 2n }), { value: 1n }), env.repo.interface, 'EthValueMismatch', [2n, 1n]);
  });

  it('reverts InvalidScores for target <= initial and target above the scale', async () => {
    const env = get();
    for (const [initialScore, targetScore] of [
      [700_000n, 700_000n],
      [700_000n, 600_000n],
      [0n, 1_000_001n],
      [0n, 1_000_000n], // target 1.0: unreachable in practice, so shares would never be paid
    ] as const) {
      await expectRevert(
        as(env.repo, env.lender).createModel(await modelParams(env, { initialScore, targetScore }), { value: ONE }),
        env.repo.interface,
        'InvalidScores',
        [initialScore, targetScore],
      );
    }
    // everything below 1.0 is allowed
    await createModel(env, { initialScore: 0n, targetScore: 999_999n });
  });

  it('reverts DeadlineInPast for a deadline at or before the block time', async () => {
    const env = get();
    const t = await now(env);
    await env.helpers.time.setNextBlockTimestamp(t + 10n);
    await expectRevert(
      as(env.repo, env.lender).createModel(await modelParams(env, { submissionDeadline: t + 10n }), { value: ONE }),
      env.repo.interface,
      'DeadlineInPast',
      [t + 10n, t + 10n],
    );
  });

  it('reverts ZeroEvaluationWindow and EvaluationWindowTooLong (over 30 days)', async () => {
    const env = get();
    await expectRevert(as(env.repo, env.lender).createModel(await modelParams(env, { evaluationWindow: 0 }), { value: ONE }), env.repo.interface, 'ZeroEvaluationWindow');
    const max = 30 * DAY;
    await expectRevert(as(env.repo, env.lender).createModel(await modelParams(env, { evaluationWindow: max + 1 }), { value: ONE }), env.repo.interface, 'EvaluationWindowTooLong', [BigInt(max + 1), BigInt(max)]);
    await createModel(env, { evaluationWindow: max });
  });

  it('reverts EmptyCid and CidTooLong for either CID', async () => {
    const env = get();
    await expectRevert(as(env.repo, env.lender).createModel(await modelParams(env, { weightsCid: '' }), { value: ONE }), env.repo.interface, 'EmptyCid');
    await expectRevert(as(env.repo, env.lender).createModel(await modelParams(env, { metadataCid: '' }), { value: ONE }), env.repo.interface, 'EmptyCid');
    await expectRevert(as(env.repo, env.lender).createModel(await modelParams(env, { weightsCid: 'b'.repeat(129) }), { value: ONE }), env.repo.interface, 'CidTooLong', [129n, 128n]);
    await expectRevert(as(env.repo, env.lender).createModel(await modelParams(env, { metadataCid: 'b'.repeat(200) }), { value: ONE }), env.repo.interface, 'CidTooLong', [200n, 128n]);
    await createModel(env, { weightsCid: 'b'.repeat(128) });
  });

  it('reverts UnexpectedEth when ETH is sent with a token bounty', async () => {
    const env = get();
    const p = await modelParams(env, { token: await env.token.getAddress(), bounty: 1n });
    await expectRevert(as(env.repo, env.lender).createModel(p, { value: 3n }), env.repo.interface, 'UnexpectedEth', [3n]);
  });

  it('reverts with the token error when the allowance is missing', async () => {
    const env = get();
    await env.token.mint(env.lender.address, 10n);
    const p = await modelParams(env, { token: await env.token.getAddress(), bounty: 10n });
    await expectRevert(as(env.repo, env.lender).createModel(p), env.token.interface, 'ERC20InsufficientAllowance', [await env.repo.getAddress(), 0n, 10n]);
  });

  it('refuses fee-on-transfer tokens with FeeOnTransferToken(token, expected, received)', async () => {
    const env = get();
    const fee = await env.ethers.deployContract('FeeOnTransferToken');
    const feeAddr = await fee.getAddress();
    await fee.mint(env.lender.address, 10_000n);
    await as(fee, env.lender).approve(await env.repo.getAddress(), 10_000n);
    await expectRevert(
      as(env.repo, env.lender).createModel(await modelParams(env, { token: feeAddr, bounty: 10_000n })),
      env.repo.interface,
      'FeeOnTransferToken',
      [feeAddr, 10_000n, 9_900n],
    );
  });

  it('reverts AmountTooLarge for a bounty beyond uint128', async () => {
    const env = get();
    const big = 2n ** 128n;
    await env.token.mint(env.lender.address, big);
    await as(env.token, env.lender).approve(await env.repo.getAddress(), big);
    const p = await modelParams(env, { token: await env.token.getAddress(), bounty: big });
    await expectRevert(as(env.repo, env.lender).createModel(p), env.repo.interface, 'AmountTooLarge', [big]);
  });
});

chainSuite('addBounty', (get) => {

  it('lets anyone top up an ETH bounty and reports the new total', async () => {
    const env = get();
    const id = await createModel(env);
    const tx = await as(env.repo, env.stranger).addBounty(id, 5n, { value: 5n });
    await expectEvents(tx, env.repo.interface, [['BountyAdded', [id, env.stranger.address, ETH, 5n, ONE + 5n]]]);
    assert.equal((await env.repo.getModel(id)).totalBounty, ONE + 5n);
    assert.equal(await balance(env, await env.repo.getAddress()), ONE + 5n);
  });

  it('tops up a token bounty with transferFrom', async () => {
    const env = get();
    const tokenAddr = await env.token.getAddress();
    await env.token.mint(env.lender.address, 100n);
    await env.token.mint(env.bob.address, 50n);
    await as(env.token, env.lender).approve(await env.repo.getAddress(), 100n);
    await as(env.token, env.bob).approve(await env.repo.getAddress(), 50n);
    const id = await createModel(env, { token: tokenAddr, bounty: 100n });
    const tx = await as(env.repo, env.bob).addBounty(id, 50n);
    await expectEvents(tx, env.repo.interface, [['BountyAdded', [id, env.bob.address, tokenAddr, 50n, 150n]]]);
    assert.equal(await env.token.balanceOf(await env.repo.getAddress()), 150n);
  });

  it('accepts top-ups once the target is reached', async () => {
    const env = get();
    const id = await createModel(env);
    const g = await submit(env, id);
    await evaluate(env, g, 900_000n);
    assert.equal((await env.repo.getModel(id)).status, 2n);
    await as(env.repo, env.stranger).addBounty(id, 7n, { value: 7n });
    assert.equal((await env.repo.getModel(id)).totalBounty, ONE + 7n);
  });

  it('reverts UnknownModel, ModelNotOpen (closed), ZeroBounty, EthValueMismatch, UnexpectedEth', async () => {
    const env = get();
    await expectRevert(as(env.repo, env.stranger).addBounty(0n, 1n, { value: 1n }), env.repo.interface, 'UnknownModel', [0n]);
    await expectRevert(as(env.repo, env.stranger).addBounty(9n, 1n, { value: 1n }), env.repo.interface, 'UnknownModel', [9n]);
    const id = await createModel(env);
    await expectRevert(as(env.repo, env.stranger).addBounty(id, 0n), env.repo.interface, 'ZeroBounty');
    await expectRevert(as(env.repo, env.stranger).addBounty(id, 2n, { value: 1n }), env.repo.interface, 'EthValueMismatch', [2n, 1n]);
    await env.token.mint(env.lender.address, 1n);
    await as(env.token, env.lender).approve(await env.repo.getAddress(), 1n);
    const tokenId = await createModel(env, { token: await env.token.getAddress(), bounty: 1n });
    await expectRevert(as(env.repo, env.stranger).addBounty(tokenId, 1n, { value: 1n }), env.repo.interface, 'UnexpectedEth', [1n]);
    const m = await env.repo.getModel(id);
    await env.helpers.time.increaseTo(m.submissionDeadline + 3600n + m.evaluationWindow);
    await env.repo.closeModel(id);
    await expectRevert(as(env.repo, env.stranger).addBounty(id, 1n, { value: 1n }), env.repo.interface, 'ModelNotOpen', [id, 3n]);
  });

  it('refuses a token that starts charging a fee after the model was created', async () => {
    const env = get();
    const fee = await env.ethers.deployContract('FeeOnTransferToken');
    const feeAddr = await fee.getAddress();
    await fee.setFeeBps(0n);
    await fee.mint(env.lender.address, 2_000n);
    await as(fee, env.lender).approve(await env.repo.getAddress(), 2_000n);
    const id = await createModel(env, { token: feeAddr, bounty: 1_000n });
    await fee.setFeeBps(500n);
    await expectRevert(as(env.repo, env.lender).addBounty(id, 1_000n), env.repo.interface, 'FeeOnTransferToken', [feeAddr, 1_000n, 950n]);
  });

  it('reverts AmountTooLarge when the total would exceed uint128', async () => {
    const env = get();
    const max = 2n ** 128n - 1n;
    await env.token.mint(env.lender.address, max + 1n);
    await as(env.token, env.lender).approve(await env.repo.getAddress(), max + 1n);
    const id = await createModel(env, { token: await env.token.getAddress(), bounty: max });
    await expectRevert(as(env.repo, env.lender).addBounty(id, 1n), env.repo.interface, 'AmountTooLarge', [max + 1n]);
  });
});
