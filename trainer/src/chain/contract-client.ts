// What the ModelRepository and LoanDesk clients share: a provider that fails fast on a dead
// node, the contract checked to exist, and transactions sent with a fresh nonce that wait for
// their receipt and come back with the contract's decoded events (reverts made readable).
import { Contract, JsonRpcProvider, Network, isAddress } from 'ethers';
import type { ContractTransactionResponse, Interface, Signer, TransactionReceipt } from 'ethers';
import type { EventBase, RawLog } from './decode.ts';
import { describeChainError } from './errors.ts';
import { fetchChainId } from '@hessian/contracts/rpc';
import { compareEvents } from './events.ts';

export interface ContractConfig {
  rpcUrl: string;
  address: string;
  /** the block the contract was deployed in: event scans start there */
  startBlock?: number;
  /** blocks to wait before trusting a log */
  confirmations?: number;
  /** poll interval for receipts and logs, ms */
  pollMs?: number;
}

/** the contract a client speaks to: its name in messages, its ABI, and its event decoder */
export interface ContractKind<E extends EventBase> {
  label: string;
  iface: Interface;
  decode: (log: RawLog) => E | undefined;
}

export interface SentTx<E extends EventBase> {
  txHash: string;
  blockNumber: number;
  /** the contract's events in the receipt, in chain order */
  events: E[];
  receipt: TransactionReceipt;
}

/** a JSON-RPC provider with its chain id fixed up front (ethers otherwise retries forever on a dead node) */
export async function connectProvider(rpcUrl: string, pollMs = 500): Promise<JsonRpcProvider> {
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch {
    throw new Error(`invalid RPC URL "${rpcUrl}"`);
  }
  let chainId: number;
  try {
    chainId = await fetchChainId(url.href);
  } catch (err) {
    throw new Error(`cannot reach the Ethereum node at ${rpcUrl}: ${(err as Error).message}`);
  }
  // cacheTimeout -1: ethers otherwise hands back the same answer to an identical request for
  // 250 ms, so a transaction retried right after time or state moved on is estimated on stale state
  const provider = new JsonRpcProvider(rpcUrl, Network.from(chainId), { staticNetwork: true, pollingInterval: pollMs, cacheTimeout: -1 });
  provider.pollingInterval = pollMs;
  return provider;
}

function checkAddress(label: string, address: string): void {
  if (!isAddress(address)) throw new Error(`invalid ${label} address "${address}"`);
}

/** a provider for `config`, once the address is valid and has code on that chain */
export async function connectContract(label: string, config: ContractConfig): Promise<JsonRpcProvider> {
  checkAddress(label, config.address);
  const provider = await connectProvider(config.rpcUrl, config.pollMs);
  const code = await provider.getCode(config.address);
  if (code === '0x') throw new Error(`no ${label} contract at ${config.address} on ${config.rpcUrl}`);
  return provider;
}

export abstract class ContractClient<E extends EventBase & { name: string }> {
  readonly provider: JsonRpcProvider;
  readonly contract: Contract;
  readonly signer: Signer | undefined;
  readonly config: Required<ContractConfig>;
  private readonly kind: ContractKind<E>;

  constructor(kind: ContractKind<E>, provider: JsonRpcProvider, config: ContractConfig, signer?: Signer) {
    checkAddress(kind.label, config.address);
    this.kind = kind;
    this.provider = provider;
    this.signer = signer;
    this.config = { startBlock: 0, confirmations: 0, pollMs: 500, ...config };
    this.contract = new Contract(config.address, kind.iface, signer ?? provider);
  }

  async address(): Promise<string> {
    if (!this.signer) throw new Error('this client has no signer: a transaction needs an account');
    return this.signer.getAddress();
  }

  protected async sendTx(action: string, call: (overrides: { nonce: number }) => Promise<ContractTransactionResponse>): Promise<SentTx<E>> {
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
      throw describeChainError(err, action, this.kind.iface);
    }
    if (!receipt) throw describeChainError(new Error('no receipt'), action, this.kind.iface);
    const events: E[] = [];
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== this.config.address.toLowerCase()) continue;
      const ev = this.kind.decode(log);
      if (ev) events.push(ev);
    }
    return { txHash: receipt.hash, blockNumber: receipt.blockNumber, events: events.sort(compareEvents), receipt };
  }

  /** sends the transaction and picks out the event it must have emitted */
  protected async sendFor<T extends E>(action: string, eventName: T['name'], call: (overrides: { nonce: number }) => Promise<ContractTransactionResponse>): Promise<SentTx<E> & { event: T }> {
    const res = await this.sendTx(action, call);
    const event = res.events.find((e): e is T => e.name === eventName);
    if (!event) throw new Error(`${action} ${res.txHash}: no ${eventName} event in the receipt`);
    return { ...res, event };
  }

  destroy(): void {
    this.provider.destroy();
  }
}
