// Flags with env-var fallbacks (@hessian/common/args, shared with `hessian index` and `hessian train`),
// so every subcommand reads options alike; the help layout is this CLI's own.
import { readFlags, FlagError } from '@hessian/common/args';
import type { FlagSpec } from '@hessian/common/args';
import { CliError } from './errors.ts';

export interface OptionSpec extends FlagSpec {
  description: string;
}

export type Options<T extends Record<string, OptionSpec>> = {
  [K in keyof T]: T[K]['type'] extends 'boolean' ? boolean : string | undefined;
};

export function parseOptions<T extends Record<string, OptionSpec>>(
  command: string,
  summary: string,
  specs: T,
  argv: string[],
): Options<T> | undefined {
  let values;
  try {
    values = readFlags(specs, argv, { usage: () => help(command, summary, specs) });
  } catch (err) {
    if (err instanceof FlagError) throw new CliError(`${command}: ${err.message}`);
    throw err;
  }
  if (!values) {
    process.stdout.write(help(command, summary, specs) + '\n');
    return undefined;
  }
  return values as Options<T>;
}

export function help(command: string, summary: string, specs: Record<string, OptionSpec>): string {
  const rows = Object.entries(specs).map(([k, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : ''}--${k}${s.type === 'string' ? ' <value>' : ''}`;
    const extra = [s.env ? `env ${s.env}` : '', s.default !== undefined && s.default !== false ? `default ${s.default}` : '']
      .filter(Boolean)
      .join(', ');
    return [flag, `${s.description}${extra ? ` (${extra})` : ''}`];
  });
  const width = Math.max(...rows.map((r) => r[0]!.length), 10);
  return [`Usage: hessian ${command} [options]`, '', summary, '', 'Options:', ...rows.map(([f, d]) => `  ${f!.padEnd(width)}  ${d}`), `  ${'-h, --help'.padEnd(width)}  show this help`].join('\n');
}

export function intOption(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new CliError(`--${name} must be an integer >= ${min}, got '${value}'`);
  return n;
}

export function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new CliError(`--${name} must be a number, got '${value}'`);
  return n;
}
