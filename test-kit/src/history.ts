// A scripted, realistic ModelRepository history on a Hardhat node: five models (ETH and ERC-20,
// Improvement and EqualShare rules), top-ups (one by a third party refunded to it by claimRefund),
// gradients committed (a seal) then revealed (CID, data commitment, DP epsilon), accepted /
// rejected / declined (no improvement) evaluations (two in one block), a copy of an earlier
// gradient's CID revealed under a later commit and rejected, commits that lapse unrevealed, a
// target reached, expiries, closes with refunds, equal-share and expired-share claims,
// withdrawals, spread over five UTC days with fixed block times. Models 4 and 5 are still open at
// the end (model 4 with a pending gradient and a commit never revealed), so "open bounties" has
// answers.
// Day 5 is the loan desk (LoanDesk): model 2 (target reached) deployed with a delegated service,
// model 1 (closed at its deadline) deployed, model 2 deployed a second time and retired; six
// quotes from three borrowers (two in one block, one never answered, one answered after its
// deployment retired), four loan requests: approved as priced, declined (RiskTooHigh) and
// approved at the limit (AmountAboveLimit) in one block, and one cancelled. The history runs no
// CKKS: query, result and disclosure CIDs are just valid CIDs.
// The subgraph's mapping tests replay it; the indexer and dashboard tests reuse it to get a
// chain worth indexing:
//   node test-kit/src/history.ts --rpc http://127.0.0.1:8545 [--out record.json]
// Needs a Hardhat (or anvil-like) node: it sets block timestamps with evm_* methods.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Contract, JsonRpcProvider, keccak256, parseEther, toUtf8Bytes, type JsonRpcSigner, type TransactionResponse } from 'ethers';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import {
  deployHessian,
  loanDeskAbi,
  modelRepositoryAbi,
  sealOf,
  testTokenAbi,
  DecisionReason,
  MIN_SUBMISSION_STAKE,
  REVEAL_WINDOW,
  RewardRule,
  Verdict,
  ETH,
  type Deployment,
} from '@hessian/contracts';

export const DAY = 86_400;
export const ETH_STAKE = parseEther('0.01');
/** models 2 to 5 ask for the least stake the contract allows */
export const MIN_STAKE = MIN_SUBMISSION_STAKE;
export const TOKEN_UNIT = 10n ** 18n;

/** Who does what: Hardhat's unlocked dev accounts by index. */
export const ROLES = {
  deployer: 0,
  alice: 1, // lender of models 1 (ETH, Improvement; also its evaluator) and 4 (ETH, open)
  bob: 2, // lender of models 2 (token, EqualShare), 3 (ETH, no submissions) and 5 (token, open)
  eve: 3, // evaluator of models 2 and 4
  carol: 4, // contributor
  dave: 5, // contributor; copies carol's g6 CID into g10
  erin: 6, // contributor; lets g11 and g13 lapse, g15 is never revealed
  frank: 7, // tops up models 1 and 3 (claims its refund of 3), closes models 1 and 3, lapses g11 and g13
  vault: 8, // receives carol's token withdrawal
  grace: 9, // borrower: quotes q1 (d1) and q4 (d2); loan r1 approved, r4 cancelled
  heidi: 10, // borrower: quotes q2 (d1) and q5 (d3, answered after retirement); loan r2 declined
  ivan: 11, // borrower: quotes q3 (d1) and q6 (d2, never answered); loan r3 approved at the limit
} as const;
export type Role = keyof typeof ROLES;

export interface TxRecord {
  /** what the step did, e.g. "evaluate g1 (accepted, 740000)" */
  label: string;
  hash: string;
  blockNumber: number;
  blockHash: string;
  timestamp: number;
  /** the ModelRepository and LoanDesk logs this transaction emitted, by their log index in the block */
  logIndexes: number[];
}

