import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openDatabase } from '../../src/db.ts';
import { loadSchema, parseSchema } from '../../src/schema.ts';
import { EntityStore } from '../../src/store/entity-store.ts';
import type { EntityChange, EntityData } from '../../src/types.ts';
import { big, bool, bytes, dec, int, int8, list, NULL, ptr, str, ts } from './fixtures.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const SCHEMA = `
enum Color { Red Green }
type Owner @entity { id: Bytes! name: String! pets: [Pet!]! @derivedFrom(field: "owner") }
type Pet @entity {
  id: ID!
  owner: Owner!
  age: Int!
  weight: BigDecimal
  score: BigInt!
  color: Color!
  tags: [String!]
  alive: Boolean!
  born: Timestamp
  big8: Int8
}
type Event @entity(immutable: true) { id: Int8! pet: Pet! note: String! }
`;

function newStore() {
  return new EntityStore(openDatabase(':memory:'), parseSchema(SCHEMA));
}

function val(e: EntityData | null, field: string): unknown {
  const v = e?.[field];
  return v && v.kind !== 'Null' ? v.value : undefined;
}

const OWNER = '0x00000000000000000000000000000000000000aa';

function pet(id: string, age: number, extra: Partial<Record<string, ReturnType<typeof str>>> = {}): EntityChange {
  return {
    entityType: 'Pet',
    id,
    data: { id: str(id), owner: bytes(OWNER), age: int(age), score: big(age * 10), color: str('Red'), alive: bool(true), ...extra },
  };
}

test('versions: latest state, past state, removal', () => {
  const store = newStore();
  store.applyBlock(ptr(1), [{ entityType: 'Owner', id: OWNER, data: { id: bytes(OWNER), name: str('ann') } }, pet('a', 1)]);
  store.applyBlock(ptr(3), [pet('a', 2, { weight: dec('1.50') }), pet('b', 5)]);
  store.applyBlock(ptr(5), [{ entityType: 'Pet', id: 'b', data: null }]);

  assert.equal(val(store.get('Pet', 'a'), 'age'), 2);
  assert.deepEqual(store.get('Pet', 'a')?.weight, { kind: 'BigDecimal', value: '1.5' });
  assert.equal(val(store.get('Pet', 'a', 2), 'age'), 1);
  assert.equal(store.get('Pet', 'a', 2)?.weight, undefined, 'null fields are absent, as graph-node omits them');
  assert.equal(store.get('Pet', 'a', 0), null);
  assert.equal(store.get('Pet', 'b'), null);
  assert.equal(val(store.get('Pet', 'b', 4), 'age'), 5);
  assert.deepEqual(store.get('Owner', OWNER)?.id, bytes(OWNER));
  assert.deepEqual(store.getCursor(), ptr(5));

  const rows = store.dump().filter((r) => r.entityType === 'Pet');
  assert.deepEqual(
    rows.map((r) => [r.id, r.blockStart, r.blockEnd, r.data.age]),
    [
      ['a', 1, 3, 1],
      ['a', 3, null, 2],
      ['b', 3, 5, 5],
    ],
  );
});

test('every value kind round-trips', () => {
  const store = newStore();
  const data = {
    ...pet('x', 7).data!,
    weight: dec('-0.000123'),
    score: big(-(2n ** 200n)),
    tags: list(str('x'), str('y')),
    born: ts(1_700_000_000_000_000n),
    big8: int8(-(2n ** 62n)),
  };
  store.applyBlock(ptr(1), [{ entityType: 'Pet', id: 'x', data }]);
  assert.deepEqual(store.get('Pet', 'x'), data);
  store.applyBlock(ptr(2), [{ entityType: 'Event', id: '-42', data: { id: int8(-42), pet: str('x'), note: str('hi') } }]);
  assert.deepEqual(store.get('Event', '-42'), { id: int8(-42), pet: str('x'), note: str('hi') });
});

test('revertTo equals never having indexed the reverted blocks', () => {
  const a = newStore();
  const b = newStore();
  const blocks: [number, EntityChange[]][] = [
    [1, [pet('a', 1), pet('b', 1)]],
    [2, [pet('a', 2), { entityType: 'Event', id: '1', data: { id: int8(1), pet: str('a'), note: str('n') } }]],
    [4, [pet('a', 3), { entityType: 'Pet', id: 'b', data: null }, pet('c', 1)]],
    [6, [pet('c', 2), { entityType: 'Event', id: '2', data: { id: int8(2), pet: str('c'), note: str('m') } }]],
  ];
  for (const [n, ch] of blocks) a.applyBlock(ptr(n), ch);
  a.revertTo(ptr(2));
  for (const [n, ch] of blocks.slice(0, 2)) b.applyBlock(ptr(n), ch);
  assert.deepEqual(a.dump(), b.dump());
  assert.deepEqual(a.getCursor(), ptr(2));
  assert.equal(a.blockByNumber(4), null);
  assert.deepEqual(a.blockByHash(ptr(2).hash), ptr(2));
  // the new branch applies on top
  a.applyBlock(ptr(3), [pet('a', 9)]);
  assert.equal(val(a.get('Pet', 'a'), 'age'), 9);
  assert.equal(val(a.get('Pet', 'b'), 'age'), 1);
  a.revertTo(null);
  assert.deepEqual(a.dump(), []);
  assert.equal(a.getCursor(), null);
});

test('immutable entities are written once; a same-block rewrite replaces', () => {
  const store = newStore();
  const ev = (note: string): EntityChange => ({ entityType: 'Event', id: '7', data: { id: int8(7), pet: str('a'), note: str(note) } });
  store.applyBlock(ptr(1), [ev('one')]);
  assert.throws(() => store.applyBlock(ptr(2), [ev('two')]), /Event 7 at block 2: Event is immutable and was already written at block 1/);
  assert.throws(() => store.applyBlock(ptr(2), [{ entityType: 'Event', id: '7', data: null }]), /cannot be removed/);
  assert.equal(val(store.get('Event', '7'), 'note'), 'one');
  assert.deepEqual(store.getCursor(), ptr(1), 'a failed block leaves the cursor where it was');
  assert.equal(store.dump().length, 1);
});

test('bad writes are refused with the field named', () => {
  const store = newStore();
  assert.throws(() => store.applyBlock(ptr(1), [pet('a', 1, { nope: str('x') })]), /Pet a at block 1: Pet has no field "nope"/);
  assert.throws(() => store.applyBlock(ptr(1), [pet('a', 1, { age: str('x') })]), /field age expects int, got a String value/);
  assert.throws(() => store.applyBlock(ptr(1), [pet('a', 1, { color: NULL })]), /required field color is null/);
  assert.throws(
    () => store.applyBlock(ptr(1), [{ entityType: 'Owner', id: OWNER, data: { id: bytes(OWNER), name: str('x'), pets: list() } }]),
    /field pets is derived/,
  );
  assert.throws(() => store.applyBlock(ptr(1), [{ entityType: 'Nope', id: '1', data: null }]), /unknown entity type "Nope"/);
  assert.throws(() => store.applyBlock(ptr(1), [{ entityType: 'Owner', id: 'zz', data: null }]), /id "zz" is not 0x-hex bytes/);
  store.applyBlock(ptr(2), []);
  assert.throws(() => store.applyBlock(ptr(2), []), /block 2 is not after the store's cursor \(block 2\)/);
  assert.deepEqual(store.dump(), []);
});

test('commit listeners fire once per outer transaction, never for a rollback', () => {
  const store = newStore();
  const seen: (number | null)[] = [];
  store.onCommit((c) => seen.push(c ? c.number : null));
  store.transaction(() => {
    store.applyBlock(ptr(1), [pet('a', 1)]);
    store.advanceCursor(ptr(2));
    store.applyBlock(ptr(3), [pet('a', 2)]);
  });
  assert.deepEqual(seen, [3]);
  assert.throws(() =>
    store.transaction(() => {
      store.applyBlock(ptr(4), [pet('a', 3)]);
      throw new Error('sync failed');
    }),
  );
  assert.deepEqual(seen, [3]);
  assert.deepEqual(store.getCursor(), ptr(3));
  assert.equal(val(store.get('Pet', 'a'), 'age'), 2);
  store.advanceCursor(ptr(4));
  assert.deepEqual(seen, [3, 4]);
});

test('cursor, failure and data persist across reopening a file database', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-store-'));
  try {
    const file = path.join(dir, 'index.db');
    const schema = parseSchema(SCHEMA);
    let db = openDatabase(file);
    let store = new EntityStore(db, schema);
    store.applyBlock(ptr(1), [pet('a', 1)]);
    store.advanceCursor(ptr(2));
    store.setFailed({ message: 'boom', block: ptr(3), handler: 'handleThing' });
    db.close();

    db = openDatabase(file);
    store = new EntityStore(db, schema);
    assert.deepEqual(store.getCursor(), ptr(2));
    assert.deepEqual(store.getFailed(), { message: 'boom', blockNumber: 3, blockHash: ptr(3).hash, handler: 'handleThing' });
    assert.equal(val(store.get('Pet', 'a'), 'age'), 1);
    store.revertTo(ptr(1));
    assert.equal(store.getFailed(), null, 'reverting below the failed block clears the failure');
    db.close();

    db = openDatabase(file);
    db.prepare(`UPDATE store_meta SET value = '1' WHERE key = 'layout'`).run();
    assert.throws(() => new EntityStore(db, schema), /older entity store \(layout 1, now 2\).*--rebuild/);
    assert.throws(() => new EntityStore(db, parseSchema(SCHEMA + '\ntype Extra @entity { id: ID! }')), /different schema\.graphql.*--rebuild/);
    store = new EntityStore(db, parseSchema(SCHEMA + '\ntype Extra @entity { id: ID! }'), { reset: true });
    assert.equal(store.getCursor(), null);
    assert.deepEqual(store.dump(), []);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Two stores on one database file, each with its own connection (two processes, in effect). */
function withTwoConnections(fn: (a: EntityStore, b: EntityStore) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-store-'));
  try {
    const file = path.join(dir, 'index.db');
    const schema = parseSchema(SCHEMA);
    const a = new EntityStore(openDatabase(file), schema);
    const b = new EntityStore(openDatabase(file), schema);
    try {
      fn(a, b);
    } finally {
      a.db.close();
      b.db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a second connection (another process serving queries) sees each commit', () =>
  withTwoConnections((writer, reader) => {
    assert.equal(reader.getCursor(), null);
    writer.applyBlock(ptr(1), [pet('a', 1)]);
    assert.deepEqual(reader.getCursor(), ptr(1));
    writer.applyBlock(ptr(2), [pet('a', 2)]);
    assert.equal(val(reader.get('Pet', 'a'), 'age'), 2);
    writer.revertTo(ptr(1));
    assert.deepEqual(reader.getCursor(), ptr(1));
    assert.equal(val(reader.get('Pet', 'a'), 'age'), 1);
  }));

test("another process's commit is seen by the next transaction, and outside one once the event loop has turned", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-store-'));
  try {
    const file = path.join(dir, 'index.db');
    const store = new EntityStore(openDatabase(file), parseSchema(SCHEMA));
    try {
      store.applyBlock(ptr(1), [pet('a', 1)]);
      assert.equal(val(store.get('Pet', 'a'), 'age'), 1);
      // a real other process: it cannot reach this one's memory of the latest state
      const src = (f: string) => JSON.stringify(pathToFileURL(path.join(root, 'indexer', f)).href);
      const script = `
        import { openDatabase } from ${src('src/db.ts')};
        import { parseSchema } from ${src('src/schema.ts')};
        import { EntityStore } from ${src('src/store/entity-store.ts')};
        import { bool, bytes, int, big, ptr, str } from ${src('tests/store/fixtures.ts')};
        const s = new EntityStore(openDatabase(process.env.DB), parseSchema(process.env.SCHEMA));
        const n = Number(process.env.BLOCK);
        s.applyBlock(ptr(n), [{ entityType: 'Pet', id: 'a', data: { id: str('a'), owner: bytes('${OWNER}'), age: int(n), score: big(20), color: str('Red'), alive: bool(true) } }]);
        s.db.close();`;
      const writeElsewhere = (block: number) => execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, DB: file, SCHEMA, BLOCK: String(block) } });
      writeElsewhere(2);
      // in the same synchronous run: a transaction's snapshot holds that commit, so must its reads
      store.transaction(() => assert.equal(val(store.get('Pet', 'a'), 'age'), 2));
      // a read outside a transaction, then another process's commit in the same synchronous run:
      // the next turn of the event loop reads data_version again
      assert.equal(val(store.get('Pet', 'a'), 'age'), 2);
      writeElsewhere(3);
      await new Promise<void>((r) => setImmediate(r));
      assert.equal(val(store.get('Pet', 'a'), 'age'), 3);
      assert.deepEqual(store.getCursor(), ptr(3));
    } finally {
      store.db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the project's schema.graphql builds a store", () => {
  const store = new EntityStore(openDatabase(':memory:'), loadSchema(path.join(root, 'subgraph', 'schema.graphql')));
  store.applyBlock(ptr(1), [
    {
      entityType: 'Token',
      id: '0x0000000000000000000000000000000000000000',
      data: {
        id: bytes('0x0000000000000000000000000000000000000000'),
        isNative: bool(true),
        modelCount: int(0),
        totalEscrowed: big(0),
        totalPaid: big(0),
        totalRefunded: big(0),
        totalWithdrawn: big(0),
        totalLocked: big(0),
      },
    },
  ]);
  assert.equal(val(store.get('Token', '0x0000000000000000000000000000000000000000'), 'isNative'), true);
});

test('the latest state kept in memory never outlives a rollback, a revert or another connection', () => {
  const s = newStore();
  s.applyBlock(ptr(1), [pet('a', 1)]);
  assert.equal(val(s.get('Pet', 'a'), 'age'), 1);
  assert.equal(s.get('Pet', 'b'), null);
  // a failed transaction: its writes, read back inside it, are gone afterwards
  assert.throws(() =>
    s.transaction(() => {
      s.applyBlock(ptr(2), [pet('a', 2), pet('b', 7)]);
      assert.equal(val(s.get('Pet', 'a'), 'age'), 2);
      assert.equal(val(s.get('Pet', 'b'), 'age'), 7);
      throw new Error('batch failed');
    }),
  );
  assert.equal(val(s.get('Pet', 'a'), 'age'), 1);
  assert.equal(s.get('Pet', 'b'), null);
  // a nested call failing inside a batch that commits: only the nested writes are undone
  s.transaction(() => {
    s.applyBlock(ptr(2), [pet('a', 2)]);
    assert.throws(() => s.applyBlock(ptr(3), [pet('a', 3), { entityType: 'Pet', id: 'c', data: { id: str('c'), nope: int(1) } }]), /no field/);
    assert.equal(val(s.get('Pet', 'a'), 'age'), 2);
  });
  assert.equal(val(s.get('Pet', 'a'), 'age'), 2);
  // versions written after a cached read are still closed correctly
  s.applyBlock(ptr(3), [pet('a', 3)]);
  s.revertTo(ptr(2));
  assert.equal(val(s.get('Pet', 'a'), 'age'), 2);
  s.applyBlock(ptr(3), [{ entityType: 'Pet', id: 'a', data: null }]);
  assert.equal(s.get('Pet', 'a'), null);
  assert.equal(val(s.get('Pet', 'a', 2), 'age'), 2);
  assert.deepEqual(
    s.dump().map((r) => [r.id, r.blockStart, r.blockEnd]),
    [['a', 1, 2], ['a', 2, 3]],
  );
  // the latest state is shared between callers: it cannot be changed through one of them
  s.applyBlock(ptr(4), [pet('d', 4)]);
  assert.throws(() => {
    (s.get('Pet', 'd') as Record<string, unknown>).age = int(5);
  }, TypeError);
});

test('a store reading what another connection writes sees each commit through its memory of the latest state', () =>
  withTwoConnections((a, b) => {
    a.applyBlock(ptr(1), [pet('x', 1)]);
    assert.equal(val(b.get('Pet', 'x'), 'age'), 1);
    assert.equal(b.get('Pet', 'y'), null);
    a.applyBlock(ptr(2), [pet('x', 2), pet('y', 3)]);
    assert.equal(val(b.get('Pet', 'x'), 'age'), 2);
    assert.equal(val(b.get('Pet', 'y'), 'age'), 3);
    // and the writer, which remembered its own writes, sees b's
    b.applyBlock(ptr(3), [pet('x', 9)]);
    assert.equal(val(a.get('Pet', 'x'), 'age'), 9);
    a.applyBlock(ptr(4), [pet('x', 10)]);
    assert.deepEqual(
      a.dump().filter((r) => r.id === 'x').map((r) => [r.blockStart, r.blockEnd]),
      [[1, 2], [2, 3], [3, 4], [4, null]],
    );
  }));

// The store buffers a batch's versions and inserts them when the outermost transaction commits:
// what a batch writes must read and dump exactly as if every block had been written alone.
function apply(store: EntityStore, blocks: Array<[number, EntityChange[]]>, oneTransaction: boolean): void {
  const run = () => {
    for (const [n, changes] of blocks) store.applyBlock(ptr(n), changes);
  };
  if (oneTransaction) store.transaction(run);
  else run();
}

test('a batch in one transaction stores the same versions as its blocks committed one by one', () => {
  const owner = { entityType: 'Owner', id: OWNER, data: { id: bytes(OWNER), name: str('ann') } };
  const blocks: Array<[number, EntityChange[]]> = [
    [1, [owner, pet('a', 1), pet('b', 1)]],
    [2, [pet('a', 2)]],
    [3, [pet('a', 3), { entityType: 'Pet', id: 'b', data: null }, { entityType: 'Event', id: '7', data: { id: int8(7), pet: str('a'), note: str('x') } }]],
    [4, [pet('b', 9), pet('a', 4)]],
    [6, [pet('a', 6)]],
  ];
  const alone = newStore();
  apply(alone, blocks, false);
  const batched = newStore();
  batched.transaction(() => {
    apply(batched, blocks.slice(0, 3), false);
    // reads inside the batch see its buffered writes: latest and as of a past block
    assert.equal(val(batched.get('Pet', 'a'), 'age'), 3);
    assert.equal(val(batched.get('Pet', 'a', 1), 'age'), 1);
    assert.equal(batched.get('Pet', 'b'), null);
    apply(batched, blocks.slice(3), false);
  });
  assert.deepEqual(batched.dump(), alone.dump());
  // and a later batch closes versions the earlier one inserted
  const more: Array<[number, EntityChange[]]> = [[7, [pet('a', 7), pet('b', 10)]], [8, [pet('a', 8)]]];
  apply(alone, more, false);
  apply(batched, more, true);
  assert.deepEqual(batched.dump(), alone.dump());
});

test('a refused block inside a batch leaves the blocks before it to commit', () => {
  const store = newStore();
  store.applyBlock(ptr(1), [{ entityType: 'Owner', id: OWNER, data: { id: bytes(OWNER), name: str('ann') } }, pet('a', 1)]);
  store.transaction(() => {
    store.applyBlock(ptr(2), [pet('a', 2)]);
    // the second change is refused: the first must not have been buffered either
    assert.throws(() => store.applyBlock(ptr(3), [pet('a', 3), { entityType: 'Pet', id: 'c', data: { id: str('c'), nope: int(1) } }]), /has no field "nope"/);
    store.applyBlock(ptr(4), [pet('a', 4)]);
  });
  assert.deepEqual(
    store.dump().filter((r) => r.entityType === 'Pet').map((r) => [r.blockStart, r.blockEnd, r.data.age]),
    [[1, 2, 1], [2, 4, 2], [4, null, 4]],
  );
});

test('a batch rolled back leaves nothing of its buffered versions behind', () => {
  const store = newStore();
  store.applyBlock(ptr(1), [{ entityType: 'Owner', id: OWNER, data: { id: bytes(OWNER), name: str('ann') } }, pet('a', 1)]);
  const before = store.dump();
  assert.throws(() =>
    store.transaction(() => {
      store.applyBlock(ptr(2), [pet('a', 2), pet('n', 1)]);
      store.applyBlock(ptr(3), [pet('a', 3)]);
      throw new Error('sync step failed');
    }),
  );
  assert.deepEqual(store.dump(), before);
  assert.equal(val(store.get('Pet', 'a'), 'age'), 1);
  assert.equal(store.get('Pet', 'n'), null);
  store.applyBlock(ptr(2), [pet('a', 5)]);
  assert.deepEqual(store.dump().filter((r) => r.entityType === 'Pet').map((r) => [r.blockStart, r.blockEnd, r.data.age]), [[1, 2, 1], [2, null, 5]]);
});

test('a batch writing more entities than the store keeps in memory stays exact', () => {
  const owner = { entityType: 'Owner', id: OWNER, data: { id: bytes(OWNER), name: str('ann') } };
  const many = (n: number, age: number) => Array.from({ length: n }, (_, i) => pet(`p${i}`, age));
  const blocks: Array<[number, EntityChange[]]> = [[1, [owner, ...many(12_000, 1)]], [2, many(12_000, 2)], [3, many(3, 3)]];
  const alone = newStore();
  apply(alone, blocks, false);
  const batched = newStore();
  apply(batched, blocks, true);
  assert.deepEqual(batched.dump(), alone.dump());
  assert.equal(val(batched.get('Pet', 'p0'), 'age'), 3);
  assert.equal(val(batched.get('Pet', 'p11999'), 'age'), 2);
});

test('query-only indexes deferred for a backfill: left out across a crash, built once, the same set; reads exact meanwhile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-store-'));
  const indexes = (s: EntityStore) =>
    (s.db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`).all() as { name: string; sql: string }[]).map(
      (r) => r.sql,
    );
  const petsOf = (s: EntityStore) => s.db.prepare(`SELECT id, __from FROM "e_Pet" WHERE owner = ? ORDER BY id, __from`).all(Buffer.from('aa'.padStart(40, '0'), 'hex'));
  const blocks = (s: EntityStore, from: number, to: number) => {
    for (let n = from; n <= to; n++) {
      s.applyBlock(ptr(n), [
        ...(n === 1 ? [{ entityType: 'Owner', id: OWNER, data: { id: bytes(OWNER), name: str('ann') } }] : []),
        pet('p' + (n % 3), n),
        { entityType: 'Event', id: String(n), data: { id: int8(BigInt(n)), pet: str('p' + (n % 3)), note: str('n' + n) } },
      ]);
    }
  };
  try {
    const schema = parseSchema(SCHEMA);
    const plain = newStore();
    blocks(plain, 1, 10);
    const all = indexes(plain);
    assert.ok(all.some((sql) => sql.includes('("owner")')) && all.some((sql) => sql.includes('("pet")')), all.join('\n'));

    const file = path.join(dir, 'index.db');
    let db = openDatabase(file);
    let store = new EntityStore(db, schema);
    store.deferAttributeIndexes();
    assert.equal(store.attributeIndexesDeferred(), true);
    const core = indexes(store);
    assert.ok(core.length >= 6 && core.length < all.length, core.join('\n'));
    assert.ok(core.every((sql) => all.includes(sql)));
    blocks(store, 1, 6);
    // the process dies before catching up: reopening keeps leaving them out
    db.close();
    db = openDatabase(file);
    store = new EntityStore(db, schema);
    assert.equal(store.attributeIndexesDeferred(), true);
    assert.deepEqual(indexes(store), core);
    blocks(store, 7, 10);
    // reads by reference, time travel and reverts are exact without them
    assert.equal(petsOf(plain).length, 10);
    assert.deepEqual(petsOf(store), petsOf(plain));
    assert.equal(val(store.get('Pet', 'p1', 4), 'age'), 4);
    store.revertTo(ptr(9));
    plain.revertTo(ptr(9));
    assert.deepEqual(store.dump(), plain.dump());

    assert.equal(store.createAttributeIndexes(), all.length - core.length);
    assert.equal(store.attributeIndexesDeferred(), false);
    assert.deepEqual(indexes(store), all);
    assert.deepEqual(petsOf(store), petsOf(plain));
    assert.equal(store.createAttributeIndexes(), 0, 'built once');
    db.close();
    db = openDatabase(file);
    store = new EntityStore(db, schema);
    assert.deepEqual(indexes(store), all);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
