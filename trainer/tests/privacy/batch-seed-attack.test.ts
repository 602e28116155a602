// H3: batch membership must be the owner's secret. Checked against the old code (membership from
// the public seed "hessian"): there the lender's system had full rank and gave back every row to
// 7e-16, so the first test failed; it passes now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { miniBatches, take } from '@hessian/core/data';
import { gradient } from '@hessian/core/ml';
import { createLogger } from '@hessian/core/log';
import { batchSeedFile, loadOrCreateBatchSeed } from '../../src/privacy/seed.ts';
import type { BatchSeed } from '../../src/privacy/seed.ts';
import { syntheticData } from '@hessian/core/test-kit';
import { solveRows, systemFrom } from './attack-lib.ts';

const N = 24, B = 4, D = 5, MODELS = 4 * B;
const ACCOUNT = '0x00000000000000000000000000000000000000A1';

/** a fresh owner state directory and the seed its daemon would load */
function ownerSeed(): { seed: BatchSeed; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'h3-'));
  const file = batchSeedFile(dir, ACCOUNT);
  return { seed: loadOrCreateBatchSeed(file), file };
}

/** the owner's w = 0 gradients for MODELS models (the lender rejects all, so w never moves) */
function ownerGradients(seed: BatchSeed, x: Float64Array[], y: Float64Array) {
  const sets: Uint32Array[] = [];
  const grads: Float64Array[] = [];
  for (let m = 1; m <= MODELS; m++) {
    for (const batch of seed.plan(N, B, m)) {
      const b = take(x, y, batch);
      sets.push(batch);
      grads.push(gradient('logistic', new Float64Array(D), b.x, b.y));
    }
  }
  return { sets, grads };
}

function maxError(u: Float64Array[], rows: Float64Array[]): number {
  let err = 0;
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) err = Math.max(err, Math.abs(u[i]![j]! - rows[i]![j]!));
  return err;
}

test('attack: a lender who knows the batch seed reconstructs every owner row from w = 0 gradients (public seed no longer used)', () => {
  const { x, y } = syntheticData(N, D, 'h3');
  const rows = x.map((r, i) => r.map((v) => (0.5 - y[i]!) * v));
  const { seed } = ownerSeed();
  const { sets: truth, grads } = ownerGradients(seed, x, y);
  // the lender's only way to the index sets was the public default seed
  const all = Uint32Array.from({ length: N }, (_, i) => i);
  const guessed: Uint32Array[] = [];
  for (let m = 1; m <= MODELS; m++) guessed.push(...miniBatches(all, B, `hessian/model/${m}`).filter((b) => b.length === B));
  assert.equal(guessed.length, grads.length);
  const same = guessed.filter((s, k) => [...s].sort().join() === [...truth[k]!].sort().join()).length;
  assert.ok(same <= 1, `${same} of ${guessed.length} guessed batches are the owner's`);
  const u = solveRows(systemFrom(guessed, grads, N).a, grads, N);
  // with the wrong sets the least-squares "rows" are far from the real ones
  assert.ok(!u || maxError(u, rows) > 0.1, 'the rows were recovered from a guessed plan');

  // control: the same solver over the owner's true (secret) sets does recover the rows, so what
  // protects them is the secrecy of the plan
  const v = solveRows(systemFrom(truth, grads, N).a, grads, N);
  assert.ok(v && maxError(v, rows) < 1e-9, 'the solver works given the true sets');
});

test('batch seed: made on first run (0600, crypto random), the same plan after a restart, a new plan per model', () => {
  const { seed, file } = ownerSeed();
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const again = loadOrCreateBatchSeed(file);
  assert.equal(again.id, seed.id);
  assert.deepEqual(again.plan(100, 10, 3), seed.plan(100, 10, 3), 'a restart picks the same rows');
  const other = ownerSeed().seed;
  assert.notEqual(other.id, seed.id, 'each owner has its own seed');
  assert.notDeepEqual(other.plan(100, 10, 3), seed.plan(100, 10, 3));
  assert.notDeepEqual(seed.plan(100, 10, 4), seed.plan(100, 10, 3), 'each model gets its own shuffle');
  const plan = seed.plan(103, 10, 1);
  assert.equal(plan.length, 10, 'the short last batch is dropped');
  const seen = new Set<number>();
  for (const b of plan) for (const i of b) seen.add(i);
  assert.equal(seen.size, 100, 'batches are disjoint');
  assert.ok([...seen].every((i) => i < 103));
});

test('batch seed: a file open to others is refused; a malformed one names what is wrong; the seed never reaches a log', () => {
  const { seed, file } = ownerSeed();
  chmodSync(file, 0o644);
  assert.throws(() => loadOrCreateBatchSeed(file), /mode 644: it must not be accessible by group or others \(chmod 600\)/);
  chmodSync(file, 0o600);
  const hex = JSON.parse(readFileSync(file, 'utf8')).seed as string;
  assert.match(hex, /^[0-9a-f]{64}$/);
  assert.ok(!inspect(seed).includes(hex) && !JSON.stringify({ seed }).includes(hex) && !String(seed).includes(hex));
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l) });
  loadOrCreateBatchSeed(file, { log });
  log.info('oops', { leaked: hex, inText: `seed=${hex}`, b64: Buffer.from(hex, 'hex').toString('base64') });
  assert.ok(lines.length === 1 && !lines[0]!.includes(hex) && !lines[0]!.includes(Buffer.from(hex, 'hex').toString('base64')), lines[0]);
  writeFileSync(file, '{"version":1,"kind":"hessian/batch-seed","seed":"abc"}', { mode: 0o600 });
  assert.throws(() => loadOrCreateBatchSeed(file), /batch seed file .* is invalid: expected/);
});
