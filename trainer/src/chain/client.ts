// The ModelRepository client the daemons use: ethers 6 over JSON-RPC, transactions that wait
// for their receipt and return the events they emitted, reverts decoded into readable errors.
import { Contract, JsonRpcProvider, Network, ZeroAddress, isAddress } from 'ethers';
import type { Signer, TransactionReceipt, ContractTransactionResponse } from 'ethers';
import { modelRepositoryAbi, REWARD_RULE, SCORE_SCALE } from './abi.ts';
import type { RewardRuleName } from './abi.ts';
import { describeChainError } from './errors.ts';
import { decodeLog, compareEvents } from './events.ts';
import type { RepositoryEvent, ModelCreated, GradientSubmitted, GradientEvaluated } from './events.ts';
import { headBlock } from './watch.ts';

export interface ChainConfig {
  rpcUrl: string;
  /** the ModelRepository address */
  address: string;
  /** the block the contract was deployed in: event scans start there */
  startBlock?: number;
  /** blocks to wait before trusting a log */
  confirmations?: number;
  /** poll interval for receipts and logs, ms */
  pollMs?: number;
}

/** a JSON-RPC provider with its chain id fixed up front (ethers otherwise retries forever on a dead node) */
export async function connectProvider(rpcUrl: string, pollMs = 500): Promise<JsonRpcProvider> {
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch {
    throw new Error(`invalid RPC URL "${rpcUrl}"`);
  }
  let chainId: bigint;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { result?: string; error?: { message: string } };
    if (!body.result) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
    chainId = BigInt(body.result);
  } catch (err) {
    throw new Error(`cannot reach the Ethereum node at ${rpcUrl}: ${(err as Error).message}`);
  }
  const provider = new JsonRpcProvider(rpcUrl, Network.from(chainId), { staticNetwork: true, pollingInterval: pollMs });
  provider.pollingInterval = pollMs;
  return provider;
}

export interface TxResult {
  txHash: string;
  blockNumber: number;
  events: RepositoryEvent[];
  receipt: TransactionReceipt;
}

export interface CreateModelInput {
  weightsCid: string;
  metadataCid: string;
  /** wei (ETH) or token units */
  bounty: bigint;
  /** ERC-20 address; omitted for ETH */
  token?: string;
  initialScore: number;
  targetScore: number;
  rule: RewardRuleName;
  /** unix seconds */
  submissionDeadline: number;
  /** seconds */
  evaluationWindow: number;
  /** defaults to the lender */
  evaluator?: string;
  /** wei */
  submissionStake: bigint;
}

export class ModelRepositoryClient {
  readonly provider: JsonRpcProvider;
  readonly contract: Contract;
  readonly signer: Signer | undefined;
  readonly config: Required<ChainConfig>;

  constructor(provider: JsonRpcProvider, config: ChainConfig, signer?: Signer) {
    if (!isAddress(config.address)) throw new Error(`invalid ModelRepository address "${config.address}"`);
    this.provider = provider;
    this.signer = signer;
    this.config = { startBlock: 0, confirmations: 0, pollMs: 500, ...config };
    this.contract = new Contract(config.address, modelRepositoryAbi, signer ?? provider);
  }

  static async connect(config: ChainConfig, signer?: Signer): Promise<ModelRepositoryClient> {
    if (!isAddress(config.address)) throw new Error(`invalid ModelRepository address "${config.address}"`);
    const provider = await connectProvider(config.rpcUrl, config.pollMs);
    const code = await provider.getCode(config.address);
    if (code === '0x') throw new Error(`no contract at ${config.address} on ${config.rpcUrl}`);
    return new ModelRepositoryClient(provider, config, signer?.connect(provider));
  }

  async address(): Promise<string> {
    if (!this.signer) throw new Error('this client has no signer: a transaction needs an account');
    return this.signer.getAddress();
  }

