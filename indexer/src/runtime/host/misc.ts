// log.log, abort, and the host functions this indexer deliberately refuses
import { HostError } from '../errors.ts';
import type { HostContext, HostFns, LogLevel } from './context.ts';

const LEVELS: LogLevel[] = ['critical', 'error', 'warning', 'info', 'debug'];

export function logHost(ctx: HostContext): HostFns {
  return {
    'log.log': (level: number, msg: number) => {
      const message = ctx.heap.readString(msg);
      const name = LEVELS[level] ?? 'debug';
      ctx.log(name, message);
      if (name === 'critical') throw new HostError(`Critical error logged in mapping with log message: ${message}`);
    },
    abort: (msg: number, file: number, line: number, column: number) => {
      const message = msg === 0 ? 'no message' : `message: ${ctx.heap.readString(msg)}`;
      let location = 'an unknown location';
      if (file !== 0) {
        location = ctx.heap.readString(file);
        if (line !== 0) location += `, line ${line}`;
        if (line !== 0 && column !== 0) location += `, column ${column}`;
      }
      throw new HostError(`Mapping aborted at ${location}, with ${message}`);
    },
  };
}

/** Imports graph-node has but this indexer refuses, with the reason. */
export function refusedHost(): HostFns {
  const refuse = (name: string, why: string) => () => {
    throw new HostError(`\`${name}\` is not supported by the embedded indexer: ${why}`);
  };
  const noIpfs = 'graph-node itself rejects it as non-deterministic';
  return {
    'ipfs.cat': refuse('ipfs.cat', noIpfs),
    'ipfs.map': refuse('ipfs.map', noIpfs),
    'ipfs.getBlock': refuse('ipfs.getBlock', noIpfs),
    'ens.nameByHash': refuse('ens.nameByHash', 'it has no ENS rainbow table'),
    'arweave.transactionData': refuse('arweave.transactionData', 'graph-node removed it'),
    'box.profile': refuse('box.profile', 'graph-node removed it'),
  };
}
