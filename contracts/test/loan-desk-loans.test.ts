// LoanDesk: loan requests against answered quotes, cancellations and the service's decisions.
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { DecisionReason as Reason } from '../src/index.ts';
import { chainSuite } from './helpers/suite.ts';
import { as, expectEvents, expectRevert, type AnyContract } from './helpers/chain.ts';
import { DESK_CID, answeredQuote, deploy, deployDesk, requestLoan, requestQuote, trainedModel } from './helpers/desk.ts';

const Status = { Pending: 1n, Approved: 2n, Declined: 3n, Cancelled: 4n } as const;

chainSuite('LoanDesk: requestLoan and cancelLoanRequest', (get) => {
  let desk: AnyContract;
  let deployment: bigint;
  let token: string;
  before(async () => {
    const env = get();
    desk = await deployDesk(env);
    token = await env.token.getAddress();
    deployment = await deploy(env, desk, await trainedModel(env), { token });
  });

  it('files a loan request against an answered quote, in the deployment token', async () => {
    const env = get();
    const quoteId = await answeredQuote(env, desk, deployment, env.alice);
    const tx = await as(desk, env.alice).requestLoan(quoteId, 5_000n, 365, DESK_CID.disclosure);
    await expectEvents(tx, desk.interface, [['LoanRequested', [1n, deployment, env.alice.address, quoteId, token, 5_000n, 365n, DESK_CID.disclosure]]]);
    assert.equal(await desk.loanRequestCount(), 1n);
    const r = await desk.getLoanRequest(1n);
    assert.equal(r.borrower, env.alice.address);
    assert.equal(r.deploymentId, deployment);
    assert.equal(r.status, Status.Pending);
    assert.equal(r.amount, 5_000n);
    assert.equal((await desk.getQuote(quoteId)).requestId, 1n);
  });

  it('allows one request per quote, even after the first was cancelled', async () => {
    const env = get();
    const quoteId = await answeredQuote(env, desk, deployment, env.alice);
    const requestId = await requestLoan(desk, quoteId, env.alice);
    await expectRevert(as(desk, env.alice).requestLoan(quoteId, 1n, 30, DESK_CID.disclosure), desk.interface, 'QuoteAlreadyUsed', [quoteId, requestId]);
    await as(desk, env.alice).cancelLoanRequest(requestId);
    await expectRevert(as(desk, env.alice).requestLoan(quoteId, 1n, 30, DESK_CID.disclosure), desk.interface, 'QuoteAlreadyUsed', [quoteId, requestId]);
    const fresh = await answeredQuote(env, desk, deployment, env.alice);
    assert.equal(await requestLoan(desk, fresh, env.alice), requestId + 1n);
  });

  it('only the quote borrower requests, and only once the quote is answered', async () => {
    const env = get();
    const unanswered = await requestQuote(desk, deployment, env.alice);
    await expectRevert(as(desk, env.alice).requestLoan(unanswered, 1n, 30, DESK_CID.disclosure), desk.interface, 'QuoteNotAnswered', [unanswered, 1n]);
    const quoteId = await answeredQuote(env, desk, deployment, env.alice);
    for (const who of [env.bob, env.carol, env.lender]) {
      await expectRevert(as(desk, who).requestLoan(quoteId, 1n, 30, DESK_CID.disclosure), desk.interface, 'NotQuoteBorrower', [quoteId, who.address, env.alice.address]);
    }
    await expectRevert(as(desk, env.alice).requestLoan(quoteId + 1n, 1n, 30, DESK_CID.disclosure), desk.interface, 'UnknownQuote', [quoteId + 1n]);
  });

  it('checks amount, term and disclosure CID, accepting the bounds', async () => {
    const env = get();
    const quoteId = await answeredQuote(env, desk, deployment, env.alice);
    const alice = as(desk, env.alice);
    await expectRevert(alice.requestLoan(quoteId, 0n, 30, DESK_CID.disclosure), desk.interface, 'ZeroAmount');
    await expectRevert(alice.requestLoan(quoteId, 1n, 0, DESK_CID.disclosure), desk.interface, 'InvalidTerm', [0n, 3650n]);
    await expectRevert(alice.requestLoan(quoteId, 1n, 3651, DESK_CID.disclosure), desk.interface, 'InvalidTerm', [3651n, 3650n]);
    await expectRevert(alice.requestLoan(quoteId, 1n, 30, ''), desk.interface, 'EmptyCid');
    await expectRevert(alice.requestLoan(quoteId, 1n, 30, 'd'.repeat(129)), desk.interface, 'CidTooLong', [129n, 128n]);
    const max = 2n ** 256n - 1n;
    const tx = await alice.requestLoan(quoteId, max, 3650, 'd'.repeat(128));
    await expectEvents(tx, desk.interface, [['LoanRequested', [1n, deployment, env.alice.address, quoteId, token, max, 3650n, 'd'.repeat(128)]]]);
  });

  it('refuses new requests once the deployment is retired', async () => {
    const env = get();
    const quoteId = await answeredQuote(env, desk, deployment, env.alice);
    await as(desk, env.lender).retireDeployment(deployment);
    await expectRevert(as(desk, env.alice).requestLoan(quoteId, 1n, 30, DESK_CID.disclosure), desk.interface, 'DeploymentNotActive', [deployment, 2n]);
    assert.equal(await desk.loanRequestCount(), 0n);
  });

  it('lets only the request borrower cancel, while pending', async () => {
    const env = get();
    const requestId = await requestLoan(desk, await answeredQuote(env, desk, deployment, env.alice), env.alice);
    for (const who of [env.bob, env.carol, env.lender]) {
      await expectRevert(as(desk, who).cancelLoanRequest(requestId), desk.interface, 'NotLoanBorrower', [requestId, who.address, env.alice.address]);
    }
    const tx = await as(desk, env.alice).cancelLoanRequest(requestId);
    await expectEvents(tx, desk.interface, [['LoanRequestCancelled', [requestId, deployment, env.alice.address]]]);
    assert.equal((await desk.getLoanRequest(requestId)).status, Status.Cancelled);
    await expectRevert(as(desk, env.alice).cancelLoanRequest(requestId), desk.interface, 'LoanRequestNotPending', [requestId, Status.Cancelled]);
    await expectRevert(as(desk, env.carol).decideLoan(requestId, true, 1n, 500, Reason.Priced), desk.interface, 'LoanRequestNotPending', [requestId, Status.Cancelled]);
    await expectRevert(as(desk, env.alice).cancelLoanRequest(requestId + 1n), desk.interface, 'UnknownLoanRequest', [requestId + 1n]);
    await expectRevert(desk.getLoanRequest(0n), desk.interface, 'UnknownLoanRequest', [0n]);
  });

  it('cannot cancel a decided request; a retired deployment still lets the borrower cancel', async () => {
    const env = get();
    const decided = await requestLoan(desk, await answeredQuote(env, desk, deployment, env.alice), env.alice);
    await as(desk, env.carol).decideLoan(decided, false, 0n, 0, Reason.RiskTooHigh);
    await expectRevert(as(desk, env.alice).cancelLoanRequest(decided), desk.interface, 'LoanRequestNotPending', [decided, Status.Declined]);
    const pending = await requestLoan(desk, await answeredQuote(env, desk, deployment, env.bob), env.bob);
    await as(desk, env.lender).retireDeployment(deployment);
    await as(desk, env.bob).cancelLoanRequest(pending);
    assert.equal((await desk.getLoanRequest(pending)).status, Status.Cancelled);
  });
});

