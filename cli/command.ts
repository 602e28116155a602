// What every `hessian` command shares: where it writes, which environment it reads, how it is
// stopped, and its flags read and documented the one way (@hessian/common/args).
import { readFlags, helpText } from '@hessian/common/args';
import type { FlagSpec, Flags } from '@hessian/common/args';
import { UsageError } from '@hessian/common/errors';

export interface Output {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Injected by tests; a command run by `hessian` gets the process's own. */
export interface CommandIo {
  stdout?: Output;
  stderr?: Output;
  env?: NodeJS.ProcessEnv;
  /** resolves when a daemon should stop (default: SIGINT/SIGTERM) */
  stopSignal?: Promise<unknown>;
  /** stack traces in error reports (--verbose, HESSIAN_VERBOSE) */
  verbose?: boolean;
}

export interface CommandHelp {
  /** the words after `hessian`, e.g. `chain` or `train owner` */
  command: string;
  summary: string;
  /** replaces `hessian <command> [options]` on the usage line */
  usage?: string;
  footer?: string[];
}

export function commandHelp(help: CommandHelp, specs: Record<string, FlagSpec>): string {
  return helpText({ usage: help.usage ?? `hessian ${help.command} [options]`, summary: help.summary, specs, ...(help.footer ? { footer: help.footer } : {}) });
}

/** The list layout of `hessian --help` and of a command group (`hessian train --help`). */
export function commandList(usage: string, commands: Record<string, { summary: string }>, footer: string[] = []): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [`Usage: ${usage}`, '', 'Commands:', ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`), ...(footer.length ? ['', ...footer] : [])].join('\n');
}

/**
 * The command's flags, or undefined once its help has been printed (-h, --help). A bad flag or
 * variable is a UsageError starting with the command's name and ending with its help.
 */
export function readCommandFlags<T extends Record<string, FlagSpec>>(help: CommandHelp, specs: T, argv: string[], io: CommandIo = {}): Flags<T> | undefined {
  let values;
  try {
    values = readFlags(specs, argv, { env: io.env ?? process.env, usage: () => commandHelp(help, specs) });
  } catch (err) {
    throw err instanceof UsageError ? new UsageError(`${help.command}: ${err.message}`, { cause: err }) : err;
  }
  if (!values) (io.stdout ?? process.stdout).write(commandHelp(help, specs) + '\n');
  return values;
}

/** resolves on SIGINT/SIGTERM, for daemons and servers that run until stopped */
export function shutdownSignal(io: CommandIo = {}): { promise: Promise<unknown>; dispose(): void } {
  if (io.stopSignal) return { promise: io.stopSignal, dispose() {} };
  let resolve!: (s: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  const int = () => resolve('SIGINT');
  const term = () => resolve('SIGTERM');
  process.once('SIGINT', int);
  process.once('SIGTERM', term);
  return { promise, dispose: () => (process.off('SIGINT', int), process.off('SIGTERM', term)) };
}
