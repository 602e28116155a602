// The ModelRepository client the daemons use: ethers 6 over JSON-RPC, transactions that wait
// for their receipt and return the events they emitted, reverts decoded into readable errors.
import { ZeroAddress } from 'ethers';
import type { JsonRpcProvider, Signer } from 'ethers';
import { modelRepositoryInterface, REWARD_RULE, SCORE_SCALE, VERDICT } from './abi.ts';
import type { RewardRuleName, VerdictName } from './abi.ts';
import { checkBytes32, randomSalt, sealOf } from './seal.ts';
import { describeChainError } from '../errors.ts';
// registers ModelRepository's hints and enum names with the revert decoder
import './errors.ts';
import { decodeLog, compareEvents } from './events.ts';
import type { RepositoryEvent, ModelCreated, GradientCommitted, GradientRevealed, GradientEvaluated } from './events.ts';
import { headBlock } from '../watch.ts';
import { ContractClient, connectContract } from '../contract-client.ts';
import type { ContractConfig, ContractKind, SentTx } from '../contract-client.ts';

export { connectProvider, defaultConfirmations } from '../contract-client.ts';

/** where the ModelRepository is and how to follow it (see ContractConfig) */
export type ChainConfig = ContractConfig;

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

function positiveId(label: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${label} must be a positive integer, got ${v}`);
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

  /**
   * Step one of a submission: fixes the gradient's id, contributor and stake (msg.value) before
   * anything copyable is public. `seal` is sealOf(contributor, modelId, dataCommitment, cid, salt).
   */
  async commitGradient(modelId: number, seal: string, stake: bigint): Promise<TxResult & { gradientId: number; event: GradientCommitted }> {
    positiveId('model id', modelId);
    checkBytes32('seal', seal);
    if (stake < 0n) throw new Error(`stake must not be negative, got ${stake}`);
    const res = await this.sendFor<GradientCommitted>(`commitGradient(model ${modelId})`, 'GradientCommitted', (o) =>
      this.contract.getFunction('commitGradient')(modelId, seal, { ...o, value: stake }),
    );
    return { ...res, gradientId: res.event.gradientId };
  }

  /**
   * Commit, then reveal once the commit is mined: for tools and tests. A daemon must journal the
   * salt and the gradient id between the two steps (a crash in between otherwise lapses the stake).
   */
  async submitGradient(
    modelId: number,
    gradientCid: string,
    dataCommitment: string,
    stake: bigint,
    opts: { salt?: string; dpEpsilon?: number } = {},
  ): Promise<{ gradientId: number; seal: string; salt: string; txHash: string; commit: TxResult & { event: GradientCommitted }; reveal: TxResult & { event: GradientRevealed } }> {
    const salt = opts.salt ?? randomSalt();
    const seal = sealOf(await this.address(), modelId, dataCommitment, gradientCid, salt);
    const commit = await this.commitGradient(modelId, seal, stake);
    const reveal = await this.revealGradient(commit.gradientId, gradientCid, dataCommitment, salt, opts.dpEpsilon ?? 0);
    return { gradientId: commit.gradientId, seal, salt, txHash: commit.txHash, commit, reveal };
  }

  /** step two, by the committer, within the reveal window: publishes what the seal hides */
  revealGradient(
    gradientId: number,
    gradientCid: string,
    dataCommitment: string,
    salt: string,
    dpEpsilon: number,
  ): Promise<TxResult & { event: GradientRevealed }> {
    positiveId('gradient id', gradientId);
    if (gradientCid === '') throw new Error(`gradient ${gradientId}: the CID to reveal is empty`);
    checkBytes32('data commitment', dataCommitment);
    checkBytes32('salt', salt, { nonZero: false });
    if (!Number.isInteger(dpEpsilon) || dpEpsilon < 0 || dpEpsilon > 0xffff_ffff) {
      throw new Error(`dpEpsilon must be an integer in [0, ${0xffff_ffff}] (fixed point, PRIVACY_SCALE = 1e6), got ${dpEpsilon}`);
    }
    return this.sendFor<GradientRevealed>(`revealGradient(gradient ${gradientId})`, 'GradientRevealed', (o) =>
      this.contract.getFunction('revealGradient')(gradientId, gradientCid, dataCommitment, salt, dpEpsilon, o),
    );
  }

  /**
   * The evaluator's verdict on a revealed gradient. `seal` must be the committed one: it binds
   * the verdict to the content judged, so after a reorg renumbers ids the call reverts
   * (SealMismatch) instead of landing on another gradient.
   */
  evaluateGradient(
    gradientId: number,
    seal: string,
    score: number,
    verdict: VerdictName,
    newWeightsCid: string,
  ): Promise<TxResult & { event: GradientEvaluated }> {
    positiveId('gradient id', gradientId);
    checkBytes32('seal', seal);
    if (!Number.isInteger(score) || score < 0 || score > SCORE_SCALE) throw new Error(`score must be an integer in [0, ${SCORE_SCALE}], got ${score}`);
    const v = VERDICT.indexOf(verdict);
    if (v < 0) throw new Error(`verdict must be one of ${VERDICT.join(', ')}, got "${String(verdict)}"`);
    if (verdict === 'Accepted' && !newWeightsCid) throw new Error(`gradient ${gradientId}: an Accepted verdict needs the new weights CID`);
    return this.sendFor<GradientEvaluated>(`evaluateGradient(gradient ${gradientId})`, 'GradientEvaluated', (o) =>
      this.contract.getFunction('evaluateGradient')(gradientId, seal, score, v, verdict === 'Accepted' ? newWeightsCid : '', o),
    );
  }

  expireGradient(gradientId: number): Promise<TxResult> {
    return this.sendTx(`expireGradient(gradient ${gradientId})`, (o) => this.contract.getFunction('expireGradient')(gradientId, o));
  }

  claimRefund(modelId: number): Promise<TxResult> {
    return this.sendTx(`claimRefund(model ${modelId})`, (o) => this.contract.getFunction('claimRefund')(modelId, o));
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
      throw describeChainError(err, 'credit', modelRepositoryInterface);
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
