// BENCHMARKS.md from one run's results: machine first, then every aim with what was measured,
// then each suite's tables. Ratios come from the same run; absolute figures are this machine's.
import type { MachineInfo } from './machine.ts';
import type { SuiteResult, Table } from './result.ts';

export interface Report {
  machine: MachineInfo;
  command: string;
  started: Date;
  finished: Date;
  results: SuiteResult[];
  broken: string[];
  loadAtEnd: number[];
}

const stamp = (d: Date | string): string => new Date(d).toISOString().slice(0, 16).replace('T', ' ');

const cell = (v: string | number): string => String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function table(t: Pick<Table, 'columns' | 'rows'>): string {
  const head = `| ${t.columns.map(cell).join(' | ')} |`;
  const sep = `| ${t.columns.map(() => '---').join(' | ')} |`;
  return [head, sep, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function renderMarkdown(r: Report): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('# Benchmarks');
  out.push('');
  const earlier = r.results.some((s) => s.ranAt !== undefined && new Date(s.ranAt).getTime() < r.started.getTime());
  const when = `${stamp(r.started)} UTC; the run took ${((r.finished.getTime() - r.started.getTime()) / 60000).toFixed(1)} min`;
  out.push(earlier
    ? `Written by \`${r.command}\` (bench/run.ts) on ${when}. It re-ran some suites and kept the others from earlier runs (bench/results.json): **each section names the date and command of the run that measured it**; figures inside one section come from one run. **Absolute figures (ms, req/s, events/s, MiB) are this machine's**; ratios compare things measured in the same run on the same machine, so they travel better. See [bench/README.md](bench/README.md) for what each suite does and how to run one alone.`
    : `Written by \`${r.command}\` (bench/run.ts) on ${when}. Every figure below comes from this one run. **Absolute figures (ms, req/s, events/s, MiB) are this machine's**; ratios compare things measured in the same run on the same machine, so they travel better. See [bench/README.md](bench/README.md) for what each suite does and how to run one alone.`);
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push(table({
    columns: ['', ''],
    rows: [
      ['CPU', `${m.cpu}, ${m.cores} cores`],
      ['memory', `${m.memoryGiB} GiB`],
      ['OS', m.os],
      ['Node', m.node],
      ['load average (1 min) at start / end', `${m.loadAverage[0]!.toFixed(1)} / ${r.loadAtEnd[0]!.toFixed(1)}`],
      ...Object.entries(m.packages).map(([k, v]) => [k, v]),
    ],
  }));
  out.push('');
  out.push(`The machine was shared: other engineers ran test suites on the same ${m.cores} cores during the run (load average ${m.loadAverage[0]!.toFixed(1)} at the start, ${r.loadAtEnd[0]!.toFixed(1)} at the end; each suite's own load figure is in its section). Absolute figures are therefore pessimistic and noisy; comparisons inside one suite were measured back to back under the same load.`);
  out.push('');
  out.push('## Aims');
  out.push('');
  const aims = r.results.flatMap((s) => s.aims.map((a) => [s.title, a.aim, a.measured, a.met === null ? 'not judged' : a.met ? 'met' : '**not met**']));
  out.push(table({ columns: ['suite', 'aim (issues 9 and 10)', 'measured', ''], rows: aims }));
  if (r.broken.length) {
    out.push('');
    out.push(`**Suites that failed in this run: ${r.broken.join(', ')}** (their figures are missing; see the run's stderr).`);
  }
  for (const s of r.results) {
    out.push('');
    out.push(`## ${s.title}`);
    out.push('');
    const load = (s.figures as { loadAverageAtStart?: number }).loadAverageAtStart;
    const ran = s.ranAt ? ` on ${stamp(s.ranAt)} UTC${s.command ? ` by \`${s.command}\`` : ''}` : '';
    out.push(`_${s.seconds !== undefined ? `Ran ${s.seconds.toFixed(0)} s` : 'Ran'}${ran}${load !== undefined ? `, load average ${load.toFixed(1)} when it started` : ''}._`);
    if (s.skipped) {
      out.push('');
      out.push(`Skipped: ${s.skipped}`);
      continue;
    }
    for (const t of s.tables) {
      out.push('');
      out.push(t.portable ? `**${t.title}**` : `**${t.title}** (this machine)`);
      out.push('');
      out.push(table(t));
    }
    if (s.notes.length) {
      out.push('');
      for (const n of s.notes) out.push(`- ${n}`);
    }
  }
  out.push('');
  return out.join('\n');
}
