// graph-ts store `Value`s and `Entity` maps <-> the indexer's `Value`/`EntityData`
// (graph-node runtime/wasm/src/to_from/external.rs).
import type { EntityData, Value } from '../types.ts';
import * as bd from './big-decimal.ts';
import { checkBigIntSize, fromSignedLE, MAX_BIGINT_BITS } from './bigint.ts';
import { HostError } from './errors.ts';
import type { AscHeap } from './heap.ts';
import { emptySlots, type Incoming, type Shape, type Slots } from './entity-cache.ts';
import { StoreKind } from './type-ids.ts';
import { boundary } from './counters.ts';

export function readBigInt(heap: AscHeap, ptr: number): bigint {
  const bytes = heap.readBytes(ptr);
  const n = fromSignedLE(bytes);
  // n bytes hold at most 8n magnitude bits: only long ones need measuring
  return bytes.length * 8 + 1 <= MAX_BIGINT_BITS ? n : checkBigIntSize(n);
}

// like graph-node, results are size-checked when a host function reads them back, not here
export function writeBigInt(heap: AscHeap, n: bigint): number {
  return heap.writeSignedLE(n);
}

/** graph-ts BigDecimal object: {digits: BigInt, exp: BigInt} */
export function readBigDecimal(heap: AscHeap, ptr: number): bd.BigDecimal {
  if (ptr === 0) throw new HostError('unexpected null BigDecimal');
  const digits = readBigInt(heap, heap.u32(ptr));
  const exp = readBigInt(heap, heap.u32(ptr + 4));
  if (exp < -(2n ** 63n) || exp >= 2n ** 63n) throw new HostError(`big decimal exponent \`${exp}\` does not fit in 64 bits`);
  return bd.checkExponent(bd.fromDigitsExp(digits, Number(exp)));
}

export function writeBigDecimal(heap: AscHeap, x: bd.BigDecimal): number {
  const digits = writeBigInt(heap, checkBigIntSize(x.digits));
  const exp = writeBigInt(heap, BigInt(bd.exponent(x)));
  return heap.writeStruct([digits, exp], 'BigDecimal');
}

export function readStoreValue(heap: AscHeap, ptr: number, depth = 0): Value {
  if (depth > 100) throw new HostError('recursion limit reached');
  if (ptr === 0) throw new HostError('unexpected null value');
  // a value this trigger's store.get wrote and the mapping passed back unchanged
  const known = heap.placedValue(ptr);
  if (known !== undefined) return known;
  const kind = heap.i32(ptr);
  // the u64 payload is a pointer, an i32 or a bool for every kind but Int8 and Timestamp
  const p = heap.u32(ptr + 8);
  switch (kind) {
    case StoreKind.String:
      return { kind: 'String', value: heap.readString(p) };
    case StoreKind.Int:
      return { kind: 'Int', value: p | 0 };
    case StoreKind.Int8:
      return { kind: 'Int8', value: heap.i64(ptr + 8) };
    case StoreKind.Timestamp:
      return { kind: 'Timestamp', value: heap.i64(ptr + 8) };
    case StoreKind.BigDecimal:
      return { kind: 'BigDecimal', value: bd.toString(readBigDecimal(heap, p)) };
    case StoreKind.Bool:
      return { kind: 'Bool', value: p !== 0 || heap.u32(ptr + 12) !== 0 };
    case StoreKind.Array:
      return { kind: 'List', value: heap.readPtrArray(p).map((item) => readStoreValue(heap, item, depth + 1)) };
    case StoreKind.Null:
      return { kind: 'Null' };
    case StoreKind.Bytes:
      return { kind: 'Bytes', value: heap.readBytes(p) };
    case StoreKind.BigInt:
      return { kind: 'BigInt', value: readBigInt(heap, p) };
    default:
      throw new HostError(`unknown store value kind ${kind}`);
  }
}

