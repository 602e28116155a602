import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ZeroHash } from 'ethers';
import { chainSuite } from './helpers/suite.ts';
import { CID, DAY, ETH, as, commit, createModel, evaluate, eventsOf, expectEvents, expectRevert, freshCommitment, freshSalt, now, reveal, sealFor, submit } from './helpers/chain.ts';
import { GradientStatus, REVEAL_WINDOW, Verdict, sealOf } from '../src/index.ts';

const ONE = 10n ** 18n;
const STAKE = 10n ** 16n;
const HOUR = BigInt(REVEAL_WINDOW);

chainSuite('commitGradient', (get) => {
  it('records a committed gradient, holds the stake and emits GradientCommitted with the reveal deadline', async () => {
    const env = get();
    const id = await createModel(env);
    const seal = sealOf(env.alice.address, id, freshCommitment(), CID.gradient, freshSalt());
    const tx = await as(env.repo, env.alice).commitGradient(id, seal, { value: STAKE });
    const ts = BigInt((await tx.getBlock())!.timestamp);
    await expectEvents(tx, env.repo.interface, [['GradientCommitted', [1n, id, env.alice.address, seal, 0n, STAKE, ts + HOUR]]]);
    const g = await env.repo.getGradient(1n);
    assert.equal(g.contributor, env.alice.address);
    assert.equal(g.modelId, id);
    assert.equal(g.status, BigInt(GradientStatus.Committed));
    assert.equal(g.deadline, ts + HOUR);
    assert.equal(g.seal, seal);
    assert.equal((await env.repo.getModel(id)).pendingCount, 1n, 'a commit counts as pending for close');
    assert.equal(await env.ethers.provider.getBalance(await env.repo.getAddress()), ONE + STAKE);
  });

  it('numbers gradients globally from 1 in commit order and reports the model version at commit', async () => {
    const env = get();
    const m1 = await createModel(env);
    const m2 = await createModel(env);
    assert.equal(await submit(env, m1), 1n);
    assert.equal(await submit(env, m2), 2n);
    await evaluate(env, 1n, 650_000n);
    const late = await commit(env, m1, env.bob);
    assert.equal(late.gradientId, 3n);
    const early = await commit(env, m1, env.carol);
    await reveal(env, early); // revealing first does not move a gradient ahead of an earlier commit
    assert.equal(early.gradientId, 4n);
    assert.equal(await env.repo.gradientCount(), 4n);
    const [ev] = await eventsOf(await reveal(env, late), env.repo.interface);
    assert.equal(ev?.name, 'GradientRevealed');
    assert.equal(ev?.args.gradientId, 3n);
  });

  it('reverts UnknownModel, ZeroSeal, EthValueMismatch (naming the stake and the value sent)', async () => {
    const env = get();
    const seal = `0x${'11'.repeat(32)}`;
    await expectRevert(as(env.repo, env.alice).commitGradient(1n, seal, { value: STAKE }), env.repo.interface, 'UnknownModel', [1n]);
    const id = await createModel(env);
    await expectRevert(as(env.repo, env.alice).commitGradient(id, ZeroHash, { value: STAKE }), env.repo.interface, 'ZeroSeal');
    await expectRevert(as(env.repo, env.alice).commitGradient(id, seal, { value: STAKE - 1n }), env.repo.interface, 'EthValueMismatch', [STAKE, STAKE - 1n]);
    await expectRevert(as(env.repo, env.alice).commitGradient(id, seal, { value: STAKE + 1n }), env.repo.interface, 'EthValueMismatch', [STAKE, STAKE + 1n]);
    await expectRevert(as(env.repo, env.alice).commitGradient(id, seal), env.repo.interface, 'EthValueMismatch', [STAKE, 0n]);
  });

  it('reverts SubmissionsClosed from the deadline on', async () => {
    const env = get();
    const deadline = (await now(env)) + 1000n;
    const id = await createModel(env, { submissionDeadline: deadline });
    await env.helpers.time.setNextBlockTimestamp(deadline - 1n);
    await commit(env, id);
    await env.helpers.time.setNextBlockTimestamp(deadline);
    await expectRevert(as(env.repo, env.alice).commitGradient(id, `0x${'11'.repeat(32)}`, { value: STAKE }), env.repo.interface, 'SubmissionsClosed', [id, deadline, deadline]);
  });

  it('reverts ModelNotOpen once the target is reached and once closed', async () => {
    const env = get();
    const id = await createModel(env);
    await evaluate(env, await submit(env, id), 800_000n);
    const seal = `0x${'11'.repeat(32)}`;
    await expectRevert(as(env.repo, env.alice).commitGradient(id, seal, { value: STAKE }), env.repo.interface, 'ModelNotOpen', [id, 2n]);
    await env.repo.closeModel(id);
    await expectRevert(as(env.repo, env.alice).commitGradient(id, seal, { value: STAKE }), env.repo.interface, 'ModelNotOpen', [id, 3n]);
  });
});

