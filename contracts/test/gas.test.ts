// Gas of the hot paths, measured with realistic 59-character CIDv1 strings: the repository's
// submit/evaluate (Improvement rule, ETH bounty, a stake) and the loan desk's quote/loan calls.
// Gas is deterministic, so the targets are asserted, not timed.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { chainSuite } from './helpers/suite.ts';
import { CID, as, createModel, freshCommitment, submit, type AnyContract } from './helpers/chain.ts';
import { DESK_CID, answeredQuote, deploy, deployDesk, requestLoan, trainedModel } from './helpers/desk.ts';

const STAKE = 10n ** 16n;

chainSuite('gas', (get) => {
  it('submitGradient <= 100k and evaluateGradient <= 90k (accepted, improving, first credit)', async () => {
    const env = get();
    const id = await createModel(env);
    await submit(env, id, env.bob); // a second pending gradient to reject below
    const tx = await as(env.repo, env.alice).submitGradient(id, CID.gradient, freshCommitment(), { value: STAKE });
    const submitGas = (await tx.wait()).gasUsed as bigint;
    const g = await env.repo.gradientCount();
    // alice has no credit yet: the reward + stake credit writes a fresh slot (the costly case)
    const ev = await as(env.repo, env.evaluator).evaluateGradient(g, 650_000n, true, CID.newWeights);
    const evaluateGas = (await ev.wait()).gasUsed as bigint;
    const reject = await as(env.repo, env.evaluator).evaluateGradient(g - 1n, 100_000n, false, '');
    const rejectGas = (await reject.wait()).gasUsed as bigint;
    process.stdout.write(`    submitGradient ${submitGas} gas, evaluateGradient accepted ${evaluateGas}, rejected ${rejectGas}\n`);
    assert.ok(submitGas <= 100_000n, `submitGradient used ${submitGas} gas`);
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
