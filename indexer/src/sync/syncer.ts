// One step of chain sync from the event store's head: fetch the next range, or report a reorg,
// or report that there is nothing new. Like graph-node's polling block stream, blocks deeper
// than the reorg window are final: they are fetched by wide eth_getLogs ranges with only the
// headers of blocks that have logs. Within the window every header is fetched and linked by
// parent hash, so a fork shows up as a link that does not connect to what was stored.
import { HessianError } from '@hessian/common/errors';
import { blockPtrOf, type BlockPtr, type RpcBlock, type RpcLog, type RpcReceipt } from '../types.ts';
import type { EventStore, SyncBatch, SyncedBlock } from '../store/event-store.ts';
import { LogRangeFetcher, type LogFilter, type LogRangeOptions } from './log-ranges.ts';
import type { JsonRpcClient } from './rpc.ts';
import type { Logger } from '../log.ts';
import type { IndexerMetrics } from '../metrics.ts';

export interface DataSourceFilter {
  /** lowercase; null = any address */
  address: string | null;
  topic0s: string[];
  startBlock: number;
  /** last block the data source covers; null/undefined = no end */
  endBlock?: number | null;
  /** what its block handlers need (BlockNeeds.describe) */
  blocks?: string[];
}

export interface SyncOptions {
  dataSources: DataSourceFilter[];
  /** blocks behind the head to stay; the head itself is `0` */
  confirmations?: number;
  /** deepest reorg handled; deeper is fatal. Blocks deeper than this are treated as final. */
  maxReorgDepth?: number;
  /** blocks fetched per step within the reorg window, and blocks with logs per step below it */
  headBatch?: number;
  needsTransactions?: boolean;
  needsReceipts?: boolean;
  logRanges?: LogRangeOptions;
  /** a finer match than address + topic0 (the runtime's topic1-3 filters); logs it rejects are not stored */
  matches?: (log: RpcLog, blockNumber: number) => boolean;
  /** blocks block handlers need even without logs (block-triggers.ts); none: logs-only sync */
  blockNeeds?: { next(from: number, to: number, limit: number): number[] } | null;
  logger?: Logger;
  metrics?: IndexerMetrics;
}

export type SyncStep =
  | { kind: 'batch'; batch: SyncBatch; chainHead: number; target: number }
  /** forkPoint null: every block indexed so far was replaced; start over from the start block */
  | { kind: 'reorg'; forkPoint: BlockPtr | null; depth: number; chainHead: number }
  | { kind: 'idle'; chainHead: number; reason: 'synced' | 'unsettled' };

/** a fork deeper than --max-reorg-depth: the store cannot follow it, indexing stops */
export class ReorgTooDeepError extends HessianError {
  override name = 'ReorgTooDeepError';
  constructor(message: string) {
    super(message, { kind: 'fatal' });
  }
}

const hex = (n: number) => '0x' + n.toString(16);
const FIRST_STEP_BLOCKS = 10;

// Hardhat's EDR reports a zero parent hash for blocks made by `hardhat_mine` (it reserves them
// lazily); such a link cannot be checked, so the parent's own hash is asked for instead.
const ZERO_HASH = '0x' + '0'.repeat(64);

export class Syncer {
  readonly startBlock: number;
  readonly filter: LogFilter;
  private readonly rpc: JsonRpcClient;
  private readonly events: EventStore;
  private readonly dataSources: DataSourceFilter[];
  /** data sources created from templates, by address (sync/dynamic-sources.ts) */
  private dynamic = new Map<string, DataSourceFilter[]>();
  private readonly confirmations: number;
  readonly maxReorgDepth: number;
  private readonly headBatch: number;
  private readonly needsTransactions: boolean;
  private readonly needsReceipts: boolean;
  private readonly ranges: LogRangeFetcher;
  private readonly matches?: (log: RpcLog, blockNumber: number) => boolean;
  private readonly blockNeeds: SyncOptions['blockNeeds'];
  private readonly logger?: Logger;
  private readonly metrics?: IndexerMetrics;
  // A final range's logs beyond what one step hands over, grouped by block: the next step, and
  // only that one, may start there without asking eth_getLogs again (`from` is the first block
  // they cover, `to` the range's end). Every step takes it, so a step that does not continue the
  // range drops it.
  private carry: { from: number; to: number; byBlock: Map<number, RpcLog[]> } | null = null;
  private lastHead: { number: number; at: number } | null = null;
  private readonly staticFilter: LogFilter;
  // Steps start small and double up to headBatch: the handlers get their first blocks after a
  // short fetch instead of a full one, and the pipeline fills from there.
  private ramp = FIRST_STEP_BLOCKS;