chainSuite('revealGradient', (get) => {
  it('checks the content against the seal, starts the evaluation window and emits GradientRevealed', async () => {
    const env = get();
    const id = await createModel(env);
    const s = await commit(env, id);
    const tx = await reveal(env, s, env.alice, 1_500_000n);
    const ts = BigInt((await tx.getBlock())!.timestamp);
    await expectEvents(tx, env.repo.interface, [['GradientRevealed', [s.gradientId, id, env.alice.address, s.commitment, s.salt, 1_500_000n, ts + BigInt(DAY), CID.gradient]]]);
    const g = await env.repo.getGradient(s.gradientId);
    assert.equal(g.status, BigInt(GradientStatus.Pending));
    assert.equal(g.deadline, ts + BigInt(DAY));
    assert.equal((await env.repo.getModel(id)).pendingCount, 1n);
  });

  it('is allowed up to and including the reveal deadline, also after the submission deadline and after the target', async () => {
    const env = get();
    const deadline = (await now(env)) + 100n;
    const id = await createModel(env, { submissionDeadline: deadline });
    const a = await commit(env, id, env.alice);
    const b = await commit(env, id, env.bob);
    await evaluate(env, await submit(env, id, env.carol), 900_000n); // TargetReached
    const da = (await env.repo.getGradient(a.gradientId)).deadline;
    const db = (await env.repo.getGradient(b.gradientId)).deadline;
    assert.ok(da > deadline);
    await env.helpers.time.setNextBlockTimestamp(da);
    await reveal(env, a);
    await env.helpers.time.setNextBlockTimestamp(db + 1n);
    await expectRevert(reveal(env, b), env.repo.interface, 'RevealWindowOver', [b.gradientId, db, db + 1n]);
  });

  it('reverts UnknownGradient, NotContributor (a copied seal cannot be revealed by anyone else), GradientNotCommitted', async () => {
    const env = get();
    await expectRevert(as(env.repo, env.alice).revealGradient(1n, CID.gradient, freshCommitment(), freshSalt(), 0n), env.repo.interface, 'UnknownGradient', [1n]);
    const id = await createModel(env);
    const s = await commit(env, id, env.alice);
    await expectRevert(reveal(env, s, env.stranger), env.repo.interface, 'NotContributor', [s.gradientId, env.stranger.address, env.alice.address]);
    await reveal(env, s);
    await expectRevert(reveal(env, s), env.repo.interface, 'GradientNotCommitted', [s.gradientId, GradientStatus.Pending]);
  });

  it('reverts SealMismatch naming the committed and the revealed seal, for a changed CID, commitment, salt or model', async () => {
    const env = get();
    const id = await createModel(env);
    const s = await commit(env, id);
    for (const [cid, commitment, salt] of [
      [CID.newWeights, s.commitment, s.salt],
      [s.cid, freshCommitment(), s.salt],
      [s.cid, s.commitment, freshSalt()],
    ] as const) {
      const actual = sealOf(env.alice.address, id, commitment, cid, salt);
      await expectRevert(as(env.repo, env.alice).revealGradient(s.gradientId, cid, commitment, salt, 0n), env.repo.interface, 'SealMismatch', [s.gradientId, s.seal, actual]);
    }
    // a seal made for another model does not reveal here either
    const other = await createModel(env);
    const wrong = await commit(env, other, env.alice, { cid: s.cid, commitment: s.commitment, salt: s.salt });
    assert.notEqual(wrong.seal, s.seal);
  });

  it('reverts EmptyCid, CidTooLong, ZeroCommitment before checking the seal', async () => {
    const env = get();
    const id = await createModel(env);
    const s = await commit(env, id);
    await expectRevert(as(env.repo, env.alice).revealGradient(s.gradientId, '', s.commitment, s.salt, 0n), env.repo.interface, 'EmptyCid');
    await expectRevert(as(env.repo, env.alice).revealGradient(s.gradientId, 'x'.repeat(129), s.commitment, s.salt, 0n), env.repo.interface, 'CidTooLong', [129n, 128n]);
    await expectRevert(as(env.repo, env.alice).revealGradient(s.gradientId, s.cid, ZeroHash, s.salt, 0n), env.repo.interface, 'ZeroCommitment');
  });
});

