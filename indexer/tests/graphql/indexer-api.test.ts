// The API as `startIndexer` serves it over a real Hardhat node and the compiled subgraph: what
// depends on the indexer's wiring rather than on the query engine alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startIndexer, type RunningIndexer } from '../../src/indexer.ts';
import { silentLogger } from '../../src/log.ts';
import { startHessianChain, type HessianChain } from '../sync/helpers/hessian.ts';
import { deploymentHash } from '../../src/deployment-hash.ts';
import { data, errors, post } from './client.ts';

let h: HessianChain;
let indexer: RunningIndexer;

before(async () => {
  h = await startHessianChain();
  // blocks without any event: sync neither records nor keeps them once final
  await h.send('hardhat_mine', ['0x5']);
  indexer = await startIndexer({ rpcUrl: h.chain.url, subgraph: h.subgraphDir, db: ':memory:', port: 0, indexNodePort: 0, pollIntervalMs: 20, maxReorgDepth: 1, logger: silentLogger });
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

describe('the deployment id', () => {
  test('_meta.deployment is the IPFS hash of the build, and the API answers under /subgraphs/id/<it>', async () => {
    const hash = await deploymentHash(indexer.subgraph.manifest.file);
    assert.match(hash, /^Qm[1-9A-HJ-NP-Za-km-z]{44}$/);
    assert.equal(indexer.deployment, hash);
    const q = `{ _meta { deployment block { number } } }`;
    const byName = await data(indexer.url!, q);
    assert.deepEqual(byName, { _meta: { deployment: hash, block: { number: indexer.store.getCursor()!.number } } });
    assert.deepEqual(await data(`${indexer.origin}/subgraphs/id/${hash}`, q), byName);
    assert.equal((await fetch(`${indexer.origin}/subgraphs/id/Qm${'x'.repeat(44)}`, { method: 'POST', body: '{}' })).status, 404);
  });
});

describe('the index-node status API', () => {
  const STATUS = `{
    subgraph synced health fatalError { message } nonFatalErrors { message } entityCount node paused historyBlocks
    chains { network __typename chainHeadBlock { number hash } earliestBlock { number hash } latestBlock { number hash } lastHealthyBlock { number } }
    subgraphSize { rowEstimate totalSize }
  }`;

  test('indexingStatusForCurrentVersion and indexingStatuses answer as graph-node`s', async () => {
    const head = indexer.store.getCursor()!;
    const entities = indexer.store.dump().filter((r) => r.blockEnd === null).length;
    const r = await data(indexer.indexNodeUrl!, `{ cur: indexingStatusForCurrentVersion(subgraphName: "hessian") ${STATUS} all: indexingStatuses ${STATUS} none: indexingStatusForCurrentVersion(subgraphName: "other") { subgraph } }`);
    const { cur, all, none } = r as { cur: Record<string, unknown> & { chains: { chainHeadBlock: { number: string } }[]; subgraphSize: { rowEstimate: string; totalSize: string } }; all: unknown[]; none: unknown };
    assert.equal(none, null);
    assert.deepEqual(all, [cur]);
    const chainHead = await h.head();
    assert.ok(Number(cur.chains[0]!.chainHeadBlock.number) >= chainHead - 1);
    assert.ok(Number(cur.subgraphSize.rowEstimate) >= entities && Number(cur.subgraphSize.totalSize) > 0);
    const start = Math.min(...indexer.subgraph.manifest.dataSources.map((d) => d.startBlock));
    assert.deepEqual(
      { ...cur, chains: [{ ...cur.chains[0]!, chainHeadBlock: null }], subgraphSize: null },
      {
        subgraph: indexer.deployment,
        synced: true,
        health: 'healthy',
        fatalError: null,
        nonFatalErrors: [],
        entityCount: String(entities),
        node: 'default',
        paused: false,
        historyBlocks: 2147483647,
        chains: [
          {
            network: indexer.subgraph.manifest.dataSources[0]!.network,
            __typename: 'EthereumIndexingStatus',
            chainHeadBlock: null,
            earliestBlock: { number: String(Math.max(0, start - 1)), hash: '0x0' },
            latestBlock: { number: String(head.number), hash: head.hash },
            lastHealthyBlock: null,
          },
        ],
        subgraphSize: null,
      },
    );
    assert.deepEqual(await data(indexer.indexNodeUrl!, `{ indexingStatuses(subgraphs: ["QmNotThis"]) { subgraph } indexingStatusesForSubgraphName(subgraphName: "hessian") { subgraph } }`), {
      indexingStatuses: [],
      indexingStatusesForSubgraphName: [{ subgraph: indexer.deployment }],
    });
  });

  test('a failed subgraph reports health failed and its fatal error', async () => {
    const cursor = indexer.store.getCursor()!;
    indexer.store.setFailed({ message: 'handler boom', block: { ...cursor, number: cursor.number + 1, hash: '0x' + 'ef'.repeat(32) }, handler: 'handleX' });
    try {
      const r = await data(indexer.indexNodeUrl!, `{ indexingStatuses { health fatalError { message handler deterministic block { number hash } } } }`);
      assert.deepEqual(r, {
        indexingStatuses: [{ health: 'failed', fatalError: { message: 'handler boom', handler: 'handleX', deterministic: true, block: { number: cursor.number + 1, hash: '0x' + 'ef'.repeat(32) } } }],
      });
    } finally {
      indexer.store.clearFailed();
    }
  });

  test('what it does not keep is refused by name; errors are shaped as graph-node`s', async () => {
    assert.deepEqual(await errors(indexer.indexNodeUrl!, `{ proofOfIndexing(subgraph: "x", blockNumber: 1, blockHash: "0x00") }`), [
      'Not supported: proofOfIndexing is not kept by the embedded indexer',
    ]);
    assert.deepEqual((await post(indexer.indexNodeUrl!, `{ indexingStatuses { nope } }`)).body.errors, [
      { locations: [{ line: 1, column: 22 }], message: 'Type `SubgraphIndexingStatus` has no field `nope`' },
    ]);
  });
});