  constructor(rpc: JsonRpcClient, events: EventStore, opts: SyncOptions) {
    if (opts.dataSources.length === 0) throw new Error('sync: the subgraph has no data sources');
    this.rpc = rpc;
    this.events = events;
    this.dataSources = opts.dataSources.map((d) => ({ ...d, address: d.address?.toLowerCase() ?? null, topic0s: d.topic0s.map((t) => t.toLowerCase()) }));
    this.startBlock = Math.min(...this.dataSources.map((d) => d.startBlock));
    const anyAddress = this.dataSources.some((d) => d.address === null);
    this.filter = {
      addresses: anyAddress ? null : [...new Set(this.dataSources.map((d) => d.address!))].sort(),
      topic0s: [...new Set(this.dataSources.flatMap((d) => d.topic0s))].sort(),
    };
    this.confirmations = opts.confirmations ?? 0;
    this.maxReorgDepth = opts.maxReorgDepth ?? 250;
    this.headBatch = opts.headBatch ?? 100;
    this.needsTransactions = opts.needsTransactions ?? true;
    this.needsReceipts = opts.needsReceipts ?? false;
    this.logger = opts.logger;
    this.metrics = opts.metrics;
    this.matches = opts.matches;
    this.blockNeeds = opts.blockNeeds ?? null;
    this.ranges = new LogRangeFetcher(rpc, this.filter, { logger: opts.logger, ...opts.logRanges });
    this.staticFilter = { addresses: this.filter.addresses, topic0s: this.filter.topic0s };
    for (const [k, v] of [['confirmations', this.confirmations], ['maxReorgDepth', this.maxReorgDepth], ['headBatch', this.headBatch]] as const) {
      if (!Number.isSafeInteger(v) || v < (k === 'confirmations' ? 0 : 1)) throw new Error(`sync: invalid ${k} ${v}`);
    }
  }

  /**
   * The data sources created from templates so far (all of them, replacing the previous set):
   * eth_getLogs asks for their addresses and topics from the next step on. Logs carried over from
   * a range fetched before are dropped, so the rest of that range is fetched again. Call only
   * while no step is running.
   */
  setDynamicSources(sources: DataSourceFilter[]): void {
    this.dynamic = new Map();
    for (const d of sources) {
      const f = { ...d, address: d.address!.toLowerCase(), topic0s: d.topic0s.map((t) => t.toLowerCase()) };
      const list = this.dynamic.get(f.address!) ?? [];
      list.push(f);
      this.dynamic.set(f.address!, list);
    }
    // the fetcher holds this object: it is updated in place
    this.filter.addresses = this.staticFilter.addresses === null ? null : [...new Set([...this.staticFilter.addresses, ...this.dynamic.keys()])].sort();
    this.filter.topic0s = [...new Set([...this.staticFilter.topic0s, ...sources.flatMap((d) => d.topic0s.map((t) => t.toLowerCase()))])].sort();
    this.carry = null;
  }

  /**
   * `maxAgeMs`: a head asked that recently is reused. An older head is always safe to use: it
   * only makes the target and the final boundary lower.
   */
  async chainHead(maxAgeMs = 0): Promise<number> {
    if (this.lastHead && maxAgeMs > 0 && performance.now() - this.lastHead.at <= maxAgeMs) return this.lastHead.number;
    const n = Number(BigInt(await this.rpc.call<string>('eth_blockNumber', [])));
    this.lastHead = { number: n, at: performance.now() };
    this.metrics?.chainHead.set(n);
    return n;
  }

  /**
   * `from`: fetch as if the head were this block (a prefetch while the previous batch is still
   * being committed); by default the event store's head. A prefetch reuses a head asked within
   * the last second: during a backfill it is one eth_blockNumber less per step.
   */
  async step(from?: BlockPtr): Promise<SyncStep> {
    const carried = this.carry;
    this.carry = null;
    const step = await this.stepFrom(from ?? this.events.head(), from ? 1000 : 0, carried);
    if (step.kind === 'batch') this.ramp = Math.min(this.headBatch, this.ramp * 2);
    return step;
  }

