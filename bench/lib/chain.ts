// A Hardhat node with Hessian deployed, and a driver that fills it with many real
// submitGradient / evaluateGradient transactions in few blocks (automine off, one evm_mine per
// block, transactions sent as JSON-RPC batches to the node's unlocked accounts).
import { Interface, JsonRpcProvider, keccak256, parseEther, toBeHex, toUtf8Bytes } from 'ethers';
import { startLocalChain, type LocalChain } from '@hessian/contracts/local-chain';
import { deployHessian, modelRepositoryAbi, RewardRule, type Deployment } from '@hessian/contracts';
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
  /** events wanted (each driver transaction emits one; a few emit two) */
  events: number;
  blocks: number;
}

export interface Generated {
  events: number;
  blocks: number;
  transactions: number;
  /** gradients submitted (GradientSubmitted events) */
  gradients: number;
  fromBlock: number;
  toBlock: number;
  models: number;
  ms: number;
}

/** a CID-shaped string, distinct per label, for contract fields the benchmarks never fetch */
export const placeholderCid = (label: string) => `bafkrei${keccak256(toUtf8Bytes(label)).slice(2, 54)}`;
const cid = (kind: string, i: number) => placeholderCid(`${kind}:${i}`);

/**
 * Opens `models` ETH models (the evaluator is account 0) and then mines `set.blocks` blocks of
 * about `set.events / set.blocks` transactions each: data owners (accounts 1..) submit gradients,
 * and the evaluator evaluates the previous block's submissions (mostly rejected or accepted
 * without improvement; every 25th improves the best score and pays a reward). Returns the
 * number of contract events actually on chain in the range (counted with eth_getLogs).
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
  let gradient = Number(await rpc<string>(url, 'eth_call', [{ to: c.address, data: c.iface.encodeFunctionData('gradientCount') }, 'latest']));
  const firstGradient = gradient;
  await rpc(url, 'evm_setAutomine', [false]);
  try {
    const create = [];
    for (let m = 0; m < models; m++) {
      const params = {
        token: '0x0000000000000000000000000000000000000000', bounty: parseEther('100'), weightsCid: cid('w', firstModel + m), metadataCid: cid('meta', firstModel + m),
        initialScore: 500_000, targetScore: 990_000, rule: RewardRule.Improvement, submissionDeadline: now + 10 * 365 * 86400,
        evaluationWindow: 30 * 86400, evaluator: '0x0000000000000000000000000000000000000000', submissionStake: 0,
      };
      create.push(tx(evaluator, c.iface.encodeFunctionData('createModel', [params]), parseEther('100')));
    }
    await rpcBatch(url, create);
    await rpc(url, 'evm_mine');
    const fromBlock = Number(await rpc<string>(url, 'eth_blockNumber'));
    const best = new Map<number, number>();
    const perBlock = Math.max(1, Math.round(set.events / set.blocks));
    let pending: { id: number; model: number }[] = [];
    let transactions = models;
    for (let b = 0; b < set.blocks; b++) {
      const calls = [];
      // evaluate what the previous block submitted, then fill the block with new submissions
      for (const g of pending.splice(0, perBlock)) {
        const improve = g.id % 25 === 0;
        const score = (best.get(g.model) ?? 500_000) + (improve ? 10 : 0);
        if (improve) best.set(g.model, score);
        const accepted = improve || g.id % 3 === 0;
        calls.push(tx(evaluator, c.iface.encodeFunctionData('evaluateGradient', [g.id, score, accepted, accepted ? cid('w', g.id) : ''])));
      }
      while (calls.length < perBlock) {
        gradient++;
        const model = firstModel + (gradient % models);
        const owner = owners[gradient % owners.length]!;
        calls.push(tx(owner, c.iface.encodeFunctionData('submitGradient', [model, cid('g', gradient), keccak256(toUtf8Bytes(`data:${gradient}`))])));
        pending.push({ id: gradient, model });
      }
      for (let i = 0; i < calls.length; i += 500) await rpcBatch(url, calls.slice(i, i + 500));
      transactions += calls.length;
      await rpc(url, 'evm_mine');
    }
    const toBlock = Number(await rpc<string>(url, 'eth_blockNumber'));
    const logs = await rpc<unknown[]>(url, 'eth_getLogs', [{ address: c.address, fromBlock: toBeHex(fromBlock), toBlock: toBeHex(toBlock) }]);
    const expectedAtLeast = transactions;
    if (logs.length < expectedAtLeast) throw new Error(`the driver sent ${transactions} transactions but only ${logs.length} events are on chain: some reverted`);
    return { events: logs.length, blocks: toBlock - fromBlock + 1, transactions, gradients: gradient - firstGradient, fromBlock, toBlock, models, ms: performance.now() - t0 };
  } finally {
    await rpc(url, 'evm_setAutomine', [true]);
  }
}
