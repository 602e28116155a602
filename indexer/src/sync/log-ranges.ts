// eth_getLogs over adaptive block ranges. Providers cap a query by block span, by result count or
// by time, each with its own error text; some name a range that would work. The range shrinks to
// the hint (or halves) on such refusals and on timeouts, and grows again while results are sparse,
// so a laptop against a public endpoint and a local node both backfill without tuning.
import type { RpcLog } from '../types.ts';
import { JsonRpcClient, RpcError, TransportError, isTransient, sleep } from './rpc.ts';
import type { Logger } from '../log.ts';

export interface LogFilter {
  /** lowercase; null = any address */
  addresses: string[] | null;
  /** lowercase topic0s the handlers listen for */
  topic0s: string[];
}

export interface LogRangeOptions {
  initialRange?: number;
  maxRange?: number;
  /** results per query to aim for; the range shrinks above it and grows below half of it */
  targetLogs?: number;
  /** attempts per range for errors that are neither refusals nor timeouts */
  retries?: number;
  logger?: Logger;
  signal?: AbortSignal;
}

// Texts seen from geth, erigon, nethermind, besu, reth, Alchemy, Infura, QuickNode, Ankr and
// others when a query is too wide or returns too much.
const RANGE_ERROR =
  /block range|range (?:is )?too (?:large|wide|big)|too many (?:blocks|results|logs)|more than \d+ (?:results|logs)|exceed(?:s|ed)? (?:the )?(?:max|maximum|limit)|response size|limit exceeded|query timeout|timed? ?out|returned more than|range limit|max results|result limit|limited to/i;

export function isRangeError(err: unknown): boolean {
  if (!(err instanceof RpcError)) return false;
  if (err.code === -32005) return true;
  return RANGE_ERROR.test(err.rpcMessage) || RANGE_ERROR.test(JSON.stringify(err.data ?? ''));
}

/** The block span a provider's refusal suggests, if it names one. */
export function rangeHint(err: RpcError, from: number): number | undefined {
  const text = `${err.rpcMessage} ${typeof err.data === 'string' ? err.data : JSON.stringify(err.data ?? '')}`;
  const hex = text.match(/\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/i);
  if (hex) {
    const a = Number(BigInt(hex[1]!));
    const b = Number(BigInt(hex[2]!));
    if (a === from && b >= a) return b - a + 1;
  }
  const dec = text.match(/range (\d+)\s*-\s*(\d+)/i);
  if (dec) {
    const a = Number(dec[1]);
    const b = Number(dec[2]);
    if (a === from && b >= a) return b - a + 1;
  }
  if (/\b(?:results|logs)\b/i.test(text) && !/block range/i.test(text)) return undefined;
  // "up to a 2K block range", "limited to a 10,000 range", then "maximum block range: 2000"
  const span = text.match(/(\d[\d,]*)\s*(k)?\s*(?:block\s+)?range/i) ?? text.match(/range[^\d]{0,40}?(\d[\d,]*)\s*(k)?/i);
  if (span) {
    const n = Number(span[1]!.replace(/,/g, '')) * (span[2] ? 1000 : 1);
    if (Number.isSafeInteger(n) && n > 0) return n;
  }
  return undefined;
}

const hex = (n: number) => '0x' + n.toString(16);

export class LogRangeFetcher {
  range: number;
  private readonly maxRange: number;
  readonly targetLogs: number;
  private readonly retries: number;
  private readonly rpc: JsonRpcClient;
  private readonly filter: LogFilter;
  private readonly logger?: Logger;
  private readonly signal?: AbortSignal;

  constructor(rpc: JsonRpcClient, filter: LogFilter, opts: LogRangeOptions = {}) {
    this.rpc = rpc;
    this.filter = filter;
    this.range = opts.initialRange ?? 2_000;
    this.maxRange = opts.maxRange ?? 100_000;
    this.targetLogs = opts.targetLogs ?? 5_000;
    this.retries = opts.retries ?? 8;
    this.logger = opts.logger;
    this.signal = opts.signal;
  }

