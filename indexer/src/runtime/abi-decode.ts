// ABI decoding of event data straight into EthValues. ethers' coder (used for the ABI's types and
// for ethereum.decode/encode) builds Result objects and checksums every address, which made it
// the largest cost of running a handler; this decoder does only what the runtime needs. Its
// output is checked against ethers' in the tests.
import type { ParamType } from 'ethers';
import type { EthValue } from './ethereum-values.ts';

const utf8 = new TextDecoder('utf-8');
const WORD = 32;

function isDynamic(t: ParamType): boolean {
  if (t.baseType === 'string' || t.baseType === 'bytes') return true;
  if (t.isArray()) return t.arrayLength === -1 || isDynamic(t.arrayChildren);
  if (t.isTuple()) return t.components.some(isDynamic);
  return false;
}

/** bytes a static type occupies in the head */
function headSize(t: ParamType): number {
  if (isDynamic(t)) return WORD;
  if (t.isArray()) return t.arrayLength * headSize(t.arrayChildren);
  if (t.isTuple()) return t.components.reduce((n, c) => n + headSize(c), 0);
  return WORD;
}

class Decoder {
  readonly data: Uint8Array;
  constructor(data: Uint8Array) {
    this.data = data;
  }

  private word(pos: number): Uint8Array {
    if (pos < 0 || pos + WORD > this.data.length) throw new Error(`data too short: word at ${pos} of ${this.data.length} bytes`);
    return this.data.subarray(pos, pos + WORD);
  }

  uint(pos: number): bigint {
    const w = this.word(pos);
    return BigInt(`0x${Buffer.from(w.buffer, w.byteOffset, WORD).toString('hex')}`);
  }

  /** an offset or length: must fit the data */
  size(pos: number): number {
    const n = this.uint(pos);
    if (n > BigInt(this.data.length)) throw new Error(`offset or length ${n} at ${pos} exceeds the data (${this.data.length} bytes)`);
    return Number(n);
  }

  static(t: ParamType, pos: number): EthValue {
    if (t.isTuple()) return { kind: 'tuple', value: this.sequence(t.components, pos) };
    if (t.isArray()) return { kind: 'fixedArray', value: this.sequence(new Array(t.arrayLength).fill(t.arrayChildren), pos) };
    const base = t.baseType;
    if (base === 'address') return { kind: 'address', value: this.word(pos).slice(12) };
    if (base === 'bool') return { kind: 'bool', value: this.uint(pos) !== 0n };
    if (base.startsWith('uint')) return { kind: 'uint', value: this.uint(pos) };
    if (base.startsWith('int')) return { kind: 'int', value: BigInt.asIntN(256, this.uint(pos)) };
    const fixed = /^bytes([0-9]+)$/.exec(base);
    if (fixed) return { kind: 'fixedBytes', value: this.word(pos).slice(0, Number(fixed[1])) };
    throw new Error(`unsupported ABI type ${t.type}`);
  }

  /** a dynamic value whose encoding starts at `pos` */
  dynamic(t: ParamType, pos: number): EthValue {
    if (t.baseType === 'string' || t.baseType === 'bytes') {
      const len = this.size(pos);
      if (pos + WORD + len > this.data.length) throw new Error(`${t.baseType} of ${len} bytes at ${pos} exceeds the data`);
      const bytes = this.data.subarray(pos + WORD, pos + WORD + len);
      return t.baseType === 'string' ? { kind: 'string', value: utf8.decode(bytes) } : { kind: 'bytes', value: bytes.slice() };
    }
    if (t.isArray()) {
      if (t.arrayLength === -1) {
        const len = this.size(pos);
        return { kind: 'array', value: this.sequence(new Array(len).fill(t.arrayChildren), pos + WORD) };
      }
      return { kind: 'fixedArray', value: this.sequence(new Array(t.arrayLength).fill(t.arrayChildren), pos) };
    }
    return { kind: 'tuple', value: this.sequence(t.components!, pos) };
  }

  /** values encoded as a tuple starting at `start` (offsets are relative to it) */
  sequence(types: readonly ParamType[], start: number): EthValue[] {
    const out: EthValue[] = [];
    let head = start;
    for (const t of types) {
      if (isDynamic(t)) {
        out.push(this.dynamic(t, start + this.size(head)));
        head += WORD;
      } else {
        out.push(this.static(t, head));
        head += headSize(t);
      }
    }
    return out;
  }
}

/** Decode ABI-encoded `data` holding values of `types` (a log's non-indexed params). */
export function decodeParams(types: readonly ParamType[], data: Uint8Array): EthValue[] {
  return new Decoder(data).sequence(types, 0);
}

/** A 32-byte topic holding an indexed value of a static type. */
export function decodeTopic(t: ParamType, topic: Uint8Array): EthValue {
  return new Decoder(topic).static(t, 0);
}

export function isDynamicType(t: ParamType): boolean {
  return isDynamic(t);
}
