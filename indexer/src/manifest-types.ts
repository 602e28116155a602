// The parsed manifest's shape (manifest.ts reads it from subgraph.yaml): what sync filters logs
// with and the runtime runs handlers from. Types only, so the loader and the runtime both depend
// on it and not on each other.
import type { EventFragment, FunctionFragment, Interface } from 'ethers';
import type { EntityData } from './types.ts';

export type CallArg = { kind: 'hex'; address: string } | { kind: 'address' } | { kind: 'param'; name: string; path: number[] };

export interface CallDecl {
  label: string;
  /** the expression as written */
  expr: string;
  contract: string;
  function: FunctionFragment;
  address: CallArg;
  args: CallArg[];
}

export interface EventHandlerDef {
  /** the signature as written in the manifest, e.g. `Transfer(indexed address,indexed address,uint256)` */
  event: string;
  /**
   * the log's first topic that selects this handler (lowercase 0x-hex): the manifest's `topic0:`
   * if given, else keccak256 of `event` without `indexed ` and spaces, as graph-node computes it
   */
  topic0: string;
  /** the ABI event is `anonymous`: the log carries no signature topic, every topic is an indexed parameter */
  anonymous: boolean;
  handler: string;
  receipt: boolean;
  /** optional topic filters (specVersion >= 1.2): each a list of accepted 32-byte topics */
  topic1?: string[];
  topic2?: string[];
  topic3?: string[];
  /** the matching ABI event */
  fragment: EventFragment;
  /** declared eth_calls (`calls:`), prefetched before the block's handlers run */
  calls: CallDecl[];
}

/** graph-node's BlockHandlerFilter; `every` is a handler without a filter */
export type BlockFilter = { kind: 'every' } | { kind: 'call' } | { kind: 'once' } | { kind: 'polling'; every: number };

export interface BlockHandlerDef {
  handler: string;
  filter: BlockFilter;
}

export interface CallHandlerDef {
  /** as written, e.g. `poke(uint256)` */
  function: string;
  handler: string;
  /** the matching ABI function */
  fragment: FunctionFragment;
  /** 0x + 4 bytes */
  selector: string;
}

export interface AbiDef {
  name: string;
  file: string;
  abi: Interface;
}

export interface DataSourceDef {
  kind: string;
  name: string;
  network: string;
  /** lowercase; null matches logs from any address */
  address: string | null;
  abi: string;
  startBlock: number;
  endBlock: number | null;
  abis: AbiDef[];
  context: EntityData | null;
  mapping: {
    kind: string;
    apiVersion: string;
    language: string;
    /** absolute path of the WASM file */
    file: string;
    entities: string[];
    eventHandlers: EventHandlerDef[];
    blockHandlers: BlockHandlerDef[];
    callHandlers: CallHandlerDef[];
  };
}

export interface SubgraphManifest {
  specVersion: string;
  /** `features:` as declared (graph-node's names: nonFatalErrors, grafting, ...) */
  features: string[];
  /** absolute path of subgraph.yaml */
  file: string;
  dir: string;
  schemaFile: string;
  description?: string;
  dataSources: DataSourceDef[];
  /** `templates:` (address null, startBlock 0, context null until a handler creates one) */
  templates: DataSourceDef[];
}
