// uPlot option builders: one place for the chart look (colours shared with the CSS legend).
import uPlot from 'uplot';

export const COLORS = {
  escrowed: '#2563eb',
  paid: '#16a34a',
  accepted: '#16a34a',
  rejected: '#dc2626',
  best: '#1e3a8a',
  target: '#d97706',
  submitted: '#64748b',
};

const DAY = 86400;

/**
 * The first and last x of the data. A time scale's range is taken from the data, never from the
 * min/max uPlot passes: for a single point uPlot widens the scale by 86400/ms "seconds" (1,000 days
 * with second timestamps), which put every tick of a one-day chart on a new year ("01-01" three
 * times) and pushed a one-point score curve to the left edge.
 */
function dataSpan(u: uPlot, min: number, max: number): [number, number] {
  const xs = u.data[0];
  return xs.length ? [xs[0]!, xs[xs.length - 1]!] : [min, max];
}

/** Daily data often has one or two days: pad the x range so bars and points are not clipped. */
const dayRange: uPlot.Range.Function = (u, min, max) => {
  const [lo, hi] = dataSpan(u, min, max);
  return [lo - DAY, hi + DAY];
};

const axisStyle = { stroke: '#475569', grid: { stroke: '#e2e8f0', width: 1 }, ticks: { stroke: '#cbd5e1', width: 1 } };

/**
 * UTC tick labels that never repeat: the year for yearly ticks, the date for daily ones, else the
 * time (the date at midnight). uPlot passes the tick step it chose (`incr`).
 */
const timeValues: uPlot.Axis.Values = (_u, splits, _axis, _space, incr) =>
  splits.map((s) => {
    const iso = new Date(s * 1000).toISOString();
    if (incr >= 365 * DAY) return iso.slice(0, 4);
    if (incr >= DAY || iso.slice(11, 16) === '00:00') return iso.slice(5, 10);
    return iso.slice(11, 16);
  });

/** Days are UTC days (DayData ids): ticks fall on whole days, never half days. */
const dayIncrs = [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 91 * DAY, 365 * DAY];

/** Every time axis reads UTC, whatever the viewer's zone, to match the day buckets and tables. */
const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');

export function moneyOptions(symbol: string): Omit<uPlot.Options, 'width' | 'height'> {
  return {
    tzDate: utc,
    scales: { x: { time: true, range: dayRange } },
    axes: [{ ...axisStyle, values: timeValues, incrs: dayIncrs }, { ...axisStyle, label: symbol, size: 64 }],
    series: [
      { label: 'Day', value: (_u, v) => (v == null ? '–' : new Date(v * 1000).toISOString().slice(0, 10)) },
      { label: 'Escrowed', stroke: COLORS.escrowed, width: 2, points: { show: true, size: 6 } },
      { label: 'Paid', stroke: COLORS.paid, width: 2, fill: 'rgba(22,163,74,0.08)', points: { show: true, size: 6 } },
    ],
  };
}

export function barsOptions(): Omit<uPlot.Options, 'width' | 'height'> {
  const bars = (align: -1 | 1) => uPlot.paths.bars!({ size: [0.3, 28], align });
  return {
    tzDate: utc,
    scales: { x: { time: true, range: dayRange }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.15] } },
    axes: [{ ...axisStyle, values: timeValues, incrs: dayIncrs }, { ...axisStyle, label: 'gradients', size: 50 }],
    series: [
      { label: 'Day', value: (_u, v) => (v == null ? '–' : new Date(v * 1000).toISOString().slice(0, 10)) },
      { label: 'Submitted', stroke: COLORS.submitted, fill: 'rgba(100,116,139,0.55)', paths: bars(-1), points: { show: false } },
      { label: 'Accepted', stroke: COLORS.accepted, fill: 'rgba(22,163,74,0.7)', paths: bars(1), points: { show: false } },
      { label: 'Rejected', stroke: COLORS.rejected, width: 0, paths: () => null, points: { show: true, size: 7, fill: COLORS.rejected } },
    ],
  };
}

