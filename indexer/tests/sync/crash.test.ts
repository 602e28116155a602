// kill -9 at random points of a backfill, restart, and the database ends exactly as a run that
// was never interrupted: every batch (chain rows, entity versions, cursor) is one transaction.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dumpFile, startHessianChain, type HessianChain } from './helpers/hessian.ts';
import { prng } from './helpers/faulty-proxy.ts';
import { openDatabase } from '../../src/db.ts';

// `hessian index`, the command users run
const hessian = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'cli', 'hessian.ts');

let h: HessianChain;

before(async () => {
  h = await startHessianChain();
  for (let i = 0; i < 150; i++) await h.send('evm_mine');
});
after(async () => {
  await h?.stop();
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * The CLI in its own process. `killWhen` is polled every few ms and, once true, SIGKILL is sent
 * (no chance to clean up): the kill lands wherever the indexer happens to be.
 */
function runCli(db: string, killWhen?: () => boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        hessian,
        'index',
        '--rpc', h.chain.url,
        '--subgraph', h.subgraphDir,
        '--db', db,
        '--exit-when-synced',
        // one block per batch: many commits for the kills to fall between (and inside)
        '--log-range', '1',
        '--max-log-range', '1',
        '--max-reorg-depth', '3',
        '--log-level', 'warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = killWhen
      ? setInterval(() => {
          if (killWhen()) {
            clearInterval(timer);
            child.kill('SIGKILL');
          }
        }, 3)
      : undefined;
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/** The store's cursor as another process sees it (-1 before the first commit). */
function cursorOf(file: string): number {
  let db;
  try {
    db = openDatabase(file, { readonly: true });
  } catch {
    return -1;
  }
  try {
    if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'store_meta'`).get()) return -1;
    const row = db.prepare(`SELECT value FROM store_meta WHERE key = 'cursor'`).get() as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as { number: number }).number : -1;
  } catch {
    return -1;
  } finally {
    db.close();
  }
}

describe('crash safety', () => {
  test('SIGKILL at random points of a backfill, restart: the same database as a clean run', async (t) => {
    const cleanDb = path.join(h.workDir, 'clean.sqlite');
    const t0 = Date.now();
    const clean = await runCli(cleanDb);
    const cleanMs = Date.now() - t0;
    assert.equal(clean.code, 0, clean.stderr);
    const reference = dumpFile(cleanDb, h.subgraphDir);
    assert.equal((reference.cursor as { number: number }).number, await h.head());

    const db = path.join(h.workDir, 'killed.sqlite');
    const head = (reference.cursor as { number: number }).number;
    const random = prng(7);
    const cursors: number[] = [];
    // two kills at random times from the start (startup, schema creation, first batches), then
    // kills at random points further along the backfill
    for (let i = 0; i < 8; i++) {
      const startedAt = Date.now();
      const from = cursorOf(db);
      const target = from + Math.max(1, Math.floor(random() * (head - from) * 0.4));
      const delay = Math.floor(random() * 1500);
      const run = await runCli(db, i < 2 ? () => Date.now() - startedAt > delay : () => cursorOf(db) >= target);
      assert.equal(run.signal, 'SIGKILL', `run ${i} was killed before it finished (${run.stderr})`);
      cursors.push(cursorOf(db));
    }
    t.diagnostic(`clean run ${cleanMs} ms; cursors after kills: ${cursors.join(', ')}`);
    const last = await runCli(db);
    assert.equal(last.code, 0, last.stderr);
    // kills landed during the backfill, not only before or after it
    assert.ok(cursors.filter((c) => c > 0 && c < head).length >= 5, `cursors after kills: ${cursors.join(', ')}`);
    assert.deepEqual(dumpFile(db, h.subgraphDir), reference);
  });
});
