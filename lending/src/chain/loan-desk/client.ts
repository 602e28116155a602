// The LoanDesk client the loan service and the borrower use: typed events (the desk has no
// per-quote views, so the state of quotes and loan requests is rebuilt from its events, like the
// repository's), transactions that wait for their receipt, reverts decoded into readable errors.
import { Interface, ZeroAddress } from 'ethers';
import type { JsonRpcProvider, Signer, ContractTransactionResponse } from 'ethers';
import { loanDeskAbi } from '@hessian/contracts';
import { ContractClient, connectContract, big, num, parseLogWith, str, headBlock } from '@hessian/core/chain';
import type { ContractKind, SentTx, EventBase, RawLog } from '@hessian/core/chain';
import { compareEvents } from '@hessian/core/model-repository';

export { loanDeskAbi };
export const loanDeskInterface = new Interface(loanDeskAbi);

/** ILoanDesk.DecisionReason, in declaration order */
export const DECISION_REASON = ['Priced', 'RiskTooHigh', 'RateAboveCap', 'AmountAboveLimit', 'InvalidDisclosure', 'Manual'] as const;
export type DecisionReasonName = (typeof DECISION_REASON)[number];

export interface LoanDeskConfig {
  rpcUrl: string;
  /** the LoanDesk address */
  address: string;
  /** the block the desk was deployed in: event scans start there */
  startBlock?: number;
  confirmations?: number;
  pollMs?: number;
}

export interface ModelDeployed extends EventBase {
  name: 'ModelDeployed';
  deploymentId: number;
  modelId: number;
  lender: string;
  service: string;
  token: string;
  modelVersion: number;
  score: number;
  targetScore: number;
  targetReached: boolean;
  weightsCommitment: string;
  metric: string;
  weightsCid: string;
  serviceCid: string;
}
export interface DeploymentRetired extends EventBase {
  name: 'DeploymentRetired';
  deploymentId: number;
  modelId: number;
  lender: string;
}
export interface QuoteRequested extends EventBase {
  name: 'QuoteRequested';
  quoteId: number;
  deploymentId: number;
  borrower: string;
  queryCid: string;
}
export interface QuoteAnswered extends EventBase {
  name: 'QuoteAnswered';
  quoteId: number;
  deploymentId: number;
  borrower: string;
  resultCid: string;
}
export interface LoanRequested extends EventBase {
  name: 'LoanRequested';
  requestId: number;
  deploymentId: number;
  borrower: string;
  quoteId: number;
  token: string;
  amount: bigint;
  termDays: number;
  disclosureCid: string;
}
export interface LoanDecided extends EventBase {
  name: 'LoanDecided';
  requestId: number;
  deploymentId: number;
  borrower: string;
  approved: boolean;
  amount: bigint;
  rateBps: number;
  reason: DecisionReasonName;
}
export interface LoanRequestCancelled extends EventBase {
  name: 'LoanRequestCancelled';
  requestId: number;
  deploymentId: number;
  borrower: string;
}

export type LoanDeskEvent = ModelDeployed | DeploymentRetired | QuoteRequested | QuoteAnswered | LoanRequested | LoanDecided | LoanRequestCancelled;

