// A single long SQL statement is stopped by the request deadline (better-sqlite3 cannot interrupt
// statements; the deadline is checked from inside the scan).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { graphql } from 'graphql';
import { buildApiSchema } from '../../src/graphql/api-schema.ts';
import { DEFAULT_LIMITS, newExecContext } from '../../src/graphql/execute.ts';
import { parseSchema } from '../../src/schema.ts';
import { MUSIC_SCHEMA, musicStore } from './music.ts';

test('a scan over half a million rows stops at the deadline, and the store keeps answering', async () => {
  const store = musicStore();
  store.db.exec(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500000)
     INSERT INTO "e_Thing" (__from, __to, id, str) SELECT 0, 2147483647, 'x' || i, 'row ' || i FROM n`,
  );
  const api = buildApiSchema(parseSchema(MUSIC_SCHEMA));
  const meta = { layout: api.layout, filterKeys: api.filterKeys, deployment: 'QmT', limits: DEFAULT_LIMITS, earliestBlock: 0, lookedUp: new Map() };
  const ctx = newExecContext(store, meta);
  // the resolver starts well within the deadline; only the scan itself can exceed it
  ctx.deadline = Date.now() + 20;
  const slow = await graphql({ schema: api.schema, source: `{ things(where: { str_contains_nocase: "no such row" }) { id } }`, contextValue: ctx });
  assert.deepEqual(slow.errors?.map((e) => e.message), ['Query timed out']);
  const fast = await graphql({ schema: api.schema, source: `{ thing(id: "x42") { str } }`, contextValue: newExecContext(store, meta) });
  assert.deepEqual(JSON.parse(JSON.stringify(fast.data)), { thing: { str: "row 42" } });
  store.db.close();
});
