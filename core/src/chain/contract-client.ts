// What the ModelRepository and LoanDesk clients share: a provider that fails fast on a dead
// node, the contract checked to exist, and transactions sent with a fresh nonce that wait for
// their receipt and come back with the contract's decoded events (reverts made readable). A
// transaction not mined within txTimeoutMs is replaced (same nonce, fees +25%) up to
// maxFeeBumps times, so one underpriced or dropped transaction cannot freeze a daemon.
import { Contract, JsonRpcProvider, Network, isAddress } from 'ethers';
import type { ContractTransactionResponse, Interface, Signer, TransactionReceipt, TransactionResponse } from 'ethers';
import type { EventBase, RawLog } from './decode.ts';
import { ChainError, describeChainError } from './errors.ts';
import { fetchChainId } from '@hessian/contracts/rpc';
import { compareEvents } from './decode.ts';
import { headBlock } from './watch.ts';

export interface ContractConfig {
  rpcUrl: string;
  address: string;
  /** the block the contract was deployed in: event scans start there */
  startBlock?: number;
  /** blocks to wait before trusting a log or a receipt (default: defaultConfirmations of the chain) */
  confirmations?: number;
  /** poll interval for receipts and logs, ms */
  pollMs?: number;
  /** ms a transaction may wait to be mined before it is replaced with higher fees (default 60 s) */
  txTimeoutMs?: number;
  /** replacements (+25% fees each) before a transaction is given up (default 3) */
  maxFeeBumps?: number;
}

/** chains a local dev node runs (Hardhat, Anvil, Ganache): they do not reorg, so logs are trusted at once */
export const LOCAL_CHAIN_IDS: ReadonlySet<number> = new Set([31337, 1337]);

/** 0 on a local dev chain, else 2: a reorg shallower than that is never seen by a daemon */
export function defaultConfirmations(chainId: number): number {
  return LOCAL_CHAIN_IDS.has(chainId) ? 0 : 2;
}

/** what a client's transaction calls take: the nonce, and on a replacement the bumped fees */
export interface TxOverrides {
  nonce: number;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  gasPrice?: bigint;
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
    for (const [k, v] of [['confirmations', config.confirmations], ['txTimeoutMs', config.txTimeoutMs], ['maxFeeBumps', config.maxFeeBumps]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new Error(`${k} must be a non-negative integer, got ${v}`);
    }
    this.kind = kind;
    this.provider = provider;
    this.signer = signer;
    const defined = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as ContractConfig;
    // connectProvider fixes the network up front, so the chain id is known here
    const confirmations = defaultConfirmations(Number(provider._network.chainId));
    this.config = { startBlock: 0, confirmations, pollMs: 500, txTimeoutMs: 60_000, maxFeeBumps: 3, ...defined };
    this.contract = new Contract(config.address, kind.iface, signer ?? provider);
  }

  async address(): Promise<string> {
    if (!this.signer) throw new Error('this client has no signer: a transaction needs an account');
    return this.signer.getAddress();
  }