  private async stepFrom(cursor: BlockPtr | null, headMaxAgeMs: number, carried: Syncer['carry']): Promise<SyncStep> {
    const chainHead = await this.chainHead(headMaxAgeMs);
    const target = chainHead - this.confirmations;
    const first = Math.max(cursor ? cursor.number + 1 : this.startBlock, this.startBlock);
    if (first > target) {
      // nothing new: the tip we hold may still have been replaced (a reorg that shortened the chain or kept its length)
      if (cursor && cursor.number >= chainHead - this.maxReorgDepth) {
        const now = await this.blockAt(cursor.number, false);
        // no block at a height the node says it has: a lagging backend, not a fork
        if (!now && cursor.number <= chainHead) return { kind: 'idle', chainHead, reason: 'unsettled' };
        if (!now || now.hash.toLowerCase() !== cursor.hash) return this.reorg(cursor, chainHead);
      }
      return { kind: 'idle', chainHead, reason: 'synced' };
    }
    const finalBoundary = chainHead - this.maxReorgDepth;
    if (first <= finalBoundary) return this.finalRange(first, Math.min(target, finalBoundary), chainHead, target, carried);
    // no wider than the log range: blocks past the logs' end would be fetched and thrown away
    const span = Math.min(this.headBatch, this.ramp, this.ranges.range);
    return this.nearHead(cursor, first, Math.min(target, first + span - 1), chainHead, target);
  }

  /**
   * Final blocks: wide log ranges, headers only where there are logs (and the range end). One
   * step hands over at most `headBatch` blocks with logs (fewer in the first steps) (and about one log range's worth of
   * logs), so the handlers start on the first ones while the next are fetched; the rest of the
   * range's logs are carried to the next step.
   */
  private async finalRange(from: number, to: number, chainHead: number, target: number, carried: Syncer['carry']): Promise<SyncStep> {
    let end: number;
    let byBlock: Map<number, RpcLog[]>;
    if (carried && carried.from === from && carried.to <= to) ({ to: end, byBlock } = carried);
    else {
      const fetched = await this.ranges.fetch(from, to);
      end = fetched.to;
      byBlock = groupByBlock(this.match(fetched.logs));
    }
    // this step's share: the first blocks with logs, at most `ramp` of them and about one log
    // range's worth of logs; the others stay grouped in the carry (taking them out is O(share),
    // so a range of many steps is not re-filtered and re-grouped once per step)
    const taken: Array<[number, RpcLog[]]> = [];
    let count = 0;
    const cap = Math.min(this.headBatch, this.ramp);
    const needed = this.blockNeeds?.next(from, end, cap) ?? [];
    if (needed.length === 0) {
      for (const entry of byBlock) {
        taken.push(entry);
        count += entry[1].length;
        if (taken.length >= cap || count >= this.ranges.targetLogs) break;
      }
    } else {
      // block handlers' blocks join the blocks with logs, in block order, under the same cap
      const withLogs: number[] = [];
      for (const n of byBlock.keys()) if (withLogs.push(n) >= cap) break;
      for (const n of [...new Set([...withLogs, ...needed])].sort((a, b) => a - b)) {
        const logsHere = byBlock.get(n) ?? [];
        taken.push([n, logsHere]);
        count += logsHere.length;
        if (taken.length >= cap || count >= this.ranges.targetLogs) break;
      }
    }
    let left: Syncer['carry'] = null;
    const lastTaken = taken.at(-1)?.[0];
    const moreNeeded = needed.length > 0 && lastTaken !== undefined && lastTaken < end && (this.blockNeeds!.next(lastTaken + 1, end, 1).length > 0 || [...byBlock.keys()].some((n) => n > lastTaken));
    if (taken.length < byBlock.size || moreNeeded) {
      for (const [n] of taken) byBlock.delete(n);
      const last = taken.at(-1)![0];
      left = { from: last + 1, to: end, byBlock };
      end = last;
    }
    const numbers = taken.map(([n]) => n);
    const blocks = await this.blocksAt([...numbers, end], needed.length === 0 ? numbers : taken.filter(([, l]) => l.length > 0).map(([n]) => n));
    const synced: SyncedBlock[] = [];
    for (const [n, logsHere] of taken) {
      const block = blocks.get(n)!;
      if (logsHere.some((l) => l.blockHash.toLowerCase() !== block.hash.toLowerCase())) {
        // the logs and the header came from different branches: a reorg beyond the window, or a lagging backend
        this.logger?.warn('logs and header disagree on a final block, refetching', { block: n });
        return { kind: 'idle', chainHead, reason: 'unsettled' };
      }
      synced.push(await this.synced(block, logsHere));
    }
    this.carry = left;
    return { kind: 'batch', batch: { blocks: synced, headers: [], to: blockPtrOf(blocks.get(end)!) }, chainHead, target };
  }

