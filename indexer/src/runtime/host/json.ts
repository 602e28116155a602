// json.*: numbers keep their literal text (graph-node parses with serde_json's
// arbitrary_precision), so `toBigInt`/`toI64` see every digit.
import { parseBigInt } from '../bigint.ts';
import { HostError } from '../errors.ts';
import type { AscHeap } from '../heap.ts';
import { writeBigInt } from '../store-values.ts';
import { JsonKind } from '../type-ids.ts';
import type { HostContext, HostFns } from './context.ts';

const MAX_JSON_SIZE = 10_000_000;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** a parsed number keeps its source text */
class JsonNumber {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

type Json = null | boolean | string | JsonNumber | Json[] | { [key: string]: Json };

function parse(bytes: Uint8Array): Json {
  if (bytes.length > MAX_JSON_SIZE) throw new HostError(`JSON size exceeds max size of ${MAX_JSON_SIZE}`);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HostError('Failed to parse JSON from byte array: invalid UTF-8');
  }
  try {
    // Node >= 21 hands revivers the source text of primitives
    return JSON.parse(text, function (this: unknown, _key: string, value: unknown, context?: { source?: string }) {
      if (typeof value === 'number') return new JsonNumber(context?.source ?? String(value));
      return value;
    }) as Json;
  } catch (err) {
    throw new HostError(`Failed to parse JSON from byte array: ${(err as Error).message}`);
  }
}

function writeJson(heap: AscHeap, v: Json): number {
  let kind: number;
  let payload = 0n;
  if (v === null) kind = JsonKind.Null;
  else if (typeof v === 'boolean') {
    kind = JsonKind.Bool;
    payload = v ? 1n : 0n;
  } else if (typeof v === 'string') {
    kind = JsonKind.String;
    payload = BigInt(heap.writeString(v));
  } else if (v instanceof JsonNumber) {
    kind = JsonKind.Number;
    payload = BigInt(heap.writeString(v.text));
  } else if (Array.isArray(v)) {
    kind = JsonKind.Array;
    payload = BigInt(heap.writePtrArray(v.map((item) => writeJson(heap, item)), 'ArrayJsonValue'));
  } else {
    kind = JsonKind.Object;
    // serde_json's default Map is a BTreeMap: objects come out sorted by key
    const sorted = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const entries = sorted.map(([key, value]) =>
      heap.writeStruct([heap.writeString(key), writeJson(heap, value)], 'TypedMapEntryStringJsonValue'),
    );
    payload = BigInt(heap.writeStruct([heap.writePtrArray(entries, 'ArrayTypedMapEntryStringJsonValue')], 'TypedMapStringJsonValue'));
  }
  return heap.writeEnum(kind, payload, 'JsonValue');
}

export function jsonHost(ctx: HostContext): HostFns {
  const text = (p: number) => ctx.heap.readString(p);
  return {
    'json.fromBytes': (p: number) => writeJson(ctx.heap, parse(ctx.heap.readBytes(p))),
    'json.try_fromBytes': (p: number) => {
      const heap = ctx.heap;
      let value: Json;
      try {
        value = parse(heap.readBytes(p));
      } catch (err) {
        if (!(err instanceof HostError)) throw err;
        ctx.log('warning', `Failed to parse JSON from byte array: ${err.message}`);
        const error = heap.alloc(4, 'WrappedBool');
        heap.setU32(error, 1);
        return heap.writeStruct([0, error], 'ResultJsonValueBool');
      }
      const wrapped = heap.writeStruct([writeJson(heap, value)], 'WrappedJsonValue');
      return heap.writeStruct([wrapped, 0], 'ResultJsonValueBool');
    },
    'json.toI64': (p: number) => {
      const s = text(p);
      if (!/^[+-]?[0-9]+$/.test(s)) throw new HostError(`JSON \`${s}\` cannot be parsed as i64`);
      const n = BigInt(s);
      if (n < -(2n ** 63n) || n >= 2n ** 63n) throw new HostError(`JSON \`${s}\` cannot be parsed as i64`);
      return n;
    },
    'json.toU64': (p: number) => {
      const s = text(p);
      if (!/^\+?[0-9]+$/.test(s)) throw new HostError(`JSON \`${s}\` cannot be parsed as u64`);
      const n = BigInt(s);
      if (n >= 2n ** 64n) throw new HostError(`JSON \`${s}\` cannot be parsed as u64`);
      return BigInt.asIntN(64, n);
    },
    'json.toF64': (p: number) => {
      const s = text(p);
      if (!/^[+-]?(inf|infinity|nan|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)$/i.test(s)) {
        throw new HostError(`JSON \`${s}\` cannot be parsed as f64`);
      }
      const body = s.replace(/^[+-]/, '').toLowerCase();
      const sign = s.startsWith('-') ? -1 : 1;
      if (body === 'nan') return NaN;
      if (body === 'inf' || body === 'infinity') return sign * Infinity;
      return Number(s);
    },
    'json.toBigInt': (p: number) => {
      const s = text(p);
      const n = parseBigInt(s);
      if (n === null) throw new HostError(`JSON \`${s}\` is not a decimal string`);
      return writeBigInt(ctx.heap, n);
    },
  };
}