export function decodeLoanDeskLog(log: RawLog): LoanDeskEvent | undefined {
  const parsed = parseLogWith(loanDeskInterface, log);
  if (!parsed) return undefined;
  const { args: a, base } = parsed;
  switch (parsed.name) {
    case 'ModelDeployed':
      return {
        ...base,
        name: 'ModelDeployed',
        deploymentId: num(a.deploymentId),
        modelId: num(a.modelId),
        lender: str(a.lender),
        service: str(a.service),
        token: str(a.token),
        modelVersion: num(a.modelVersion),
        score: num(a.score),
        targetScore: num(a.targetScore),
        targetReached: Boolean(a.targetReached),
        weightsCommitment: str(a.weightsCommitment),
        metric: str(a.metric),
        weightsCid: str(a.weightsCid),
        serviceCid: str(a.serviceCid),
      };
    case 'DeploymentRetired':
      return { ...base, name: 'DeploymentRetired', deploymentId: num(a.deploymentId), modelId: num(a.modelId), lender: str(a.lender) };
    case 'QuoteRequested':
      return { ...base, name: 'QuoteRequested', quoteId: num(a.quoteId), deploymentId: num(a.deploymentId), borrower: str(a.borrower), queryCid: str(a.queryCid) };
    case 'QuoteAnswered':
      return { ...base, name: 'QuoteAnswered', quoteId: num(a.quoteId), deploymentId: num(a.deploymentId), borrower: str(a.borrower), resultCid: str(a.resultCid) };
    case 'LoanRequested':
      return {
        ...base,
        name: 'LoanRequested',
        requestId: num(a.requestId),
        deploymentId: num(a.deploymentId),
        borrower: str(a.borrower),
        quoteId: num(a.quoteId),
        token: str(a.token),
        amount: big(a.amount),
        termDays: num(a.termDays),
        disclosureCid: str(a.disclosureCid),
      };
    case 'LoanDecided':
      return {
        ...base,
        name: 'LoanDecided',
        requestId: num(a.requestId),
        deploymentId: num(a.deploymentId),
        borrower: str(a.borrower),
        approved: Boolean(a.approved),
        amount: big(a.amount),
        rateBps: num(a.rateBps),
        reason: DECISION_REASON[num(a.reason)] ?? 'Manual',
      };
    case 'LoanRequestCancelled':
      return { ...base, name: 'LoanRequestCancelled', requestId: num(a.requestId), deploymentId: num(a.deploymentId), borrower: str(a.borrower) };
    default:
      return undefined;
  }
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

export interface QuoteState {
  quoteId: number;
  deploymentId: number;
  borrower: string;
  queryCid: string;
  resultCid?: string;
  answeredTx?: string;
}

export interface LoanRequestState {
  requestId: number;
  deploymentId: number;
  borrower: string;
  quoteId: number;
  amount: bigint;
  termDays: number;
  disclosureCid: string;
  status: 'Pending' | 'Approved' | 'Declined' | 'Cancelled';
  decision?: LoanDecided;
}

/** deployments, quotes and loan requests rebuilt from the desk's events */
export class LoanDeskView {
  readonly deployments = new Map<number, ModelDeployed & { retired: boolean }>();
  readonly quotes = new Map<number, QuoteState>();
  readonly loans = new Map<number, LoanRequestState>();

  apply(ev: LoanDeskEvent): void {
    switch (ev.name) {
      case 'ModelDeployed':
        this.deployments.set(ev.deploymentId, { ...ev, retired: false });
        break;
      case 'DeploymentRetired': {
        const d = this.deployments.get(ev.deploymentId);
        if (d) d.retired = true;
        break;
      }
      case 'QuoteRequested':
        this.quotes.set(ev.quoteId, { quoteId: ev.quoteId, deploymentId: ev.deploymentId, borrower: ev.borrower, queryCid: ev.queryCid });
        break;
      case 'QuoteAnswered': {
        const q = this.quotes.get(ev.quoteId);
        if (q) {
          q.resultCid = ev.resultCid;
          q.answeredTx = ev.txHash;
        }
        break;
      }
      case 'LoanRequested':
        this.loans.set(ev.requestId, {
          requestId: ev.requestId,
          deploymentId: ev.deploymentId,
          borrower: ev.borrower,
          quoteId: ev.quoteId,
          amount: ev.amount,
          termDays: ev.termDays,
          disclosureCid: ev.disclosureCid,
          status: 'Pending',
        });
        break;
      case 'LoanDecided': {
        const l = this.loans.get(ev.requestId);
        if (l) {
          l.status = ev.approved ? 'Approved' : 'Declined';
          l.decision = ev;
        }
        break;
      }
      case 'LoanRequestCancelled': {
        const l = this.loans.get(ev.requestId);
        if (l) l.status = 'Cancelled';
        break;
      }
    }
  }

  applyAll(events: Iterable<LoanDeskEvent>): void {
    for (const ev of events) this.apply(ev);
  }
}
