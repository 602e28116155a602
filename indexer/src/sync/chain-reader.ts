// What ethereum.call, getBalance and hasCode read, cached like graph-node's call cache: by block
// hash and request, in memory for the block being indexed and in the store's SQLite file
// (chain_eth_calls), so a --rebuild or a restart replays the very answers the handlers saw
// without asking the node again. Declared calls (`calls:` in the manifest) are fetched in one
// JSON-RPC batch before the block's handlers run; a handler's own cache miss is one blocking
// request (blocking-rpc.ts).
import type Database from 'better-sqlite3';
import { isRevertError, type BlockRef, type CallAnswer, type CallRequest, type ChainReader } from '../runtime/host/ethereum-call.ts';
import { BlockingRpc } from './blocking-rpc.ts';
import { RpcError, type JsonRpcClient, type RpcCall } from './rpc.ts';

type Stored = { v: string } | { r: string };

export interface ChainReaderStats {
  /** answers from memory or the store */
  cached: number;
  /** requests sent in prefetch batches (declared calls) */
  prefetched: number;
  /** requests sent from inside a handler */
  blocking: number;
}

const callKey = (req: CallRequest) => `call:${req.to.toLowerCase()}:${req.data.toLowerCase()}`;

export class EthChainReader implements ChainReader {
  private readonly db: Database.Database;
  private readonly rpc: JsonRpcClient;
  private readonly blocking: BlockingRpc;
  private readonly get: Database.Statement;
  private readonly put: Database.Statement;
  private memo: { hash: string; answers: Map<string, Stored> } = { hash: '', answers: new Map() };
  readonly stats: ChainReaderStats = { cached: 0, prefetched: 0, blocking: 0 };

  constructor(db: Database.Database, rpc: JsonRpcClient, blocking: { url: string; timeoutMs?: number }) {
    this.db = db;
    this.rpc = rpc;
    db.exec(`CREATE TABLE IF NOT EXISTS chain_eth_calls (
      block_hash TEXT NOT NULL,
      request TEXT NOT NULL,
      -- {"v": hex} for an answer, {"r": reason} for a reverted call
      result TEXT NOT NULL,
      PRIMARY KEY (block_hash, request)
    ) WITHOUT ROWID`);
    this.get = db.prepare('SELECT result FROM chain_eth_calls WHERE block_hash = ? AND request = ?');
    this.put = db.prepare('INSERT OR REPLACE INTO chain_eth_calls (block_hash, request, result) VALUES (?, ?, ?)');
    this.blocking = new BlockingRpc(blocking);
  }

  private answers(hash: string): Map<string, Stored> {
    if (this.memo.hash !== hash) this.memo = { hash, answers: new Map() };
    return this.memo.answers;
  }

  private lookup(block: BlockRef, key: string): Stored | undefined {
    const mem = this.answers(block.hash);
    let hit = mem.get(key);
    if (!hit) {
      const row = this.get.get(block.hash, key) as { result: string } | undefined;
      if (row) mem.set(key, (hit = JSON.parse(row.result) as Stored));
    }
    if (hit) this.stats.cached++;
    return hit;
  }

  private remember(block: BlockRef, key: string, value: Stored): void {
    this.answers(block.hash).set(key, value);
    // keyed by block hash, an answer never goes stale: it is written outside the batch's
    // transaction, and a rolled-back batch only leaves answers a retry will want again
    this.put.run(block.hash, key, JSON.stringify(value));
  }

  private fetchBlocking<T>(method: string, params: unknown[]): T {
    this.stats.blocking++;
    return this.blocking.call<T>(method, params);
  }

  private static callParams(block: BlockRef, req: CallRequest): unknown[] {
    // no `gas`: graph-node's 50M (ETH_CALL_GAS) is geth's default RPC gas cap, which a call
    // without gas gets anyway, while nodes enforcing EIP-7825's per-transaction cap (Hardhat 3:
    // 2^24) refuse 50M outright (graph-node's GRAPH_ETH_CALL_NO_GAS exists for such chains)
    return [{ to: req.to, data: req.data }, { blockHash: block.hash }];
  }

  private static asStored(result: unknown, err: RpcError | null): Stored {
    if (err) {
      if (isRevertError(err.code, err.rpcMessage, err.data)) return { r: err.rpcMessage };
      throw err; // not an answer: the node failed (a pruned state, a block it lost in a reorg)
    }
    const data = String(result);
    return { v: data };
  }

  call(block: BlockRef, req: CallRequest): CallAnswer {
    const key = callKey(req);
    let stored = this.lookup(block, key);
    if (!stored) {
      let result: unknown = null;
      let error: RpcError | null = null;
      try {
        result = this.fetchBlocking<string>('eth_call', EthChainReader.callParams(block, req));
      } catch (err) {
        if (!(err instanceof RpcError)) throw err;
        error = err;
      }
      stored = EthChainReader.asStored(result, error);
      this.remember(block, key, stored);
    }
    return 'v' in stored ? { ok: true, data: stored.v } : { ok: false, reason: stored.r };
  }

  balance(block: BlockRef, address: string): bigint {
    const key = `balance:${address.toLowerCase()}`;
    let stored = this.lookup(block, key);
    if (!stored) {
      stored = { v: this.fetchBlocking<string>('eth_getBalance', [address, { blockHash: block.hash }]) };
      this.remember(block, key, stored);
    }
    return BigInt('v' in stored ? stored.v : 0);
  }

  hasCode(block: BlockRef, address: string): boolean {
    const key = `code:${address.toLowerCase()}`;
    let stored = this.lookup(block, key);
    if (!stored) {
      const code = this.fetchBlocking<string>('eth_getCode', [address, { blockHash: block.hash }]);
      // only whether there is code is kept: a contract's bytecode is up to 24 KB per block
      stored = { v: code === '0x' || code === '' ? '0x' : '0x01' };
      this.remember(block, key, stored);
    }
    return 'v' in stored && stored.v !== '0x';
  }

  /** Fetch the calls not cached yet in one batch (declared calls); returns every call's answer. */
  async prefetch(block: BlockRef, reqs: CallRequest[]): Promise<CallAnswer[]> {
    const missing = new Map<string, CallRequest>();
    for (const req of reqs) {
      const key = callKey(req);
      if (!missing.has(key) && !this.lookup(block, key)) missing.set(key, req);
    }
    if (missing.size > 0) {
      const keys = [...missing.keys()];
      const calls: RpcCall[] = keys.map((k) => ({ method: 'eth_call', params: EthChainReader.callParams(block, missing.get(k)!) }));
      this.stats.prefetched += calls.length;
      const outcomes = await this.rpc.batch(calls, { retryRpcErrors: false });
      // every answer first, then the writes: a failed request leaves nothing half-stored
      const stored = outcomes.map((o) => EthChainReader.asStored(o.ok ? o.result : null, o.ok ? null : o.error));
      this.db.transaction(() => keys.forEach((k, i) => this.remember(block, k, stored[i]!)))();
    }
    return reqs.map((req) => {
      const s = this.answers(block.hash).get(callKey(req))!;
      return 'v' in s ? { ok: true, data: s.v } : { ok: false, reason: s.r };
    });
  }

  async close(): Promise<void> {
    await this.blocking.close();
  }
}
