// A Hardhat node with Hessian deployed, and a driver that fills it with many real commitGradient /
// revealGradient / evaluateGradient transactions in few blocks (automine off, one evm_mine per
// block, transactions sent as JSON-RPC batches to the node's unlocked accounts).
import { Interface, JsonRpcProvider, keccak256, parseEther, toBeHex, toUtf8Bytes } from 'ethers';
import { startLocalChain, type LocalChain } from '@hessian/contracts/local-chain';
import { deployHessian, MAX_SUBMISSION_PERIOD, MIN_SUBMISSION_STAKE, modelRepositoryAbi, RewardRule, sealOf, Verdict, type Deployment } from '@hessian/contracts';
import { rpc, rpcBatch } from './jsonrpc.ts';

export { rpc, rpcBatch };

export interface BenchChain {
  chain: LocalChain;
  provider: JsonRpcProvider;
  deployment: Deployment;
  address: string;
  startBlock: number;
  accounts: string[];
  iface: Interface;
  stop(): Promise<void>;
}

export async function startBenchChain(): Promise<BenchChain> {
  const chain = await startLocalChain();
  try {
    const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, polling: true, pollingInterval: 50 });
    const deployment = await deployHessian(await provider.getSigner(0));
    const repo = deployment.contracts.ModelRepository;
    const accounts = await rpc<string[]>(chain.url, 'eth_accounts');
    return {
      chain, provider, deployment, accounts, address: repo.address, startBlock: repo.startBlock,
      iface: new Interface(modelRepositoryAbi),
      async stop() {
        provider.destroy();
        await chain.stop();
      },
    };
  } catch (e) {
    await chain.stop();
    throw e;
  }
}

export interface EventSet {
  /** events wanted (the driver fills each block with transactions worth about events / blocks events) */
  events: number;
  blocks: number;
}

export interface Generated {
  events: number;
  blocks: number;
  transactions: number;
  /** gradients committed (GradientCommitted events: what Protocol.gradientCount counts) */
  gradients: number;
  /** of those, revealed (GradientRevealed) and evaluated (GradientEvaluated) by the last block */
  revealed: number;
  evaluated: number;
  fromBlock: number;
  toBlock: number;
  models: number;
  ms: number;
}

/** a CID-shaped string, distinct per label, for contract fields the benchmarks never fetch */
export const placeholderCid = (label: string) => `bafkrei${keccak256(toUtf8Bytes(label)).slice(2, 54)}`;
const cid = (kind: string, i: number) => placeholderCid(`${kind}:${i}`);

/** the stake every model of the driver asks: the least the contract allows (a commit must stake something) */
export const SUBMISSION_STAKE = MIN_SUBMISSION_STAKE;

/** What a data owner commits to (the seal) and later reveals. */
export interface Submission {
  contributor: string;
  model: number;
  cid: string;
  dataCommitment: string;
  salt: string;
  seal: string;
}

export function submission(contributor: string, model: number, label: string): Submission {
  const gradientCid = placeholderCid(`g:${label}`);
  const dataCommitment = keccak256(toUtf8Bytes(`data:${label}`));
  const salt = keccak256(toUtf8Bytes(`salt:${label}`));
  return { contributor, model, cid: gradientCid, dataCommitment, salt, seal: sealOf(contributor, model, dataCommitment, gradientCid, salt) };
}

/** calldata of the commit (send it with SUBMISSION_STAKE as value) */
export const commitData = (c: BenchChain, s: Submission) => c.iface.encodeFunctionData('commitGradient', [s.model, s.seal]);

// events each driver transaction emits: a commit and a reveal one each; a verdict two
// (GradientEvaluated, StakeReleased) and three when it improves the best score (RewardEarned)
const EVALUATION_EVENTS = 2;

/**
 * Opens `models` ETH models (the evaluator is account 0, every commit stakes SUBMISSION_STAKE)
 * and then mines `set.blocks` blocks of transactions worth about `set.events / set.blocks` events
 * each, in this order of priority: the evaluator judges gradients revealed in earlier blocks (with
 * their seal: one in three Accepted, one Declined, one Rejected, and every 25th id Accepted with an
 * improvement of the best score that pays a reward), data owners (accounts 1..) reveal what they
 * committed in earlier blocks, and new commits fill the block. A gradient's id is read from its
 * GradientCommitted log, not assumed from the order the node mined the commits in. Returns the
 * number of contract events actually on chain in the range (counted with eth_getLogs), which must
 * be the number the driver's transactions emit: none may revert.
 */
