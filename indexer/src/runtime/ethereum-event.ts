// Builds graph-ts `ethereum.Event` (with its Block, Transaction, params and optional receipt) in
// WASM memory from JSON-RPC data, with graph-node's layouts per apiVersion
// (chain/ethereum/src/runtime/abi.rs): Event has a `receipt` field from 0.0.7, Block a
// `baseFeePerGas` and Transaction a `nonce` from 0.0.6.
import { getBytes, type EventFragment } from 'ethers';
import type { RpcBlock, RpcLog, RpcReceipt, RpcTransaction } from '../types.ts';
import { toSignedLE } from './bigint.ts';
import type { AscHeap } from './heap.ts';
import { coder, fromEthers, writeEthValue, type EthValue } from './ethereum-values.ts';

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

/**
 * Decode a log's parameters for an ABI event: indexed static values from their topics, indexed
 * dynamic values (strings, bytes, arrays, tuples) as the 32-byte topic hash, as graph-node does.
 */
export function decodeLogParams(event: EventFragment, log: RpcLog): DecodedParam[] {
  const dataTypes = event.inputs.filter((p) => !p.indexed);
  const data = coder.decode(dataTypes, log.data);
  let topic = 1;
  let dataIndex = 0;
  return event.inputs.map((input, i) => {
    const name = input.name || `param${i}`;
    if (input.indexed) {
      const t = log.topics[topic++];
      if (t === undefined) throw new Error(`log has ${log.topics.length} topics but event ${event.format('sighash')} needs more`);
      const dynamic = input.isTuple() || input.isArray() || input.baseType === 'string' || input.baseType === 'bytes';
      const value: EthValue = dynamic
        ? { kind: 'fixedBytes', value: getBytes(t) }
        : fromEthers(input, coder.decode([input], t)[0]);
      return { name, value };
    }
    return { name, value: fromEthers(input, data[dataIndex++]) };
  });
}

const quantity = (hex: string | undefined | null): bigint => (hex ? BigInt(hex) : 0n);

function writeQuantity(heap: AscHeap, hex: string | undefined | null): number {
  return heap.writeBytes(toSignedLE(quantity(hex)));
}

function writeOptionalQuantity(heap: AscHeap, hex: string | undefined | null): number {
  return hex === undefined || hex === null ? 0 : writeQuantity(heap, hex);
}

function writeHex(heap: AscHeap, hex: string): number {
  return heap.writeBytes(getBytes(hex));
}

function writeOptionalHex(heap: AscHeap, hex: string | undefined | null): number {
  return hex === undefined || hex === null ? 0 : writeHex(heap, hex);
}

// what ethers/nodes call these fields differs from graph-ts's names
const ZERO_HASH = `0x${'00'.repeat(32)}`;

export function writeBlock(heap: AscHeap, block: RpcBlock, layout: ApiLayout): number {
  const fields = [
    writeHex(heap, block.hash),
    writeHex(heap, block.parentHash),
    writeHex(heap, block.sha3Uncles ?? ZERO_HASH),
    writeHex(heap, block.miner),
    writeHex(heap, block.stateRoot),
    writeHex(heap, block.transactionsRoot),
    writeHex(heap, block.receiptsRoot),
    writeQuantity(heap, block.number),
    writeQuantity(heap, block.gasUsed),
    writeQuantity(heap, block.gasLimit),
    writeQuantity(heap, block.timestamp),
    writeQuantity(heap, block.difficulty),
    writeQuantity(heap, block.totalDifficulty),
    writeOptionalQuantity(heap, block.size),
  ];
  if (layout.blockHasBaseFee) fields.push(writeOptionalQuantity(heap, block.baseFeePerGas));
  return heap.writeStruct(fields, 'EthereumBlock');
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

export function writeTransaction(heap: AscHeap, tx: RpcTransaction, block: RpcBlock, layout: ApiLayout): number {
  const fields = [
    writeHex(heap, tx.hash),
    writeQuantity(heap, tx.transactionIndex),
    writeHex(heap, tx.from),
    writeOptionalHex(heap, tx.to),
    writeQuantity(heap, tx.value),
    writeQuantity(heap, tx.gas),
    heap.writeBytes(toSignedLE(gasPrice(tx as TxWithFees, block.baseFeePerGas))),
    writeHex(heap, tx.input),
  ];
  if (layout.txHasNonce) fields.push(writeQuantity(heap, tx.nonce));
  return heap.writeStruct(fields, 'EthereumTransaction');
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
    heap.writeBytes(toSignedLE(logIndex)),
    // graph-node fills transactionLogIndex with the log index (geth does not provide it)
    heap.writeBytes(toSignedLE(logIndex)),
    0, // logType: null
    writeBlock(heap, input.block, layout),
    writeTransaction(heap, input.transaction, input.block, layout),
    params,
  ];
  if (layout.eventHasReceipt) fields.push(input.receipt ? writeReceipt(heap, input.receipt) : 0);
  return heap.writeStruct(fields, 'EthereumEvent');
}
