import { SCORE_SCALE as CONTRACT_SCORE_SCALE } from '@hessian/contracts';

/** auc, accuracy and logLoss need 0/1 labels; r2 (coefficient of determination) suits numeric labels */
export type Metric = 'auc' | 'accuracy' | 'logLoss' | 'r2';

export const METRICS: readonly Metric[] = ['auc', 'accuracy', 'logLoss', 'r2'];

function checkLengths(y: ArrayLike<number>, p: ArrayLike<number>): void {
  if (y.length !== p.length) throw new Error(`${y.length} labels but ${p.length} scores`);
  if (y.length === 0) throw new Error('metric of an empty set');
}

/**
 * Area under the ROC curve (Mann-Whitney U with average ranks for tied scores): the probability a
 * random positive scores above a random negative. Labels must be 0/1 with both classes present.
 */
export function auc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  checkLengths(y, score);
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a] - score[b]);
  let pos = 0;
  let rankSumPos = 0;
  for (let k = 0; k < n; ) {
    let e = k;
    while (e + 1 < n && score[order[e + 1]] === score[order[k]]) e++;
    const avgRank = (k + e + 2) / 2;
    for (let t = k; t <= e; t++) {
      const yi = y[order[t]];
      if (yi !== 0 && yi !== 1) throw new Error(`auc needs 0/1 labels, found ${yi}`);
      if (yi === 1) { pos++; rankSumPos += avgRank; }
    }
    k = e + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) throw new Error('auc needs both positive and negative labels');
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function accuracy(y: ArrayLike<number>, p: ArrayLike<number>, threshold = 0.5): number {
  checkLengths(y, p);
  let ok = 0;
  for (let i = 0; i < y.length; i++) if ((p[i] >= threshold ? 1 : 0) === y[i]) ok++;
  return ok / y.length;
}

/** Mean binary cross-entropy; probabilities are clamped to [eps, 1-eps] so it stays finite. */
export function logLoss(y: ArrayLike<number>, p: ArrayLike<number>, eps = 1e-15): number {
  checkLengths(y, p);
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const q = Math.min(1 - eps, Math.max(eps, p[i]));
    s -= y[i] * Math.log(q) + (1 - y[i]) * Math.log(1 - q);
  }
  return s / y.length;
}

export function meanSquaredError(y: ArrayLike<number>, p: ArrayLike<number>): number {
  checkLengths(y, p);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return s / y.length;
}

/** 1 - SSE/SST: 1 is perfect, 0 is as good as predicting the mean. */
export function r2(y: ArrayLike<number>, p: ArrayLike<number>): number {
  checkLengths(y, p);
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i];
  mean /= y.length;
  let sse = 0;
  let sst = 0;
  for (let i = 0; i < y.length; i++) { sse += (y[i] - p[i]) ** 2; sst += (y[i] - mean) ** 2; }
  if (sst === 0) throw new Error('r2 of constant labels is undefined');
  return 1 - sse / sst;
}

export function evaluateMetric(metric: Metric, y: ArrayLike<number>, p: ArrayLike<number>): number {
  switch (metric) {
    case 'auc': return auc(y, p);
    case 'accuracy': return accuracy(y, p);
    case 'logLoss': return logLoss(y, p);
    case 'r2': return r2(y, p);
    default: throw new Error(`unknown metric ${JSON.stringify(metric)} (known: ${METRICS.join(', ')})`);
  }
}

/** Whether `a` is better than `b` for the metric (log-loss is lower-is-better). */
export function isBetter(metric: Metric, a: number, b: number): boolean {
  return metric === 'logLoss' ? a < b : a > b;
}

/** Fixed-point scale of on-chain scores (IModelRepository: AUC 0.75 = 750_000). */
const SCORE_SCALE = Number(CONTRACT_SCORE_SCALE);

/**
 * On-chain score for a metric value; the contract wants higher-is-better, so log-loss maps to
 * exp(-logLoss), the geometric-mean probability given to the true label (in (0, 1]).
 * Every metric here is <= 1, matching SCORE_SCALE.
 */
export function metricToScore(metric: Metric, value: number): bigint {
  if (!Number.isFinite(value)) throw new Error(`${metric} value ${value} is not finite`);
  // r2 below 0 (worse than the mean) scores 0
  const v = metric === 'logLoss' ? Math.exp(-value) : metric === 'r2' ? Math.max(0, value) : value;
  if (v < 0 || v > 1) throw new Error(`${metric} value ${value} is outside the score range`);
  return BigInt(Math.round(v * SCORE_SCALE));
}
