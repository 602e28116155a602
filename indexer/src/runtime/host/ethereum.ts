// ethereum.encode / ethereum.decode
import { decodeValue, encodeValue, readEthValue, writeEthValue } from '../ethereum-values.ts';
import type { HostContext, HostFns } from './context.ts';

export function ethereumHost(ctx: HostContext): HostFns {
  return {
    'ethereum.encode': (token: number) => {
      const bytes = encodeValue(readEthValue(ctx.heap, token));
      return bytes === null ? 0 : ctx.heap.writeBytes(bytes);
    },
    'ethereum.decode': (types: number, data: number) => {
      const value = decodeValue(ctx.heap.readString(types), ctx.heap.readBytes(data));
      return value === null ? 0 : writeEthValue(ctx.heap, value);
    },
  };
}