  /**
   * Logs of [from, to'] for the largest to' <= to the provider accepts; returns to' with them,
   * sorted by (block, logIndex).
   */
  async fetch(from: number, to: number): Promise<{ to: number; logs: RpcLog[] }> {
    // a subgraph of block handlers only listens for no event: there is nothing to ask
    if (this.filter.topic0s.length === 0) return { to, logs: [] };
    let failures = 0;
    for (;;) {
      const end = Math.min(to, from + this.range - 1);
      const params = {
        fromBlock: hex(from),
        toBlock: hex(end),
        ...(this.filter.addresses ? { address: this.filter.addresses } : {}),
        topics: [this.filter.topic0s],
      };
      try {
        // transport retries are handled here, not in the client, so a timeout can shrink the range
        const [outcome] = await this.rpc.batch([{ method: 'eth_getLogs', params: [params] }], { retries: 0 });
        if (!outcome!.ok) throw outcome!.error;
        const logs = validateLogs(outcome!.result, from, end, this.filter);
        this.adapt(end - from + 1, logs.length);
        return { to: end, logs };
      } catch (err) {
        if (err instanceof RpcError && isRangeError(err)) {
          const span = end - from + 1;
          if (span === 1) throw new Error(`eth_getLogs refuses even a single block (${from}): ${err.message}`);
          const hint = rangeHint(err, from);
          this.range = Math.max(1, hint !== undefined && hint < span ? hint : Math.floor(span / 2));
          this.logger?.debug('log range shrunk', { from, span, range: this.range, error: err.rpcMessage });
          continue;
        }
        if (err instanceof TransportError && err.transport === 'timeout' && end > from) {
          this.range = Math.max(1, Math.floor((end - from + 1) / 2));
          this.logger?.debug('log range shrunk after timeout', { from, range: this.range });
          continue;
        }
        if (!isTransient(err) || ++failures > this.retries) throw err;
        this.logger?.warn('eth_getLogs failed, retrying', { from, to: end, attempt: failures, error: (err as Error).message });
        await sleep(this.rpc.backoff(failures - 1), this.signal);
      }
    }
  }

  private adapt(span: number, count: number) {
    if (count > this.targetLogs) this.range = Math.max(1, Math.floor((span * this.targetLogs) / count));
    else if (count < this.targetLogs / 2 && span >= this.range) this.range = Math.min(this.maxRange, this.range * 2);
  }
}

/**
 * A proxy or a flaky provider can return a well-formed answer that is not the answer to this
 * query; taking it would corrupt the store, so anything off is treated as a failed request.
 */
function validateLogs(result: unknown, from: number, to: number, filter: LogFilter): RpcLog[] {
  if (!Array.isArray(result)) throw new TransportError('invalid-response', 'eth_getLogs: result is not an array');
  const addresses = filter.addresses ? new Set(filter.addresses) : null;
  const topics = new Set(filter.topic0s);
  const logs = result as RpcLog[];
  for (const log of logs) {
    if (!log || typeof log.blockNumber !== 'string' || typeof log.blockHash !== 'string' || typeof log.logIndex !== 'string' || !Array.isArray(log.topics)) {
      throw new TransportError('invalid-response', 'eth_getLogs: malformed log in the result');
    }
    const n = Number(BigInt(log.blockNumber));
    if (n < from || n > to) throw new TransportError('invalid-response', `eth_getLogs: log of block ${n} outside [${from}, ${to}]`);
    if (addresses && !addresses.has(log.address.toLowerCase())) throw new TransportError('invalid-response', `eth_getLogs: log of unrequested address ${log.address}`);
    if (!topics.has(String(log.topics[0]).toLowerCase())) throw new TransportError('invalid-response', 'eth_getLogs: log with an unrequested topic');
  }
  // removed logs belong to a reorged block; the block-hash checks in sync catch that branch
  const kept = logs.filter((l) => l.removed !== true);
  kept.sort((a, b) => Number(BigInt(a.blockNumber) - BigInt(b.blockNumber)) || Number(BigInt(a.logIndex) - BigInt(b.logIndex)));
  return kept;
}
