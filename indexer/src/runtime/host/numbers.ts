// bigInt.* and bigDecimal.* with graph-node's semantics (runtime/wasm/src/host_exports.rs)
import * as bd from '../big-decimal.ts';
import { bitLength, checkBigIntSize, MAX_BIGINT_BITS, parseBigInt } from '../bigint.ts';
import { HostError } from '../errors.ts';
import { readBigDecimal, readBigInt, writeBigDecimal, writeBigInt } from '../store-values.ts';
import type { HostContext, HostFns } from './context.ts';

function u8(name: string, n: number): bigint {
  if (n < 0 || n > 255) throw new HostError(`${name}: ${n >>> 0} does not fit in u8`);
  return BigInt(n);
}

export function numbersHost(ctx: HostContext): HostFns {
  const binary = (f: (x: bigint, y: bigint) => bigint) => (x: number, y: number) =>
    writeBigInt(ctx.heap, f(readBigInt(ctx.heap, x), readBigInt(ctx.heap, y)));
  const decimal = (f: (x: bd.BigDecimal, y: bd.BigDecimal) => bd.BigDecimal) => (x: number, y: number) =>
    writeBigDecimal(ctx.heap, f(readBigDecimal(ctx.heap, x), readBigDecimal(ctx.heap, y)));

  return {
    'bigInt.plus': binary((x, y) => x + y),
    'bigInt.minus': binary((x, y) => x - y),
    'bigInt.times': binary((x, y) => x * y),
    'bigInt.dividedBy': binary((x, y) => {
      if (y === 0n) throw new HostError(`attempted to divide BigInt \`${x}\` by zero`);
      return x / y;
    }),
    'bigInt.mod': binary((x, y) => {
      if (y === 0n) throw new HostError(`attempted to calculate the remainder of \`${x}\` with a divisor of zero`);
      return x % y;
    }),
    'bigInt.pow': (x: number, exp: number) => {
      const base = readBigInt(ctx.heap, x);
      const e = u8('bigInt.pow', exp);
      // refuse before computing a result far over the limit
      if (bitLength(base) > 1 && (bitLength(base) - 1) * Number(e) > MAX_BIGINT_BITS) {
        throw new HostError(`BigInt is too big, total bits > ${MAX_BIGINT_BITS}`);
      }
      return writeBigInt(ctx.heap, checkBigIntSize(base ** e));
    },
    'bigInt.fromString': (s: number) => {
      const text = ctx.heap.readString(s);
      const n = parseBigInt(text);
      if (n === null) throw new HostError(`string is not a BigInt: \`${text}\``);
      return writeBigInt(ctx.heap, n);
    },
    'bigInt.bitOr': binary((x, y) => x | y),
    'bigInt.bitAnd': binary((x, y) => x & y),
    'bigInt.leftShift': (x: number, bits: number) => writeBigInt(ctx.heap, readBigInt(ctx.heap, x) << u8('bigInt.leftShift', bits)),
    'bigInt.rightShift': (x: number, bits: number) => writeBigInt(ctx.heap, readBigInt(ctx.heap, x) >> u8('bigInt.rightShift', bits)),
    'bigInt.dividedByDecimal': (x: number, y: number) =>
      writeBigDecimal(ctx.heap, bd.dividedBy(bd.fromBigInt(readBigInt(ctx.heap, x)), readBigDecimal(ctx.heap, y))),

    'bigDecimal.plus': decimal(bd.plus),
    'bigDecimal.minus': decimal(bd.minus),
    'bigDecimal.times': decimal(bd.times),
    'bigDecimal.dividedBy': decimal(bd.dividedBy),
    'bigDecimal.equals': (x: number, y: number) =>
      bd.equals(readBigDecimal(ctx.heap, x), readBigDecimal(ctx.heap, y)) ? 1 : 0,
    'bigDecimal.toString': (x: number) => ctx.heap.writeString(bd.toString(readBigDecimal(ctx.heap, x))),
    'bigDecimal.fromString': (s: number) => {
      const text = ctx.heap.readString(s);
      const x = bd.parseBigDecimal(text);
      if (x === null) throw new HostError(`string  is not a BigDecimal: '${text}'`);
      return writeBigDecimal(ctx.heap, x);
    },
  };
}
