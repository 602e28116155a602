// Timings and sizes for trainer/README.md (not a test: run `node tests/core/measure.ts`).
// Single-thread figures are CPU time; the worker-pool comparison is wall time.
import { HeContext, parameterSet, type ParameterSetName, generateKeys, loadGaloisKeys, loadPublicKey, loadRelinKeys, encryptWeights, loadWeights, decryptWeights, decryptGradient, encryptedGradient, gradientPacking } from '@hessian/core/he';
import { gradient } from '@hessian/core/ml';
import { syntheticData } from '@hessian/core/test-kit';

const KiB = 1024;
const fmt = (b: number): string => (b >= 1024 * KiB ? `${(b / 1024 / KiB).toFixed(1)} MiB` : `${(b / KiB).toFixed(0)} KiB`);

/** median of `reps` runs (the machine is shared: the median is less sensitive to other load) */
// `ms` is process CPU time (user + system): SEAL is single-threaded, so on a shared machine it
// is the compute cost without the time spent waiting for a core; `wall` is elapsed time.
async function time<T>(f: () => T | Promise<T>, reps = 1): Promise<{ ms: number; wall: number; value: T }> {
  let value!: T;
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    value = await f();
    const dc = process.cpuUsage(c);
    cpu.push((dc.user + dc.system) / 1000);
    wall.push(performance.now() - t);
  }
  const median = (v: number[]): number => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return { ms: median(cpu), wall: median(wall), value };
}

const d = 21;
for (const [set, task, sizes] of [
  ['logistic-16384', 'logistic', [1000, 8192, 16384]],
  ['logistic-8192', 'logistic', [1000, 4096]],
  ['linear-8192', 'linear', [1000, 10000]],
] as [ParameterSetName, 'logistic' | 'linear', number[]][]) {
  const he = await HeContext.create(parameterSet(set), task);
  const p = gradientPacking(task, he.params, d);
  const kg = await time(() => generateKeys(he, { relin: p.needsRelin, galoisSteps: p.galoisSteps }));
  const keys = kg.value;
  const pk = loadPublicKey(he, keys.publicKey);
  const w = Float64Array.from({ length: d }, (_, j) => Math.sin(j) * 0.3);
  const encSk = await time(() => encryptWeights(he, w, { publicKey: pk, secretKey: keys.secretKey }), 3);
  const encPk = await time(() => encryptWeights(he, w, { publicKey: pk }), 3);
  const dec = await time(() => decryptWeights(he, encSk.value, keys.secretKey), 3);
  const wc = loadWeights(he, encSk.value);
  const rk = keys.relinKeys ? loadRelinKeys(he, keys.relinKeys) : undefined;
  const gkLoad = await time(() => (keys.galoisKeys ? loadGaloisKeys(he, keys.galoisKeys, p.galoisSteps) : undefined));
  const gk = gkLoad.value;
  console.log(`\n## ${set} (${task}, ${d} weights, ${he.slotCount} slots)`);
  console.log(`keygen (secret, public, relin, ${p.galoisSteps.length} rotation keys): ${kg.ms.toFixed(0)} ms; load rotation keys ${gkLoad.ms.toFixed(0)} ms`);
  console.log(`sizes: public key ${fmt(keys.publicKey.length)}, relin keys ${keys.relinKeys ? fmt(keys.relinKeys.length) : '-'}, rotation keys ${keys.galoisKeys ? fmt(keys.galoisKeys.length) : '-'}`);
  console.log(`encrypt weights: ${(encSk.ms / d).toFixed(1)} ms/weight symmetric (${fmt(encSk.value[0].length)} each), ${(encPk.ms / d).toFixed(1)} ms/weight public-key (${fmt(encPk.value[0].length)} each); decrypt ${(dec.ms / d).toFixed(1)} ms/weight`);
  for (const n of sizes) {
    const { x, y } = syntheticData(n, d, `m${n}`);
    const g = await time(() => encryptedGradient(he, { task, weights: wc, x, y, relinKeys: rk, galoisKeys: gk }), 3);
    const plain = await time(() => gradient(task, w, x, y, 'poly'), 20);
    const dg = await time(() => decryptGradient(he, g.value, keys.secretKey, task, d));
    console.log(`gradient over ${n} rows: ${g.ms.toFixed(0)} ms = ${((g.ms / n) * 1000).toFixed(0)} ms per 1000 rows (plaintext ${plain.ms.toFixed(2)} ms); ciphertext ${fmt(g.value.length)}; decrypt ${dg.ms.toFixed(1)} ms`);
  }
  for (const c of wc) c.delete();
  rk?.delete(); gk?.delete(); pk.delete(); keys.secretKey.delete(); he.delete();
}

console.log(`\nload average during the run: ${(await import('node:os')).loadavg().map((v) => v.toFixed(1)).join(' ')}`);

// worker pool: a 4-chunk batch at N=16384 in the main thread, 1 worker, 2 workers
{
  const { GradientPool } = await import('../../src/he/pool.ts');
  const params = parameterSet('logistic-16384');
  const he = await HeContext.create(params, 'logistic');
  const p = gradientPacking('logistic', params, d);
  const keys = generateKeys(he, { relin: true, galoisSteps: p.galoisSteps });
  const pk = loadPublicKey(he, keys.publicKey);
  const weights = encryptWeights(he, Float64Array.from({ length: d }, (_, j) => Math.sin(j) * 0.3), { publicKey: pk, secretKey: keys.secretKey });
  const n = 4 * 8192;
  const { x, y } = syntheticData(n, d, 'pool');
  const wc = loadWeights(he, weights);
  const rk = loadRelinKeys(he, keys.relinKeys!);
  const gk = loadGaloisKeys(he, keys.galoisKeys!, p.galoisSteps);
  const main = await time(() => encryptedGradient(he, { task: 'logistic', weights: wc, x, y, relinKeys: rk, galoisKeys: gk }));
  console.log(`\n## worker pool, logistic-16384, ${n} rows`);
  console.log(`main thread: ${main.wall.toFixed(0)} ms wall (${((main.wall / n) * 1000).toFixed(0)} ms per 1000 rows; cpu ${main.ms.toFixed(0)} ms)`);
  for (const size of [1, 2]) {
    const pool = new GradientPool(size);
    const input = { params, task: 'logistic' as const, weights, relinKeys: keys.relinKeys, galoisKeys: keys.galoisKeys, x, y };
    const first = await time(() => pool.gradient(input));
    const warm = await time(() => pool.gradient(input));
    console.log(`pool of ${size}: first call ${first.wall.toFixed(0)} ms wall (ships keys), warm ${warm.wall.toFixed(0)} ms wall (${((warm.wall / n) * 1000).toFixed(0)} ms per 1000 rows)`);
    await pool.close();
  }
  for (const c of wc) c.delete();
  rk.delete(); gk.delete(); pk.delete(); keys.secretKey.delete(); he.delete();
}