export async function generateEvents(c: BenchChain, set: EventSet, opts: { models?: number } = {}): Promise<Generated> {
  const t0 = performance.now();
  const url = c.chain.url;
  const models = opts.models ?? 10;
  const [evaluator, ...owners] = c.accounts as [string, ...string[]];
  const nonces = new Map<string, number>();
  for (const a of c.accounts) nonces.set(a, Number(await rpc<string>(url, 'eth_getTransactionCount', [a, 'pending'])));
  const tx = (from: string, data: string, value = 0n) => {
    const nonce = nonces.get(from)!;
    nonces.set(from, nonce + 1);
    return { method: 'eth_sendTransaction', params: [{ from, to: c.address, data, gas: toBeHex(250_000), value: toBeHex(value), nonce: toBeHex(nonce) }] };
  };
  await rpc(url, 'evm_setBlockGasLimit', [toBeHex(2_000_000_000)]);
  const now = Number((await rpc<{ timestamp: string }>(url, 'eth_getBlockByNumber', ['latest', false])).timestamp);
  const firstModel = Number(await rpc<string>(url, 'eth_call', [{ to: c.address, data: c.iface.encodeFunctionData('modelCount') }, 'latest'])) + 1;
  // labels the driver's submissions (their CIDs, data commitments and salts) across calls on one chain
  let label = Number(await rpc<string>(url, 'eth_call', [{ to: c.address, data: c.iface.encodeFunctionData('gradientCount') }, 'latest']));
  const committedTopic = c.iface.getEvent('GradientCommitted')!.topicHash;
  await rpc(url, 'evm_setAutomine', [false]);
  try {
    const create = [];
    for (let m = 0; m < models; m++) {
      const params = {
        token: '0x0000000000000000000000000000000000000000', bounty: parseEther('100'), weightsCid: cid('w', firstModel + m), metadataCid: cid('meta', firstModel + m),
        initialScore: 500_000, targetScore: 990_000, rule: RewardRule.Improvement, submissionDeadline: now + MAX_SUBMISSION_PERIOD - 86400,
        evaluationWindow: 30 * 86400, evaluator: '0x0000000000000000000000000000000000000000', submissionStake: SUBMISSION_STAKE,
      };
      create.push(tx(evaluator, c.iface.encodeFunctionData('createModel', [params]), parseEther('100')));
    }
    await rpcBatch(url, create);
    await rpc(url, 'evm_mine');
    const fromBlock = Number(await rpc<string>(url, 'eth_blockNumber'));
    const best = new Map<number, number>();
    const perBlock = Math.max(1, Math.round(set.events / set.blocks));
    // commits mined and waiting for their reveal, then revealed and waiting for a verdict
    const committed: (Submission & { id: number; label: number })[] = [];
    const revealed: (Submission & { id: number; label: number })[] = [];
    let transactions = models;
    let expected = models;
    let commits = 0;
    let reveals = 0;
    let evaluations = 0;
    for (let b = 0; b < set.blocks; b++) {
      const calls = [];
      const sent = new Map<string, Submission & { label: number }>();
      let events = 0;
      const fits = (n: number) => events === 0 || events + n <= perBlock;
      while (revealed.length > 0) {
        const g = revealed[0]!;
        const improve = g.id % 25 === 0;
        const cost = EVALUATION_EVENTS + (improve ? 1 : 0);
        if (!fits(cost)) break;
        revealed.shift();
        const score = (best.get(g.model) ?? 500_000) + (improve ? 10 : 0);
        if (improve) best.set(g.model, score);
        const verdict = improve || g.id % 3 === 0 ? Verdict.Accepted : g.id % 3 === 1 ? Verdict.Declined : Verdict.Rejected;
        const weights = verdict === Verdict.Accepted ? cid('w', g.id) : '';
        calls.push(tx(evaluator, c.iface.encodeFunctionData('evaluateGradient', [g.id, g.seal, score, verdict, weights])));
        events += cost;
        evaluations++;
      }
      while (committed.length > 0 && fits(1)) {
        const g = committed.shift()!;
        // a quarter without DP noise; the rest declare epsilon 0.5, 1 or 1.5 (PRIVACY_SCALE fixed point)
        const dpEpsilon = (g.label % 4) * 500_000;
        calls.push(tx(g.contributor, c.iface.encodeFunctionData('revealGradient', [g.id, g.cid, g.dataCommitment, g.salt, dpEpsilon])));
        revealed.push(g);
        events += 1;
        reveals++;
      }
      while (events < perBlock) {
        label++;
        const s = submission(owners[label % owners.length]!, firstModel + (label % models), String(label));
        calls.push(tx(s.contributor, commitData(c, s), SUBMISSION_STAKE));
        sent.set(s.seal, { ...s, label });
        events += 1;
        commits++;
      }
      for (let i = 0; i < calls.length; i += 500) await rpcBatch(url, calls.slice(i, i + 500));
      transactions += calls.length;
      expected += events;
      await rpc(url, 'evm_mine');
      if (sent.size > 0) {
        const block = toBeHex(Number(await rpc<string>(url, 'eth_blockNumber')));
        const logs = await rpc<{ topics: string[]; data: string }[]>(url, 'eth_getLogs', [{ address: c.address, fromBlock: block, toBlock: block, topics: [committedTopic] }]);
        for (const log of logs) {
          const e = c.iface.parseLog(log)!;
          const s = sent.get(e.args.seal as string);
          if (s) committed.push({ ...s, id: Number(e.args.gradientId) });
        }
        if (logs.length !== sent.size) throw new Error(`block ${Number(block)}: ${sent.size} commits sent, ${logs.length} GradientCommitted logs: some reverted`);
        committed.sort((x, y) => x.id - y.id);
      }
    }
    const toBlock = Number(await rpc<string>(url, 'eth_blockNumber'));
    const logs = await rpc<unknown[]>(url, 'eth_getLogs', [{ address: c.address, fromBlock: toBeHex(fromBlock), toBlock: toBeHex(toBlock) }]);
    if (logs.length !== expected) throw new Error(`the driver's ${transactions} transactions should have emitted ${expected} events, ${logs.length} are on chain: some reverted`);
    return { events: logs.length, blocks: toBlock - fromBlock + 1, transactions, gradients: commits, revealed: reveals, evaluated: evaluations, fromBlock, toBlock, models, ms: performance.now() - t0 };
  } finally {
    await rpc(url, 'evm_setAutomine', [true]);
  }
}
