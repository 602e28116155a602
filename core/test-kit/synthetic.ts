import { SeededRandom } from '../src/data/split.ts';

/** Synthetic rows (intercept first) and labels drawn from a known logistic model. */
export function syntheticData(n: number, d: number, seed: string | number): { x: Float64Array[]; y: Float64Array; w: Float64Array } {
  const rng = new SeededRandom(seed);
  const wTrue = Float64Array.from({ length: d }, () => (rng.next() - 0.5) * 1.5);
  const x: Float64Array[] = [];
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = new Float64Array(d);
    r[0] = 1;
    for (let j = 1; j < d; j++) r[j] = (rng.next() - 0.5) * 3;
    let z = 0;
    for (let j = 0; j < d; j++) z += r[j] * wTrue[j];
    y[i] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    x.push(r);
  }
  return { x, y, w: wTrue };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
