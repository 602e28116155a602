// A backfill from scratch leaves the query-only indexes out and builds them when it catches up
// (EntityStore.deferAttributeIndexes): an indexer stopped half way and restarted ends with the
// same indexes as one never interrupted, and with those of a store that never deferred them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startIndexer, type RunningIndexer } from '../../src/indexer.ts';
import { createLogger } from '../../src/log.ts';
import { openDatabase } from '../../src/db.ts';
import { EntityStore } from '../../src/store/entity-store.ts';
import type { Db } from '../../src/db.ts';
import { startHessianChain, waitFor, type HessianChain } from './helpers/hessian.ts';

let h: HessianChain;
before(async () => {
  h = await startHessianChain();
});
after(async () => {
  await h?.stop();
});

const indexes = (db: Db) =>
  (db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name LIKE 'e\\_%' ESCAPE '\\' ORDER BY name`).all() as { sql: string }[]).map((r) => r.sql);

function start(db: string, lines: string[]): Promise<RunningIndexer> {
  return startIndexer({
    rpcUrl: h.chain.url,
    subgraph: h.subgraphDir,
    db,
    port: null,
    pollIntervalMs: 20,
    // one block per batch: a stop lands half way through the backfill
    logRange: { initial: 1, max: 1 },
    logger: createLogger({ level: 'info', write: (l) => lines.push(l) }),
  });
}

test('query-only indexes deferred during a backfill, built at catch-up; a restart half way ends with the same indexes', async () => {
  const r0 = await start(':memory:', []);
  const never = new EntityStore(openDatabase(':memory:'), r0.subgraph.schema);
  const all = indexes(never.db);
  never.db.close();
  await r0.stop();

  const file = path.join(h.workDir, 'deferred.sqlite');
  const head = await h.head();
  const lines: string[] = [];
  let r = await start(file, lines);
  const half = r.subgraph.manifest.dataSources[0]!.startBlock! + 3;
  await waitFor(`cursor past block ${half}`, () => (r.store.getCursor()?.number ?? 0) >= half);
  await r.stop();
  let db = openDatabase(file, { readonly: true });
  const midway = indexes(db);
  db.close();
  assert.ok(midway.length < all.length, 'left out during the backfill');
  assert.ok(midway.every((sql) => all.includes(sql)));
  assert.ok(head > half + 3, `the backfill was stopped half way (head ${head})`);

  r = await start(file, lines);
  await r.ready;
  assert.equal(r.store.attributeIndexesDeferred(), false);
  assert.deepEqual(indexes(r.db), all);
  const built = lines.filter((l) => l.includes('created the query indexes deferred during backfill'));
  assert.equal(built.length, 1, lines.join('\n'));
  assert.match(built[0]!, new RegExp(`"indexes":${all.length - midway.length}\\b`));
  await r.stop();
  db = openDatabase(file, { readonly: true });
  assert.deepEqual(indexes(db), all, 'kept after stopping');
  db.close();
});