  protected async sendTx(action: string, call: (overrides: TxOverrides) => Promise<ContractTransactionResponse>): Promise<SentTx<E>> {
    if (!this.signer) throw new Error(`${action} needs an account (signer)`);
    let receipt: TransactionReceipt;
    try {
      const from = await this.signer.getAddress();
      // ethers reuses identical RPC answers for 250 ms, which hands back a stale nonce to
      // transactions sent in quick succession: ask the node directly
      const nonce = Number(await this.provider.send('eth_getTransactionCount', [from, 'pending']));
      receipt = await this.mined(action, from, nonce, call);
      if (receipt.status === 0) await this.replayRevert(action, from, receipt);
      await this.confirmed(receipt);
    } catch (err) {
      if (process.env.DEBUG_CHAIN) console.error(err);
      throw describeChainError(err, action, this.kind.iface);
    }
    const events: E[] = [];
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== this.config.address.toLowerCase()) continue;
      const ev = this.kind.decode(log);
      if (ev) events.push(ev);
    }
    return { txHash: receipt.hash, blockNumber: receipt.blockNumber, events: events.sort(compareEvents), receipt };
  }

  /** sends, then replaces with higher fees (same nonce) each time txTimeoutMs passes unmined; the receipt of whichever landed */
  private async mined(action: string, from: string, nonce: number, call: (o: TxOverrides) => Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
    const sent: TransactionResponse[] = [await call({ nonce })];
    for (let bumps = 0; ; bumps++) {
      const receipt = await this.receiptOf(sent, from, nonce, this.config.txTimeoutMs);
      if (receipt) return receipt;
      if (bumps >= this.config.maxFeeBumps) {
        throw new ChainError(`${action} failed: not mined after ${bumps + 1} tries of ${this.config.txTimeoutMs} ms (nonce ${nonce}, last tx ${sent.at(-1)!.hash}); it may still be mined`, { kind: 'retryable' });
      }
      const fees = await this.bumpedFees(sent.at(-1)!);
      try {
        sent.push(await call({ nonce, ...fees }));
      } catch (err) {
        // the estimate or the send may fail because an earlier try was mined meanwhile
        const landed = await this.receiptOf(sent, from, nonce, 0);
        if (landed) return landed;
        throw err;
      }
    }
  }

  /** the receipt of any of `sent` within `ms`; undefined when none was mined */
  private async receiptOf(sent: TransactionResponse[], from: string, nonce: number, ms: number): Promise<TransactionReceipt | undefined> {
    const until = Date.now() + ms;
    for (;;) {
      for (const tx of sent) {
        const r = await this.provider.getTransactionReceipt(tx.hash);
        if (r) return r;
      }
      if (Number(await this.provider.send('eth_getTransactionCount', [from, 'latest'])) > nonce) {
        // the nonce is used: if none of ours has a receipt after one more look, another transaction took it
        for (const tx of sent) {
          const r = await this.provider.getTransactionReceipt(tx.hash);
          if (r) return r;
        }
        throw new ChainError(`nonce ${nonce} of ${from} was used by another transaction: ${sent.map((t) => t.hash).join(', ')} not mined`, { kind: 'retryable' });
      }
      if (Date.now() >= until) return undefined;
      await new Promise((r) => setTimeout(r, this.config.pollMs));
    }
  }

  /** fees of a replacement: at least 25% above the last try (nodes want +10%), and at least what the node asks now */
  private async bumpedFees(last: TransactionResponse): Promise<Omit<TxOverrides, 'nonce'>> {
    const now = await this.provider.getFeeData();
    const up = (v: bigint) => (v * 125n) / 100n + 1n;
    const max = (...vs: (bigint | null | undefined)[]) => vs.reduce<bigint>((a, v) => (v != null && v > a ? v : a), 0n);
    if (last.maxFeePerGas != null) {
      const maxPriorityFeePerGas = max(up(last.maxPriorityFeePerGas ?? 0n), now.maxPriorityFeePerGas);
      return { maxPriorityFeePerGas, maxFeePerGas: max(up(last.maxFeePerGas), now.maxFeePerGas, maxPriorityFeePerGas) };
    }
    return { gasPrice: max(up(last.gasPrice), now.gasPrice) };
  }

  /** a mined revert: the call replayed at its block gives the custom error to report */
  private async replayRevert(action: string, from: string, receipt: TransactionReceipt): Promise<never> {
    const tx = await this.provider.getTransaction(receipt.hash);
    if (tx) await this.provider.call({ from, to: tx.to, data: tx.data, value: tx.value, blockTag: receipt.blockNumber });
    throw new ChainError(`${action} reverted in transaction ${receipt.hash} (block ${receipt.blockNumber})`, { kind: 'fatal' });
  }

  /** waits until the receipt's block is `confirmations` deep (at least mined) */
  private async confirmed(receipt: TransactionReceipt): Promise<void> {
    const depth = Math.max(1, this.config.confirmations);
    while ((await headBlock(this.provider)) - receipt.blockNumber + 1 < depth) await new Promise((r) => setTimeout(r, this.config.pollMs));
  }

  /** sends the transaction and picks out the event it must have emitted */
  protected async sendFor<T extends E>(action: string, eventName: T['name'], call: (overrides: TxOverrides) => Promise<ContractTransactionResponse>): Promise<SentTx<E> & { event: T }> {
    const res = await this.sendTx(action, call);
    const event = res.events.find((e): e is T => e.name === eventName);
    if (!event) throw new Error(`${action} ${res.txHash}: no ${eventName} event in the receipt`);
    return { ...res, event };
  }

  destroy(): void {
    this.provider.destroy();
  }
}
