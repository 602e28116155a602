// Sync's side of data sources created from templates. A handler of block N creates one; graph-node
// then runs block N's triggers of the new data source (triggers_in_block with the new filter) and
// restarts its block stream with the new filter from N + 1. Here: the creating block's logs of the
// new addresses are asked for by block hash (with the transactions and receipts the handlers need,
// which the block fetched for the old filter may lack), the batch is cut after block N, and the
// next step asks eth_getLogs with the new addresses.
import type { DataSourceDef } from '../manifest.ts';
import type { DynamicDataSource } from '../runtime/host/data-source.ts';
import type { RpcBlock, RpcLog, RpcReceipt, RpcTransaction } from '../types.ts';
import type { SyncedBlock } from '../store/event-store.ts';
import { TransportError, type JsonRpcClient } from './rpc.ts';
import type { DataSourceFilter } from './syncer.ts';
import { UnsettledError } from './syncer.ts';

/** Topic0s a template's handlers listen for. */
export function templateTopics(template: DataSourceDef): string[] {
  return [...new Set(template.mapping.eventHandlers.map((h) => h.topic0.toLowerCase()))].sort();
}

/** What eth_getLogs must ask for these data sources: their address and topics from their creation block. */
export function dynamicFilters(sources: readonly DynamicDataSource[], template: (name: string) => DataSourceDef): DataSourceFilter[] {
  return sources.map((d) => ({ address: d.address, topic0s: templateTopics(template(d.template)), startBlock: d.creationBlock, endBlock: null }));
}

/**
 * Block `b`'s logs of data sources its handlers just created, added to `b` (with their
 * transactions and, when the handlers need them, receipts) so the event store keeps them for a
 * replay. Returns the new logs.
 */
export async function fetchCreatedLogs(
  rpc: JsonRpcClient,
  b: SyncedBlock,
  created: readonly DynamicDataSource[],
  template: (name: string) => DataSourceDef,
  opts: { needsTransactions: boolean; needsReceipts: boolean },
): Promise<RpcLog[]> {
  const addresses = [...new Set(created.map((d) => d.address))].sort();
  const topics = [...new Set(created.flatMap((d) => templateTopics(template(d.template))))].sort();
  const result = await rpc.call<RpcLog[]>('eth_getLogs', [{ blockHash: b.ptr.hash, address: addresses, topics: [topics] }]);
  if (!Array.isArray(result)) throw new TransportError('invalid-response', 'eth_getLogs: result is not an array');
  const wantedAddress = new Set(addresses);
  const wantedTopic = new Set(topics);
  for (const l of result) {
    if (!l || typeof l.blockHash !== 'string' || !Array.isArray(l.topics)) throw new TransportError('invalid-response', 'eth_getLogs: malformed log in the result');
    // a block hash the node no longer has answers with an error or nothing; another block's logs are not an answer
    if (l.blockHash.toLowerCase() !== b.ptr.hash) throw new UnsettledError(`eth_getLogs by block hash ${b.ptr.hash} returned a log of block ${l.blockHash}`);
    if (!wantedAddress.has(l.address.toLowerCase()) || !wantedTopic.has(String(l.topics[0]).toLowerCase())) {
      throw new TransportError('invalid-response', `eth_getLogs: log of unrequested address or topic ${l.address}`);
    }
  }
  const have = new Set(b.logs.map((l) => BigInt(l.logIndex)));
  const fresh = result.filter((l) => l.removed !== true && !have.has(BigInt(l.logIndex)));
  if (fresh.length === 0) return [];

  const txs = b.block.transactions as Array<RpcTransaction | string>;
  const known = new Set(txs.map((t) => (typeof t === 'string' ? t : t.hash).toLowerCase()));
  const missing = new Set(fresh.map((l) => l.transactionHash.toLowerCase()).filter((h) => !known.has(h)));
  if (opts.needsTransactions && missing.size > 0) {
    const full = await rpc.call<RpcBlock | null>('eth_getBlockByHash', [b.ptr.hash, true]);
    if (!full || full.hash.toLowerCase() !== b.ptr.hash) throw new UnsettledError(`block ${b.ptr.number} (${b.ptr.hash}) is no longer available`);
    for (const t of full.transactions as RpcTransaction[]) if (typeof t === 'object' && missing.has(t.hash.toLowerCase())) txs.push(t);
  }
  if (opts.needsReceipts && missing.size > 0) {
    const hashes = [...missing];
    const receipts = await rpc.batchResults<RpcReceipt | null>(hashes.map((h) => ({ method: 'eth_getTransactionReceipt', params: [h] })));
    b.receipts ??= new Map();
    hashes.forEach((h, k) => {
      const r = receipts[k];
      if (!r || r.blockHash.toLowerCase() !== b.ptr.hash) throw new UnsettledError(`receipt of ${h} is missing or from another block`);
      b.receipts!.set(h, r);
    });
  }
  b.logs = [...b.logs, ...fresh].sort((x, y) => Number(BigInt(x.logIndex) - BigInt(y.logIndex)));
  return fresh;
}
