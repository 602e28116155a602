// What host functions see of the trigger being processed. The runtime points it at the current
// instance's heap, the block's entity cache and the data source before each handler call.
import type { EntityData } from '../../types.ts';
import type { EntityCache } from '../entity-cache.ts';
import type { AscHeap } from '../heap.ts';

export type LogLevel = 'critical' | 'error' | 'warning' | 'info' | 'debug';

export interface DataSourceInfo {
  name: string;
  network: string;
  /** 20 bytes, or empty for a data source without an address */
  address: Uint8Array;
  context: EntityData | null;
  /** apiVersion >= 0.0.8 */
  rejectUndefinedFields: boolean;
}

export interface HostContext {
  readonly heap: AscHeap;
  readonly cache: EntityCache;
  readonly dataSource: DataSourceInfo;
  log(level: LogLevel, message: string): void;
}

/** A host function receives and returns wasm numbers (i32 as number, i64 as bigint). */
export type HostFn = (...args: never[]) => number | bigint | void;
export type HostFns = Record<string, HostFn>;
