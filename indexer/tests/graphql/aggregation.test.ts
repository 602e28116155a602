// graph-node's aggregation query fields over the rollups of tests/store/aggregation-fixture.ts:
// `interval`, the default newest-first order, timestamp and dimension filters, `current`, time
// travel, ordering by an aggregate, and the errors. Expected answers derived by hand there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphqlServer, type GraphqlServer } from '../../src/graphql/server.ts';
import { parseSchema } from '../../src/schema.ts';
import { AGG_SCHEMA, aggStore, D0, H0, H1, H2, TOKEN_A, TOKEN_B, tsId, us } from '../store/aggregation-fixture.ts';
import { data, errors } from './client.ts';

let server: GraphqlServer;
let url: string;

before(async () => {
  server = await createGraphqlServer({ store: aggStore(), schema: parseSchema(AGG_SCHEMA), subgraphName: 'test/agg', deployment: 'QmAgg' });
  url = server.url;
});
after(() => server.close());

const A_H0 = { id: tsId(2, 0).toString(), timestamp: us(H0), token: { id: TOKEN_A, symbol: 'AAA' }, volume: '30', value: '100', trades: '2', totalTrades: '2', open: '2', close: '4' };
const B_H0 = { id: tsId(1, 1).toString(), timestamp: us(H0), token: { id: TOKEN_B, symbol: 'BBB' }, volume: '5', value: '15', trades: '1', totalTrades: '1', open: '3', close: '3' };
const A_H1 = { id: tsId(3, 0).toString(), timestamp: us(H1), token: { id: TOKEN_A, symbol: 'AAA' }, volume: '1', value: '5', trades: '1', totalTrades: '3', open: '5', close: '5' };
const A_H2 = { id: tsId(5, 0).toString(), timestamp: us(H2), token: { id: TOKEN_A, symbol: 'AAA' }, volume: '2', value: '2', trades: '1', totalTrades: '4', open: '1', close: '1' };
const FIELDS = 'id timestamp token { id symbol } volume value trades totalTrades open close';

test('hourly buckets, newest first (timestamp desc, id desc) by default', async () => {
  assert.deepEqual(await data(url, `{ tokenStats_collection(interval: hour) { ${FIELDS} } }`), { tokenStats_collection: [A_H1, A_H0, B_H0] });
  // orderDirection alone does not change graph-node's default order
  assert.deepEqual(await data(url, `{ tokenStats_collection(interval: hour, orderDirection: asc) { id } }`), {
    tokenStats_collection: [{ id: A_H1.id }, { id: A_H0.id }, { id: B_H0.id }],
  });
});

test('where: timestamp_gte/gt/lt/lte/in and a dimension', async () => {
  const q = (where: string) => data(url, `{ tokenStats_collection(interval: hour, where: { ${where} }) { id } }`);
  assert.deepEqual(await q(`timestamp_gte: "${us(H1)}"`), { tokenStats_collection: [{ id: A_H1.id }] });
  assert.deepEqual(await q(`timestamp_gt: "${us(H0)}"`), { tokenStats_collection: [{ id: A_H1.id }] });
  assert.deepEqual(await q(`timestamp_lt: "${us(H1)}"`), { tokenStats_collection: [{ id: A_H0.id }, { id: B_H0.id }] });
  assert.deepEqual(await q(`timestamp_lte: "${us(H1)}", token: "${TOKEN_A}"`), { tokenStats_collection: [{ id: A_H1.id }, { id: A_H0.id }] });
  assert.deepEqual(await q(`timestamp_in: ["${us(H1)}"]`), { tokenStats_collection: [{ id: A_H1.id }] });
  assert.deepEqual(await q(`token_: { symbol: "BBB" }`), { tokenStats_collection: [{ id: B_H0.id }] });
});

