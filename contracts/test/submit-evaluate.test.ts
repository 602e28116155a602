import assert from 'node:assert/strict';
import { it } from 'node:test';
import { chainSuite } from './helpers/suite.ts';
import { CID, DAY, ETH, as, createModel, evaluate, expectEvents, expectRevert, freshCommitment, now, submit } from './helpers/chain.ts';

const ONE = 10n ** 18n;
const STAKE = 10n ** 16n;

chainSuite('submitGradient', (get) => {
  it('records a pending gradient, holds the stake and emits GradientSubmitted', async () => {
    const env = get();
    const id = await createModel(env);
    const c = freshCommitment();
    const tx = await as(env.repo, env.alice).submitGradient(id, CID.gradient, c, { value: STAKE });
    const ts = BigInt((await tx.getBlock())!.timestamp);
    await expectEvents(tx, env.repo.interface, [['GradientSubmitted', [1n, id, env.alice.address, c, 0n, STAKE, ts + BigInt(DAY), CID.gradient]]]);
    const g = await env.repo.getGradient(1n);
    assert.equal(g.contributor, env.alice.address);
    assert.equal(g.modelId, id);
    assert.equal(g.status, 1n);
    assert.equal(g.evaluationDeadline, ts + BigInt(DAY));
    assert.equal((await env.repo.getModel(id)).pendingCount, 1n);
    assert.equal(await env.repo.commitmentUsed(id, c), true);
    assert.equal(await env.ethers.provider.getBalance(await env.repo.getAddress()), ONE + STAKE);
  });

  it('numbers gradients globally from 1 and reports the model version at submission', async () => {
    const env = get();
    const m1 = await createModel(env);
    const m2 = await createModel(env);
    assert.equal(await submit(env, m1), 1n);
    assert.equal(await submit(env, m2), 2n);
    await evaluate(env, 1n, 650_000n);
    const c = freshCommitment();
    const tx = await as(env.repo, env.bob).submitGradient(m1, CID.gradient, c, { value: STAKE });
    const ev = (await tx.wait()).logs.map((l: never) => env.repo.interface.parseLog(l)).find((e: { name: string }) => e?.name === 'GradientSubmitted');
    assert.equal(ev.args.gradientId, 3n);
    assert.equal(ev.args.modelVersion, 1n);
    assert.equal(await env.repo.gradientCount(), 3n);
  });

  it('refuses a reused commitment on the same model but allows it on another and new data from the same owner', async () => {
    const env = get();
    const m1 = await createModel(env);
    const m2 = await createModel(env);
    const c = freshCommitment();
    await submit(env, m1, env.alice, c);
    await expectRevert(as(env.repo, env.alice).submitGradient(m1, CID.gradient, c, { value: STAKE }), env.repo.interface, 'CommitmentAlreadyUsed', [m1, c]);
    await expectRevert(as(env.repo, env.bob).submitGradient(m1, CID.gradient, c, { value: STAKE }), env.repo.interface, 'CommitmentAlreadyUsed', [m1, c]);
    await submit(env, m2, env.alice, c);
    await submit(env, m1, env.alice);
  });

  it('keeps a commitment used after its gradient was rejected or evaluated', async () => {
    const env = get();
    const id = await createModel(env);
    const c = freshCommitment();
    const g = await submit(env, id, env.alice, c);
    await evaluate(env, g, 0n, false);
    await expectRevert(as(env.repo, env.alice).submitGradient(id, CID.gradient, c, { value: STAKE }), env.repo.interface, 'CommitmentAlreadyUsed', [id, c]);
  });

  it('reverts UnknownModel, EmptyCid, CidTooLong, ZeroCommitment', async () => {
    const env = get();
    await expectRevert(as(env.repo, env.alice).submitGradient(1n, CID.gradient, freshCommitment(), { value: STAKE }), env.repo.interface, 'UnknownModel', [1n]);
    const id = await createModel(env);
    await expectRevert(as(env.repo, env.alice).submitGradient(id, '', freshCommitment(), { value: STAKE }), env.repo.interface, 'EmptyCid');
    await expectRevert(as(env.repo, env.alice).submitGradient(id, 'x'.repeat(129), freshCommitment(), { value: STAKE }), env.repo.interface, 'CidTooLong', [129n, 128n]);
    await expectRevert(as(env.repo, env.alice).submitGradient(id, CID.gradient, `0x${'0'.repeat(64)}`, { value: STAKE }), env.repo.interface, 'ZeroCommitment');
  });

  it('reverts EthValueMismatch unless exactly the stake is sent', async () => {
    const env = get();
    const id = await createModel(env);
    await expectRevert(as(env.repo, env.alice).submitGradient(id, CID.gradient, freshCommitment(), { value: STAKE - 1n }), env.repo.interface, 'EthValueMismatch', [STAKE, STAKE - 1n]);
    await expectRevert(as(env.repo, env.alice).submitGradient(id, CID.gradient, freshCommitment(), { value: STAKE + 1n }), env.repo.interface, 'EthValueMismatch', [STAKE, STAKE + 1n]);
    const free = await createModel(env, { submissionStake: 0n });
    await expectRevert(as(env.repo, env.alice).submitGradient(free, CID.gradient, freshCommitment(), { value: 1n }), env.repo.interface, 'EthValueMismatch', [0n, 1n]);
    await submit(env, free, env.alice, freshCommitment(), 0n);
  });

  it('reverts SubmissionsClosed from the deadline on', async () => {
    const env = get();
    const deadline = (await now(env)) + 1000n;
    const id = await createModel(env, { submissionDeadline: deadline });
    await env.helpers.time.setNextBlockTimestamp(deadline - 1n);
    await submit(env, id);
    await env.helpers.time.setNextBlockTimestamp(deadline);
    await expectRevert(as(env.repo, env.alice).submitGradient(id, CID.gradient, freshCommitment(), { value: STAKE }), env.repo.interface, 'SubmissionsClosed', [id, deadline, deadline]);
  });

  it('reverts ModelNotOpen once the target is reached and once closed', async () => {
    const env = get();
    const id = await createModel(env);
    await evaluate(env, await submit(env, id), 800_000n);
    await expectRevert(as(env.repo, env.alice).submitGradient(id, CID.gradient, freshCommitment(), { value: STAKE }), env.repo.interface, 'ModelNotOpen', [id, 2n]);
    await env.repo.closeModel(id);
    await expectRevert(as(env.repo, env.alice).submitGradient(id, CID.gradient, freshCommitment(), { value: STAKE }), env.repo.interface, 'ModelNotOpen', [id, 3n]);
  });
});