  private async send(action: string, call: (overrides: { nonce: number }) => Promise<ContractTransactionResponse>): Promise<TxResult> {
    if (!this.signer) throw new Error(`${action} needs an account (signer)`);
    let receipt: TransactionReceipt | null;
    try {
      // ethers reuses identical RPC answers for 250 ms, which hands back a stale nonce to
      // transactions sent in quick succession: ask the node directly
      const nonce = Number(await this.provider.send('eth_getTransactionCount', [await this.signer.getAddress(), 'pending']));
      const tx = await call({ nonce });
      receipt = await tx.wait(Math.max(1, this.config.confirmations));
    } catch (err) {
      if (process.env.DEBUG_CHAIN) console.error(err);
      throw describeChainError(err, action);
    }
    if (!receipt) throw describeChainError(new Error('no receipt'), action);
    const events: RepositoryEvent[] = [];
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== this.config.address.toLowerCase()) continue;
      const ev = decodeLog(log);
      if (ev) events.push(ev);
    }
    return { txHash: receipt.hash, blockNumber: receipt.blockNumber, events: events.sort(compareEvents), receipt };
  }

  async createModel(input: CreateModelInput): Promise<TxResult & { modelId: number; event: ModelCreated }> {
    for (const [k, v] of [['initialScore', input.initialScore], ['targetScore', input.targetScore]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > SCORE_SCALE) throw new Error(`${k} must be an integer in [0, ${SCORE_SCALE}], got ${v}`);
    }
    const token = input.token ?? ZeroAddress;
    const params = {
      token,
      bounty: input.bounty,
      weightsCid: input.weightsCid,
      metadataCid: input.metadataCid,
      initialScore: input.initialScore,
      targetScore: input.targetScore,
      rule: REWARD_RULE.indexOf(input.rule),
      submissionDeadline: input.submissionDeadline,
      evaluationWindow: input.evaluationWindow,
      evaluator: input.evaluator ?? ZeroAddress,
      submissionStake: input.submissionStake,
    };
    const res = await this.send('createModel', (o) =>
      this.contract.getFunction('createModel')(params, { ...o, value: token === ZeroAddress ? input.bounty : 0n }),
    );
    const event = res.events.find((e): e is ModelCreated => e.name === 'ModelCreated');
    if (!event) throw new Error(`createModel ${res.txHash}: no ModelCreated event in the receipt`);
    return { ...res, modelId: event.modelId, event };
  }

  async submitGradient(
    modelId: number,
    gradientCid: string,
    dataCommitment: string,
    stake: bigint,
  ): Promise<TxResult & { gradientId: number; event: GradientSubmitted }> {
    const res = await this.send(`submitGradient(model ${modelId})`, (o) =>
      this.contract.getFunction('submitGradient')(modelId, gradientCid, dataCommitment, { ...o, value: stake }),
    );
    const event = res.events.find((e): e is GradientSubmitted => e.name === 'GradientSubmitted');
    if (!event) throw new Error(`submitGradient ${res.txHash}: no GradientSubmitted event in the receipt`);
    return { ...res, gradientId: event.gradientId, event };
  }

  async evaluateGradient(
    gradientId: number,
    score: number,
    accepted: boolean,
    newWeightsCid: string,
  ): Promise<TxResult & { event: GradientEvaluated }> {
    const res = await this.send(`evaluateGradient(gradient ${gradientId})`, (o) =>
      this.contract.getFunction('evaluateGradient')(gradientId, score, accepted, newWeightsCid, o),
    );
    const event = res.events.find((e): e is GradientEvaluated => e.name === 'GradientEvaluated');
    if (!event) throw new Error(`evaluateGradient ${res.txHash}: no GradientEvaluated event in the receipt`);
    return { ...res, event };
  }

  expireGradient(gradientId: number): Promise<TxResult> {
    return this.send(`expireGradient(gradient ${gradientId})`, (o) => this.contract.getFunction('expireGradient')(gradientId, o));
  }

  closeModel(modelId: number): Promise<TxResult> {
    return this.send(`closeModel(model ${modelId})`, (o) => this.contract.getFunction('closeModel')(modelId, o));
  }

  claimShare(gradientId: number): Promise<TxResult> {
    return this.send(`claimShare(gradient ${gradientId})`, (o) => this.contract.getFunction('claimShare')(gradientId, o));
  }

  addBounty(modelId: number, amount: bigint, token = ZeroAddress): Promise<TxResult> {
    return this.send(`addBounty(model ${modelId})`, (o) =>
      this.contract.getFunction('addBounty')(modelId, amount, { ...o, value: token === ZeroAddress ? amount : 0n }),
    );
  }

  async withdraw(token = ZeroAddress, to?: string): Promise<TxResult & { amount: bigint }> {
    const dest = to ?? (await this.address());
    const res = await this.send('withdraw', (o) => this.contract.getFunction('withdraw')(token, dest, o));
    const w = res.events.find((e) => e.name === 'Withdrawal');
    return { ...res, amount: w && w.name === 'Withdrawal' ? w.amount : 0n };
  }

  async credit(account: string, token = ZeroAddress): Promise<bigint> {
    try {
      return (await this.contract.getFunction('credit')(account, token)) as bigint;
    } catch (err) {
      throw describeChainError(err, 'credit');
    }
  }

  /** the latest block's timestamp: deadlines are judged by chain time, not the local clock */
  async chainTime(): Promise<number> {
    const block = await this.provider.getBlock(await headBlock(this.provider));
    if (!block) throw new Error('cannot read the latest block');
    return block.timestamp;
  }

  /** events of one kind, filtered by indexed arguments (null = any), from the start block */
  async queryEvents(name: RepositoryEvent['name'], args: unknown[] = [], fromBlock?: number): Promise<RepositoryEvent[]> {
    const filter = this.contract.filters[name]!(...args);
    const topics = await filter.getTopicFilter();
    const head = await headBlock(this.provider);
    const logs = await this.provider.getLogs({
      address: this.config.address,
      fromBlock: fromBlock ?? this.config.startBlock,
      toBlock: head,
      topics: topics as (string | string[] | null)[],
    });
    return logs.flatMap((l) => {
      const ev = decodeLog(l);
      return ev ? [ev] : [];
    }).sort(compareEvents);
  }

  destroy(): void {
    this.provider.destroy();
  }
}
