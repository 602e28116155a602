// A small log-log line chart as standalone SVG (no dependency): cost against size, with a dashed
// line of slope 1 through the middle point, so linear growth shows as points on that line.

export interface Series {
  label: string;
  unit: string;
  points: { x: number; y: number }[];
}

const W = 360;
const H = 260;
const M = { left: 58, right: 16, top: 34, bottom: 44 };

function ticks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

const label = (v: number): string => (v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(v));
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function panel(s: Series, xLabel: string, dx: number): string {
  const xs = s.points.map((p) => p.x);
  const ys = s.points.map((p) => p.y);
  const xt = ticks(Math.min(...xs), Math.max(...xs));
  const yt = ticks(Math.min(...ys), Math.max(...ys));
  const [x0, x1] = [Math.log10(xt[0]!), Math.log10(xt.at(-1)!)];
  const [y0, y1] = [Math.log10(yt[0]!), Math.log10(yt.at(-1)!)];
  const px = (x: number) => dx + M.left + ((Math.log10(x) - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (y: number) => M.top + (1 - (Math.log10(y) - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);
  const out: string[] = [];
  out.push(`<text x="${dx + W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(s.label)} (${esc(s.unit)})</text>`);
  for (const t of xt) {
    out.push(`<line x1="${px(t)}" y1="${M.top}" x2="${px(t)}" y2="${H - M.bottom}" stroke="#ddd"/>`);
    out.push(`<text x="${px(t)}" y="${H - M.bottom + 16}" text-anchor="middle">${label(t)}</text>`);
  }
  for (const t of yt) {
    out.push(`<line x1="${dx + M.left}" y1="${py(t)}" x2="${dx + W - M.right}" y2="${py(t)}" stroke="#ddd"/>`);
    out.push(`<text x="${dx + M.left - 6}" y="${py(t) + 4}" text-anchor="end">${label(t)}</text>`);
  }
  out.push(`<text x="${dx + W / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`);
  // slope 1 through the middle point: where linear growth would put the others
  const mid = s.points[Math.floor(s.points.length / 2)]!;
  const lin = (x: number) => (mid.y * x) / mid.x;
  // clipped to the plot where it leaves through the top or bottom, keeping its slope
  const lx0 = Math.max(xt[0]!, (yt[0]! * mid.x) / mid.y);
  const lx1 = Math.min(xt.at(-1)!, (yt.at(-1)! * mid.x) / mid.y);
  out.push(`<line x1="${px(lx0)}" y1="${py(lin(lx0))}" x2="${px(lx1)}" y2="${py(lin(lx1))}" stroke="#999" stroke-dasharray="4 3"/>`);
  out.push(`<polyline fill="none" stroke="#1f6feb" stroke-width="2" points="${s.points.map((p) => `${px(p.x)},${py(p.y)}`).join(' ')}"/>`);
  for (const p of s.points) out.push(`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3.5" fill="#1f6feb"/>`);
  return out.join('\n');
}

/** Side-by-side log-log panels sharing the x axis label. */
export function logLogPanels(series: Series[], xLabel: string, caption: string): string {
  const width = W * series.length;
  const body = series.map((s, i) => panel(s, xLabel, i * W)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 22}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${body}
<text x="8" y="${H + 14}" fill="#555">${esc(caption)}</text>
</svg>
`;
}