  /**
   * Unfinalised blocks: every block of the range once (with its transactions where there are
   * logs), linked to the stored head and to each other. The range's last block is asked first,
   * before the logs: when the linked blocks, read after the logs, still end in that hash, the node
   * was on one branch the whole time, so the logs (and the blocks without any) are from it.
   */
  private async nearHead(cursor: BlockPtr | null, from: number, to: number, chainHead: number, target: number): Promise<SyncStep> {
    const before = await this.blockAt(to, false);
    if (!before) return { kind: 'idle', chainHead, reason: 'unsettled' };
    const { to: end, logs } = await this.ranges.fetch(from, to);
    const byBlock = groupByBlock(this.match(logs));
    const numbers = Array.from({ length: to - from + 1 }, (_, k) => from + k);
    const blocks = await this.rpc.batchResults<RpcBlock | null>(
      numbers.map((n) => ({ method: 'eth_getBlockByNumber', params: [hex(n), this.needsTransactions && byBlock.has(n)] })),
    );
    if (blocks.some((b) => !b)) return { kind: 'idle', chainHead, reason: 'unsettled' };
    const ptrs = blocks.map((b) => blockPtrOf(b!));
    if (ptrs[ptrs.length - 1]!.hash !== before.hash.toLowerCase()) return { kind: 'idle', chainHead, reason: 'unsettled' };
    if (cursor) {
      if (ptrs[0]!.parentHash === ZERO_HASH) {
        const now = await this.blockAt(cursor.number, false);
        if (!now) return { kind: 'idle', chainHead, reason: 'unsettled' };
        if (now.hash.toLowerCase() !== cursor.hash) return this.reorg(cursor, chainHead);
      } else if (ptrs[0]!.parentHash !== cursor.hash) return this.reorg(cursor, chainHead);
    }
    for (let k = 1; k < ptrs.length; k++) {
      const p = ptrs[k]!.parentHash;
      if (p !== ZERO_HASH && p !== ptrs[k - 1]!.hash) return { kind: 'idle', chainHead, reason: 'unsettled' };
    }
    const synced: SyncedBlock[] = [];
    for (const [n, logsHere] of byBlock) {
      if (logsHere.some((l) => l.blockHash.toLowerCase() !== ptrs[n - from]!.hash)) return { kind: 'idle', chainHead, reason: 'unsettled' };
      synced.push(await this.synced(blocks[n - from]!, logsHere));
    }
    // block handlers' blocks without logs: the headers are already here
    const needed = this.blockNeeds?.next(from, end, end - from + 1).filter((n) => !byBlock.has(n)) ?? [];
    if (needed.length > 0) {
      for (const n of needed) synced.push(await this.synced(blocks[n - from]!, []));
      synced.sort((a, b) => a.ptr.number - b.ptr.number);
    }
    const asBlocks = new Set(synced.map((b) => b.ptr.number));
    const used = ptrs.slice(0, end - from + 1);
    return {
      kind: 'batch',
      batch: { blocks: synced, headers: used.filter((p) => !asBlocks.has(p.number)), to: used[used.length - 1]! },
      chainHead,
      target,
    };
  }

  /**
   * The stored head no longer links to the chain: walk back over stored hashes to the newest one
   * the node still has. Headers below the reorg window are sparse, which can only make the fork
   * point older (more re-indexing), never wrong.
   */
  private async reorg(cursor: BlockPtr, chainHead: number): Promise<SyncStep> {
    const lowest = Math.max(this.startBlock - 1, cursor.number - this.maxReorgDepth - 1);
    const stored = this.events.hashesBetween(lowest, cursor.number);
    const canonical = await this.rpc.batchResults<RpcBlock | null>(stored.map((p) => ({ method: 'eth_getBlockByNumber', params: [hex(p.number), false] })));
    for (let k = 0; k < stored.length; k++) {
      const c = canonical[k];
      if (!c && stored[k]!.number <= chainHead) return { kind: 'idle', chainHead, reason: 'unsettled' };
      if (c && c.hash.toLowerCase() === stored[k]!.hash) {
        // the head we hold is still canonical: the mismatch was a node answering mid-reorg
        if (k === 0) return { kind: 'idle', chainHead, reason: 'unsettled' };
        const depth = cursor.number - stored[k]!.number;
        if (depth > this.maxReorgDepth) break;
        this.logger?.warn('reorg', { from: cursor.number, forkPoint: stored[k]!.number, depth });
        return { kind: 'reorg', forkPoint: stored[k]!, depth, chainHead };
      }
    }
    const before = this.startBlock - 1;
    if (cursor.number - before <= this.maxReorgDepth) {
      // all we hold lies within the window and none of it is still on the chain: start over
      this.logger?.warn('reorg', { from: cursor.number, forkPoint: null, depth: cursor.number - before });
      return { kind: 'reorg', forkPoint: null, depth: cursor.number - before, chainHead };
    }
    throw new ReorgTooDeepError(
      `chain reorganisation deeper than the maximum of ${this.maxReorgDepth} blocks: block ${cursor.number} (${cursor.hash}) ` +
        `and every stored block down to ${lowest} are no longer on the chain; raise --max-reorg-depth or re-index with --rebuild`,
    );
  }