chainSuite('LoanDesk: decideLoan', (get) => {
  let desk: AnyContract;
  let deployment: bigint;
  let requestId: bigint;
  before(async () => {
    const env = get();
    desk = await deployDesk(env);
    deployment = await deploy(env, desk, await trainedModel(env));
    requestId = await requestLoan(desk, await answeredQuote(env, desk, deployment, env.alice), env.alice, 10_000n, 365);
  });

  it('approves at the priced rate for the full amount', async () => {
    const env = get();
    const tx = await as(desk, env.carol).decideLoan(requestId, true, 10_000n, 1_250, Reason.Priced);
    await expectEvents(tx, desk.interface, [['LoanDecided', [requestId, deployment, env.alice.address, true, 10_000n, 1_250n, BigInt(Reason.Priced)]]]);
    assert.equal((await desk.getLoanRequest(requestId)).status, Status.Approved);
    await expectRevert(as(desk, env.carol).decideLoan(requestId, true, 10_000n, 1_250, Reason.Priced), desk.interface, 'LoanRequestNotPending', [requestId, Status.Approved]);
    await expectRevert(as(desk, env.carol).decideLoan(requestId, false, 0n, 0, Reason.Manual), desk.interface, 'LoanRequestNotPending', [requestId, Status.Approved]);
  });

  it('approves a reduced amount (AmountAboveLimit) and manual decisions, up to the rate cap', async () => {
    const env = get();
    const tx = await as(desk, env.carol).decideLoan(requestId, true, 4_000n, 100_000, Reason.AmountAboveLimit);
    await expectEvents(tx, desk.interface, [['LoanDecided', [requestId, deployment, env.alice.address, true, 4_000n, 100_000n, BigInt(Reason.AmountAboveLimit)]]]);
    const other = await requestLoan(desk, await answeredQuote(env, desk, deployment, env.bob), env.bob, 7n, 30);
    await as(desk, env.carol).decideLoan(other, true, 1n, 0, Reason.Manual);
    assert.equal((await desk.getLoanRequest(other)).status, Status.Approved);
  });

  it('declines with every adverse reason, amount and rate 0', async () => {
    const env = get();
    for (const reason of [Reason.RiskTooHigh, Reason.RateAboveCap, Reason.AmountAboveLimit, Reason.InvalidDisclosure, Reason.Manual]) {
      const id = reason === Reason.RiskTooHigh ? requestId : await requestLoan(desk, await answeredQuote(env, desk, deployment, env.bob), env.bob);
      const tx = await as(desk, env.carol).decideLoan(id, false, 0n, 0, reason);
      await expectEvents(tx, desk.interface, [['LoanDecided', [id, deployment, id === requestId ? env.alice.address : env.bob.address, false, 0n, 0n, BigInt(reason)]]]);
      assert.equal((await desk.getLoanRequest(id)).status, Status.Declined);
    }
  });

  it('reverts InvalidDecision for inconsistent approvals and declines, with every value', async () => {
    const env = get();
    const service = as(desk, env.carol);
    const bad: [boolean, bigint, number, number][] = [
      [true, 0n, 500, Reason.Priced],
      [true, 10_001n, 500, Reason.Priced],
      [true, 10_000n, 500, Reason.RiskTooHigh],
      [true, 10_000n, 500, Reason.RateAboveCap],
      [true, 10_000n, 500, Reason.InvalidDisclosure],
      [false, 1n, 0, Reason.RiskTooHigh],
      [false, 0n, 1, Reason.RiskTooHigh],
      [false, 0n, 0, Reason.Priced],
    ];
    for (const [approved, amount, rate, reason] of bad) {
      await expectRevert(service.decideLoan(requestId, approved, amount, rate, reason), desk.interface, 'InvalidDecision', [requestId, approved, amount, BigInt(rate), BigInt(reason)]);
    }
    await expectRevert(service.decideLoan(requestId, true, 10_000n, 100_001, Reason.Priced), desk.interface, 'RateTooHigh', [100_001n, 100_000n]);
    assert.equal((await desk.getLoanRequest(requestId)).status, Status.Pending);
  });

  it('only the deployment service decides: not the lender, the borrower or a stranger', async () => {
    const env = get();
    for (const who of [env.lender, env.alice, env.stranger]) {
      await expectRevert(as(desk, who).decideLoan(requestId, true, 1n, 500, Reason.Priced), desk.interface, 'NotService', [deployment, who.address, env.carol.address]);
    }
    await expectRevert(as(desk, env.carol).decideLoan(requestId + 1n, true, 1n, 500, Reason.Priced), desk.interface, 'UnknownLoanRequest', [requestId + 1n]);
  });

  it('still decides requests filed before the deployment was retired', async () => {
    const env = get();
    await as(desk, env.lender).retireDeployment(deployment);
    const tx = await as(desk, env.carol).decideLoan(requestId, true, 10_000n, 900, Reason.Priced);
    await expectEvents(tx, desk.interface, [['LoanDecided', [requestId, deployment, env.alice.address, true, 10_000n, 900n, BigInt(Reason.Priced)]]]);
    assert.equal(await env.ethers.provider.getBalance(await desk.getAddress()), 0n);
  });
});
