// Value builders shared by the store and GraphQL tests.
import type { BlockPtr, Value } from '../../src/types.ts';

export const str = (value: string): Value => ({ kind: 'String', value });
export const int = (value: number): Value => ({ kind: 'Int', value });
export const big = (value: bigint | number): Value => ({ kind: 'BigInt', value: BigInt(value) });
export const dec = (value: string): Value => ({ kind: 'BigDecimal', value });
export const bool = (value: boolean): Value => ({ kind: 'Bool', value });
export const bytes = (hex: string): Value => ({ kind: 'Bytes', value: new Uint8Array(Buffer.from(hex.replace(/^0x/, ''), 'hex')) });
export const int8 = (value: bigint | number): Value => ({ kind: 'Int8', value: BigInt(value) });
export const ts = (value: bigint | number): Value => ({ kind: 'Timestamp', value: BigInt(value) });
export const list = (...value: Value[]): Value => ({ kind: 'List', value });
export const NULL: Value = { kind: 'Null' };

export function ptr(number: number, timestamp = 1_700_000_000 + number * 12): BlockPtr {
  const h = (n: number) => '0x' + n.toString(16).padStart(64, '0');
  return { number, hash: h(0xb000 + number), parentHash: h(0xb000 + number - 1), timestamp };
}
