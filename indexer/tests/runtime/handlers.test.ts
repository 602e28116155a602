// The runtime runs real compiled mappings: entities after scripted blocks, graph-node's entity
// cache semantics within a block, and ethereum.Event fields built from JSON-RPC data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChainBuilder, OTHER_ADDRESS, PROBE_ADDRESS } from './fixture.ts';
import { harness, plain } from './harness.ts';

const A = '0x1111111111111111111111111111111111111111';
const B = '0x2222222222222222222222222222222222222222';

describe('event handlers', () => {
  it('runs Transfer handlers with merges, same-block reads and receipts', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    const b1 = chain.addBlock([
      [PROBE_ADDRESS, 'Transfer', [A, B, 100n]],
      [PROBE_ADDRESS, 'Transfer', [B, A, 30n]],
    ]);
    await h.run(b1);
    const a = plain(h.get('Account', A));
    assert.equal(a?.balance, -70n);
    assert.equal(a?.transferCount, 2);
    assert.equal(plain(h.get('Account', B))?.balance, 70n);

    const tx = b1.block.transactions[1] as { hash: string };
    const transferId = `${tx.hash}01000000`;
    assert.equal(a?.lastTransfer, transferId);
    const t = plain(h.get('Transfer', transferId));
    assert.deepEqual(
      { ...t },
      {
        id: transferId,
        from: B,
        to: A,
        value: 30n,
        blockNumber: 1n,
        blockHash: b1.block.hash,
        timestamp: BigInt(b1.block.timestamp),
        txHash: tx.hash,
        txFrom: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266',
        txTo: PROBE_ADDRESS,
        txIndex: 1n,
        txNonce: 11n,
        logIndex: 1n,
        gasUsed: 50_001n,
        status: 1n,
        receiptLogs: 1,
      },
    );

    // a second block reads the first block's state from the store
    const b2 = chain.addBlock([[PROBE_ADDRESS, 'Transfer', [A, A, 5n]]]);
    const changes = await h.run(b2);
    assert.equal(plain(h.get('Account', A))?.transferCount, 4);
    assert.equal(plain(h.get('Account', A))?.balance, -70n);
    // B did not change, so it is not part of the block's changes
    assert.deepEqual(
      changes.map((c) => c.entityType).sort(),
      ['Account', 'Transfer'],
    );
  });

  it('ignores logs from other addresses, unknown events and blocks before startBlock', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    const other = '0x3333333333333333333333333333333333333333';
    const b1 = chain.addBlock([
      [other, 'Transfer', [A, B, 1n]],
      [PROBE_ADDRESS, 'Action', [0, 'probe-ds']],
      // the Other data source starts at block 5
      ['0xe7f1725e7734ce288f8367e1bb143e90bb3f0512', 'Action', [0, 'early']],
    ]);
    const changes = await h.run(b1);
    assert.deepEqual(changes.map((c) => `${c.entityType}:${c.id}`), ['Counter:probe-ds']);
  });
});

describe('inputs from sync', () => {
  it('demands the receipts and full transactions its handlers need', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    const entry = chain.addBlock([[PROBE_ADDRESS, 'Transfer', [A, B, 1n]]]);
    await assert.rejects(
      h.runtime.processBlock(entry.block, entry.logs, h.store),
      /handler handleTransfer needs the receipt of tx 0x[0-9a-f]{64} \(block 1\) but none was passed/,
    );
    const hashesOnly = { ...entry.block, transactions: entry.block.transactions.map((t) => (t as { hash: string }).hash) };
    await assert.rejects(
      h.runtime.processBlock(hashesOnly, entry.logs, h.store, { receipts: entry.receipts }),
      /does not carry transaction 0x[0-9a-f]{64} as a full object/,
    );
    const other = new ChainBuilder('other').addBlock([[PROBE_ADDRESS, 'Action', [0, 'x']]]);
    await assert.rejects(h.runtime.processBlock(entry.block, other.logs, h.store), /belongs to block/);
    // none of these is a deterministic handler failure
    await h.runtime.processBlock(entry.block, entry.logs, h.store, { receipts: entry.receipts }).catch(() => assert.fail());
  });

  it('tells which logs trigger handlers', () => {
    const h = harness();
    const chain = new ChainBuilder();
    const entry = chain.addBlock([
      [PROBE_ADDRESS, 'Action', [0, 'x']],
      ['0x3333333333333333333333333333333333333333', 'Action', [0, 'x']],
      [OTHER_ADDRESS, 'Action', [0, 'x']],
      [OTHER_ADDRESS, 'Transfer', [A, B, 1n]],
    ]);
    assert.deepEqual(entry.logs.map((l) => h.runtime.matches(l, 1)), [true, false, false, false]);
    assert.deepEqual(entry.logs.map((l) => h.runtime.matches(l, 5)), [true, false, true, false]);
  });
});
