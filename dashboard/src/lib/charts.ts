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

/** Daily data often has one or two days: pad the x range so bars and points are not clipped. */
const dayRange: uPlot.Range.Function = (_u, min, max) => [min - DAY, max + DAY];

const axisStyle = { stroke: '#475569', grid: { stroke: '#e2e8f0', width: 1 }, ticks: { stroke: '#cbd5e1', width: 1 } };

const dateValues: uPlot.Axis.Values = (_u, splits) =>
  splits.map((s) => new Date(s * 1000).toISOString().slice(5, 10));

/** Days are UTC days (DayData ids): ticks fall on whole days, never half days. */
const dayIncrs = [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 91 * DAY, 365 * DAY];

/** Every time axis reads UTC, whatever the viewer's zone, to match the day buckets and tables. */
const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');

export function moneyOptions(symbol: string): Omit<uPlot.Options, 'width' | 'height'> {
  return {
    tzDate: utc,
    scales: { x: { time: true, range: dayRange } },
    axes: [{ ...axisStyle, values: dateValues, incrs: dayIncrs }, { ...axisStyle, label: symbol, size: 64 }],
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
    axes: [{ ...axisStyle, values: dateValues, incrs: dayIncrs }, { ...axisStyle, label: 'gradients', size: 50 }],
    series: [
      { label: 'Day', value: (_u, v) => (v == null ? '–' : new Date(v * 1000).toISOString().slice(0, 10)) },
      { label: 'Submitted', stroke: COLORS.submitted, fill: 'rgba(100,116,139,0.55)', paths: bars(-1), points: { show: false } },
      { label: 'Accepted', stroke: COLORS.accepted, fill: 'rgba(22,163,74,0.7)', paths: bars(1), points: { show: false } },
      { label: 'Rejected', stroke: COLORS.rejected, width: 0, paths: () => null, points: { show: true, size: 7, fill: COLORS.rejected } },
    ],
  };
}

/** 24-hour UTC ticks: the date at midnight, the time otherwise. */
const timeTicks: uPlot.Axis.Values = (_u, splits) =>
  splits.map((s) => {
    const iso = new Date(s * 1000).toISOString();
    return iso.slice(11, 16) === '00:00' ? iso.slice(5, 10) : iso.slice(11, 16);
  });

const fmtScore = (_u: uPlot, v: number | null) => (v == null ? '–' : v.toFixed(4));
const timeValue = (_u: uPlot, v: number | null) =>
  v == null ? '–' : new Date(v * 1000).toISOString().slice(0, 19).replace('T', ' ');

/** Score curve: best-score steps, the target line, and every evaluation as a point. */
export function scoreOptions(yMin: number, yMax: number): Omit<uPlot.Options, 'width' | 'height'> {
  const pad = Math.max((yMax - yMin) * 0.1, 0.005);
  return {
    tzDate: utc,
    scales: {
      x: { time: true, range: (_u, min, max) => (min === max ? [min - 60, max + 60] : [min, max + (max - min) * 0.02]) },
      y: { range: () => [Math.max(0, yMin - pad), Math.min(1, yMax + pad)] },
    },
    axes: [{ ...axisStyle, values: timeTicks }, { ...axisStyle, label: 'score', size: 60, values: (_u, s) => s.map((v) => v.toFixed(3)) }],
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
    scales: { x: { time: true, range: (_u, min, max) => (min === max ? [min - 60, max + 60] : [min, max]) } },
    axes: [{ ...axisStyle, values: timeTicks }, { ...axisStyle, label: symbol, size: 64 }],
    series: [
      { label: 'Time (UTC)', value: timeValue },
      { label: `Earned (${symbol})`, stroke: COLORS.paid, width: 2, fill: 'rgba(22,163,74,0.1)', paths: uPlot.paths.stepped!({ align: 1 }), points: { show: true, size: 6 } },
    ],
  };
}
