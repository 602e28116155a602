// What the contract clients share to turn raw logs into typed events: ids, scores, versions and
// timestamps fit in a JS number (checked), token amounts stay bigint, addresses and CIDs strings.
import type { Interface, Log, Result } from 'ethers';

/** where an event sits in the chain */
export interface EventBase {
  blockNumber: number;
  logIndex: number;
  txHash: string;
}

export type RawLog = Pick<Log, 'topics' | 'data' | 'blockNumber' | 'index' | 'transactionHash'>;

export const num = (v: unknown): number => {
  const n = Number(v as bigint);
  if (!Number.isSafeInteger(n)) throw new Error(`event value ${String(v)} does not fit a JS number`);
  return n;
};
export const big = (v: unknown): bigint => v as bigint;
export const str = (v: unknown): string => v as string;

/** the log parsed with `iface`, or undefined when it is not one of that interface's events */
export function parseLogWith(iface: Interface, log: RawLog): { name: string; args: Result; base: EventBase } | undefined {
  let parsed;
  try {
    parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    return undefined;
  }
  if (!parsed) return undefined;
  return { name: parsed.name, args: parsed.args, base: { blockNumber: log.blockNumber, logIndex: log.index, txHash: log.transactionHash } };
}

/** chain order: block, then position in the block */
export function compareEvents(a: EventBase, b: EventBase): number {
  return a.blockNumber - b.blockNumber || a.logIndex - b.logIndex;
}