  private match(logs: RpcLog[]): RpcLog[] {
    // one query covers all data sources; a log counts only for a data source whose start it reached
    return logs.filter((l) => {
      const n = Number(BigInt(l.blockNumber));
      const addr = l.address.toLowerCase();
      const t0 = String(l.topics[0]).toLowerCase();
      const covers = (d: DataSourceFilter) => n >= d.startBlock && (d.endBlock == null || n <= d.endBlock) && (d.address === null || d.address === addr) && d.topic0s.includes(t0);
      const ds = this.dataSources.some(covers) || (this.dynamic.get(addr)?.some(covers) ?? false);
      return ds && (!this.matches || this.matches(l, n));
    });
  }

  private async blockAt(n: number, full: boolean): Promise<RpcBlock | null> {
    return this.rpc.call<RpcBlock | null>('eth_getBlockByNumber', [hex(n), full]);
  }

  /** Blocks by number; full transactions for `full` ones when the runtime needs them. */
  private async blocksAt(numbers: number[], full: number[]): Promise<Map<number, RpcBlock>> {
    const unique = [...new Set(numbers)];
    const fullSet = new Set(full);
    const res = await this.rpc.batchResults<RpcBlock | null>(
      unique.map((n) => ({ method: 'eth_getBlockByNumber', params: [hex(n), this.needsTransactions && fullSet.has(n)] })),
    );
    const out = new Map<number, RpcBlock>();
    unique.forEach((n, k) => {
      const b = res[k];
      if (!b) throw new UnsettledError(`eth_getBlockByNumber(${n}) returned null`);
      out.set(n, b);
    });
    return out;
  }

  private async synced(block: RpcBlock, logs: RpcLog[]): Promise<SyncedBlock> {
    const txHashes = new Set(logs.map((l) => l.transactionHash.toLowerCase()));
    // keep only the transactions the handlers can see: a chain's full blocks would dwarf the logs
    const txs = this.needsTransactions
      ? (block.transactions as Array<{ hash: string } | string>).filter((t) => typeof t === 'object' && txHashes.has(t.hash.toLowerCase()))
      : [];
    const kept = { ...block, transactions: txs } as RpcBlock;
    const out: SyncedBlock = { block: kept, ptr: blockPtrOf(block), logs };
    if (this.needsReceipts) {
      const hashes = [...txHashes];
      const receipts = await this.rpc.batchResults<RpcReceipt | null>(hashes.map((h) => ({ method: 'eth_getTransactionReceipt', params: [h] })));
      out.receipts = new Map();
      hashes.forEach((h, k) => {
        const r = receipts[k];
        if (!r || r.blockHash.toLowerCase() !== out.ptr.hash) throw new UnsettledError(`receipt of ${h} is missing or from another block`);
        out.receipts!.set(h, r);
      });
    }
    return out;
  }
}

/** The node's answers do not fit together yet (a reorg under way); the step is simply retried. */
export class UnsettledError extends HessianError {
  override name = 'UnsettledError';
  constructor(message: string) {
    super(message, { kind: 'retryable' });
  }
}

function groupByBlock(logs: RpcLog[]): Map<number, RpcLog[]> {
  const m = new Map<number, RpcLog[]>();
  for (const l of logs) {
    const n = Number(BigInt(l.blockNumber));
    let arr = m.get(n);
    if (!arr) m.set(n, (arr = []));
    arr.push(l);
  }
  return m;
}