export function writeStoreValue(heap: AscHeap, v: Value): number {
  switch (v.kind) {
    case 'String':
      return heap.writeEnumPtr(StoreKind.String, heap.writeString(v.value));
    case 'Int':
      return heap.writeEnumI32(StoreKind.Int, v.value);
    case 'Int8':
      return heap.writeEnum(StoreKind.Int8, v.value, 'StoreValue');
    case 'Timestamp':
      return heap.writeEnum(StoreKind.Timestamp, v.value, 'StoreValue');
    case 'BigDecimal': {
      const parsed = bd.parseBigDecimal(v.value);
      if (!parsed) throw new HostError(`stored BigDecimal is not a decimal: ${v.value}`);
      return heap.writeEnumPtr(StoreKind.BigDecimal, writeBigDecimal(heap, parsed));
    }
    case 'Bool':
      return heap.writeEnumI32(StoreKind.Bool, v.value ? 1 : 0);
    case 'List': {
      const items = v.value.map((item) => writeStoreValue(heap, item));
      return heap.writeEnumPtr(StoreKind.Array, heap.writePtrArray(items, 'ArrayStoreValue'));
    }
    case 'Null':
      return heap.writeEnumI32(StoreKind.Null, 0);
    case 'Bytes':
      return heap.writeEnumPtr(StoreKind.Bytes, heap.writeBytes(v.value));
    case 'BigInt':
      return heap.writeEnumPtr(StoreKind.BigInt, writeBigInt(heap, v.value));
  }
}

/** graph-ts `Entity` (TypedMap<string, Value>): later entries for a key win, as in graph-node. */
export function readEntity(heap: AscHeap, ptr: number): Map<string, Value> {
  if (ptr === 0) throw new HostError('unexpected null entity');
  const out = new Map<string, Value>();
  for (const entry of heap.readPtrArray(heap.u32(ptr))) {
    out.set(heap.readString(heap.u32(entry)), readStoreValue(heap, heap.u32(entry + 4)));
  }
  return out;
}

/** Written with keys sorted, as graph-node hands entities to mappings (data source contexts). */
export function writeEntity(heap: AscHeap, data: EntityData): number {
  const keys = Object.keys(data).sort();
  const entries = keys.map((key) => {
    const value = data[key]!;
    const mark = heap.mark();
    const valuePtr = writeStoreValue(heap, value);
    heap.notePlaced(value, valuePtr, mark);
    return heap.writePair(heap.writeKey(key), valuePtr, 'TypedMapEntryStringStoreValue');
  });
  return heap.writeStruct([heap.writePtrArray(entries, 'ArrayTypedMapEntryStringStoreValue')], 'TypedMapStringStoreValue');
}

/**
 * A graph-ts `Entity` passed to `store.set`, by `shape`'s positions: the fields the schema
 * defines, and the names of any it does not. Later entries for a key win, as in graph-node.
 */
export function readFields(heap: AscHeap, ptr: number, shape: Shape): Incoming {
  if (ptr === 0) throw new HostError('unexpected null entity');
  const slots = emptySlots(shape);
  let unknown: string[] | null = null;
  const index = shape.index;
  const { start, length } = heap.arrayBounds(heap.u32(ptr));
  boundary.fieldsIn += length;
  for (let k = 0; k < length; k++) {
    const entry = heap.u32(start + k * 4);
    const name = heap.readString(heap.u32(entry));
    const value = readStoreValue(heap, heap.u32(entry + 4));
    const i = index.get(name);
    if (i === undefined) (unknown ??= []).push(name);
    else slots[i] = value;
  }
  return { slots, unknown };
}

/** An entity from the cache for `store.get`: positions are in key order, as graph-node sorts them. */
export function writeFields(heap: AscHeap, shape: Shape, slots: Slots): number {
  let n = 0;
  for (let i = 0; i < slots.length; i++) if (slots[i] !== undefined) n++;
  boundary.fieldsOut += n;
  const entries = new Array<number>(n);
  const names = shape.names;
  let e = 0;
  for (let i = 0; i < slots.length; i++) {
    const value = slots[i];
    if (value === undefined) continue;
    const mark = heap.mark();
    const valuePtr = writeStoreValue(heap, value);
    heap.notePlaced(value, valuePtr, mark);
    entries[e++] = heap.writePair(heap.writeKey(names[i]!), valuePtr, 'TypedMapEntryStringStoreValue');
  }
  return heap.writeStruct([heap.writePtrArray(entries, 'ArrayTypedMapEntryStringStoreValue')], 'TypedMapStringStoreValue');
}
