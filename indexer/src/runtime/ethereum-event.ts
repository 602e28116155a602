// Builds graph-ts `ethereum.Event` (with its Block, Transaction, params and optional receipt) in
// WASM memory from JSON-RPC data, with graph-node's layouts per apiVersion
// (chain/ethereum/src/runtime/abi.rs): Event has a `receipt` field from 0.0.7, Block a
// `baseFeePerGas` and Transaction a `nonce` from 0.0.6.
import type { EventFragment, ParamType } from 'ethers';
import type { RpcBlock, RpcLog, RpcReceipt, RpcTransaction } from '../types.ts';
import { toSignedLE } from './bigint.ts';
import type { AscHeap } from './heap.ts';
import { decodeParams, decodeTopic, isDynamicType } from './abi-decode.ts';
import { writeEthValue, type EthValue } from './ethereum-values.ts';

export interface ApiLayout {
  /** the apiVersion's last component (all supported versions are 0.0.x) */
  patch: number;
  eventHasReceipt: boolean;
  blockHasBaseFee: boolean;
  txHasNonce: boolean;
}

export function layoutFor(apiVersion: string): ApiLayout {
  const [, , patch] = apiVersion.split('.').map(Number) as [number, number, number];
  return { patch, eventHasReceipt: patch >= 7, blockHasBaseFee: patch >= 6, txHasNonce: patch >= 6 };
}

export interface DecodedParam {
  name: string;
  value: EthValue;
}

/** JSON-RPC hex data to bytes (no validation beyond what Buffer does: the node produced it) */
export function hexBytes(hex: string): Uint8Array {
  return Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex');
}

const dataTypesOf = new WeakMap<EventFragment, ParamType[]>();

/**
 * Decode a log's parameters for an ABI event: indexed static values from their topics, indexed
 * dynamic values (strings, bytes, arrays, tuples) as the 32-byte topic hash, as graph-node does.
 */
export function decodeLogParams(event: EventFragment, log: RpcLog): DecodedParam[] {
  let dataTypes = dataTypesOf.get(event);
  if (!dataTypes) {
    dataTypes = event.inputs.filter((p) => !p.indexed);
    dataTypesOf.set(event, dataTypes);
  }
  const data = decodeParams(dataTypes, hexBytes(log.data));
  // an anonymous event has no signature topic: its indexed parameters start at the first
  let topic = event.anonymous ? 0 : 1;
  let dataIndex = 0;
  return event.inputs.map((input, i) => {
    const name = input.name || `param${i}`;
    if (input.indexed) {
      const t = log.topics[topic++];
      if (t === undefined) throw new Error(`log has ${log.topics.length} topics but event ${event.format('sighash')} needs more`);
      const bytes = hexBytes(t);
      if (bytes.length !== 32) throw new Error(`topic ${t} is not 32 bytes`);
      const value: EthValue = isDynamicType(input) ? { kind: 'fixedBytes', value: bytes } : decodeTopic(input, bytes);
      return { name, value };
    }
    return { name, value: data[dataIndex++]! };
  });
}

const quantity = (hex: string | undefined | null): bigint => (hex ? BigInt(hex) : 0n);

function writeQuantity(heap: AscHeap, hex: string | undefined | null): number {
  return heap.writeSignedLE(quantity(hex));
}

function writeOptionalQuantity(heap: AscHeap, hex: string | undefined | null): number {
  return hex === undefined || hex === null ? 0 : writeQuantity(heap, hex);
}

function writeHex(heap: AscHeap, hex: string): number {
  return heap.writeBytes(hexBytes(hex));
}

function writeOptionalHex(heap: AscHeap, hex: string | undefined | null): number {
  return hex === undefined || hex === null ? 0 : writeHex(heap, hex);
}

const ZERO_HASH = `0x${'00'.repeat(32)}`;

/** A struct of Bytes/BigInt fields, converted from hex once and copied into each trigger's memory. */
type Prepared = (Uint8Array | null)[];

const bytesOf = (hex: string): Uint8Array => hexBytes(hex);
const optionalBytesOf = (hex: string | undefined | null): Uint8Array | null => (hex === undefined || hex === null ? null : hexBytes(hex));
const bigOf = (hex: string | undefined | null): Uint8Array => toSignedLE(quantity(hex));
const optionalBigOf = (hex: string | undefined | null): Uint8Array | null => (hex === undefined || hex === null ? null : bigOf(hex));

function writePrepared(heap: AscHeap, fields: Prepared, type: 'EthereumBlock' | 'EthereumTransaction'): number {
  const ptrs = new Array<number>(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    ptrs[i] = f ? heap.writeBytes(f) : 0;
  }
  return heap.writeStruct(ptrs, type);
}

const preparedBlocks = new WeakMap<RpcBlock, Prepared>();