export interface HistoryRecord {
  rpcUrl: string;
  deployment: Deployment;
  repository: string;
  /** LoanDesk's address (lowercase) */
  loanDesk: string;
  token: string;
  accounts: Record<Role, string>;
  /** on-chain id of the script's model 1 / gradient 1 (1 on a fresh deployment; k-th = first + k - 1) */
  firstModelId: number;
  firstGradientId: number;
  /** on-chain id of the script's deployment / quote / loan request 1 (1 on a fresh deployment) */
  firstDeploymentId: number;
  firstQuoteId: number;
  firstRequestId: number;
  /** 01:00 UTC of the first day the history uses (unix seconds) */
  t0: number;
  /** t0's day number (unix seconds / 86400): DayData ids are day0 .. day0 + 4 */
  day0: number;
  /** CIDs used, by name: weights "w1".., metadata "meta1".., gradients "g1"..; loan desk:
   * services "service d1".., queries "query q1".., results "result q1".., disclosures "disclosure r1".. */
  cids: Record<string, string>;
  /** data commitments by gradient name; weights commitments by deployment name ("d1"..) */
  commitments: Record<string, string>;
  /** each gradient's salt and seal by gradient name ("g1"..) */
  salts: Record<string, string>;
  seals: Record<string, string>;
  /** the DP epsilon each revealed gradient declared (PRIVACY_SCALE = 1e6 fixed point), by gradient name */
  epsilons: Record<string, number>;
  /** every transaction, in order; look steps up with `tx(record, label)` */
  txs: TxRecord[];
  /** block of the last transaction */
  lastBlock: number;
}

async function cidOf(text: string): Promise<string> {
  return CID.createV1(raw.code, await sha256.digest(toUtf8Bytes(text))).toString();
}

export function tx(record: HistoryRecord, label: string): TxRecord {
  const found = record.txs.find((t) => t.label === label);
  if (!found) throw new Error(`history has no step labelled ${JSON.stringify(label)}`);
  return found;
}

export interface HistoryOptions {
  /** reuse contracts already deployed (must include LoanDesk and TestToken); default: deploy fresh ones */
  deployment?: Deployment;
  /** called after each transaction */
  onStep?: (step: TxRecord) => void;
}

export async function runHistory(rpcUrl: string, opts: HistoryOptions = {}): Promise<HistoryRecord> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  try {
    return await play(provider, rpcUrl, opts);
  } finally {
    provider.destroy();
  }
}

