/// <reference path="./wasm.d.ts" />
// Reading and writing AssemblyScript 0.19 objects (graph-ts apiVersion >= 0.0.5) in a module
// instance's linear memory. Every object has a 20-byte header before its pointer; the class id is
// the u32 at ptr-8 and the payload byte size the u32 at ptr-4. Objects are allocated with the
// module's own `__new(size, classId)` (the stub runtime: a bump allocator that never frees), so a
// fresh instance per trigger keeps memory small.
import { boundary } from './counters.ts';
import { signedLEInto, toSignedLE } from './bigint.ts';
import { HostError } from './errors.ts';
import { TypeId, type TypeIdName } from './type-ids.ts';
import type { Value } from '../types.ts';

const utf16 = new TextDecoder('utf-16le', { fatal: true });
/** writeSignedLE's bytes before they are copied in (signedLEInto: at most 8) */
const SCRATCH = new Uint8Array(8);
/** typed arrays use the host's byte order; WASM memory is little-endian */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export interface AscExports {
  memory: WebAssembly.Memory;
  __new: (size: number, classId: number) => number;
  id_of_type: (typeId: number) => number;
  /** the stub runtime's raw `__alloc` */
  allocate?: (size: number) => number;
  _start?: () => void;
}

/** graph-node asks the module for arenas of at least this size and carves objects from them */
const MIN_ARENA = 10_000;

/** Class ids per module: they are fixed at compile time, so one cache serves every instance. */
export class ClassIds {
  /** by type name: one property load per allocation, on an object whose shape never changes */
  private readonly ids: Record<TypeIdName, number> = Object.fromEntries(Object.keys(TypeId).map((k) => [k, -1])) as Record<TypeIdName, number>;
  get(exports: AscExports, name: TypeIdName): number {
    let id = this.ids[name];
    if (id < 0) {
      id = exports.id_of_type(TypeId[name]) >>> 0;
      this.ids[name] = id;
    }
    return id;
  }
}

export class AscHeap {
  private buffer: ArrayBuffer;
  private u8: Uint8Array;
  private u32w: Uint32Array;
  private view: DataView;
  readonly exports: AscExports;
  private readonly classIds: ClassIds;
  /**
   * Memory below this address is what `_start` left, restored before every trigger: strings
   * there (literals, mostly entity and field names) are decoded once.
   */
  stableBelow = 0;
  private readonly stableStrings = new Map<number, string>();
  /** the same strings by text: keys the mapping's literals spell need not be written again */
  private readonly stableByText = new Map<string, number>();
  /** strings written during the current trigger, reused for repeated keys (cleared by `forget`) */
  private interned = new Map<string, number>();
  private arenaPtr = 0;
  private arenaFree = 0;
  /** bumped per arena: a value written within one arena occupies one contiguous range */
  private arenaSerial = 0;
  /**
   * Store values written this trigger, by the address of their root, with a copy of the words
   * they occupy: a value the mapping hands back untouched is known without decoding it.
   */
  private placedRoots: number[] = [];
  private placedValues: Value[] = [];
  private placedRanges: number[] = [];
  private shadow = new Uint32Array(16_384);
  private shadowTop = 0;

  constructor(exports: AscExports, classIds: ClassIds) {
    this.exports = exports;
    this.classIds = classIds;
    this.buffer = exports.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.u32w = new Uint32Array(this.buffer);
    this.view = new DataView(this.buffer);
  }

  // memory.grow detaches the old buffer (its length drops to 0): refresh the views then. Checking
  // the length is much cheaper than the `memory.buffer` getter.
  private sync(): void {
    if (this.buffer.byteLength === 0) {
      this.buffer = this.exports.memory.buffer;
      this.u8 = new Uint8Array(this.buffer);
      this.u32w = new Uint32Array(this.buffer);
      this.view = new DataView(this.buffer);
    }
  }

  private check(ptr: number, size: number): void {
    if (ptr < 0 || ptr + size > this.buffer.byteLength) {
      throw new HostError(`Heap access out of bounds. Offset: ${ptr} Size: ${size}`);
    }
  }

  u32(ptr: number): number {
    this.sync();
    this.check(ptr, 4);
    return this.view.getUint32(ptr, true);
  }

  i32(ptr: number): number {
    this.sync();
    this.check(ptr, 4);
    return this.view.getInt32(ptr, true);
  }

