// `npm run bench`: runs every suite, each in its own process, and writes BENCHMARKS.md from what
// this one run measured. `--smoke` runs each suite at a tiny size to check it still executes (no
// timing judged, BENCHMARKS.md untouched) and exits non-zero if one breaks.
//
//   node bench/run.ts [--smoke] [--only mapping,graphql,...] [--out FILE]
//
// `--only` re-runs some suites and keeps the other suites' results from bench/results.json, each
// section labelled with the date and command of the run that measured it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchDir, machineInfo, rootDir } from './lib/machine.ts';
import { runNode } from './lib/proc.ts';
import { RESULT_MARK, type SuiteResult } from './lib/result.ts';
import { renderMarkdown } from './lib/markdown.ts';

export const SUITES = ['mapping', 'growth', 'graphql', 'training', 'privacy', 'quotes', 'gas', 'demo', 'backfill'] as const;

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(`usage: node bench/run.ts [--smoke] [--only ${SUITES.join(',')}] [--out FILE]\n`);
  process.exit(0);
}
const only = args.only ? args.only.split(',').map((s) => s.trim()) : [...SUITES];
for (const s of only) {
  if (!(SUITES as readonly string[]).includes(s)) {
    process.stderr.write(`--only: unknown suite "${s}" (known: ${SUITES.join(', ')})\n`);
    process.exit(2);
  }
}

const started = new Date();
const command = `npm run bench${args.only ? ` -- --only ${args.only}` : ''}`;
const machine = machineInfo();
const results: SuiteResult[] = [];
const broken: string[] = [];
for (const suite of only) {
  const load = os.loadavg()[0]!;
  process.stderr.write(`[bench] ${suite}${args.smoke ? ' (smoke)' : ''}: running (load average ${load.toFixed(1)})\n`);
  const out = await runNode([path.join(benchDir, 'suites', `${suite}.ts`), ...(args.smoke ? ['--smoke'] : [])], {
    cwd: rootDir,
    env: { ...process.env, PONDER_TELEMETRY_DISABLED: 'true' },
    timeoutMs: args.smoke ? 120_000 : 3_600_000,
  });
  const line = out.stdout.split('\n').findLast((l) => l.startsWith(RESULT_MARK));
  if (out.code !== 0 || !line) {
    broken.push(suite);
    process.stderr.write(`[bench] ${suite}: FAILED (exit ${out.code}${out.code === null ? ', killed at the time limit' : ''})\n${out.stderr.slice(-4000)}\n`);
    if (!line) continue;
  }
  const result = JSON.parse(line.slice(RESULT_MARK.length)) as SuiteResult;
  (result.figures as Record<string, unknown>).loadAverageAtStart = load;
  result.ranAt = new Date(Date.now() - out.ms).toISOString();
  result.command = command;
  results.push(result);
  const skippedParts = result.notes.filter((n) => n.startsWith('Skipped'));
  process.stderr.write(`[bench] ${suite}: ${result.skipped ? `skipped: ${result.skipped}` : `ok in ${(out.ms / 1000).toFixed(1)} s`}${skippedParts.length ? ` (${skippedParts.join(' ')})` : ''}\n`);
}

if (args.smoke) {
  process.stderr.write(`[bench] smoke: ${results.length} suite(s) executed, ${broken.length} broken${broken.length ? `: ${broken.join(', ')}` : ''}\n`);
  process.exit(broken.length ? 1 : 0);
}

interface SavedRun {
  command: string;
  started: string;
  results: SuiteResult[];
  broken: string[];
}

/** This run's suites, plus the previous results.json's other suites (with their own run's date and command). */
function mergeWithPrevious(file: string): { results: SuiteResult[]; broken: string[] } {
  if (!existsSync(file)) return { results, broken };
  const prev = JSON.parse(readFileSync(file, 'utf8')) as SavedRun;
  const kept = prev.results
    .filter((r) => !only.includes(r.suite))
    .map((r) => ({ ...r, ranAt: r.ranAt ?? prev.started, command: r.command ?? prev.command }));
  const order = (r: SuiteResult) => (SUITES as readonly string[]).indexOf(r.suite);
  return {
    results: [...kept, ...results].toSorted((a, b) => order(a) - order(b)),
    broken: [...prev.broken.filter((s) => !only.includes(s)), ...broken],
  };
}

const resultsFile = path.join(benchDir, 'results.json');
// --out is a side copy of this run alone; the default BENCHMARKS.md keeps every suite's latest figures
const merged = args.only && !args.out ? mergeWithPrevious(resultsFile) : { results, broken };
const file = args.out ?? path.join(rootDir, 'BENCHMARKS.md');
writeFileSync(file, renderMarkdown({ machine, command, started, finished: new Date(), results: merged.results, broken: merged.broken, loadAtEnd: os.loadavg() }));
if (!args.out) writeFileSync(resultsFile, JSON.stringify({ machine, command, started, results: merged.results, broken: merged.broken }, null, 2) + '\n');
process.stderr.write(`[bench] wrote ${path.relative(process.cwd(), file) || file}${broken.length ? `; broken: ${broken.join(', ')}` : ''}\n`);
process.exit(broken.length ? 1 : 0);
