// The cost of differential privacy on by default: `hessian demo`'s training (LendingClub, the
// lender holds out 20%, 5 owners with disjoint shards, 2 rounds each, batches of 512, learning
// rate 1, the evaluator accepts a gradient only if the held-out AUC strictly improves) replayed in
// plaintext float64 with the same cubic sigmoid (CKKS matches it to ~1e-5, BENCHMARKS.md
// "training"), with and without the owner's clipping + Gaussian noise, over many noise draws and
// secret batch plans. Plaintext, so hundreds of trials take seconds; what is measured is the AUC,
// not time.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readCsvFile, encodeTable, fitEncoding, take, SeededRandom } from '@hessian/core/data';
import type { EncodedData } from '@hessian/core/data';
import { writeShardCsvs } from '@hessian/trainer/data';
import { applyGradient, gradient, predict, auc, metricToScore } from '@hessian/core/ml';
import { privatizeBatch } from '@hessian/core/he';
import { BatchSeed, DEFAULT_OWNER_PRIVACY, epsilonForRho, gaussianRho } from '@hessian/trainer';
import { emptyResult, runSuite, suiteArgs } from '../lib/result.ts';
import { rootDir } from '../lib/machine.ts';

const DATA = [path.join(rootDir, 'trainer/data/lending_club_loan_data.csv'), path.join(rootDir, '../shared/datasets/lending_club_loan_data.csv')].find((f) => existsSync(f));
// the demo's defaults (cli/commands/demo.ts)
const OWNERS = 5, ROUNDS = 2, BATCH = 512, LEARNING_RATE = 1, TARGET = 0.69, TEST_FRACTION = 0.2;

interface Variant { name: string; noiseMultiplier: number; clipNorm?: number }

/** one demo run: rounds of one gradient per owner on the round's weights, applied in turn to the best weights */
function demoRun(owners: EncodedData[], held: EncodedData, v: Variant, trial: number): { auc: number; accepted: number } {
  const d = held.x[0]!.length;
  let w: Float64Array = new Float64Array(d);
  const score = (c: Float64Array) => Number(metricToScore('auc', auc(held.y, predict('logistic', c, held.x))));
  let best = score(w);
  let accepted = 0;
  const rng = new SeededRandom(`privacy-bench/${v.name}/${trial}`);
  const plans = owners.map((o, i) => new BatchSeed(createHash('sha256').update(`trial ${trial} owner ${i}`).digest()).plan(o.x.length, BATCH, 1));
  for (let r = 0; r < ROUNDS; r++) {
    // the owners compute concurrently on the weights they find; the evaluator takes them in order
    const base = w;
    const grads = owners.flatMap((o, i) => {
      const idx = plans[i]![r];
      if (!idx) return [];
      const b = take(o.x, o.y, idx);
      if (v.noiseMultiplier === 0 && v.clipNorm === undefined) return [gradient('logistic', base, b.x, b.y, 'poly')];
      const p = privatizeBatch(b.x, { noiseMultiplier: Math.max(v.noiseMultiplier, 1e-12), delta: DEFAULT_OWNER_PRIVACY.delta, clipNorm: v.clipNorm ?? DEFAULT_OWNER_PRIVACY.clipNorm }, { intercept: true, uniform: () => rng.next() || 1e-300 });
      const g = gradient('logistic', base, p.x, b.y, 'poly');
      return [v.noiseMultiplier === 0 ? g : g.map((x, j) => x + p.noise[j]!)];
    });
    for (const g of grads) {
      const cand = applyGradient(w, g, LEARNING_RATE);
      const s = score(cand);
      if (s > best) {
        best = s;
        w = cand;
        accepted++;
      }
    }
  }
  return { auc: best / 1e6, accepted };
}

