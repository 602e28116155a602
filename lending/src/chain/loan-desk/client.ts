// The LoanDesk client the loan service and the borrower use: typed events (the desk has no
// per-quote views, so the state of quotes and loan requests is rebuilt from its events, like the
// repository's), transactions that wait for their receipt, reverts decoded into readable errors.
import { ZeroAddress } from 'ethers';
import type { JsonRpcProvider, Signer, ContractTransactionResponse } from 'ethers';
import { ContractClient, connectContract, headBlock } from '@hessian/core/chain';
import type { ContractKind, SentTx } from '@hessian/core/chain';
import { compareEvents } from '@hessian/core/chain';
import { DECISION_REASON, loanDeskInterface } from './abi.ts';
import type { DecisionReasonName } from './abi.ts';
import { decodeLoanDeskLog } from './events.ts';
// registers LoanDesk's enum names with the revert decoder
import './errors.ts';
import type { DeploymentRetired, LoanDecided, LoanDeskEvent, LoanRequestCancelled, LoanRequested, ModelDeployed, QuoteAnswered, QuoteRequested } from './events.ts';

export interface LoanDeskConfig {
  rpcUrl: string;
  /** the LoanDesk address */
  address: string;
  /** the block the desk was deployed in: event scans start there */
  startBlock?: number;
  confirmations?: number;
  pollMs?: number;
}

export interface DeskTx<E extends LoanDeskEvent = LoanDeskEvent> extends SentTx<LoanDeskEvent> {
  event: E;
}

export interface DeployModelInput {
  modelId: number;
  weightsCid: string;
  /** 0x-prefixed 32 bytes */
  weightsCommitment: string;
  serviceCid: string;
  metric: string;
  /** loan currency; omitted for ETH */
  token?: string;
  /** answers quotes and decides loans; omitted for the lender itself */
  service?: string;
}

const LOAN_DESK: ContractKind<LoanDeskEvent> = { label: 'LoanDesk', iface: loanDeskInterface, decode: decodeLoanDeskLog };

export class LoanDeskClient extends ContractClient<LoanDeskEvent> {
  constructor(provider: JsonRpcProvider, config: LoanDeskConfig, signer?: Signer) {
    super(LOAN_DESK, provider, config, signer);
  }

  static async connect(config: LoanDeskConfig, signer?: Signer): Promise<LoanDeskClient> {
    const provider = await connectContract(LOAN_DESK.label, config);
    return new LoanDeskClient(provider, config, signer?.connect(provider));
  }

  deployModel(input: DeployModelInput): Promise<DeskTx<ModelDeployed>> {
    const params = {
      modelId: input.modelId,
      weightsCid: input.weightsCid,
      weightsCommitment: input.weightsCommitment,
      serviceCid: input.serviceCid,
      metric: input.metric,
      token: input.token ?? ZeroAddress,
      service: input.service ?? ZeroAddress,
    };
    return this.sendFor(`deployModel(model ${input.modelId})`, 'ModelDeployed', (o) => this.contract.getFunction('deployModel')(params, o));
  }

  retireDeployment(deploymentId: number): Promise<DeskTx<DeploymentRetired>> {
    return this.sendFor(`retireDeployment(${deploymentId})`, 'DeploymentRetired', (o) => this.contract.getFunction('retireDeployment')(deploymentId, o));
  }

  requestQuote(deploymentId: number, queryCid: string): Promise<DeskTx<QuoteRequested>> {
    return this.sendFor(`requestQuote(deployment ${deploymentId})`, 'QuoteRequested', (o) => this.contract.getFunction('requestQuote')(deploymentId, queryCid, o));
  }

  answerQuote(quoteId: number, resultCid: string): Promise<DeskTx<QuoteAnswered>> {
    return this.sendFor(`answerQuote(quote ${quoteId})`, 'QuoteAnswered', (o) => this.contract.getFunction('answerQuote')(quoteId, resultCid, o));
  }

  requestLoan(quoteId: number, amount: bigint, termDays: number, disclosureCid: string): Promise<DeskTx<LoanRequested>> {
    return this.sendFor(`requestLoan(quote ${quoteId})`, 'LoanRequested', (o) =>
      this.contract.getFunction('requestLoan')(quoteId, amount, termDays, disclosureCid, o),
    );
  }

  cancelLoanRequest(requestId: number): Promise<DeskTx<LoanRequestCancelled>> {
    return this.sendFor(`cancelLoanRequest(${requestId})`, 'LoanRequestCancelled', (o) => this.contract.getFunction('cancelLoanRequest')(requestId, o));
  }

  decideLoan(requestId: number, approved: boolean, amount: bigint, rateBps: number, reason: DecisionReasonName): Promise<DeskTx<LoanDecided>> {
    return this.sendFor(`decideLoan(request ${requestId})`, 'LoanDecided', (o) =>
      this.contract.getFunction('decideLoan')(requestId, approved, amount, rateBps, DECISION_REASON.indexOf(reason), o),
    );
  }

  /** events of one kind filtered by indexed arguments (null = any), up to the confirmed head */
  async queryEvents<N extends LoanDeskEvent['name']>(name: N, args: unknown[] = [], fromBlock?: number): Promise<Extract<LoanDeskEvent, { name: N }>[]> {
    const topics = (await this.contract.filters[name]!(...args).getTopicFilter()) as (string | string[] | null)[];
    const head = (await headBlock(this.provider)) - this.config.confirmations;
    const logs = await this.provider.getLogs({ address: this.config.address, fromBlock: fromBlock ?? this.config.startBlock, toBlock: head, topics });
    return logs
      .flatMap((l) => {
        const ev = l.removed ? undefined : decodeLoanDeskLog(l);
        return ev && ev.name === name ? [ev as Extract<LoanDeskEvent, { name: N }>] : [];
      })
      .sort(compareEvents);
  }

  /** the deployment's ModelDeployed event; throws naming the id when there is none */
  async deployment(deploymentId: number): Promise<ModelDeployed> {
    const [ev] = await this.queryEvents('ModelDeployed', [deploymentId]);
    if (!ev) throw new Error(`no deployment ${deploymentId} on the LoanDesk at ${this.config.address}`);
    return ev;
  }
}
