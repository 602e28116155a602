// The event store hands stored blocks back for re-indexing a page at a time: every block with
// logs in the range, in order, exactly once, whatever the page boundaries, with writes on the same
// connection between blocks (the replay commits each chunk while it reads).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDatabase } from '../../src/db.ts';
import { EventStore } from '../../src/store/event-store.ts';
import type { RpcBlock, RpcLog } from '../../src/types.ts';

const hex = (n: number) => `0x${n.toString(16)}`;
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

function block(n: number): { block: RpcBlock; logs: RpcLog[] } {
  const block = { number: hex(n), hash: hash(n), parentHash: hash(n - 1), timestamp: hex(1_700_000_000 + n), transactions: [] } as unknown as RpcBlock;
  const logs = Array.from({ length: 1 + (n % 3) }, (_, i) => ({
    address: '0x00000000000000000000000000000000000000aa',
    topics: [hash(7)],
    data: '0x',
    blockNumber: hex(n),
    blockHash: hash(n),
    transactionHash: hash(10_000 + n),
    transactionIndex: '0x0',
    logIndex: hex(i),
    removed: false,
  }));
  return { block, logs };
}

describe('EventStore.blocksWithLogs', () => {
  it('reads every stored block with logs in order, across pages, while the connection writes between them', () => {
    const db = openDatabase(':memory:');
    const events = new EventStore(db);
    // 357 blocks with logs among 700 (every other one, then a gap): more than three pages
    const numbers = [...Array.from({ length: 300 }, (_, i) => 2 * i + 1), ...Array.from({ length: 57 }, (_, i) => 640 + i)];
    const stored = numbers.map(block);
    const ptr = (n: number) => ({ number: n, hash: hash(n), parentHash: hash(n - 1), timestamp: 1_700_000_000 + n });
    events.append({
      blocks: stored.map((b) => ({ block: b.block, logs: b.logs, ptr: ptr(Number(b.block.number)) })),
      headers: [],
      to: ptr(700),
    });
    const seen: number[] = [];
    let logs = 0;
    for (const b of events.blocksWithLogs(5, 690)) {
      seen.push(b.ptr.number);
      logs += b.logs.length;
      assert.deepEqual(b.logs.map((l) => l.logIndex), b.logs.map((_, i) => hex(i)));
      // what a replay does between blocks: commit on the same connection
      db.transaction(() => events.setMeta('probe', String(b.ptr.number)))();
    }
    const want = numbers.filter((n) => n >= 5 && n <= 690);
    assert.deepEqual(seen, want);
    assert.equal(logs, want.reduce((s, n) => s + 1 + (n % 3), 0));
    db.close();
  });
});
