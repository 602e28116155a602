// The evaluator's picture of the chain: always read from the chain's logs (never an indexer: it
// must not act on a stale best score), and thrown away when the chain was rewritten under it.
import { LogWatcher } from '@hessian/core/chain';
import type { ModelRepositoryClient } from '@hessian/core/model-repository';
import { decodeLog, RepositoryView } from '@hessian/core/model-repository';
import type { Evaluator } from './context.ts';
import { freeAll } from './models.ts';

export function newWatcher(client: ModelRepositoryClient) {
  return new LogWatcher({ provider: client.provider, address: client.config.address, fromBlock: client.config.startBlock, confirmations: client.config.confirmations, decode: decodeLog });
}

/** ids may name other commits now: forget everything read and follow the chain again */
export function rereadChain(ev: Evaluator): void {
  freeAll(ev);
  ev.view = new RepositoryView();
  ev.watcher = newWatcher(ev.client);
}
