// Error classes of the runtime. Deterministic failures (the same block and mapping always fail
// the same way) are HandlerErrors: the indexer stops at that block and marks the subgraph failed,
// as graph-node does. Anything else (a store read failing, say) propagates unchanged.
import { HessianError } from '@hessian/common/errors';

/** A deterministic failure raised by a host function while a handler runs. */
export class HostError extends HessianError {
  override name = 'HostError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { kind: 'fatal', ...options });
  }
}

export interface HandlerErrorInfo {
  handler: string;
  dataSource: string;
  block: number;
  blockHash: string;
  logIndex: number;
  transactionHash: string;
  message: string;
}

/** A handler failed deterministically at this block; indexing must stop here. */
export class HandlerError extends HessianError implements HandlerErrorInfo {
  override name = 'HandlerError';
  readonly handler: string;
  readonly dataSource: string;
  readonly block: number;
  readonly blockHash: string;
  readonly logIndex: number;
  readonly transactionHash: string;
  /** the failure alone, without the handler/block context that `message` adds */
  readonly reason: string;

  constructor(info: HandlerErrorInfo, options?: { cause?: unknown }) {
    super(
      `handler ${info.dataSource}.${info.handler} failed at block ${info.block} (${info.blockHash})` +
        // block handlers have no log (logIndex -1)
        (info.logIndex >= 0 ? `, log ${info.logIndex} of tx ${info.transactionHash}` : '') +
        `: ${info.message}`,
      { kind: 'fatal', ...options },
    );
    this.handler = info.handler;
    this.dataSource = info.dataSource;
    this.block = info.block;
    this.blockHash = info.blockHash;
    this.logIndex = info.logIndex;
    this.transactionHash = info.transactionHash;
    this.reason = info.message;
  }
}

/** The subgraph build (manifest, schema, ABIs, WASM) is malformed or uses unsupported features. */
export class ManifestError extends HessianError {
  override name = 'ManifestError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { kind: 'user', ...options });
  }
}
