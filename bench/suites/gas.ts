// Gas per external function of ModelRepository, measured directly: one scripted life of two models
// (ETH with a stake and the Improvement rule; ERC-20 with the EqualShare rule and the minimum stake;
// a third-party funder on both; commit + reveal submissions, a lapsed commit) on a Hardhat node,
// reading gasUsed from each receipt. Then the LoanDesk life of the closed models: deployments,
// quotes, loan requests, decisions, a cancellation and a retirement.
import { Contract, JsonRpcProvider, keccak256, parseEther, toUtf8Bytes, type ContractTransactionResponse, type JsonRpcSigner } from 'ethers';
import { DecisionReason, ETH, MIN_SUBMISSION_STAKE, RewardRule, Verdict, loanDeskAbi, modelRepositoryAbi, sealOf, testTokenAbi, deployHessian } from '@hessian/contracts';
import { startLocalChain } from '@hessian/contracts/local-chain';
import { emptyResult, fmt, runSuite } from '../lib/result.ts';
import { placeholderCid } from '../lib/chain.ts';

await runSuite(async () => {
  const r = emptyResult('gas', 'Gas per external function');
  const chain = await startLocalChain();
  const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, pollingInterval: 50 });
  try {
    const [lender, a, b, c, funder, service, borrower, borrower2] = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => provider.getSigner(i))) as JsonRpcSigner[];
    const d = await deployHessian(lender!, { token: true });
    const repoAt = (s: JsonRpcSigner) => new Contract(d.contracts.ModelRepository.address, modelRepositoryAbi, s);
    const tokenAt = (s: JsonRpcSigner) => new Contract(d.contracts.TestToken!.address, testTokenAbi, s);
    const deskAt = (s: JsonRpcSigner) => new Contract(d.contracts.LoanDesk!.address, loanDeskAbi, s);
    const rows: [string, string, string, bigint][] = [];
    let contract = 'ModelRepository';
    const gas = async (fn: string, caseName: string, send: () => Promise<ContractTransactionResponse>) => {
      const tx = await send();
      const receipt = await tx.wait();
      if (!receipt || receipt.status !== 1) throw new Error(`${contract}.${fn} (${caseName}) failed`);
      rows.push([contract, fn, caseName, receipt.gasUsed]);
    };
    const now = (await provider.getBlock('latest'))!.timestamp;
    const cid = placeholderCid;
    const params = (token: string, bounty: bigint, rule: number, stake: bigint, tag: string) => ({
      token, bounty, weightsCid: cid(`w-${tag}`), metadataCid: cid(`m-${tag}`), initialScore: 500_000, targetScore: 900_000, rule,
      submissionDeadline: now + 7200, evaluationWindow: 3600, evaluator: ETH, submissionStake: stake,
    });
    const stake = parseEther('0.01');
    const lenderAddr = await lender!.getAddress();
    const aAddr = await a!.getAddress();
    await (await tokenAt(lender!).mint!(lenderAddr, parseEther('1000'))).wait();
    await (await tokenAt(lender!).approve!(d.contracts.ModelRepository.address, parseEther('1000'))).wait();
    await (await tokenAt(funder!).mint!(await funder!.getAddress(), parseEther('100'))).wait();
    await (await tokenAt(funder!).approve!(d.contracts.ModelRepository.address, parseEther('100'))).wait();

    await gas('createModel', 'ETH bounty, Improvement rule, with stake', () => repoAt(lender!).createModel!(params(ETH, 0n, RewardRule.Improvement, stake, '1'), { value: parseEther('10') }));
    await gas('createModel', 'ERC-20 bounty, EqualShare rule, minimum stake', () => repoAt(lender!).createModel!(params(d.contracts.TestToken!.address, parseEther('500'), RewardRule.EqualShare, MIN_SUBMISSION_STAKE, '2')));
    await gas('addBounty', 'ETH, third-party funder', () => repoAt(funder!).addBounty!(1, parseEther('1'), { value: parseEther('1') }));
    await gas('addBounty', 'ERC-20, third-party funder', () => repoAt(funder!).addBounty!(2, parseEther('50')));
    // the submission path: a commit, then the reveal of the CID it seals
    const submit = async (who: JsonRpcSigner, modelId: number, tag: string, value: bigint, measure: boolean) => {
      const content = { cid: cid(tag), commitment: keccak256(toUtf8Bytes(tag)), salt: keccak256(toUtf8Bytes(`salt-${tag}`)) };
      const seal = sealOf(await who.getAddress(), modelId, content.commitment, content.cid, content.salt);
      const commitTx = () => repoAt(who).commitGradient!(modelId, seal, { value });
      const revealTx = async () => repoAt(who).revealGradient!(Number(await repoAt(who).gradientCount!()), content.cid, content.commitment, content.salt, 1_000_000);
      if (!measure) {
        await (await commitTx()).wait();
        await (await revealTx()).wait();
        return seal;
      }
      await gas('commitGradient', 'seal + stake', commitTx);
      await gas('revealGradient', '59-character CID, seal checked', revealTx);
      const [c1, r1] = rows.slice(-2).map((row) => row[3]);
      rows.push([contract, 'commitGradient + revealGradient', 'the whole submission path per gradient', c1! + r1!]);
      return seal;
    };
    const seals: string[] = [];
    seals.push(await submit(a!, 1, 'g1', stake, true));
    seals.push(await submit(b!, 1, 'g2', stake, false));
    seals.push(await submit(c!, 1, 'g3', stake, false));
    seals.push(await submit(a!, 2, 'g4', MIN_SUBMISSION_STAKE, false));
    seals.push(await submit(b!, 2, 'g5', MIN_SUBMISSION_STAKE, false));
    seals.push(await submit(c!, 1, 'g6', stake, false));
    const lapse = sealOf(await b!.getAddress(), 1, keccak256(toUtf8Bytes('g7')), cid('g7'), keccak256(toUtf8Bytes('salt-g7')));
    await (await repoAt(b!).commitGradient!(1, lapse, { value: stake })).wait(); // never revealed: lapses
    await gas('evaluateGradient', 'accepted, improves the best score (Improvement reward, stake back)', () => repoAt(lender!).evaluateGradient!(1, seals[0], 600_000, Verdict.Accepted, cid('w1.1')));
    await gas('evaluateGradient', 'accepted without improvement (stake back)', () => repoAt(lender!).evaluateGradient!(2, seals[1], 550_000, Verdict.Accepted, cid('w1.2')));
    await gas('evaluateGradient', 'rejected (stake forfeited)', () => repoAt(lender!).evaluateGradient!(3, seals[2], 400_000, Verdict.Rejected, ''));
    await gas('evaluateGradient', 'declined (stake back, nothing applied)', () => repoAt(lender!).evaluateGradient!(6, seals[5], 450_000, Verdict.Declined, ''));
    await gas('evaluateGradient', 'accepted, EqualShare (minimum stake back)', () => repoAt(lender!).evaluateGradient!(4, seals[3], 650_000, Verdict.Accepted, cid('w2.1')));
    await provider.send('evm_increaseTime', [7200 + 3600 + 3600 + 60]);
    await provider.send('evm_mine', []);
    await gas('expireGradient', 'revealed, unevaluated past its window', () => repoAt(c!).expireGradient!(5));
    await gas('expireGradient', 'committed, never revealed (lapsed, stake to the lender)', () => repoAt(c!).expireGradient!(7));
    await gas('closeModel', 'ERC-20, EqualShare, one accepted + one expired share, third-party funder', () => repoAt(c!).closeModel!(2));
    await gas('closeModel', 'ETH, Improvement, leftover refunded to lender and funder', () => repoAt(c!).closeModel!(1));
    await gas('claimShare', 'accepted gradient (EqualShare)', () => repoAt(c!).claimShare!(4));
    await gas('claimShare', 'expired gradient', () => repoAt(c!).claimShare!(5));
    await gas('claimRefund', 'third-party funder, ETH', () => repoAt(funder!).claimRefund!(1));
    await gas('withdraw', 'ETH (reward + stake)', () => repoAt(a!).withdraw!(ETH, aAddr));
    await gas('withdraw', 'ERC-20 (share, paid pro rata of the balance)', () => repoAt(a!).withdraw!(d.contracts.TestToken!.address, aAddr));
    await gas('withdraw', 'ETH (lender: forfeited stakes + refund)', () => repoAt(lender!).withdraw!(ETH, lenderAddr));

    // LoanDesk: both models are Closed now, so their lender may deploy them
    contract = 'LoanDesk';
    if (!d.contracts.LoanDesk) throw new Error('deployHessian did not deploy the LoanDesk');
    const serviceAddr = await service!.getAddress();
    const deploy = (modelId: number, token: string, svc: string, tag: string) => ({
      modelId, weightsCid: cid(`w-${modelId}-final`), weightsCommitment: keccak256(toUtf8Bytes(`commit-${tag}`)), serviceCid: cid(`service-${tag}`), metric: 'auc', token, service: svc,
    });
    await gas('deployModel', 'ETH loans, separate service account', () => deskAt(lender!).deployModel!(deploy(1, ETH, serviceAddr, 'd1')));
    await gas('deployModel', 'ERC-20 loans, the lender as service', () => deskAt(lender!).deployModel!(deploy(2, d.contracts.TestToken!.address, ETH, 'd2')));
    await gas('requestQuote', 'query CID, active deployment', () => deskAt(borrower!).requestQuote!(1, cid('q1')));
    await (await deskAt(borrower2!).requestQuote!(1, cid('q2'))).wait();
    await (await deskAt(borrower!).requestQuote!(1, cid('q3'))).wait();
    await gas('answerQuote', 'by the service account', () => deskAt(service!).answerQuote!(1, cid('r1')));
    await (await deskAt(service!).answerQuote!(2, cid('r2'))).wait();
    await (await deskAt(service!).answerQuote!(3, cid('r3'))).wait();
    await gas('requestLoan', 'sealed disclosure CID', () => deskAt(borrower!).requestLoan!(1, parseEther('2'), 365, cid('s1')));
    await (await deskAt(borrower2!).requestLoan!(2, parseEther('5'), 730, cid('s2'))).wait();
    await (await deskAt(borrower!).requestLoan!(3, parseEther('1'), 90, cid('s3'))).wait();
    await gas('decideLoan', 'approved (Priced)', () => deskAt(service!).decideLoan!(1, true, parseEther('2'), 1450, DecisionReason.Priced));
    await gas('decideLoan', 'declined (RiskTooHigh)', () => deskAt(service!).decideLoan!(2, false, 0, 0, DecisionReason.RiskTooHigh));
    await gas('cancelLoanRequest', 'pending request, by its borrower', () => deskAt(borrower!).cancelLoanRequest!(3));
    await gas('retireDeployment', 'by the lender', () => deskAt(lender!).retireDeployment!(1));

    for (const name of ['ModelRepository', 'LoanDesk']) {
      r.tables.push({ title: `${name}: gasUsed from receipts (Solidity 0.8.37, viaIR, cancun)`, columns: ['function', 'case', 'gas'], portable: true, rows: rows.filter(([c]) => c === name).map(([, f, k, g]) => [f, k, fmt.int(Number(g))]) });
    }
    r.notes.push('A submission is two transactions (commit a seal, then reveal the CID), so it pays two 21,000 base costs and two events; the commit writes the gradient\'s two storage slots (contributor/model/deadline/status and the 32-byte seal), the reveal rewrites one and reads the model\'s evaluation window. The old single submitGradient (with a per-model commitment flag) cost 89,022.');
    r.notes.push('Gas is deterministic: these figures do not depend on the machine. `npm run gas -w @hessian/contracts` gives the same functions from the contract tests.');
    r.notes.push('LoanDesk: `deployModel` reads the model\'s lender, status, best score and version from ModelRepository (a cross-contract call). CIDs are 59-character CIDv1 strings, as the trainer writes; a request\'s cost grows with its CID lengths.');
    r.figures = { gas: rows.map(([c, f, k, g]) => ({ contract: c, function: f, case: k, gas: Number(g) })) };
    return r;
  } finally {
    provider.destroy();
    await chain.stop();
  }
});