chainSuite('evaluateGradient', (get) => {
  it('Improvement: pays bounty x improvement / range, returns the stake, bumps the version', async () => {
    const env = get();
    const id = await createModel(env);
    const g = await submit(env, id);
    const tx = await evaluate(env, g, 650_000n);
    const reward = ONE / 4n;
    await expectEvents(tx, env.repo.interface, [
      ['GradientEvaluated', [g, id, env.alice.address, true, 600_000n, 650_000n, 650_000n, 1n, reward, CID.newWeights]],
      ['RewardEarned', [id, env.alice.address, g, ETH, reward, 0n]],
      ['StakeReleased', [g, id, env.alice.address, STAKE, true]],
    ]);
    assert.equal(await env.repo.credit(env.alice.address, ETH), reward + STAKE);
    const m = await env.repo.getModel(id);
    assert.equal(m.bestScore, 650_000n);
    assert.equal(m.version, 1n);
    assert.equal(m.paid, reward);
    assert.equal(m.pendingCount, 0n);
    assert.equal(m.acceptedCount, 1n);
    assert.equal((await env.repo.getGradient(g)).status, 2n);
  });

  it('Improvement: a later gradient earns only its improvement over the best; no improvement earns nothing', async () => {
    const env = get();
    const id = await createModel(env);
    const g1 = await submit(env, id, env.alice);
    const g2 = await submit(env, id, env.bob);
    const g3 = await submit(env, id, env.carol);
    await evaluate(env, g1, 700_000n);
    const tx2 = await evaluate(env, g2, 750_000n);
    await expectEvents(tx2, env.repo.interface, [
      ['GradientEvaluated', [g2, id, env.bob.address, true, 700_000n, 750_000n, 750_000n, 2n, ONE / 4n, CID.newWeights]],
      ['RewardEarned', [id, env.bob.address, g2, ETH, ONE / 4n, 0n]],
      ['StakeReleased', [g2, id, env.bob.address, STAKE, true]],
    ]);
    const tx3 = await evaluate(env, g3, 720_000n);
    await expectEvents(tx3, env.repo.interface, [
      ['GradientEvaluated', [g3, id, env.carol.address, true, 750_000n, 720_000n, 750_000n, 3n, 0n, CID.newWeights]],
      ['StakeReleased', [g3, id, env.carol.address, STAKE, true]],
    ]);
    assert.equal(await env.repo.credit(env.carol.address, ETH), STAKE);
    assert.equal((await env.repo.getModel(id)).paid, ONE * 3n / 4n);
  });

  it('caps overshoot at the target, moves the model to TargetReached once, and pays nothing beyond', async () => {
    const env = get();
    const id = await createModel(env);
    const g1 = await submit(env, id, env.alice);
    const g2 = await submit(env, id, env.bob);
    await evaluate(env, g1, 700_000n);
    const tx = await evaluate(env, g2, 950_000n);
    await expectEvents(tx, env.repo.interface, [
      ['GradientEvaluated', [g2, id, env.bob.address, true, 700_000n, 950_000n, 950_000n, 2n, ONE / 2n, CID.newWeights]],
      ['RewardEarned', [id, env.bob.address, g2, ETH, ONE / 2n, 0n]],
      ['TargetReached', [id, g2, 950_000n]],
      ['StakeReleased', [g2, id, env.bob.address, STAKE, true]],
    ]);
    const m = await env.repo.getModel(id);
    assert.equal(m.status, 2n);
    assert.equal(m.paid, ONE);
  });

  it('lets pending gradients be evaluated after the target without a second TargetReached or reward', async () => {
    const env = get();
    const id = await createModel(env);
    const g1 = await submit(env, id, env.alice);
    const g2 = await submit(env, id, env.bob);
    await evaluate(env, g1, 800_000n);
    const tx = await evaluate(env, g2, 990_000n);
    await expectEvents(tx, env.repo.interface, [
      ['GradientEvaluated', [g2, id, env.bob.address, true, 800_000n, 990_000n, 990_000n, 2n, 0n, CID.newWeights]],
      ['StakeReleased', [g2, id, env.bob.address, STAKE, true]],
    ]);
  });

  it('rejects: forfeits the stake to the lender, keeps best score and version, emits an empty CID', async () => {
    const env = get();
    const id = await createModel(env);
    const g = await submit(env, id);
    const tx = await as(env.repo, env.evaluator).evaluateGradient(g, 900_000n, false, CID.newWeights);
    await expectEvents(tx, env.repo.interface, [
      ['GradientEvaluated', [g, id, env.alice.address, false, 600_000n, 900_000n, 600_000n, 0n, 0n, '']],
      ['StakeReleased', [g, id, env.lender.address, STAKE, false]],
    ]);
    assert.equal(await env.repo.credit(env.lender.address, ETH), STAKE);
    assert.equal(await env.repo.credit(env.alice.address, ETH), 0n);
    const m = await env.repo.getModel(id);
    assert.equal(m.status, 1n);
    assert.equal(m.version, 0n);
    assert.equal((await env.repo.getGradient(g)).status, 3n);
  });

  it('EqualShare: accepting pays nothing now but can reach the target', async () => {
    const env = get();
    const id = await createModel(env, { rule: 1 });
    const g = await submit(env, id);
    const tx = await evaluate(env, g, 810_000n);
    await expectEvents(tx, env.repo.interface, [
      ['GradientEvaluated', [g, id, env.alice.address, true, 600_000n, 810_000n, 810_000n, 1n, 0n, CID.newWeights]],
      ['TargetReached', [id, g, 810_000n]],
      ['StakeReleased', [g, id, env.alice.address, STAKE, true]],
    ]);
    assert.equal((await env.repo.getModel(id)).paid, 0n);
  });

  it('pays token rewards in the token and stakes in ETH', async () => {
    const env = get();
    const tokenAddr = await env.token.getAddress();
    await env.token.mint(env.lender.address, 1000n);
    await as(env.token, env.lender).approve(await env.repo.getAddress(), 1000n);
    const id = await createModel(env, { token: tokenAddr, bounty: 1000n });
    const g = await submit(env, id);
    await evaluate(env, g, 700_000n);
    assert.equal(await env.repo.credit(env.alice.address, tokenAddr), 500n);
    assert.equal(await env.repo.credit(env.alice.address, ETH), STAKE);
  });

  it('evaluates in any order and emits no StakeReleased without a stake', async () => {
    const env = get();
    const id = await createModel(env, { submissionStake: 0n });
    const g1 = await submit(env, id, env.alice, freshCommitment(), 0n);
    const g2 = await submit(env, id, env.bob, freshCommitment(), 0n);
    const tx = await evaluate(env, g2, 650_000n);
    await expectEvents(tx, env.repo.interface, [
      ['GradientEvaluated', [g2, id, env.bob.address, true, 600_000n, 650_000n, 650_000n, 1n, ONE / 4n, CID.newWeights]],
      ['RewardEarned', [id, env.bob.address, g2, ETH, ONE / 4n, 0n]],
    ]);
    await expectEvents(await evaluate(env, g1, 0n, false), env.repo.interface, [
      ['GradientEvaluated', [g1, id, env.alice.address, false, 650_000n, 0n, 650_000n, 1n, 0n, '']],
    ]);
  });

  it('allows evaluation up to and including the evaluation deadline, then reverts EvaluationWindowOver', async () => {
    const env = get();
    const id = await createModel(env);
    const g1 = await submit(env, id, env.alice);
    const g2 = await submit(env, id, env.bob);
    const d1 = (await env.repo.getGradient(g1)).evaluationDeadline;
    const d2 = (await env.repo.getGradient(g2)).evaluationDeadline;
    await env.helpers.time.setNextBlockTimestamp(d1);
    await evaluate(env, g1, 610_000n);
    await env.helpers.time.setNextBlockTimestamp(d2 + 1n);
    await expectRevert(evaluate(env, g2, 620_000n), env.repo.interface, 'EvaluationWindowOver', [g2, d2, d2 + 1n]);
  });

  it('reverts UnknownGradient, NotEvaluator (even for the lender), GradientNotPending', async () => {
    const env = get();
    await expectRevert(evaluate(env, 0n, 1n), env.repo.interface, 'UnknownGradient', [0n]);
    await expectRevert(evaluate(env, 5n, 1n), env.repo.interface, 'UnknownGradient', [5n]);
    const id = await createModel(env);
    const g = await submit(env, id);
    await expectRevert(evaluate(env, g, 650_000n, true, env.lender), env.repo.interface, 'NotEvaluator', [id, env.lender.address, env.evaluator.address]);
    await expectRevert(evaluate(env, g, 650_000n, true, env.alice), env.repo.interface, 'NotEvaluator', [id, env.alice.address, env.evaluator.address]);
    await evaluate(env, g, 650_000n);
    await expectRevert(evaluate(env, g, 700_000n), env.repo.interface, 'GradientNotPending', [g, 2n]);
    const g2 = await submit(env, id);
    await evaluate(env, g2, 0n, false);
    await expectRevert(evaluate(env, g2, 700_000n), env.repo.interface, 'GradientNotPending', [g2, 3n]);
  });

  it('reverts ScoreOutOfRange, MissingWeightsCid, CidTooLong', async () => {
    const env = get();
    const id = await createModel(env);
    const g = await submit(env, id);
    await expectRevert(evaluate(env, g, 1_000_001n), env.repo.interface, 'ScoreOutOfRange', [1_000_001n, 1_000_000n]);
    await expectRevert(as(env.repo, env.evaluator).evaluateGradient(g, 700_000n, true, ''), env.repo.interface, 'MissingWeightsCid', [g]);
    await expectRevert(as(env.repo, env.evaluator).evaluateGradient(g, 700_000n, true, 'c'.repeat(130)), env.repo.interface, 'CidTooLong', [130n, 128n]);
    await evaluate(env, g, 1_000_000n);
  });
});
