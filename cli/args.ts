// Flags with env-var fallbacks, on node:util's parseArgs, so every subcommand reads options alike.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './errors.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  env?: string;
  default?: string | boolean;
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
  const config: ParseArgsConfig = {
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(
        Object.entries(specs).map(([k, s]) => [k, { type: s.type, ...(s.short ? { short: s.short } : {}) }]),
      ),
    },
  };
  let values: Record<string, unknown>;
  try {
    values = parseArgs(config).values as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`${command}: ${(err as Error).message}\n\n${help(command, summary, specs)}`);
  }
  if (values.help) {
    process.stdout.write(help(command, summary, specs) + '\n');
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(specs)) {
    const fromEnv = s.env ? process.env[s.env] : undefined;
    let v = values[k] ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined) ?? s.default;
    if (s.type === 'boolean') v = v === true || v === 'true' || v === '1';
    out[k] = v;
  }
  return out as Options<T>;
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
