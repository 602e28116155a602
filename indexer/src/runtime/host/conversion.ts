// typeConversion.*, crypto.keccak256
import { encodeBase58, keccak256, getBytes, hexlify } from 'ethers';
import { bigIntToHex } from '../bigint.ts';
import { HostError } from '../errors.ts';
import { readBigInt } from '../store-values.ts';
import type { HostContext, HostFns } from './context.ts';

const utf8 = new TextDecoder('utf-8');

export function conversionHost(ctx: HostContext): HostFns {
  return {
    'typeConversion.bytesToString': (p: number) => {
      // lossy like graph-node's String::from_utf8_lossy, trailing NULs of fixed-size buffers trimmed
      const s = utf8.decode(ctx.heap.readBytes(p)).replace(/\u0000+$/, '');
      return ctx.heap.writeString(s);
    },
    'typeConversion.bytesToHex': (p: number) => ctx.heap.writeString(hexlify(ctx.heap.readBytes(p))),
    'typeConversion.bigIntToString': (p: number) => ctx.heap.writeString(readBigInt(ctx.heap, p).toString()),
    'typeConversion.bigIntToHex': (p: number) => ctx.heap.writeString(bigIntToHex(readBigInt(ctx.heap, p))),
    'typeConversion.stringToH160': (p: number) => {
      const s = ctx.heap.readString(p);
      const hex = s.startsWith('0x') ? s.slice(2) : s;
      if (!/^[0-9a-fA-F]{40}$/.test(hex)) throw new HostError(`Failed to convert string to Address: '${s}'`);
      return ctx.heap.writeBytes(getBytes(`0x${hex}`));
    },
    'typeConversion.bytesToBase58': (p: number) => {
      const bytes = ctx.heap.readBytes(p);
      return ctx.heap.writeString(bytes.length === 0 ? '' : encodeBase58(bytes));
    },
    'crypto.keccak256': (p: number) => ctx.heap.writeBytes(getBytes(keccak256(ctx.heap.readBytes(p)))),
  };
}