await runSuite(async () => {
  const { smoke } = suiteArgs();
  const r = emptyResult('privacy', "Differential privacy on by default: the demo's AUC with and without the owners' noise");
  if (!DATA) throw new Error('LendingClub data not found (trainer/data/ or ../shared/datasets/)');
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-privacy-'));
  try {
    const files = await writeShardCsvs(DATA, dir, { owners: OWNERS, testFraction: TEST_FRACTION, seed: 'hessian-demo' });
    const lender = await readCsvFile(files.lender);
    const spec = fitEncoding(lender, { label: 'not.fully.paid' });
    const held = encodeTable(lender, spec);
    const owners = await Promise.all(files.owners.map(async (f) => encodeTable(await readCsvFile(f), spec)));
    const trials = smoke ? 3 : 200;
    const z = DEFAULT_OWNER_PRIVACY.noiseMultiplier;
    const variants: Variant[] = [
      { name: 'no DP (no clipping, no noise)', noiseMultiplier: 0 },
      { name: `clipping only (C = ${DEFAULT_OWNER_PRIVACY.clipNorm})`, noiseMultiplier: 0, clipNorm: DEFAULT_OWNER_PRIVACY.clipNorm },
      ...[1, z, 4, 8].map((m) => ({ name: `noise multiplier ${m}${m === z ? ' (default)' : ''}`, noiseMultiplier: m })),
    ];
    const delta = DEFAULT_OWNER_PRIVACY.delta;
    const rows: (string | number)[][] = [];
    const figures: Record<string, unknown> = {};
    let baseline = 0;
    for (const v of variants) {
      const runs = Array.from({ length: trials }, (_, t) => demoRun(owners, held, v, t));
      const aucs = runs.map((x) => x.auc).sort((a, b) => a - b);
      const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
      if (v.noiseMultiplier === 0 && v.clipNorm === undefined) baseline = mean;
      const reached = runs.filter((x) => x.auc >= TARGET).length / trials;
      const accepted = runs.reduce((a, x) => a + x.accepted, 0) / trials;
      // each owner's 2 batches are disjoint rows of one plan: its most exposed row is in one release
      const eps = v.noiseMultiplier > 0 ? epsilonForRho(gaussianRho(v.noiseMultiplier), delta) : Infinity;
      rows.push([
        v.name,
        Number.isFinite(eps) ? eps.toFixed(2) : 'none',
        mean.toFixed(4),
        (mean - baseline).toFixed(4),
        aucs[Math.floor(trials * 0.05)]!.toFixed(4),
        `${(reached * 100).toFixed(0)}%`,
        accepted.toFixed(1),
      ]);
      figures[v.name] = { epsilonPerOwner: Number.isFinite(eps) ? eps : null, meanAuc: mean, p5Auc: aucs[Math.floor(trials * 0.05)], reachedTarget: reached, accepted };
    }
    r.tables.push({
      title: `hessian demo's training replayed in plaintext: LendingClub ${files.table.rows.length} rows, ${files.testRows} held out, ${OWNERS} owners x ${ROUNDS} rounds x ${BATCH} rows, learning rate ${LEARNING_RATE}, clip ${DEFAULT_OWNER_PRIVACY.clipNorm}, delta ${delta.toExponential()}; ${trials} trials (noise draws and secret batch plans) per row`,
      columns: ['owners\' privacy', 'epsilon per owner (= per gradient)', 'mean AUC', 'vs no DP', '5th percentile AUC', `reached target ${TARGET}`, 'gradients accepted (of 10)'],
      rows,
      portable: true,
    });
    r.notes.push(
      `Epsilon is the owner's total for the run, at delta ${delta.toExponential()}: an owner's two batches for the model are disjoint rows of its secret plan, so its most exposed row is in one release (privacy/accountant.ts). A second model with the same owner adds a release: at the default noise ${z}, one model is epsilon ${epsilonForRho(gaussianRho(z), delta).toFixed(2)}, two ${epsilonForRho(2 * gaussianRho(z), delta).toFixed(2)}, ten ${epsilonForRho(10 * gaussianRho(z), delta).toFixed(2)} (the default budget is ${DEFAULT_OWNER_PRIVACY.epsilonBudget}).`,
      'Figures are independent of the machine (a seeded replay), so the table is not labelled with it.',
    );
    r.figures = figures;
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
