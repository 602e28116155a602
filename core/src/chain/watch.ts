// Follows a contract's events (ModelRepository's or LoanDesk's, by their decoder) by polling
// eth_getLogs: works against any JSON-RPC node without filters or websockets. Only blocks at least `confirmations` deep are read, so a
// reorg shallower than that is never seen; deeper reorgs are out of scope (use the indexer).
import type { JsonRpcProvider } from 'ethers';
import { compareEvents } from './decode.ts';
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

  /**
   * Every new event up to the confirmed head, in chain order. The cursor only moves past ranges
   * whose events are returned: when a range fails after earlier ones were read, those are
   * returned and the failed range is read again by the next poll; when the first range fails
   * the error is thrown and the cursor stays where it was.
   */
  async poll(): Promise<E[]> {
    const head = (await headBlock(this.opts.provider)) - this.opts.confirmations;
    const out: E[] = [];
    let cursor = this.cursor;
    while (cursor <= head) {
      const to = Math.min(head, cursor + this.opts.maxRange - 1);
      let events: E[];
      try {
        events = await readEvents(this.opts.provider, this.opts.address, cursor, to, this.opts.topics, this.opts.decode);
      } catch (err) {
        if (cursor === this.cursor) throw err;
        break;
      }
      out.push(...events);
      cursor = to + 1;
    }
    this.cursor = cursor;
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
