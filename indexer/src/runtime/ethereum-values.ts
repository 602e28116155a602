// ABI values (decoded with ethers' coder) <-> graph-ts `ethereum.Value` in WASM memory, with
// graph-node's conventions: ints and uints become BigInts, addresses and fixed bytes become
// Bytes of their own width, arrays and tuples become Array<ethereum.Value>.
import { AbiCoder, ParamType, getBytes, hexlify, type Result } from 'ethers';
import { HostError } from './errors.ts';
import type { AscHeap } from './heap.ts';
import { readBigInt, writeBigInt } from './store-values.ts';
import { EthKind } from './type-ids.ts';

export type EthValue =
  | { kind: 'address'; value: Uint8Array }
  | { kind: 'fixedBytes'; value: Uint8Array }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'int'; value: bigint }
  | { kind: 'uint'; value: bigint }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'fixedArray'; value: EthValue[] }
  | { kind: 'array'; value: EthValue[] }
  | { kind: 'tuple'; value: EthValue[] };

export const coder = AbiCoder.defaultAbiCoder();

/** Convert what ethers decoded for `type` into an EthValue. */
export function fromEthers(type: ParamType, value: unknown): EthValue {
  if (type.isTuple()) {
    const items = value as Result;
    return { kind: 'tuple', value: type.components.map((c, i) => fromEthers(c, items[i])) };
  }
  if (type.isArray()) {
    const items = value as Result;
    const values = Array.from(items, (item) => fromEthers(type.arrayChildren, item));
    return type.arrayLength === -1 ? { kind: 'array', value: values } : { kind: 'fixedArray', value: values };
  }
  const base = type.baseType;
  if (base === 'address') return { kind: 'address', value: getBytes(value as string) };
  if (base === 'bool') return { kind: 'bool', value: value as boolean };
  if (base === 'string') return { kind: 'string', value: value as string };
  if (base === 'bytes') return { kind: 'bytes', value: getBytes(value as string) };
  if (/^bytes[0-9]+$/.test(base)) return { kind: 'fixedBytes', value: getBytes(value as string) };
  if (base.startsWith('uint')) return { kind: 'uint', value: value as bigint };
  if (base.startsWith('int')) return { kind: 'int', value: value as bigint };
  throw new HostError(`unsupported ABI type ${type.format()}`);
}

/** The ABI type and ethers value that encode an EthValue (for `ethereum.encode`). */
export function toEthers(v: EthValue): { type: string; value: unknown } {
  switch (v.kind) {
    case 'address':
      if (v.value.length !== 20) throw new HostError('address must contain exactly 20 bytes');
      return { type: 'address', value: hexlify(v.value) };
    case 'fixedBytes':
      if (v.value.length < 1 || v.value.length > 32) throw new HostError(`fixed bytes of length ${v.value.length}`);
      return { type: `bytes${v.value.length}`, value: hexlify(v.value) };
    case 'bytes':
      return { type: 'bytes', value: hexlify(v.value) };
    case 'int':
      return { type: 'int256', value: v.value };
    case 'uint':
      return { type: 'uint256', value: v.value };
    case 'bool':
      return { type: 'bool', value: v.value };
    case 'string':
      return { type: 'string', value: v.value };
    case 'tuple': {
      const items = v.value.map(toEthers);
      return { type: `(${items.map((i) => i.type).join(',')})`, value: items.map((i) => i.value) };
    }
    case 'array':
    case 'fixedArray': {
      const items = v.value.map(toEthers);
      // an empty dynamic array carries no element type; any static type encodes the same
      const child = items[0]?.type ?? 'uint256';
      if (items.some((i) => i.type !== child)) throw new HostError('array elements have different types');
      const suffix = v.kind === 'array' ? '[]' : `[${items.length}]`;
      return { type: `${child}${suffix}`, value: items.map((i) => i.value) };
    }
  }
}

