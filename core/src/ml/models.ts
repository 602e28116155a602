import { sigmoidFn, type SigmoidKind } from './sigmoid.ts';

export type Task = 'logistic' | 'linear';

export function dot(w: ArrayLike<number>, x: ArrayLike<number>): number {
  if (w.length !== x.length) throw new Error(`dimension mismatch: ${w.length} weights, ${x.length} features`);
  let s = 0;
  for (let j = 0; j < w.length; j++) s += w[j] * x[j];
  return s;
}

/** Model outputs: probabilities (logistic, exact sigmoid unless told) or values (linear). */
export function predict(task: Task, w: ArrayLike<number>, x: readonly Float64Array[], sigmoid: SigmoidKind = 'exact'): Float64Array {
  const out = new Float64Array(x.length);
  const s = sigmoidFn(sigmoid);
  for (let i = 0; i < x.length; i++) {
    const z = dot(w, x[i]);
    out[i] = task === 'logistic' ? s(z) : z;
  }
  return out;
}

/**
 * Mean gradient over the rows: (1/n) sum_i (f(x_i.w) - y_i) x_i, with f the sigmoid for logistic
 * regression (cross-entropy loss) and the identity for linear regression (half squared error).
 * This is exactly what the encrypted gradient computes (with the polynomial sigmoid).
 */
export function gradient(task: Task, w: ArrayLike<number>, x: readonly Float64Array[], y: Float64Array, sigmoid: SigmoidKind = 'poly'): Float64Array {
  if (x.length !== y.length) throw new Error(`${x.length} rows but ${y.length} labels`);
  if (x.length === 0) throw new Error('gradient of an empty batch');
  const d = w.length;
  const g = new Float64Array(d);
  const s = sigmoidFn(sigmoid);
  for (let i = 0; i < x.length; i++) {
    const z = dot(w, x[i]);
    const r = (task === 'logistic' ? s(z) : z) - y[i];
    const xi = x[i];
    for (let j = 0; j < d; j++) g[j] += r * xi[j];
  }
  for (let j = 0; j < d; j++) g[j] /= x.length;
  return g;
}

/** w - learningRate * g, as a new array. */
export function applyGradient(w: ArrayLike<number>, g: ArrayLike<number>, learningRate: number): Float64Array {
  if (w.length !== g.length) throw new Error(`gradient has ${g.length} values for ${w.length} weights`);
  const out = new Float64Array(w.length);
  for (let j = 0; j < w.length; j++) out[j] = w[j] - learningRate * g[j];
  return out;
}

export interface TrainOptions {
  task: Task;
  learningRate: number;
  rounds: number;
  sigmoid?: SigmoidKind;
  initial?: ArrayLike<number>;
}

/** Plain full-batch gradient descent: the reference the encrypted rounds are compared with. */
export function trainPlain(x: readonly Float64Array[], y: Float64Array, opts: TrainOptions): Float64Array {
  if (x.length === 0) throw new Error('no rows to train on');
  let w: Float64Array = opts.initial ? Float64Array.from(opts.initial) : new Float64Array(x[0].length);
  for (let r = 0; r < opts.rounds; r++) w = applyGradient(w, gradient(opts.task, w, x, y, opts.sigmoid ?? 'poly'), opts.learningRate);
  return w;
}
