// Follows a contract's events (ModelRepository's or LoanDesk's, by their decoder) by polling
// eth_getLogs: works against any JSON-RPC node without filters or websockets. Only blocks at least `confirmations` deep are read, so a
// reorg shallower than that is never seen; deeper reorgs are out of scope (use the indexer).
import type { JsonRpcProvider } from 'ethers';
import { compareEvents } from './events.ts';
import type { EventBase, RawLog } from './decode.ts';

/** turns one of the contract's logs into its event (undefined: not one of its events) */
export type LogDecoder<E extends EventBase> = (log: RawLog) => E | undefined;

export interface WatcherOptions<E extends EventBase> {
  provider: JsonRpcProvider;
  address: string;
  /** first block to read (the contract's deployment block) */
  fromBlock: number;
  /** blocks to wait before trusting a log (0 on a local dev chain) */
  confirmations?: number;
  /** widest block range per eth_getLogs request */
  maxRange?: number;
  /** topic filters (topic0 alternatives, then indexed args), as in eth_getLogs */
  topics?: (string | string[] | null)[];
  /** the contract's decoder (events.ts decodeLog for the ModelRepository) */
  decode: LogDecoder<E>;
}

/** the chain head without ethers' block-number cache (which lags right after a mine) */
export async function headBlock(provider: JsonRpcProvider): Promise<number> {
  return Number(await provider.send('eth_blockNumber', []));
}

export class LogWatcher<E extends EventBase> {
  private readonly opts: Required<Omit<WatcherOptions<E>, 'topics'>> & Pick<WatcherOptions<E>, 'topics'>;
  /** the next block to read */
  cursor: number;

  constructor(opts: WatcherOptions<E>) {
    this.opts = { confirmations: 0, maxRange: 5000, ...opts };
    this.cursor = opts.fromBlock;
  }

  /** every new event up to the confirmed head, in chain order */
  async poll(): Promise<E[]> {
    const head = (await headBlock(this.opts.provider)) - this.opts.confirmations;
    const out: E[] = [];
    while (this.cursor <= head) {
      const to = Math.min(head, this.cursor + this.opts.maxRange - 1);
      out.push(...(await readEvents(this.opts.provider, this.opts.address, this.cursor, to, this.opts.topics, this.opts.decode)));
      this.cursor = to + 1;
    }
    return out;
  }
}

export async function readEvents<E extends EventBase>(
  provider: JsonRpcProvider,
  address: string,
  fromBlock: number,
  toBlock: number,
  topics: (string | string[] | null)[] | undefined,
  decode: LogDecoder<E>,
): Promise<E[]> {
  const logs = await provider.getLogs({ address, fromBlock, toBlock, ...(topics ? { topics } : {}) });
  const out: E[] = [];
  for (const log of logs) {
    if (log.removed) continue;
    const ev = decode(log);
    if (ev) out.push(ev);
  }
  return out.sort(compareEvents);
}
