// A timeseries of swaps with two aggregations over it, indexed over blocks whose times cross two
// hour boundaries and one day boundary; the expected rollups are derived by hand in the tests.
import { openDatabase } from '../../src/db.ts';
import { parseSchema } from '../../src/schema.ts';
import { EntityStore } from '../../src/store/entity-store.ts';
import type { BlockPtr, EntityChange } from '../../src/types.ts';
import { bytes, dec, int, int8, ptr, str, ts } from './fixtures.ts';

export const AGG_SCHEMA = `
type Token @entity { id: Bytes! symbol: String! }

type Swap @entity(timeseries: true) {
  id: Int8!
  timestamp: Timestamp!
  token: Token!
  amount: BigDecimal!
  price: BigDecimal!
  count: Int!
}

type TokenStats @aggregation(intervals: ["hour", "day"], source: "Swap") {
  id: Int8!
  timestamp: Timestamp!
  token: Token!
  volume: BigDecimal! @aggregate(fn: "sum", arg: "amount")
  value: BigDecimal! @aggregate(fn: "sum", arg: "amount * price")
  trades: Int8! @aggregate(fn: "count")
  totalTrades: Int8! @aggregate(fn: "count", cumulative: true)
  low: BigDecimal! @aggregate(fn: "min", arg: "price")
  high: BigDecimal! @aggregate(fn: "max", arg: "price")
  open: BigDecimal! @aggregate(fn: "first", arg: "price")
  close: BigDecimal! @aggregate(fn: "last", arg: "price")
  maxCount: Int! @aggregate(fn: "max", arg: "greatest(count, 2)")
}

type Stats @aggregation(intervals: ["hour"], source: "Swap") {
  id: Int8!
  timestamp: Timestamp!
  volume: BigDecimal! @aggregate(fn: "sum", arg: "amount", cumulative: true)
}
`;

/** 2023-11-14 22:00:00Z: an hour boundary; the day started at 1699920000 and ends at H0 + 7200. */
export const H0 = 1_699_999_200;
export const H1 = H0 + 3600;
export const H2 = H0 + 7200;
export const D0 = 1_699_920_000;
export const TOKEN_A = '0xaa';
export const TOKEN_B = '0xbb';
export const us = (secs: number) => String(BigInt(secs) * 1_000_000n);
/** graph-node's generated timeseries id: block number in the upper 32 bits, sequence below */
export const tsId = (block: number, seq: number) => (BigInt(block) << 32n) + BigInt(seq);

export const at = (n: number, time: number): BlockPtr => ptr(n, time);

function swap(block: number, seq: number, time: number, token: string, amount: string, price: string, count: number): EntityChange {
  const id = tsId(block, seq);
  return {
    entityType: 'Swap',
    id: id.toString(),
    data: { id: int8(id), timestamp: ts(BigInt(time) * 1_000_000n), token: bytes(token), amount: dec(amount), price: dec(price), count: int(count) },
  };
}

/** Blocks 1..5: two hours of swaps, a block without changes, then the next day's first swap. */
export const BLOCKS: { ptr: BlockPtr; changes: EntityChange[] | null }[] = [
  {
    ptr: at(1, H0 + 100),
    changes: [
      { entityType: 'Token', id: TOKEN_A, data: { id: bytes(TOKEN_A), symbol: str('AAA') } },
      { entityType: 'Token', id: TOKEN_B, data: { id: bytes(TOKEN_B), symbol: str('BBB') } },
      swap(1, 0, H0 + 100, TOKEN_A, '10', '2', 1),
      swap(1, 1, H0 + 100, TOKEN_B, '5', '3', 3),
    ],
  },
  { ptr: at(2, H0 + 200), changes: [swap(2, 0, H0 + 200, TOKEN_A, '20', '4', 7)] },
  { ptr: at(3, H1 + 10), changes: [swap(3, 0, H1 + 10, TOKEN_A, '1', '5', 0)] },
  { ptr: at(4, H1 + 20), changes: null },
  { ptr: at(5, H2 + 5), changes: [swap(5, 0, H2 + 5, TOKEN_A, '2', '1', 4)] },
];

export function applyBlocks(store: EntityStore, blocks = BLOCKS): void {
  for (const b of blocks) {
    if (b.changes) store.applyBlock(b.ptr, b.changes);
    else store.advanceCursor(b.ptr);
  }
}

export function aggStore(blocks = BLOCKS): EntityStore {
  const store = new EntityStore(openDatabase(':memory:'), parseSchema(AGG_SCHEMA));
  applyBlocks(store, blocks);
  return store;
}
