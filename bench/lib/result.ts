// What a suite hands back to the runner: tables of figures measured in one run, the aims
// checked against them, and notes. Suites print it as the last line of their stdout (JSON).

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  /** figures that do not depend on the machine (gas): not labelled as this machine's */
  portable?: boolean;
}

export interface Aim {
  /** the target as the issue states it */
  aim: string;
  /** what this run measured, in words */
  measured: string;
  /** null: could not be judged in this run (a part was skipped) */
  met: boolean | null;
}

export interface SuiteResult {
  suite: string;
  title: string;
  /** set when the whole suite did not run, with the reason */
  skipped?: string;
  tables: Table[];
  aims: Aim[];
  notes: string[];
  /** machine-readable figures, kept in bench/results.json for comparisons across runs */
  figures: Record<string, unknown>;
  seconds?: number;
  /** when and by which command this suite ran (set by run.ts; sections of one BENCHMARKS.md may come from different runs) */
  ranAt?: string;
  command?: string;
}

export const RESULT_MARK = 'BENCH_RESULT ';

export function emptyResult(suite: string, title: string): SuiteResult {
  return { suite, title, tables: [], aims: [], notes: [], figures: {} };
}

/** The last line of a suite's stdout: the runner looks for the mark. */
export function emit(result: SuiteResult): void {
  process.stdout.write(`\n${RESULT_MARK}${JSON.stringify(result)}\n`);
}

export const fmt = {
  int: (n: number): string => Math.round(n).toLocaleString('en-US'),
  ms: (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2)),
  x: (n: number): string => (n >= 100 ? `${Math.round(n).toLocaleString('en-US')}x` : n >= 10 ? `${n.toFixed(1)}x` : `${n.toFixed(2)}x`),
  mib: (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`,
  kib: (bytes: number): string => (bytes >= 10 * 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(bytes / 1024).toLocaleString('en-US')} KiB`),
  s: (ms: number): string => `${(ms / 1000).toFixed(ms >= 10_000 ? 1 : 2)} s`,
};

/** Reads `--smoke` and `--key value` flags the runner passes to a suite. */
export function suiteArgs(argv = process.argv.slice(2)): { smoke: boolean; get(name: string): string | undefined } {
  return {
    smoke: argv.includes('--smoke'),
    get(name: string) {
      const i = argv.indexOf(`--${name}`);
      return i >= 0 ? argv[i + 1] : undefined;
    },
  };
}

/** Runs a suite's main, emits its result, and exits non-zero when it throws. */
export async function runSuite(main: () => Promise<SuiteResult>): Promise<void> {
  const t0 = performance.now();
  try {
    const r = await main();
    r.seconds = (performance.now() - t0) / 1000;
    emit(r);
    // a suite may report figures and still mark a part as failed (process.exitCode)
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  }
}