async function play(provider: JsonRpcProvider, rpcUrl: string, opts: HistoryOptions): Promise<HistoryRecord> {
  const signers = {} as Record<Role, JsonRpcSigner>;
  const accounts = {} as Record<Role, string>;
  for (const [role, index] of Object.entries(ROLES) as [Role, number][]) {
    signers[role] = await provider.getSigner(index);
    accounts[role] = (await signers[role].getAddress()).toLowerCase();
  }
  const deployment = opts.deployment ?? (await deployHessian(signers.deployer, { token: true }));
  const repoAddress = deployment.contracts.ModelRepository.address;
  const tokenAddress = deployment.contracts.TestToken?.address;
  if (!tokenAddress) throw new Error('runHistory: the deployment has no TestToken');
  const deskAddress = deployment.contracts.LoanDesk?.address;
  if (!deskAddress) throw new Error('runHistory: the deployment has no LoanDesk (deployHessian deploys one)');
  const desk = (who: Role) => new Contract(deskAddress, loanDeskAbi, signers[who]);
  const repo = (who: Role) => new Contract(repoAddress, modelRepositoryAbi, signers[who]);
  const token = (who: Role) => new Contract(tokenAddress, testTokenAbi, signers[who]);

  // Ids continue from what the contract already holds (ids of a fresh deployment start at 1):
  // model k of this script is M(k), gradient k is G(k).
  const modelBase: bigint = await repo('deployer').modelCount();
  const gradientBase: bigint = await repo('deployer').gradientCount();
  const deploymentBase: bigint = await desk('deployer').deploymentCount();
  const quoteBase: bigint = await desk('deployer').quoteCount();
  const requestBase: bigint = await desk('deployer').loanRequestCount();
  const M = (k: number) => modelBase + BigInt(k);
  const G = (k: number) => gradientBase + BigInt(k);
  const D = (k: number) => deploymentBase + BigInt(k);
  const Q = (k: number) => quoteBase + BigInt(k);
  const R = (k: number) => requestBase + BigInt(k);
  const ours = new Set([repoAddress.toLowerCase(), deskAddress.toLowerCase()]);

  // Fixed block times: day boundaries (DayData) and deadlines come out the same on every run.
  const latest = await provider.send('eth_getBlockByNumber', ['latest', false]);
  const t0 = (Math.floor(Number(BigInt(latest.timestamp)) / DAY) + 1) * DAY + 3600;
  const txs: TxRecord[] = [];

  const record = async (label: string, sent: TransactionResponse): Promise<TxRecord> => {
    const receipt = await sent.wait();
    if (!receipt || receipt.status !== 1) throw new Error(`history step "${label}" failed (${sent.hash})`);
    const block = await provider.send('eth_getBlockByNumber', [`0x${receipt.blockNumber.toString(16)}`, false]);
    const step: TxRecord = {
      label,
      hash: receipt.hash,
      blockNumber: receipt.blockNumber,
      blockHash: receipt.blockHash,
      timestamp: Number(BigInt(block.timestamp)),
      logIndexes: receipt.logs.filter((l) => ours.has(l.address.toLowerCase())).map((l) => l.index),
    };
    txs.push(step);
    opts.onStep?.(step);
    return step;
  };
  /** one transaction mined alone in a block at t0 + offset */
  const at = async (offset: number, label: string, send: () => Promise<TransactionResponse>) => {
    await provider.send('evm_setNextBlockTimestamp', [t0 + offset]);
    return record(label, await send());
  };
  /** several transactions mined together in one block at t0 + offset */
  const together = async (offset: number, steps: [string, () => Promise<TransactionResponse>][]) => {
    await provider.send('evm_setAutomine', [false]);
    const sent: [string, TransactionResponse][] = [];
    try {
      for (const [label, send] of steps) sent.push([label, await send()]);
      await provider.send('evm_setNextBlockTimestamp', [t0 + offset]);
      await provider.send('evm_mine', []);
    } finally {
      await provider.send('evm_setAutomine', [true]);
    }
    for (const [label, s] of sent) await record(label, s);
  };

  const cids: Record<string, string> = {};
  const cid = async (name: string) => (cids[name] = await cidOf(`hessian history ${name}`));
  const commitments: Record<string, string> = {};
  const commit = (g: string) => (commitments[g] = keccak256(toUtf8Bytes(`rows used by ${g}`)));

  const salts: Record<string, string> = {};
  const seals: Record<string, string> = {};
  const epsilons: Record<string, number> = {};
  const gradientIds: Record<string, bigint> = {};

  const createParams = async (p: {
    token: string; bounty: bigint; weights: string; meta: string; initial: number; target: number;
    rule: number; deadline: number; window: number; evaluator: string; stake: bigint;
  }) => ({
    token: p.token,
    bounty: p.bounty,
    weightsCid: await cid(p.weights),
    metadataCid: await cid(p.meta),
    initialScore: p.initial,
    targetScore: p.target,
    rule: p.rule,
    submissionDeadline: t0 + p.deadline,
    evaluationWindow: p.window,
    evaluator: p.evaluator,
    submissionStake: p.stake,
  });
  const stakes: Record<number, bigint> = { 1: ETH_STAKE, 2: MIN_STAKE, 3: MIN_STAKE, 4: MIN_STAKE, 5: MIN_STAKE };
  /**
   * Commits gradient `g` (the k-th commit: id G(k)) of `who` to `model`, sealing `content` (a
   * gradient name: a copier seals someone else's CID under its own address, commitment and salt).
   */
  const commitGradient = async (offset: number, who: Role, model: number, g: string, content = g) => {
    const gradientCid = (cids[g] = cids[content] ?? (await cid(content)));
    const dataCommitment = commit(g);
    const salt = (salts[g] = keccak256(toUtf8Bytes(`salt of ${g}`)));
    seals[g] = sealOf(accounts[who], M(model), dataCommitment, gradientCid, salt);
    gradientIds[g] = G(Number(g.slice(1)));
    await at(offset, `commit ${g}`, () => repo(who).commitGradient(M(model), seals[g]!, { value: stakes[model]! }));
    return gradientCid;
  };
  const revealGradient = async (offset: number, who: Role, g: string, gradientCid: string, epsilon: number) => {
    epsilons[g] = epsilon;
    await at(offset, `reveal ${g}`, () => repo(who).revealGradient(gradientIds[g]!, gradientCid, commitments[g]!, salts[g]!, epsilon));
  };
  /** commit, then reveal 10 s later (the next block) */
  const submit = async (offset: number, who: Role, model: number, g: string, epsilon: number, content = g) => {
    const gradientCid = await commitGradient(offset, who, model, g, content);
    await revealGradient(offset + 10, who, g, gradientCid, epsilon);
  };
  const evaluate = (who: Role, g: string, score: number, verdict: number, weights = '') => async () =>
    repo(who).evaluateGradient(gradientIds[g]!, seals[g]!, score, verdict, verdict === Verdict.Accepted ? await cid(weights) : '');

  // ------------------------------------------------------------------ day 0
  // model 1's deadline is 23:00 on day 2, so it can close from 00:00 on day 4 (deadline + reveal window + evaluation window)
  const m1 = await createParams({
    token: ETH, bounty: 0n, weights: 'w1', meta: 'meta1', initial: 700_000, target: 800_000,
    rule: RewardRule.Improvement, deadline: 3 * DAY - 2 * REVEAL_WINDOW, window: DAY, evaluator: ETH, stake: ETH_STAKE,
  });
  await at(0, 'create m1', () => repo('alice').createModel(m1, { value: parseEther('1') }));
  await at(60, 'mint bob', () => token('deployer').mint(accounts.bob, 1_500n * TOKEN_UNIT));
  await at(120, 'approve bob', () => token('bob').approve(repoAddress, 1_500n * TOKEN_UNIT));
  const m2 = await createParams({
    token: tokenAddress, bounty: 1_000n * TOKEN_UNIT, weights: 'w2', meta: 'meta2', initial: 500_000, target: 600_000,
    rule: RewardRule.EqualShare, deadline: 5 * DAY, window: DAY, evaluator: accounts.eve, stake: MIN_STAKE,
  });
  await at(180, 'create m2', () => repo('bob').createModel(m2));
  const m3 = await createParams({
    token: ETH, bounty: parseEther('0.2'), weights: 'w3', meta: 'meta3', initial: 600_000, target: 900_000,
    rule: RewardRule.Improvement, deadline: 2 * DAY - 2 * REVEAL_WINDOW, window: DAY, evaluator: ETH, stake: MIN_STAKE,
  });
  await at(240, 'create m3', () => repo('bob').createModel(m3, { value: parseEther('0.2') }));
  // 0.5 ETH + 1 wei: the odd wei is the rounding dust refunded when model 1 closes
  await at(300, 'top up m1', () => repo('frank').addBounty(M(1), parseEther('0.5') + 1n, { value: parseEther('0.5') + 1n }));
  // a third party's top-up of a model nobody improves: a third of model 3's refund is frank's to claim
  await at(360, 'top up m3', () => repo('frank').addBounty(M(3), parseEther('0.1'), { value: parseEther('0.1') }));
  await submit(3600, 'carol', 1, 'g1', 500_000);
  await submit(3660, 'dave', 1, 'g2', 1_000_000);
  await submit(3720, 'erin', 1, 'g3', 0);
  await submit(3780, 'carol', 2, 'g4', 500_000);

  // ------------------------------------------------------------------ day 1
  await together(DAY, [
    ['evaluate g1', evaluate('alice', 'g1', 740_000, Verdict.Accepted, 'w1.1')],
    // valid, but no improvement: declined, the stake goes back
    ['evaluate g2', evaluate('alice', 'g2', 690_000, Verdict.Declined)],
  ]);
  await at(DAY + 60, 'evaluate g3', evaluate('alice', 'g3', 730_000, Verdict.Accepted, 'w1.2'));
  await at(DAY + 120, 'top up m2', () => repo('bob').addBounty(M(2), 200n * TOKEN_UNIT));
  await submit(DAY + 180, 'dave', 2, 'g5', 2_000_000);
  await at(DAY + 240, 'evaluate g4', evaluate('eve', 'g4', 550_000, Verdict.Accepted, 'w2.1'));
  // invalid content: rejected, the stake goes to the lender
  await at(DAY + 300, 'evaluate g5', evaluate('eve', 'g5', 520_000, Verdict.Rejected));

  // ------------------------------------------------------------------ day 2
  await submit(2 * DAY, 'carol', 1, 'g6', 500_000);
  await submit(2 * DAY + 60, 'dave', 1, 'g7', 1_000_000);
  await submit(2 * DAY + 120, 'erin', 1, 'g8', 250_000);
  await at(2 * DAY + 180, 'evaluate g6', evaluate('alice', 'g6', 760_000, Verdict.Accepted, 'w1.3'));
  await submit(2 * DAY + 240, 'carol', 2, 'g9', 500_000);
  await at(2 * DAY + 300, 'evaluate g9', evaluate('eve', 'g9', 610_000, Verdict.Accepted, 'w2.2'));
  await at(2 * DAY + 360, 'close m2', () => repo('bob').closeModel(M(2)));
  await at(2 * DAY + 420, 'claim g4', () => repo('carol').claimShare(G(4)));
  await at(2 * DAY + 480, 'claim g9', () => repo('carol').claimShare(G(9)));
  await at(2 * DAY + 540, 'withdraw carol token', () => repo('carol').withdraw(tokenAddress, accounts.vault));
  // dave copies carol's published g6 CID under a commit of his own: the evaluator rejects the duplicate
  await submit(2 * DAY + 600, 'dave', 1, 'g10', 1_000_000, 'g6');
  await at(2 * DAY + 660, 'evaluate g10', evaluate('alice', 'g10', 760_000, Verdict.Rejected));
  // erin commits and never reveals: frank lapses it once the reveal window is over
  await commitGradient(2 * DAY + 720, 'erin', 1, 'g11');
  await at(2 * DAY + 720 + REVEAL_WINDOW + 60, 'lapse g11', () => repo('frank').expireGradient(G(11)));

  // ------------------------------------------------------------------ day 3
  await at(3 * DAY, 'close m3', () => repo('frank').closeModel(M(3)));
  await at(3 * DAY + 60, 'withdraw bob eth', () => repo('bob').withdraw(ETH, accounts.bob));
  await at(3 * DAY + 90, 'refund frank m3', () => repo('frank').claimRefund(M(3)));
  const m4 = await createParams({
    token: ETH, bounty: 0n, weights: 'w4', meta: 'meta4', initial: 650_000, target: 750_000,
    rule: RewardRule.Improvement, deadline: 30 * DAY, window: 2 * DAY, evaluator: accounts.eve, stake: MIN_STAKE,
  });
  await at(3 * DAY + 120, 'create m4', () => repo('alice').createModel(m4, { value: parseEther('2') }));
  await submit(3 * DAY + 180, 'carol', 4, 'g12', 750_000);
  await at(3 * DAY + 240, 'evaluate g12', evaluate('eve', 'g12', 700_000, Verdict.Accepted, 'w4.1'));
  await commitGradient(3 * DAY + 300, 'erin', 4, 'g13');
  await at(3 * DAY + 300 + REVEAL_WINDOW + 60, 'lapse g13', () => repo('frank').expireGradient(G(13)));

  // ------------------------------------------------------------------ day 4 (model 1's deadline + windows passed)
  await at(4 * DAY, 'expire g7', () => repo('erin').expireGradient(G(7)));
  await at(4 * DAY + 60, 'expire g8', () => repo('erin').expireGradient(G(8)));
  await at(4 * DAY + 120, 'close m1', () => repo('frank').closeModel(M(1)));
  await at(4 * DAY + 180, 'claim g7', () => repo('dave').claimShare(G(7)));
  await at(4 * DAY + 240, 'claim g8', () => repo('erin').claimShare(G(8)));
  await at(4 * DAY + 300, 'withdraw alice eth', () => repo('alice').withdraw(ETH, accounts.alice));
  await at(4 * DAY + 360, 'withdraw carol eth', () => repo('carol').withdraw(ETH, accounts.carol));
  await at(4 * DAY + 420, 'withdraw dave eth', () => repo('dave').withdraw(ETH, accounts.dave));
  // erin keeps her credit: a non-zero balance to check against credit()
  await submit(4 * DAY + 480, 'dave', 4, 'g14', 1_000_000); // still pending at the end
  const m5 = await createParams({
    token: tokenAddress, bounty: 300n * TOKEN_UNIT, weights: 'w5', meta: 'meta5', initial: 400_000, target: 500_000,
    rule: RewardRule.EqualShare, deadline: 10 * DAY, window: DAY, evaluator: ETH, stake: MIN_STAKE,
  });
  await at(4 * DAY + 540, 'create m5', () => repo('bob').createModel(m5));
  // committed, never revealed, and nobody lapses it: still Committed at the end
  await commitGradient(4 * DAY + 600, 'erin', 4, 'g15');

  // ------------------------------------------------------------------ day 5: the loan desk
  const deployParams = async (d: string, model: number, weights: string, token: string, service: string) => ({
    modelId: M(model),
    weightsCid: cids[weights]!,
    weightsCommitment: (commitments[d] = keccak256(toUtf8Bytes(`salt and plaintext weights of ${d}`))),
    serviceCid: await cid(`service ${d}`),
    metric: 'auc',
    token,
    service,
  });
  // model 2 reached its target (then closed): bob deploys it in tokens, eve runs the service
  const d1 = await deployParams('d1', 2, 'w2.2', tokenAddress, accounts.eve);
  await at(5 * DAY, 'deploy d1', () => desk('bob').deployModel(d1));
  // model 1 closed at its deadline short of its target; alice serves it herself (service 0 = lender)
  const d2 = await deployParams('d2', 1, 'w1.3', ETH, ETH);
  await at(5 * DAY + 60, 'deploy d2', () => desk('alice').deployModel(d2));
  // model 2 again, in ETH with another pricing rule, served by bob; retired later
  const d3 = await deployParams('d3', 2, 'w2.2', ETH, ETH);
  await at(5 * DAY + 120, 'deploy d3', () => desk('bob').deployModel(d3));

  const quote = (who: Role, deployment: number, q: string) => async () => desk(who).requestQuote(D(deployment), await cid(`query ${q}`));
  const answer = (who: Role, quoteNumber: number) => async () => desk(who).answerQuote(Q(quoteNumber), await cid(`result q${quoteNumber}`));
  await at(5 * DAY + 600, 'quote q1', quote('grace', 1, 'q1'));
  await together(5 * DAY + 660, [
    ['quote q2', quote('heidi', 1, 'q2')],
    ['quote q3', quote('ivan', 1, 'q3')],
  ]);
  await at(5 * DAY + 720, 'quote q4', quote('grace', 2, 'q4'));
  await at(5 * DAY + 780, 'quote q5', quote('heidi', 3, 'q5'));
  await at(5 * DAY + 840, 'answer q1', answer('eve', 1));
  await at(5 * DAY + 900, 'answer q2', answer('eve', 2));
  await at(5 * DAY + 960, 'answer q3', answer('eve', 3));
  await at(5 * DAY + 1020, 'answer q4', answer('alice', 4));
  await at(5 * DAY + 1080, 'quote q6', quote('ivan', 2, 'q6')); // never answered
  await at(5 * DAY + 1140, 'retire d3', () => desk('bob').retireDeployment(D(3)));
  // pending quotes are still answered after retirement
  await at(5 * DAY + 1200, 'answer q5', answer('bob', 5));

  const request = (who: Role, r: string, quoteNumber: number, amount: bigint, termDays: number) => async () =>
    desk(who).requestLoan(Q(quoteNumber), amount, termDays, await cid(`disclosure ${r}`));
  await at(5 * DAY + 1800, 'request r1', request('grace', 'r1', 1, 3_000n * TOKEN_UNIT, 365));
  await at(5 * DAY + 1860, 'request r2', request('heidi', 'r2', 2, 2_000n * TOKEN_UNIT, 180));
  await at(5 * DAY + 1920, 'request r3', request('ivan', 'r3', 3, 10_000n * TOKEN_UNIT, 730));
  await at(5 * DAY + 1980, 'request r4', request('grace', 'r4', 4, parseEther('5'), 90));
  await at(5 * DAY + 2400, 'decide r1', () => desk('eve').decideLoan(R(1), true, 3_000n * TOKEN_UNIT, 900, DecisionReason.Priced));
  await together(5 * DAY + 2460, [
    ['decide r2', () => desk('eve').decideLoan(R(2), false, 0n, 0, DecisionReason.RiskTooHigh)],
    // above the pricing rule's limit: approved at the limit
    ['decide r3', () => desk('eve').decideLoan(R(3), true, 1_000n * TOKEN_UNIT, 1_250, DecisionReason.AmountAboveLimit)],
  ]);
  await at(5 * DAY + 2520, 'cancel r4', () => desk('grace').cancelLoanRequest(R(4)));

  return {
    rpcUrl,
    deployment,
    repository: repoAddress.toLowerCase(),
    loanDesk: deskAddress.toLowerCase(),
    token: tokenAddress.toLowerCase(),
    accounts,
    firstModelId: Number(M(1)),
    firstGradientId: Number(G(1)),
    firstDeploymentId: Number(D(1)),
    firstQuoteId: Number(Q(1)),
    firstRequestId: Number(R(1)),
    t0,
    day0: Math.floor(t0 / DAY),
    cids,
    commitments,
    salts,
    seals,
    epsilons,
    txs,
    lastBlock: txs[txs.length - 1]!.blockNumber,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { rpc: { type: 'string' }, out: { type: 'string' } } });
  const rpc = values.rpc ?? process.env.HESSIAN_RPC_URL;
  if (!rpc) {
    console.error('usage: node test-kit/src/history.ts --rpc URL [--out FILE]  (a Hardhat node; env HESSIAN_RPC_URL)');
    process.exit(2);
  }
  const result = await runHistory(rpc, { onStep: (s) => console.error(`block ${s.blockNumber}  ${s.label}`) });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (values.out) await writeFile(values.out, json);
  else process.stdout.write(json);
}