test('daily buckets and an aggregation without dimensions', async () => {
  assert.deepEqual(await data(url, `{ tokenStats_collection(interval: day, where: { token: "${TOKEN_A}" }) { timestamp volume value totalTrades low high } }`), {
    tokenStats_collection: [{ timestamp: us(D0), volume: '31', value: '105', totalTrades: '3', low: '2', high: '5' }],
  });
  assert.deepEqual(await data(url, `{ stats_collection(interval: hour) { timestamp volume } }`), {
    stats_collection: [
      { timestamp: us(H1), volume: '36' },
      { timestamp: us(H0), volume: '35' },
    ],
  });
});

test('orderBy an aggregate, first and skip', async () => {
  assert.deepEqual(await data(url, `{ tokenStats_collection(interval: hour, orderBy: volume, orderDirection: asc) { volume } }`), {
    tokenStats_collection: [{ volume: '1' }, { volume: '5' }, { volume: '30' }],
  });
  assert.deepEqual(await data(url, `{ tokenStats_collection(interval: hour, first: 1, skip: 1) { id } }`), { tokenStats_collection: [{ id: A_H0.id }] });
});

test('current: include adds the bucket still being filled; exclude is the default', async () => {
  assert.deepEqual(await data(url, `{ tokenStats_collection(interval: hour, current: include) { ${FIELDS} } }`), {
    tokenStats_collection: [A_H2, A_H1, A_H0, B_H0],
  });
  assert.deepEqual(await data(url, `{ tokenStats_collection(interval: hour, current: exclude) { id } }`), {
    tokenStats_collection: [{ id: A_H1.id }, { id: A_H0.id }, { id: B_H0.id }],
  });
});

test('time travel: a bucket exists from the block that rolled it up', async () => {
  assert.deepEqual(await data(url, `{ tokenStats_collection(interval: hour, block: { number: 4 }) { id } }`), {
    tokenStats_collection: [{ id: A_H0.id }, { id: B_H0.id }],
  });
  assert.deepEqual(await data(url, `{ tokenStats_collection(interval: hour, block: { number: 2 }) { id } }`), { tokenStats_collection: [] });
  // at block 4, block 3's swap is the bucket being filled
  assert.deepEqual(await data(url, `{ tokenStats_collection(interval: hour, block: { number: 4 }, current: include, first: 1) { id volume } }`), {
    tokenStats_collection: [{ id: A_H1.id, volume: '1' }],
  });
});

test('interval, orderBy, orderDirection and current as strings, as graph-node coerces them', async () => {
  assert.deepEqual(await data(url, `{ tokenStats_collection(interval: "hour", current: "include", orderBy: "volume", orderDirection: "asc") { volume } }`), {
    tokenStats_collection: ['1', '2', '5', '30'].map((volume) => ({ volume })),
  });
  assert.deepEqual(await data(url, `query q($i: Aggregation_interval!) { tokenStats_collection(interval: $i) { id } }`, { i: 'hour' }), {
    tokenStats_collection: [{ id: A_H1.id }, { id: A_H0.id }, { id: B_H0.id }],
  });
  assert.deepEqual(await errors(url, `{ tokenStats_collection(interval: "hours") { id } }`), ['Invalid value provided for argument `interval`: String("hours")']);
});

test('errors: a missing interval, an interval the aggregation lacks, aggregates are not filters', async () => {
  const [missing] = await errors(url, `{ tokenStats_collection { id } }`);
  assert.match(missing!, /argument "interval" of type "Aggregation_interval!" is required/);
  assert.deepEqual(await errors(url, `{ stats_collection(interval: day) { id } }`), ['Aggregation `Stats` has no `day` interval (its intervals: hour)']);
  const [agg] = await errors(url, `{ tokenStats_collection(interval: hour, where: { volume: "1" }) { id } }`);
  assert.match(agg!, /volume/);
  // the data points stay an ordinary (immutable) entity type
  assert.deepEqual(await data(url, `{ swaps(first: 1, orderBy: id) { id timestamp amount } }`), {
    swaps: [{ id: tsId(1, 0).toString(), timestamp: us(H0 + 100), amount: '10' }],
  });
});
