// Turns the failures a user can fix (unreachable RPC, missing deployment, port in use, bad flag,
// bad data) into one clear line with what to do. One exit-code convention for every command:
// 2 for a usage or input error (the command line or the data is wrong), 1 for a runtime failure.
// Stack traces only with --verbose (or HESSIAN_VERBOSE=1): a user's terminal is no bug report.

export class CliError extends Error {
  override name = 'CliError';
}

/** errors about what the user typed or gave: the packages' own usage and data errors included */
const USAGE_ERRORS = new Set(['CliError', 'UsageError', 'FlagError', 'DataError', 'CsvError']);

export const EXIT_USAGE = 2;
export const EXIT_RUNTIME = 1;

const hints: [RegExp, string][] = [
  [/ECONNREFUSED|fetch failed|could not detect network/i, 'is the JSON-RPC node running? start one with `hessian chain`, or pass --rpc URL'],
  [/EADDRINUSE|already in use/i, 'pick another port with --port, or 0 for a free one'],
  [/ENOENT.*deployment|deployment.*(not found|ENOENT)/i, 'deploy first with `hessian chain`, or pass --deployment FILE'],
];

export function isUsageError(err: unknown): boolean {
  return err instanceof Error && USAGE_ERRORS.has(err.name);
}

/** Writes the error for a user and returns the exit code it calls for. */
export function reportError(err: unknown, opts: { verbose?: boolean; write?: (s: string) => void } = {}): number {
  const write = opts.write ?? ((s: string) => process.stderr.write(s));
  const e = err instanceof Error ? err : new Error(String(err));
  if (opts.verbose) {
    write(`hessian: ${e.stack ?? e.message}\n`);
    return isUsageError(e) ? EXIT_USAGE : EXIT_RUNTIME;
  }
  if (isUsageError(e)) {
    write(`hessian: ${e.message}\n`);
    return EXIT_USAGE;
  }
  const hint = hints.find(([re]) => re.test(e.message))?.[1];
  write(`hessian: ${e.message}\n${hint ? `  hint: ${hint}\n` : '  (run again with --verbose for the stack trace)\n'}`);
  return EXIT_RUNTIME;
}
