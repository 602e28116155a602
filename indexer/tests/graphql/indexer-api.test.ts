// The API as `startIndexer` serves it over a real Hardhat node and the compiled subgraph: what
// depends on the indexer's wiring rather than on the query engine alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startIndexer, type RunningIndexer } from '../../src/indexer.ts';
import { silentLogger } from '../../src/log.ts';
import { startHessianChain, type HessianChain } from '../sync/helpers/hessian.ts';
import { data, errors } from './client.ts';

let h: HessianChain;
let indexer: RunningIndexer;

before(async () => {
  h = await startHessianChain();
  // blocks without any event: sync neither records nor keeps them once final
  await h.send('hardhat_mine', ['0x5']);
  indexer = await startIndexer({ rpcUrl: h.chain.url, subgraph: h.subgraphDir, db: ':memory:', port: 0, pollIntervalMs: 20, maxReorgDepth: 1, logger: silentLogger });
  await indexer.ready;
});
after(async () => {
  await indexer?.stop();
  await h?.stop();
});

describe('block: { hash }', () => {
  test('resolves a block the store never recorded, through the node', async () => {
    const head = indexer.store.getCursor()!.number;
    let unrecorded: { number: number; hash: string } | null = null;
    for (let n = head - 1; n > 0 && !unrecorded; n--) {
      const b = await h.send<{ hash: string }>('eth_getBlockByNumber', ['0x' + n.toString(16), false]);
      if (!indexer.store.blockByHash(b.hash)) unrecorded = { number: n, hash: b.hash };
    }
    assert.ok(unrecorded, 'the mined empty blocks are not in the store');
    assert.deepEqual(await data(indexer.url!, `{ _meta(block: { hash: "${unrecorded.hash}" }) { block { number hash } } }`), {
      _meta: { block: { number: unrecorded.number, hash: unrecorded.hash } },
    });
    assert.deepEqual(await errors(indexer.url!, `{ _meta(block: { hash: "0x${'12'.repeat(32)}" }) { block { number } } }`), [
      'Failed to decode `block.hash` value: `no block with that hash found`',
    ]);
  });
});