/** Ticks a whole minute apart at least: labels read hours and minutes, so finer ones would repeat. */
const timeIncrs = [60, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, ...dayIncrs];

const fmtScore = (_u: uPlot, v: number | null) => (v == null ? '–' : v.toFixed(4));
const timeValue = (_u: uPlot, v: number | null) =>
  v == null ? '–' : new Date(v * 1000).toISOString().slice(0, 19).replace('T', ' ');

/** A time range around the data, a minute either side of a single instant. */
const instantRange: uPlot.Range.Function = (u, min, max) => {
  const [lo, hi] = dataSpan(u, min, max);
  return lo === hi ? [lo - 60, hi + 60] : [lo, hi];
};

/**
 * The score curve's x range. Its line runs on to the viewed block's time; when that is further
 * past the last evaluation than the evaluations themselves span (the demo moves the chain's clock
 * days ahead to close a model minutes after its evaluations), drawing up to it squeezed every point
 * against the left edge. Then the axis ends a little after the last evaluation and the best-score
 * line runs on off the right edge.
 */
const scoreRange: uPlot.Range.Function = (u, min, max) => {
  const [lo, hi] = dataSpan(u, min, max);
  const [xs, , , accepted, rejected] = u.data;
  let lastEvaluation: number | null = null;
  for (let i = xs.length - 1; i >= 0 && lastEvaluation === null; i--) {
    if (accepted?.[i] != null || rejected?.[i] != null) lastEvaluation = xs[i]!;
  }
  if (lastEvaluation !== null) {
    const span = lastEvaluation - lo;
    if (hi - lastEvaluation > Math.max(span, 3600)) return [lo, lastEvaluation + Math.max(span * 0.1, 600)];
  }
  return lo === hi ? [lo - 60, hi + 60] : [lo, hi + (hi - lo) * 0.02];
};

/** Score curve: best-score steps, the target line, and every evaluation as a point. */
export function scoreOptions(yMin: number, yMax: number): Omit<uPlot.Options, 'width' | 'height'> {
  const pad = Math.max((yMax - yMin) * 0.1, 0.005);
  return {
    tzDate: utc,
    scales: {
      x: { time: true, range: scoreRange },
      y: { range: () => [Math.max(0, yMin - pad), Math.min(1, yMax + pad)] },
    },
    axes: [{ ...axisStyle, values: timeValues, incrs: timeIncrs }, { ...axisStyle, label: 'score', size: 60, values: (_u, s) => s.map((v) => v.toFixed(3)) }],
    series: [
      { label: 'Time (UTC)', value: timeValue },
      { label: 'Best score', stroke: COLORS.best, width: 2, paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false }, value: fmtScore },
      { label: 'Target', stroke: COLORS.target, width: 2, dash: [8, 5], points: { show: false }, value: fmtScore },
      { label: 'Accepted', stroke: COLORS.accepted, paths: () => null, points: { show: true, size: 10, fill: COLORS.accepted, stroke: '#fff', width: 1 }, value: fmtScore },
      { label: 'Not applied', stroke: COLORS.rejected, paths: () => null, points: { show: true, size: 10, fill: COLORS.rejected, stroke: '#fff', width: 1 }, value: fmtScore },
    ],
  };
}

export function earningsOptions(symbol: string): Omit<uPlot.Options, 'width' | 'height'> {
  return {
    tzDate: utc,
    scales: { x: { time: true, range: instantRange } },
    axes: [{ ...axisStyle, values: timeValues, incrs: timeIncrs }, { ...axisStyle, label: symbol, size: 64 }],
    series: [
      { label: 'Time (UTC)', value: timeValue },
      { label: `Earned (${symbol})`, stroke: COLORS.paid, width: 2, fill: 'rgba(22,163,74,0.1)', paths: uPlot.paths.stepped!({ align: 1 }), points: { show: true, size: 6 } },
    ],
  };
}
