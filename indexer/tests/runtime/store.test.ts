// store.get / get_in_block / set / remove with graph-node's EntityCache semantics, and the block's
// net changes: one per entity that actually changed, removals only of entities that existed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChainBuilder, PROBE_ADDRESS } from './fixture.ts';
import { harness, plain } from './harness.ts';

const action = (code: number, key: string): [string, string, unknown[]] => [PROBE_ADDRESS, 'Action', [code, key]];

describe('store host functions', () => {
  it('merge sets, see this block through get and only this block through get_in_block', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    const changes = await h.run(chain.addBlock([action(0, 'a'), action(0, 'a'), action(0, 'b')]));
    assert.deepEqual(plain(h.get('Counter', 'a')), {
      id: 'a',
      count: 2,
      big: 2_000_000_000_000n,
      // the second trigger saw the first one's write through get_in_block
      seenInBlock: true,
      source: PROBE_ADDRESS,
    });
    assert.equal(plain(h.get('Counter', 'b'))?.seenInBlock, false);
    assert.deepEqual(changes.map((c) => c.id), ['a', 'b']);

    // in a later block the entity comes from the store: get sees it, get_in_block does not
    await h.run(chain.addBlock([action(0, 'a')]));
    assert.equal(plain(h.get('Counter', 'a'))?.count, 3);
    assert.equal(plain(h.get('Counter', 'a'))?.seenInBlock, false);
  });

  it('remove entities, and report only real changes', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    await h.run(chain.addBlock([action(0, 'a'), action(0, 'b'), action(0, 'b')]));
    // removing something that never existed and creating-then-removing produce no change
    const changes = await h.run(chain.addBlock([action(1, 'a'), action(1, 'ghost'), action(0, 'c'), action(1, 'c')]));
    assert.deepEqual(changes, [{ entityType: 'Counter', id: 'a', data: null }]);
    assert.equal(h.get('Counter', 'a'), null);
    assert.ok(h.get('Counter', 'b'));
    // remove then set in one block: the entity is rebuilt from scratch (count restarts at 1)
    assert.equal(plain(h.get('Counter', 'b'))?.count, 2);
    const again = await h.run(chain.addBlock([action(14, 'b')]));
    assert.equal(again.length, 1);
    assert.equal(plain(h.get('Counter', 'b'))?.count, 1);
    // the same again rebuilds an identical entity: nothing changed, nothing to write
    assert.deepEqual(await h.run(chain.addBlock([action(14, 'b')])), []);
  });

  it('saves a loaded value the mapping changed in place, not the value it was loaded as', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    const flipped = `0x${(0x5f ^ 0xff).toString(16)}${PROBE_ADDRESS.slice(4)}`;
    // loaded from the store (an earlier block), then from this block's own write
    await h.run(chain.addBlock([action(0, 'a')]));
    const changes = await h.run(chain.addBlock([action(18, 'a')]));
    assert.equal(plain(h.get('Counter', 'a'))?.source, flipped);
    assert.equal(changes.length, 1);
    await h.run(chain.addBlock([action(0, 'b'), action(18, 'b'), action(18, 'b')]));
    assert.equal(plain(h.get('Counter', 'b'))?.source, PROBE_ADDRESS);
    await h.run(chain.addBlock([action(0, 'c'), action(0, 'c'), action(18, 'c')]));
    assert.equal(plain(h.get('Counter', 'c'))?.source, flipped);
    assert.equal(plain(h.get('Counter', 'c'))?.count, 2);
  });

  it('runs every trigger on a fresh instance state, as graph-node does', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    await h.run(chain.addBlock([action(15, 'g1'), action(15, 'g2'), action(0, 'x'), action(15, 'g3')]));
    await h.run(chain.addBlock([action(15, 'g4')]));
    for (const id of ['g1', 'g2', 'g3', 'g4']) assert.equal(plain(h.get('Counter', id))?.count, 1, id);
  });

  it('gives the same store with instances reset between triggers as with a new instance per trigger', async () => {
    const reused = harness();
    const fresh = harness('host-subgraph', { reuseInstances: false });
    const chain = new ChainBuilder();
    const A = '0x1111111111111111111111111111111111111111';
    const B = '0x2222222222222222222222222222222222222222';
    for (let i = 0; i < 6; i++) {
      chain.addBlock([
        [PROBE_ADDRESS, 'Transfer', [A, B, BigInt(i * 1000 + 1)]],
        action(0, `c${i % 3}`),
        action(15, `g${i}`),
        [PROBE_ADDRESS, 'Sample', [BigInt(i), `text ${'x'.repeat(i * 50)}`, '0x01', -1n, `0x${'11'.repeat(32)}`, [5n, A], [i], i % 2 === 0]],
        [PROBE_ADDRESS, 'Decimal', [`${i}.5`, '3']],
        action(i % 2 ? 1 : 14, `c${(i + 1) % 3}`),
      ]);
    }
    for (const entry of chain.blocks) {
      assert.deepEqual(await reused.run(entry), await fresh.run(entry));
    }
    assert.deepEqual(reused.store.dump(), fresh.store.dump());
  });

  it('generates "auto" ids from the block number and a per-block sequence, as graph-node does', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    chain.addBlock([]);
    await h.run(chain.blocks[0]!);
    const changes = await h.run(chain.addBlock([action(16, '')]));
    assert.deepEqual(changes.map((c) => c.id), ['0x0000000200000000', '0x0000000200000001']);
    assert.equal(plain(h.get('Account', '0x0000000200000001'))?.balance, 16n);
    await assert.rejects(h.run(chain.addBlock([action(17, '')])), /ID does not support generating ids/);
  });

  it('lets an immutable entity be set again within its block, and keeps it written once', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    const entry = chain.addBlock([[PROBE_ADDRESS, 'Transfer', ['0x1111111111111111111111111111111111111111', '0x2222222222222222222222222222222222222222', 5n]]]);
    // same block: the Transfer is created, then updated by a second trigger (code 6)
    const tx = entry.block.transactions[0] as { hash: string };
    const id = `${tx.hash}00000000`;
    const { block, logs, receipts } = entry;
    // a second log in the same block and transaction
    const extra = new ChainBuilder('x').addBlock([action(6, id)]);
    const log = { ...extra.logs[0]!, blockHash: block.hash, blockNumber: block.number, transactionHash: tx.hash, logIndex: '0x1' };
    const changes = await h.run({ block, logs: [...logs, log], receipts });
    assert.equal(plain(h.get('Transfer', id))?.value, 6n);
    assert.equal(changes.filter((c) => c.entityType === 'Transfer').length, 1);
  });
});
