// Turns the failures a user can fix (unreachable RPC, missing deployment, port in use, bad flag,
// bad data) into one clear line with what to do. One exit-code convention for every command,
// decided by the error's kind (@hessian/common/errors): 2 for a user error (the command line or the
// data is wrong), 1 for anything else. Stack traces only with --verbose (or HESSIAN_VERBOSE=1): a
// user's terminal is no bug report.
import { isUserError } from '@hessian/common/errors';

export const EXIT_USAGE = 2;
export const EXIT_RUNTIME = 1;

const hints: [RegExp, string][] = [
  [/ECONNREFUSED|fetch failed|could not detect network/i, 'is the JSON-RPC node running? start one with `hessian chain`, or pass --rpc URL'],
  [/EADDRINUSE|already in use/i, 'pick another port with --port, or 0 for a free one'],
  [/ENOENT.*deployment|deployment.*(not found|ENOENT)/i, 'deploy first with `hessian chain`, or pass --deployment FILE'],
];

export interface ReportOptions {
  verbose?: boolean;
  write?: (s: string) => void;
  /** what the line starts with: `hessian`, or the subcommand (`hessian train owner`) */
  prefix?: string;
}

/** Writes the error for a user and returns the exit code it calls for. */
export function reportError(err: unknown, opts: ReportOptions = {}): number {
  const write = opts.write ?? ((s: string) => process.stderr.write(s));
  const prefix = opts.prefix ?? 'hessian';
  const e = err instanceof Error ? err : new Error(String(err));
  const code = isUserError(e) ? EXIT_USAGE : EXIT_RUNTIME;
  if (opts.verbose) {
    write(`${prefix}: ${e.stack ?? e.message}\n${e.cause instanceof Error ? `  caused by: ${e.cause.stack ?? e.cause.message}\n` : ''}`);
    return code;
  }
  if (code === EXIT_USAGE) {
    write(`${prefix}: ${e.message}\n`);
    return code;
  }
  const hint = hints.find(([re]) => re.test(e.message))?.[1];
  write(`${prefix}: ${e.message}\n${hint ? `  hint: ${hint}\n` : '  (run again with --verbose for the stack trace)\n'}`);
  return code;
}
