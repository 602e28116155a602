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

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli.ts');

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

/** The CLI in its own process; `killAfterMs` sends SIGKILL (no chance to clean up). */
function runCli(db: string, killAfterMs?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        cli,
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
    const timer = killAfterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), killAfterMs) : undefined;
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

function cursorOf(file: string): number {
  const db = openDatabase(file);
  try {
    if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'store_meta'`).get()) return -1;
    const row = db.prepare(`SELECT value FROM store_meta WHERE key = 'cursor'`).get() as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as { number: number }).number : -1;
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
    const random = prng(7);
    const cursors: number[] = [];
    let kills = 0;
    for (let i = 0; i < 8; i++) {
      const run = await runCli(db, Math.floor(150 + random() * cleanMs));
      if (run.signal === 'SIGKILL') kills++;
      else assert.equal(run.code, 0, run.stderr);
      cursors.push(cursorOf(db));
    }
    const last = await runCli(db);
    assert.equal(last.code, 0, last.stderr);
    t.diagnostic(`clean run ${cleanMs} ms; cursors after kills: ${cursors.join(', ')}`);
    assert.ok(kills >= 4, `most runs were killed (${kills})`);
    // kills landed during the backfill, not only before or after it
    assert.ok(cursors.some((c) => c > 0 && c < (reference.cursor as { number: number }).number), `cursors after kills: ${cursors.join(', ')}`);
    assert.deepEqual(dumpFile(db, h.subgraphDir), reference);
  });
});
