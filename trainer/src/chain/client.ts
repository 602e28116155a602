// The ModelRepository client the daemons use: ethers 6 over JSON-RPC, transactions that wait
// for their receipt and return the events they emitted, reverts decoded into readable errors.
import { ZeroAddress } from 'ethers';
import type { JsonRpcProvider, Signer } from 'ethers';
import { modelRepositoryInterface, REWARD_RULE, SCORE_SCALE } from './abi.ts';
import type { RewardRuleName } from './abi.ts';
import { describeChainError } from './errors.ts';
import { decodeLog, compareEvents } from './events.ts';
import type { RepositoryEvent, ModelCreated, GradientSubmitted, GradientEvaluated } from './events.ts';
import { headBlock } from './watch.ts';
import { ContractClient, connectContract } from './contract-client.ts';
import type { ContractKind, SentTx } from './contract-client.ts';

export { connectProvider } from './contract-client.ts';

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

export type TxResult = SentTx<RepositoryEvent>;

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

const REPOSITORY: ContractKind<RepositoryEvent> = { label: 'ModelRepository', iface: modelRepositoryInterface, decode: decodeLog };

export class ModelRepositoryClient extends ContractClient<RepositoryEvent> {
  constructor(provider: JsonRpcProvider, config: ChainConfig, signer?: Signer) {
    super(REPOSITORY, provider, config, signer);
  }

  static async connect(config: ChainConfig, signer?: Signer): Promise<ModelRepositoryClient> {
    const provider = await connectContract(REPOSITORY.label, config);
    return new ModelRepositoryClient(provider, config, signer?.connect(provider));
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
    const res = await this.sendFor<ModelCreated>('createModel', 'ModelCreated', (o) =>
      this.contract.getFunction('createModel')(params, { ...o, value: token === ZeroAddress ? input.bounty : 0n }),
    );
    return { ...res, modelId: res.event.modelId };
  }

  async submitGradient(
    modelId: number,
    gradientCid: string,
    dataCommitment: string,
    stake: bigint,
  ): Promise<TxResult & { gradientId: number; event: GradientSubmitted }> {
    const res = await this.sendFor<GradientSubmitted>(`submitGradient(model ${modelId})`, 'GradientSubmitted', (o) =>
      this.contract.getFunction('submitGradient')(modelId, gradientCid, dataCommitment, { ...o, value: stake }),
    );
    return { ...res, gradientId: res.event.gradientId };
  }

  evaluateGradient(
    gradientId: number,
    score: number,
    accepted: boolean,
    newWeightsCid: string,
  ): Promise<TxResult & { event: GradientEvaluated }> {
    return this.sendFor<GradientEvaluated>(`evaluateGradient(gradient ${gradientId})`, 'GradientEvaluated', (o) =>
      this.contract.getFunction('evaluateGradient')(gradientId, score, accepted, newWeightsCid, o),
    );
  }

  expireGradient(gradientId: number): Promise<TxResult> {
    return this.sendTx(`expireGradient(gradient ${gradientId})`, (o) => this.contract.getFunction('expireGradient')(gradientId, o));
  }

  closeModel(modelId: number): Promise<TxResult> {
    return this.sendTx(`closeModel(model ${modelId})`, (o) => this.contract.getFunction('closeModel')(modelId, o));
  }

  claimShare(gradientId: number): Promise<TxResult> {
    return this.sendTx(`claimShare(gradient ${gradientId})`, (o) => this.contract.getFunction('claimShare')(gradientId, o));
  }

  addBounty(modelId: number, amount: bigint, token = ZeroAddress): Promise<TxResult> {
    return this.sendTx(`addBounty(model ${modelId})`, (o) =>
      this.contract.getFunction('addBounty')(modelId, amount, { ...o, value: token === ZeroAddress ? amount : 0n }),
    );
  }

  async withdraw(token = ZeroAddress, to?: string): Promise<TxResult & { amount: bigint }> {
    const dest = to ?? (await this.address());
    const res = await this.sendTx('withdraw', (o) => this.contract.getFunction('withdraw')(token, dest, o));
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
}
