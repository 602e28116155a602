// The interfaces between the indexer's parts: runtime (WASM host) → store (versioned entities)
// → graphql (query API), fed by sync (JSON-RPC). Raw chain data keeps its JSON-RPC shape (hex
// strings) end to end so the event store can keep exactly what the node returned.

/** An entity field value, as graph-node's store models it (graph-ts `Value` kinds). */
export type Value =
  | { kind: 'String'; value: string }
  | { kind: 'Int'; value: number }
  | { kind: 'Int8'; value: bigint }
  /** microseconds since the epoch, as graph-node's Timestamp */
  | { kind: 'Timestamp'; value: bigint }
  | { kind: 'BigInt'; value: bigint }
  /** canonical decimal string, at most 34 significant digits (graph-node's BigDecimal) */
  | { kind: 'BigDecimal'; value: string }
  | { kind: 'Bool'; value: boolean }
  | { kind: 'Bytes'; value: Uint8Array }
  | { kind: 'List'; value: Value[] }
  | { kind: 'Null' };

/** Field name → value; always includes `id`. */
export type EntityData = Record<string, Value>;

/**
 * An entity's key. Ids are strings: ID/String ids as is, Bytes ids as lowercase 0x-hex,
 * Int8 ids in decimal.
 */
export interface EntityKey {
  entityType: string;
  id: string;
}

/** One entity's final state after a block: `data === null` means removed. */
export interface EntityChange extends EntityKey {
  data: EntityData | null;
}

export interface BlockPtr {
  number: number;
  hash: string;
  parentHash: string;
  /** unix seconds */
  timestamp: number;
}

/** eth_getLogs result item, as the node returned it. */
export interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed?: boolean;
}

/** eth_getBlockByNumber(n, true) transaction item. */
export interface RpcTransaction {
  hash: string;
  from: string;
  to: string | null;
  value: string;
  gas: string;
  gasPrice?: string;
  input: string;
  nonce: string;
  transactionIndex: string;
  blockNumber: string;
  blockHash: string;
}

/** eth_getBlockByNumber result; `transactions` are full objects when the runtime needs them. */
export interface RpcBlock {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
  miner: string;
  stateRoot: string;
  transactionsRoot: string;
  receiptsRoot: string;
  sha3Uncles: string;
  gasUsed: string;
  gasLimit: string;
  difficulty?: string;
  totalDifficulty?: string;
  size?: string;
  baseFeePerGas?: string;
  transactions: RpcTransaction[] | string[];
}

/** eth_getTransactionReceipt result, for handlers declared with `receipt: true`. */
export interface RpcReceipt {
  transactionHash: string;
  transactionIndex: string;
  blockHash: string;
  blockNumber: string;
  cumulativeGasUsed: string;
  gasUsed: string;
  contractAddress: string | null;
  logs: RpcLog[];
  status?: string;
  root?: string;
  logsBloom: string;
}

/** Latest committed entity state, as the runtime reads it while processing a block. */
export interface EntityReader {
  get(entityType: string, id: string): EntityData | null;
}

export function blockPtrOf(block: Pick<RpcBlock, 'number' | 'hash' | 'parentHash' | 'timestamp'>): BlockPtr {
  return {
    number: Number(BigInt(block.number)),
    hash: block.hash.toLowerCase(),
    parentHash: block.parentHash.toLowerCase(),
    timestamp: Number(BigInt(block.timestamp)),
  };
}