chainSuite('expireGradient on a commit (lapse)', (get) => {
  it('after the reveal deadline marks the commit Lapsed and forfeits its stake to the lender; before it reverts RevealWindowOpen', async () => {
    const env = get();
    const id = await createModel(env);
    const s = await commit(env, id);
    const d = (await env.repo.getGradient(s.gradientId)).deadline;
    await env.helpers.time.setNextBlockTimestamp(d);
    await expectRevert(as(env.repo, env.stranger).expireGradient(s.gradientId), env.repo.interface, 'RevealWindowOpen', [s.gradientId, d, d]);
    await env.helpers.time.setNextBlockTimestamp(d + 1n);
    const tx = await as(env.repo, env.stranger).expireGradient(s.gradientId);
    await expectEvents(tx, env.repo.interface, [
      ['GradientLapsed', [s.gradientId, id, env.alice.address]],
      ['StakeReleased', [s.gradientId, id, env.lender.address, STAKE, false]],
    ]);
    assert.equal((await env.repo.getGradient(s.gradientId)).status, BigInt(GradientStatus.Lapsed));
    assert.equal(await env.repo.credit(env.lender.address, ETH), STAKE);
    const m = await env.repo.getModel(id);
    assert.equal(m.pendingCount, 0n);
    assert.equal(m.expiredCount, 0n, 'a lapsed commit shares nothing');
    await expectRevert(reveal(env, s), env.repo.interface, 'GradientNotCommitted', [s.gradientId, GradientStatus.Lapsed]);
    await expectRevert(env.repo.expireGradient(s.gradientId), env.repo.interface, 'GradientNotPending', [s.gradientId, GradientStatus.Lapsed]);
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
      ['GradientEvaluated', [g, id, env.alice.address, Verdict.Accepted, 600_000n, 650_000n, 650_000n, 1n, reward, CID.newWeights]],
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
    assert.equal((await env.repo.getGradient(g)).status, BigInt(GradientStatus.Accepted));
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
      ['GradientEvaluated', [g2, id, env.bob.address, Verdict.Accepted, 700_000n, 750_000n, 750_000n, 2n, ONE / 4n, CID.newWeights]],
      ['RewardEarned', [id, env.bob.address, g2, ETH, ONE / 4n, 0n]],
      ['StakeReleased', [g2, id, env.bob.address, STAKE, true]],
    ]);
    const tx3 = await evaluate(env, g3, 720_000n);
    await expectEvents(tx3, env.repo.interface, [
      ['GradientEvaluated', [g3, id, env.carol.address, Verdict.Accepted, 750_000n, 720_000n, 750_000n, 3n, 0n, CID.newWeights]],
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
      ['GradientEvaluated', [g2, id, env.bob.address, Verdict.Accepted, 700_000n, 950_000n, 950_000n, 2n, ONE / 2n, CID.newWeights]],
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
      ['GradientEvaluated', [g2, id, env.bob.address, Verdict.Accepted, 800_000n, 990_000n, 990_000n, 2n, 0n, CID.newWeights]],
      ['StakeReleased', [g2, id, env.bob.address, STAKE, true]],
    ]);
  });

  it('rejects: forfeits the stake to the lender, keeps best score and version, emits an empty CID', async () => {
    const env = get();
    const id = await createModel(env);
    const g = await submit(env, id);
    const tx = await as(env.repo, env.evaluator).evaluateGradient(g, await sealFor(env, g), 900_000n, Verdict.Rejected, CID.newWeights);
    await expectEvents(tx, env.repo.interface, [
      ['GradientEvaluated', [g, id, env.alice.address, Verdict.Rejected, 600_000n, 900_000n, 600_000n, 0n, 0n, '']],
      ['StakeReleased', [g, id, env.lender.address, STAKE, false]],
    ]);
    assert.equal(await env.repo.credit(env.lender.address, ETH), STAKE);
    assert.equal(await env.repo.credit(env.alice.address, ETH), 0n);
    const m = await env.repo.getModel(id);
    assert.equal(m.status, 1n);
    assert.equal(m.version, 0n);
    assert.equal((await env.repo.getGradient(g)).status, BigInt(GradientStatus.Rejected));
  });

  it('EqualShare: accepting pays nothing now but can reach the target', async () => {
    const env = get();
    const id = await createModel(env, { rule: 1 });
    const g = await submit(env, id);
    const tx = await evaluate(env, g, 810_000n);
    await expectEvents(tx, env.repo.interface, [
      ['GradientEvaluated', [g, id, env.alice.address, Verdict.Accepted, 600_000n, 810_000n, 810_000n, 1n, 0n, CID.newWeights]],
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

  it('evaluates in any order', async () => {
    const env = get();
    const id = await createModel(env);
    const g1 = await submit(env, id, env.alice);
    const g2 = await submit(env, id, env.bob);
    const tx = await evaluate(env, g2, 650_000n);
    await expectEvents(tx, env.repo.interface, [
      ['GradientEvaluated', [g2, id, env.bob.address, Verdict.Accepted, 600_000n, 650_000n, 650_000n, 1n, ONE / 4n, CID.newWeights]],
      ['RewardEarned', [id, env.bob.address, g2, ETH, ONE / 4n, 0n]],
      ['StakeReleased', [g2, id, env.bob.address, STAKE, true]],
    ]);
    await expectEvents(await evaluate(env, g1, 0n, false), env.repo.interface, [
      ['GradientEvaluated', [g1, id, env.alice.address, Verdict.Rejected, 650_000n, 0n, 650_000n, 1n, 0n, '']],
      ['StakeReleased', [g1, id, env.lender.address, STAKE, false]],
    ]);
  });

  it('Declined: refunds the stake, applies nothing (even a higher score), shares nothing at close', async () => {
    const env = get();
    const id = await createModel(env, { rule: 1 });
    const g = await submit(env, id);
    const tx = await as(env.repo, env.evaluator).evaluateGradient(g, await sealFor(env, g), 700_000n, Verdict.Declined, CID.newWeights);
    await expectEvents(tx, env.repo.interface, [
      ['GradientEvaluated', [g, id, env.alice.address, Verdict.Declined, 600_000n, 700_000n, 600_000n, 0n, 0n, '']],
      ['StakeReleased', [g, id, env.alice.address, STAKE, true]],
    ]);
    assert.equal((await env.repo.getGradient(g)).status, BigInt(GradientStatus.Declined));
    const m = await env.repo.getModel(id);
    assert.equal(m.pendingCount, 0n);
    assert.equal(m.acceptedCount, 0n);
    assert.equal(await env.repo.credit(env.alice.address, ETH), STAKE);
    await env.helpers.time.increaseTo(m.submissionDeadline + HOUR + m.evaluationWindow);
    await expectEvents(await env.repo.closeModel(id), env.repo.interface, [
      ['ModelClosed', [id, env.lender.address, 0n, 0n, 0n, 0n, 0n, ONE]],
      ['Refunded', [id, env.lender.address, ETH, ONE]],
    ]);
    await expectRevert(env.repo.claimShare(g), env.repo.interface, 'NothingToClaim', [g, GradientStatus.Declined]);
  });

  it('reverts GradientNotPending for a commit that is not revealed yet', async () => {
    const env = get();
    const id = await createModel(env);
    const s = await commit(env, id);
    await expectRevert(evaluate(env, s.gradientId, 700_000n), env.repo.interface, 'GradientNotPending', [s.gradientId, GradientStatus.Committed]);
  });

  it('reverts SealMismatch when the seal given is not the gradient\'s, naming both', async () => {
    const env = get();
    const id = await createModel(env);
    const g = await submit(env, id);
    const other = `0x${'77'.repeat(32)}`;
    await expectRevert(
      as(env.repo, env.evaluator).evaluateGradient(g, other, 700_000n, Verdict.Accepted, CID.newWeights),
      env.repo.interface,
      'SealMismatch',
      [g, await sealFor(env, g), other],
    );
  });

  it('allows evaluation up to and including the evaluation deadline, then reverts EvaluationWindowOver', async () => {
    const env = get();
    const id = await createModel(env);
    const g1 = await submit(env, id, env.alice);
    const g2 = await submit(env, id, env.bob);
    const d1 = (await env.repo.getGradient(g1)).deadline;
    const d2 = (await env.repo.getGradient(g2)).deadline;
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
    await expectRevert(evaluate(env, g, 700_000n), env.repo.interface, 'GradientNotPending', [g, GradientStatus.Accepted]);
    const g2 = await submit(env, id);
    await evaluate(env, g2, 0n, false);
    await expectRevert(evaluate(env, g2, 700_000n), env.repo.interface, 'GradientNotPending', [g2, GradientStatus.Rejected]);
  });

  it('reverts ScoreOutOfRange, MissingWeightsCid, CidTooLong', async () => {
    const env = get();
    const id = await createModel(env);
    const g = await submit(env, id);
    await expectRevert(evaluate(env, g, 1_000_001n), env.repo.interface, 'ScoreOutOfRange', [1_000_001n, 1_000_000n]);
    await expectRevert(as(env.repo, env.evaluator).evaluateGradient(g, await sealFor(env, g), 700_000n, Verdict.Accepted, ''), env.repo.interface, 'MissingWeightsCid', [g]);
    await expectRevert(as(env.repo, env.evaluator).evaluateGradient(g, await sealFor(env, g), 700_000n, Verdict.Accepted, 'c'.repeat(130)), env.repo.interface, 'CidTooLong', [130n, 128n]);
    await evaluate(env, g, 1_000_000n);
  });
});