  i64(ptr: number): bigint {
    this.sync();
    this.check(ptr, 8);
    return this.view.getBigInt64(ptr, true);
  }

  u8At(ptr: number): number {
    this.sync();
    this.check(ptr, 1);
    return this.u8[ptr]!;
  }

  /** payload size recorded in the object header */
  sizeOf(ptr: number): number {
    return this.u32(ptr - 4);
  }

  // ---- reading ----

  readString(ptr: number): string {
    if (ptr !== 0 && ptr < this.stableBelow) {
      let cached = this.stableStrings.get(ptr);
      if (cached === undefined) {
        cached = this.decodeString(ptr);
        this.stableStrings.set(ptr, cached);
        if (cached.length * 2 === this.sizeOf(ptr) && !this.stableByText.has(cached)) this.stableByText.set(cached, ptr);
      }
      return cached;
    }
    return this.decodeString(ptr);
  }

  private decodeString(ptr: number): string {
    if (ptr === 0) throw new HostError('unexpected null string');
    const size = this.sizeOf(ptr);
    this.sync();
    this.check(ptr, size);
    let s: string;
    if (size <= 256) {
      // short strings (entity names, ids, field names): a loop beats TextDecoder's call overhead
      const n = size >>> 1;
      const codes = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        const c = this.view.getUint16(ptr + i * 2, true);
        if (c >= 0xd800 && c <= 0xdfff) {
          const next = i + 1 < n ? this.view.getUint16(ptr + (i + 1) * 2, true) : 0;
          if (c > 0xdbff || next < 0xdc00 || next > 0xdfff) throw new HostError('string is not valid UTF-16');
          codes[i] = c;
          codes[++i] = next;
          continue;
        }
        codes[i] = c;
      }
      s = String.fromCharCode(...codes);
    } else {
      try {
        s = utf16.decode(this.u8.subarray(ptr, ptr + size));
      } catch {
        throw new HostError('string is not valid UTF-16');
      }
    }
    // graph-node strips NUL characters (Postgres rejects them)
    return s.includes('\u0000') ? s.replaceAll('\u0000', '') : s;
  }

  /** Uint8Array / Bytes / Address / BigInt payload: {buffer, dataStart, byteLength} */
  readBytes(ptr: number): Uint8Array {
    if (ptr === 0) throw new HostError('unexpected null bytes');
    const dataStart = this.u32(ptr + 4);
    const length = this.u32(ptr + 8);
    this.check(dataStart, length);
    return this.u8.slice(dataStart, dataStart + length);
  }

  /** Array<T> header: where its elements start and how many there are (the elements are u32s). */
  arrayBounds(ptr: number): { start: number; length: number } {
    if (ptr === 0) throw new HostError('unexpected null array');
    const start = this.u32(ptr + 4);
    const length = this.i32(ptr + 12);
    this.check(start, length * 4);
    return { start, length };
  }

  /** Array<T> of pointers or 32-bit values: {buffer, dataStart, byteLength, length} */
  readPtrArray(ptr: number): number[] {
    const { start, length } = this.arrayBounds(ptr);
    const out = new Array<number>(length);
    for (let i = 0; i < length; i++) out[i] = this.view.getUint32(start + i * 4, true);
    return out;
  }

  // ---- writing ----

  /**
   * A new object of `size` payload bytes. Like graph-node (runtime/wasm/src/module/mod.rs
   * `raw_new`, graph/src/runtime/asc_ptr.rs `alloc_obj`), objects are carved out of arenas the
   * module's allocator hands out, each with the 20-byte AssemblyScript header and padding to a
   * multiple of 16 bytes: one call into WASM per arena instead of one per object.
   */
  alloc(size: number, type: TypeIdName): number {
    const classId = this.classIds.get(this.exports, type);
    const allocate = this.exports.allocate;
    boundary.heapObjects++;
    boundary.heapBytes += size;
    if (!allocate) {
      const ptr = this.exports.__new(size, classId) >>> 0;
      this.sync();
      return ptr;
    }
    // header + payload + padding is a multiple of 16, so every payload stays 16-byte aligned
    // (the allocator's realloc asserts it)
    const padded = size + ((16 - ((20 + size) % 16)) % 16);
    const total = 20 + padded;
    if (total > this.arenaFree) {
      const arenaSize = Math.max(total + 12, MIN_ARENA);
      // __alloc returns a 16-byte aligned block; graph-node skips 12 bytes so payloads align
      this.arenaPtr = (allocate(arenaSize) >>> 0) + 12;
      this.arenaSerial++;
      this.arenaFree = arenaSize - 12;
      this.sync();
    }
    const start = this.arenaPtr;
    this.arenaPtr += total;
    this.arenaFree -= total;
    if (LITTLE_ENDIAN) {
      // arena objects start 4-byte aligned (a 16-aligned block + 12, sizes multiples of 16): the
      // header is five aligned words, cheaper through the word view than five DataView calls
      const w = this.u32w;
      const at = start >>> 2;
      w[at] = 16 + padded; // mmInfo
      w[at + 1] = 0; // gcInfo
      w[at + 2] = 0; // gcInfo2
      w[at + 3] = classId; // rtId
      w[at + 4] = size; // rtSize
    } else {
      const view = this.view;
      view.setUint32(start, 16 + padded, true);
      view.setUint32(start + 4, 0, true);
      view.setUint32(start + 8, 0, true);
      view.setUint32(start + 12, classId, true);
      view.setUint32(start + 16, size, true);
    }
    return start + 20;
  }

  setU32(ptr: number, value: number): void {
    this.view.setUint32(ptr, value >>> 0, true);
  }

  setI32(ptr: number, value: number): void {
    this.view.setInt32(ptr, value, true);
  }

  setI64(ptr: number, value: bigint): void {
    this.view.setBigInt64(ptr, value, true);
  }

  /**
   * A string for the mapping to read but not keep (entity keys): written once per trigger. AS
   * strings are immutable and compared by content, so sharing one object is invisible.
   */
  writeKey(s: string): number {
    const literal = this.stableByText.get(s);
    if (literal !== undefined) return literal;
    let ptr = this.interned.get(s);
    if (ptr === undefined) {
      ptr = this.writeString(s);
      this.interned.set(s, ptr);
    }
    return ptr;
  }

  /** The instance was reset: objects written before are gone. */
  forget(): void {
    if (this.interned.size > 0) this.interned = new Map();
    if (this.placedRoots.length > 0) {
      this.placedRoots.length = 0;
      this.placedValues.length = 0;
      this.placedRanges.length = 0;
      this.shadowTop = 0;
    }
    this.arenaPtr = 0;
    this.arenaFree = 0;
  }

  writeString(s: string): number {
    const ptr = this.alloc(s.length * 2, 'String');
    for (let i = 0; i < s.length; i++) this.view.setUint16(ptr + i * 2, s.charCodeAt(i), true);
    return ptr;
  }

  writeArrayBuffer(bytes: Uint8Array): number {
    const ptr = this.alloc(bytes.length, 'ArrayBuffer');
    this.u8.set(bytes, ptr);
    return ptr;
  }

  /** A Uint8Array (graph-ts Bytes, Address, BigInt all share its layout and class id). */
  writeBytes(bytes: Uint8Array): number {
    return this.#uint8Array(this.writeArrayBuffer(bytes), bytes.length);
  }

  /** the Uint8Array object over a whole ArrayBuffer of `length` bytes */
  #uint8Array(buffer: number, length: number): number {
    const ptr = this.alloc(12, 'Uint8Array');
    this.setU32(ptr, buffer);
    this.setU32(ptr + 4, buffer);
    this.setU32(ptr + 8, length);
    return ptr;
  }

  /**
   * A graph-ts BigInt (a Uint8Array of num-bigint's minimal two's complement little-endian bytes,
   * as `toSignedLE`) straight from the number: no byte array on the JS side below 2^63.
   */
  writeSignedLE(n: bigint): number {
    const len = signedLEInto(n, SCRATCH);
    if (len < 0) return this.writeBytes(toSignedLE(n));
    const buffer = this.alloc(len, 'ArrayBuffer');
    const u8 = this.u8;
    for (let i = 0; i < len; i++) u8[buffer + i] = SCRATCH[i]!;
    return this.#uint8Array(buffer, len);
  }

  writePtrArray(items: readonly number[], type: TypeIdName): number {
    const buffer = this.alloc(items.length * 4, 'ArrayBuffer');
    for (let i = 0; i < items.length; i++) this.setU32(buffer + i * 4, items[i]!);
    const ptr = this.alloc(16, type);
    this.setU32(ptr, buffer);
    this.setU32(ptr + 4, buffer);
    this.setU32(ptr + 8, items.length * 4);
    this.setI32(ptr + 12, items.length);
    return ptr;
  }

  /** A class of two pointer fields (a map entry): no array on the way, it is written per field. */
  writePair(first: number, second: number, type: TypeIdName): number {
    const ptr = this.alloc(8, type);
    this.setU32(ptr, first);
    this.setU32(ptr + 4, second);
    return ptr;
  }

  /** A class whose fields are all pointers, in declaration order. */
  writeStruct(fields: readonly number[], type: TypeIdName): number {
    const ptr = this.alloc(fields.length * 4, type);
    for (let i = 0; i < fields.length; i++) this.setU32(ptr + i * 4, fields[i]!);
    return ptr;
  }

  /** graph-ts Value/ethereum.Value/JSONValue: {kind: i32, pad: u32, data: u64} */
  writeEnum(kind: number, payload: bigint, type: TypeIdName): number {
    const ptr = this.alloc(16, type);
    this.setI32(ptr, kind);
    this.setU32(ptr + 4, 0);
    this.setI64(ptr + 8, payload);
    return ptr;
  }

  /** a StoreValue whose payload is a pointer (no bigint on the way) */
  writeEnumPtr(kind: number, target: number): number {
    return this.writeEnumI32(kind, target);
  }

  /** a StoreValue whose payload is an i32 or a bool: the upper half stays zero */
  writeEnumI32(kind: number, payload: number): number {
    const ptr = this.alloc(16, 'StoreValue');
    const view = this.view;
    view.setInt32(ptr, kind, true);
    view.setUint32(ptr + 4, 0, true);
    view.setInt32(ptr + 8, payload, true);
    view.setInt32(ptr + 12, payload < 0 ? -1 : 0, true);
    return ptr;
  }

  // ---- store values handed out and back ----

  /** Where the next object goes, to pass to `notePlaced` after writing a value. */
  mark(): number {
    return this.exports.allocate ? this.arenaPtr + this.arenaSerial * 2 ** 32 : -1;
  }

  /** Remember `value`, just written at `root` since `mark`, with a copy of its words. */
  notePlaced(value: Value, root: number, mark: number): void {
    const serial = Math.floor(mark / 2 ** 32);
    const from = mark - serial * 2 ** 32;
    // written across two arenas (or without them): not one range, not remembered
    if (mark < 0 || serial !== this.arenaSerial) return;
    // the allocator only bumps, so roots arrive in address order and a lookup can bisect
    const roots = this.placedRoots;
    if (roots.length > 0 && roots[roots.length - 1]! >= root) return;
    const words = (this.arenaPtr - from) >>> 2;
    if (this.shadowTop + words > this.shadow.length) {
      const next = new Uint32Array(Math.max(this.shadow.length * 2, this.shadowTop + words));
      next.set(this.shadow.subarray(0, this.shadowTop));
      this.shadow = next;
    }
    this.sync();
    const mem = this.u32w;
    const shadow = this.shadow;
    const base = from >>> 2;
    const top = this.shadowTop;
    for (let k = 0; k < words; k++) shadow[top + k] = mem[base + k]!;
    roots.push(root);
    this.placedValues.push(value);
    this.placedRanges.push(from, words, this.shadowTop);
    this.shadowTop += words;
  }

  /**
   * The value at `ptr` if this trigger wrote it there and the mapping left every word of it as
   * written (AssemblyScript objects are mutable, so that is checked, not assumed).
   */
  placedValue(ptr: number): Value | undefined {
    const roots = this.placedRoots;
    let lo = 0;
    let hi = roots.length - 1;
    if (hi < 0 || ptr < roots[0]! || ptr > roots[hi]!) return undefined;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (roots[mid]! < ptr) lo = mid + 1;
      else hi = mid;
    }
    if (roots[lo] !== ptr) return undefined;
    const i = lo;
    this.sync();
    const ranges = this.placedRanges;
    const from = ranges[i * 3]! >>> 2;
    const words = ranges[i * 3 + 1]!;
    const at = ranges[i * 3 + 2]!;
    const mem = this.u32w;
    const shadow = this.shadow;
    for (let k = 0; k < words; k++) if (mem[from + k] !== shadow[at + k]) return undefined;
    return this.placedValues[i];
  }

  readEnum(ptr: number): { kind: number; payload: bigint } {
    if (ptr === 0) throw new HostError('unexpected null value');
    return { kind: this.i32(ptr), payload: this.i64(ptr + 8) };
  }
}
