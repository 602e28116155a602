// Gas of the hot paths, measured with realistic 59-character CIDv1 strings: the repository's
// commit + reveal + evaluate (Improvement rule, ETH bounty, a stake) and the loan desk's quote/loan calls.
// Gas is deterministic, so the targets are asserted, not timed.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { chainSuite } from './helpers/suite.ts';
import { CID, as, createModel, freshCommitment, freshSalt, sealFor, submit, type AnyContract } from './helpers/chain.ts';
import { Verdict, sealOf } from '../src/index.ts';
import { DESK_CID, answeredQuote, deploy, deployDesk, requestLoan, trainedModel } from './helpers/desk.ts';

const STAKE = 10n ** 16n;

chainSuite('gas', (get) => {
  it('the submission path (commitGradient + revealGradient) <= 121k; evaluateGradient <= 90k (accepted, improving, first credit)', async () => {
    const env = get();
    const id = await createModel(env);
    await submit(env, id, env.bob); // a second pending gradient to reject below
    const used = async (tx: Promise<AnyContract>) => (await (await tx).wait()).gasUsed as bigint;
    const commitment = freshCommitment();
    const salt = freshSalt();
    const seal = sealOf(env.alice.address, id, commitment, CID.gradient, salt);
    const commitGas = await used(as(env.repo, env.alice).commitGradient(id, seal, { value: STAKE }));
    const g = await env.repo.gradientCount();
    const revealGas = await used(as(env.repo, env.alice).revealGradient(g, CID.gradient, commitment, salt, 1_000_000n));
    // alice has no credit yet: the reward + stake credit writes a fresh slot (the costly case)
    const evaluateGas = await used(as(env.repo, env.evaluator).evaluateGradient(g, seal, 650_000n, Verdict.Accepted, CID.newWeights));
    const rejectGas = await used(as(env.repo, env.evaluator).evaluateGradient(g - 1n, await sealFor(env, g - 1n), 100_000n, Verdict.Rejected, ''));
    process.stdout.write(`    commitGradient ${commitGas} gas, revealGradient ${revealGas} (submission ${commitGas + revealGas}), evaluateGradient accepted ${evaluateGas}, rejected ${rejectGas}\n`);
    assert.ok(commitGas + revealGas <= 121_000n, `commit ${commitGas} + reveal ${revealGas} gas`);
    assert.ok(evaluateGas <= 90_000n, `evaluateGradient used ${evaluateGas} gas`);
    assert.ok(rejectGas <= 90_000n, `rejecting used ${rejectGas} gas`);
  });
});

chainSuite('gas: LoanDesk', (get) => {
  it('requestQuote, answerQuote, requestLoan and decideLoan stay within their targets', async () => {
    const env = get();
    const desk = await deployDesk(env);
    const deployment = await deploy(env, desk, await trainedModel(env));
    const used = async (tx: Promise<AnyContract>) => (await (await tx).wait()).gasUsed as bigint;
    // a first quote and request, so the measured calls are the steady state of a live desk
    await requestLoan(desk, await answeredQuote(env, desk, deployment, env.bob), env.bob);
    const quote = await used(as(desk, env.alice).requestQuote(deployment, DESK_CID.query));
    const quoteId = await desk.quoteCount();
    const answer = await used(as(desk, env.carol).answerQuote(quoteId, DESK_CID.result));
    const request = await used(as(desk, env.alice).requestLoan(quoteId, 10n ** 21n, 365, DESK_CID.disclosure));
    const requestId = await desk.loanRequestCount();
    const approve = await used(as(desk, env.carol).decideLoan(requestId, true, 10n ** 21n, 1_250, 0));
    const decline = await used(as(desk, env.carol).decideLoan(1n, false, 0n, 0, 1));
    process.stdout.write(`    requestQuote ${quote} gas, answerQuote ${answer}, requestLoan ${request}, decideLoan approved ${approve}, declined ${decline}\n`);
    assert.ok(quote <= 60_000n, `requestQuote used ${quote} gas`);
    assert.ok(answer <= 40_000n, `answerQuote used ${answer} gas`);
    assert.ok(request <= 90_000n, `requestLoan used ${request} gas`);
    assert.ok(approve <= 40_000n && decline <= 40_000n, `decideLoan used ${approve} / ${decline} gas`);
  });
});