export function writeBlock(heap: AscHeap, block: RpcBlock, layout: ApiLayout): number {
  let fields = preparedBlocks.get(block);
  if (!fields) {
    fields = [
      bytesOf(block.hash),
      bytesOf(block.parentHash),
      bytesOf(block.sha3Uncles ?? ZERO_HASH),
      bytesOf(block.miner),
      bytesOf(block.stateRoot),
      bytesOf(block.transactionsRoot),
      bytesOf(block.receiptsRoot),
      bigOf(block.number),
      bigOf(block.gasUsed),
      bigOf(block.gasLimit),
      bigOf(block.timestamp),
      bigOf(block.difficulty),
      bigOf(block.totalDifficulty),
      optionalBigOf(block.size),
      optionalBigOf(block.baseFeePerGas),
    ];
    preparedBlocks.set(block, fields);
  }
  return writePrepared(heap, layout.blockHasBaseFee ? fields : fields.slice(0, 14), 'EthereumBlock');
}

type TxWithFees = RpcTransaction & { maxFeePerGas?: string; maxPriorityFeePerGas?: string };

/** graph-node reports the effective gas price: EIP-1559 transactions pay min(maxFee, baseFee + tip). */
function gasPrice(tx: TxWithFees, baseFee: string | undefined): bigint {
  if (tx.maxFeePerGas !== undefined && tx.maxPriorityFeePerGas !== undefined && baseFee !== undefined) {
    const effective = BigInt(baseFee) + BigInt(tx.maxPriorityFeePerGas);
    const max = BigInt(tx.maxFeePerGas);
    return effective < max ? effective : max;
  }
  return quantity(tx.gasPrice);
}

const preparedTxs = new WeakMap<RpcTransaction, Prepared>();

export function writeTransaction(heap: AscHeap, tx: RpcTransaction, block: RpcBlock, layout: ApiLayout): number {
  let fields = preparedTxs.get(tx);
  if (!fields) {
    fields = [
      bytesOf(tx.hash),
      bigOf(tx.transactionIndex),
      bytesOf(tx.from),
      optionalBytesOf(tx.to),
      bigOf(tx.value),
      bigOf(tx.gas),
      toSignedLE(gasPrice(tx as TxWithFees, block.baseFeePerGas)),
      bytesOf(tx.input),
      bigOf(tx.nonce),
    ];
    preparedTxs.set(tx, fields);
  }
  return writePrepared(heap, layout.txHasNonce ? fields : fields.slice(0, 8), 'EthereumTransaction');
}

function writeLog(heap: AscHeap, log: RpcLog): number {
  const topics = heap.writePtrArray(
    log.topics.map((t) => writeHex(heap, t)),
    'ArrayB256',
  );
  const removed = heap.alloc(4, 'WrappedBool');
  heap.setU32(removed, log.removed ? 1 : 0);
  return heap.writeStruct(
    [
      writeHex(heap, log.address),
      topics,
      writeHex(heap, log.data),
      writeOptionalHex(heap, log.blockHash),
      writeOptionalQuantity(heap, log.blockNumber),
      writeOptionalHex(heap, log.transactionHash),
      writeOptionalQuantity(heap, log.transactionIndex),
      writeOptionalQuantity(heap, log.logIndex),
      0, // transactionLogIndex: not provided by nodes (graph-node leaves it null too)
      0, // logType: likewise
      removed,
    ],
    'Log',
  );
}

export function writeReceipt(heap: AscHeap, receipt: RpcReceipt): number {
  const logs = heap.writePtrArray(
    receipt.logs.map((l) => writeLog(heap, l)),
    'ArrayLog',
  );
  return heap.writeStruct(
    [
      writeHex(heap, receipt.transactionHash),
      writeQuantity(heap, receipt.transactionIndex),
      writeOptionalHex(heap, receipt.blockHash),
      writeOptionalQuantity(heap, receipt.blockNumber),
      writeQuantity(heap, receipt.cumulativeGasUsed),
      writeQuantity(heap, receipt.gasUsed),
      writeOptionalHex(heap, receipt.contractAddress),
      logs,
      writeOptionalQuantity(heap, receipt.status),
      writeOptionalHex(heap, receipt.root),
      writeHex(heap, receipt.logsBloom),
    ],
    'TransactionReceipt',
  );
}

export interface EventInput {
  log: RpcLog;
  params: DecodedParam[];
  block: RpcBlock;
  transaction: RpcTransaction;
  receipt: RpcReceipt | null;
}

export function writeEvent(heap: AscHeap, input: EventInput, layout: ApiLayout): number {
  const logIndex = quantity(input.log.logIndex);
  const params = heap.writePtrArray(
    input.params.map((p) => heap.writeStruct([heap.writeString(p.name), writeEthValue(heap, p.value)], 'EventParam')),
    'ArrayEventParam',
  );
  const fields = [
    writeHex(heap, input.log.address),
    heap.writeSignedLE(logIndex),
    // graph-node fills transactionLogIndex with the log index (geth does not provide it)
    heap.writeSignedLE(logIndex),
    0, // logType: null
    writeBlock(heap, input.block, layout),
    writeTransaction(heap, input.transaction, input.block, layout),
    params,
  ];
  if (layout.eventHasReceipt) fields.push(input.receipt ? writeReceipt(heap, input.receipt) : 0);
  return heap.writeStruct(fields, 'EthereumEvent');
}
