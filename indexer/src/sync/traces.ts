// Call traces for call handlers and call-filtered block handlers. graph-node reads Parity-style
// `trace_filter`; nodes without it (geth, Hardhat) offer the debug API's callTracer instead:
// `debug_traceBlockByHash` where the node has it, else `debug_traceTransaction` per transaction
// (Hardhat 3.17 offers only the latter). Each block's calls, flattened in execution order as
// graph-node's EthereumCall (from, to, input, output, transaction), are cached by block hash in
// the store's file (chain_block_calls) so --rebuild replays them without the node.
import type Database from 'better-sqlite3';
import type { RpcBlock, RpcTransaction } from '../types.ts';
import { RpcError, type JsonRpcClient } from './rpc.ts';

export interface TracedCall {
  from: string;
  to: string;
  input: string;
  output: string;
  transactionHash: string;
  transactionIndex: number;
  /** the frame itself failed (graph-node skips such calls) */
  failed: boolean;
  /** the whole transaction failed (call handlers skip its calls) */
  transactionFailed: boolean;
}

export interface BlockCalls {
  calls: TracedCall[];
  /** the block's transactions as full objects (call handlers see `call.transaction`) */
  transactions: RpcTransaction[];
}

export type TraceMethod = 'debug_traceBlockByHash' | 'debug_traceTransaction';

interface Frame {
  type?: string;
  from?: string;
  to?: string;
  input?: string;
  output?: string;
  error?: string;
  calls?: Frame[];
}

const CALL_TYPES = new Set(['CALL', 'STATICCALL', 'DELEGATECALL', 'CALLCODE']);
const TRACER = { tracer: 'callTracer' };

function unsupported(err: unknown): boolean {
  if (!(err instanceof RpcError)) return false;
  // -32601 method not found; Hardhat: -32004 "Method ... is not supported"
  return err.code === -32601 || err.code === -32004 || /not (supported|found|available)|does not exist/i.test(err.rpcMessage);
}

/** Which callTracer method the node answers, or null when it has none. */
export async function detectTraceMethod(rpc: JsonRpcClient): Promise<TraceMethod | null> {
  for (const [method, params] of [
    ['debug_traceBlockByHash', ['0x' + '0'.repeat(64), TRACER]],
    ['debug_traceTransaction', ['0x' + '0'.repeat(64), TRACER]],
  ] as const) {
    const [outcome] = await rpc.batch([{ method, params: [...params] }], { retryRpcErrors: false });
    // an unknown block or transaction is an answer: the method exists
    if (outcome!.ok || !unsupported(outcome!.error)) return method;
  }
  return null;
}

function flatten(frame: Frame, tx: { hash: string; index: number }, txFailed: boolean, out: TracedCall[]): void {
  if (frame.type && CALL_TYPES.has(frame.type.toUpperCase()) && frame.to) {
    out.push({
      from: (frame.from ?? '0x').toLowerCase(),
      to: frame.to.toLowerCase(),
      input: (frame.input ?? '0x').toLowerCase(),
      output: (frame.output ?? '0x').toLowerCase(),
      transactionHash: tx.hash,
      transactionIndex: tx.index,
      failed: frame.error !== undefined,
      transactionFailed: txFailed,
    });
  }
  for (const child of frame.calls ?? []) flatten(child, tx, txFailed, out);
}

export class BlockTracer {
  private readonly rpc: JsonRpcClient;
  private readonly method: TraceMethod;
  private readonly get: Database.Statement;
  private readonly put: Database.Statement;
  /** blocks traced through the node (tests: a rebuild traces none) */
  fetched = 0;

  constructor(db: Database.Database, rpc: JsonRpcClient, method: TraceMethod) {
    this.rpc = rpc;
    this.method = method;
    // a rowid table: a block's calls are kilobytes, which a WITHOUT ROWID (index b-tree) row
    // would spill into mostly empty overflow pages
    db.exec(`CREATE TABLE IF NOT EXISTS chain_block_calls (
      block_hash TEXT PRIMARY KEY,
      -- JSON BlockCalls
      data TEXT NOT NULL
    )`);
    this.get = db.prepare('SELECT data FROM chain_block_calls WHERE block_hash = ?');
    this.put = db.prepare('INSERT OR REPLACE INTO chain_block_calls (block_hash, data) VALUES (?, ?)');
  }

  async calls(blockHash: string): Promise<BlockCalls> {
    const hash = blockHash.toLowerCase();
    const row = this.get.get(hash) as { data: string } | undefined;
    if (row) return JSON.parse(row.data) as BlockCalls;
    this.fetched++;
    const block = await this.rpc.call<RpcBlock | null>('eth_getBlockByHash', [hash, true]);
    if (!block) throw new RpcError('eth_getBlockByHash', -32000, `block ${hash} is not known to the node (a reorg?)`);
    const txs = (block.transactions as Array<RpcTransaction | string>).filter((t): t is RpcTransaction => typeof t === 'object');
    let frames: Frame[];
    if (this.method === 'debug_traceBlockByHash') {
      const res = await this.rpc.call<Array<{ result?: Frame } | Frame>>('debug_traceBlockByHash', [hash, TRACER]);
      frames = res.map((r) => ('result' in r && r.result ? r.result : (r as Frame)));
    } else {
      frames = await this.rpc.batchResults<Frame>(txs.map((t) => ({ method: 'debug_traceTransaction', params: [t.hash, TRACER] })));
    }
    if (frames.length !== txs.length) throw new RpcError(this.method, -32000, `${frames.length} traces for ${txs.length} transactions of block ${hash}`);
    const calls: TracedCall[] = [];
    frames.forEach((f, i) => flatten(f, { hash: txs[i]!.hash.toLowerCase(), index: Number(BigInt(txs[i]!.transactionIndex ?? i)) }, f.error !== undefined, calls));
    const out: BlockCalls = { calls, transactions: txs };
    this.put.run(hash, JSON.stringify(out));
    return out;
  }
}