export function writeEthValue(heap: AscHeap, v: EthValue): number {
  let kind: number;
  let payload: bigint;
  switch (v.kind) {
    case 'address':
      kind = EthKind.Address;
      payload = BigInt(heap.writeBytes(v.value));
      break;
    case 'fixedBytes':
      kind = EthKind.FixedBytes;
      payload = BigInt(heap.writeBytes(v.value));
      break;
    case 'bytes':
      kind = EthKind.Bytes;
      payload = BigInt(heap.writeBytes(v.value));
      break;
    case 'int':
      kind = EthKind.Int;
      payload = BigInt(writeBigInt(heap, v.value));
      break;
    case 'uint':
      kind = EthKind.Uint;
      payload = BigInt(writeBigInt(heap, v.value));
      break;
    case 'bool':
      kind = EthKind.Bool;
      payload = v.value ? 1n : 0n;
      break;
    case 'string':
      kind = EthKind.String;
      payload = BigInt(heap.writeString(v.value));
      break;
    case 'fixedArray':
    case 'array':
    case 'tuple': {
      kind = v.kind === 'tuple' ? EthKind.Tuple : v.kind === 'array' ? EthKind.Array : EthKind.FixedArray;
      const items = v.value.map((item) => writeEthValue(heap, item));
      payload = BigInt(heap.writePtrArray(items, 'ArrayEthereumValue'));
      break;
    }
  }
  return heap.writeEnum(kind, payload, 'EthereumValue');
}

export function readEthValue(heap: AscHeap, ptr: number, depth = 0): EthValue {
  if (depth > 100) throw new HostError('recursion limit reached');
  const { kind, payload } = heap.readEnum(ptr);
  const p = Number(payload & 0xffffffffn);
  switch (kind) {
    case EthKind.Address: {
      const value = heap.readBytes(p);
      if (value.length !== 20) throw new HostError(`address must contain exactly 20 bytes, got ${value.length}`);
      return { kind: 'address', value };
    }
    case EthKind.FixedBytes:
      return { kind: 'fixedBytes', value: heap.readBytes(p) };
    case EthKind.Bytes:
      return { kind: 'bytes', value: heap.readBytes(p) };
    case EthKind.Int: {
      const value = readBigInt(heap, p);
      if (value < -(2n ** 255n) || value >= 2n ** 255n) throw new HostError(`BigInt value \`${value}\` does not fit into int256`);
      return { kind: 'int', value };
    }
    case EthKind.Uint: {
      const value = readBigInt(heap, p);
      if (value < 0n) throw new HostError(`BigInt value is negative, cannot convert to unsigned U256: ${value}`);
      if (value >= 2n ** 256n) throw new HostError(`BigInt value \`${value}\` does not fit into uint256`);
      return { kind: 'uint', value };
    }
    case EthKind.Bool:
      return { kind: 'bool', value: payload !== 0n };
    case EthKind.String:
      return { kind: 'string', value: heap.readString(p) };
    case EthKind.FixedArray:
    case EthKind.Array:
    case EthKind.Tuple: {
      const value = heap.readPtrArray(p).map((item) => readEthValue(heap, item, depth + 1));
      return { kind: kind === EthKind.Tuple ? 'tuple' : kind === EthKind.Array ? 'array' : 'fixedArray', value };
    }
    default:
      throw new HostError(`unknown ethereum value kind ${kind}`);
  }
}

/** `ethereum.decode(types, data)`: null when the data does not decode, as in graph-node. */
export function decodeValue(types: string, data: Uint8Array): EthValue | null {
  let type: ParamType;
  try {
    type = ParamType.from(types);
  } catch {
    return null;
  }
  try {
    return fromEthers(type, coder.decode([type], data)[0]);
  } catch {
    return null;
  }
}

/** `ethereum.encode(value)`: the value encoded as a one-element sequence; null on failure. */
export function encodeValue(v: EthValue): Uint8Array | null {
  try {
    const { type, value } = toEthers(v);
    return getBytes(coder.encode([type], [value]));
  } catch {
    return null;
  }
}
