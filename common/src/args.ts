// Command-line flags with environment-variable fallbacks, on node:util's parseArgs: the one
// parser, help layout and number reader of every `hessian` command, so they all read, document and
// reject options alike. A flag wins over its environment variable, which wins over the default.
import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** environment variable read when the flag is absent (an empty value counts as unset) */
  env?: string;
  default?: string | boolean;
  /** the help line */
  description?: string;
  /** the value's name in the help (default `<value>`), e.g. URL or N */
  arg?: string;
}

/** a string flag's value, or undefined when neither given, set nor defaulted; booleans are always true or false */
export type FlagValues = Record<string, string | boolean | undefined>;

/** the values of `specs`, typed: booleans for boolean flags, string | undefined otherwise */
export type Flags<T extends Record<string, FlagSpec>> = {
  [K in keyof T]: T[K]['type'] extends 'boolean' ? boolean : string | undefined;
};

export interface ReadFlagsOptions {
  env?: NodeJS.ProcessEnv;
  /** appended to a bad-flag error, so the user sees what the command accepts */
  usage?: () => string;
}

/**
 * Reads `argv` against `specs` (no positionals; -h/--help always accepted). Returns undefined
 * when help was asked for. Throws UsageError naming an unknown flag, a missing flag value, or a
 * boolean environment variable that is not one of 1/true/yes/on, 0/false/no/off.
 */
export function readFlags<T extends Record<string, FlagSpec>>(specs: T, argv: string[], opts: ReadFlagsOptions = {}): Flags<T> | undefined {
  let given: FlagValues;
  try {
    given = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, { type: s.type, ...(s.short ? { short: s.short } : {}) }])),
      },
    }).values as FlagValues;
  } catch (err) {
    const usage = opts.usage?.();
    throw new UsageError(`${(err as Error).message}${usage ? `\n\n${usage}` : ''}`, { cause: err });
  }
  if (given.help) return undefined;
  const env = opts.env ?? process.env;
  const values: FlagValues = {};
  for (const [k, s] of Object.entries(specs)) {
    const raw = s.env ? env[s.env] : undefined;
    const fromEnv = raw === undefined || raw === '' ? undefined : s.type === 'boolean' ? envBoolean(s.env!, raw) : raw;
    const v = given[k] ?? fromEnv ?? s.default;
    values[k] = s.type === 'boolean' ? v === true : v;
  }
  return values as Flags<T>;
}

function envBoolean(name: string, raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new UsageError(`${name}: expected true or false, got "${raw}"`);
}

export interface HelpText {
  /** the first line, e.g. `hessian chain [options]` */
  usage: string;
  summary?: string;
  specs: Record<string, FlagSpec>;
  /** paragraphs after the options */
  footer?: string[];
}

/** One layout for every command: usage, summary, then a line per flag with its variable and default. */
export function helpText({ usage, summary, specs, footer = [] }: HelpText): string {
  const rows = Object.entries(specs).map(([k, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : ''}--${k}${s.type === 'string' ? ` ${s.arg ?? '<value>'}` : ''}`;
    const extra = [s.env ? `env ${s.env}` : '', s.default !== undefined && s.default !== false && s.default !== '' ? `default ${s.default}` : '']
      .filter(Boolean)
      .join(', ');
    return [flag, `${s.description ?? ''}${extra ? ` (${extra})` : ''}`] as const;
  });
  const width = Math.max(...rows.map((r) => r[0].length), 10);
  return [
    `Usage: ${usage}`,
    ...(summary ? ['', summary] : []),
    '',
    'Options (a flag wins over its environment variable):',
    ...rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`),
    `  ${'-h, --help'.padEnd(width)}  show this help`,
    ...footer.flatMap((p) => ['', p]),
  ].join('\n');
}

export interface NumberRule {
  int?: boolean;
  min?: number;
  max?: number;
}

/**
 * A numeric flag's value (undefined when unset). Throws UsageError naming the flag, the rule and
 * the value: blank, not a finite number, not an integer when `int`, or out of [min, max].
 */
export function numberFlag(name: string, value: string | boolean | undefined, rule: NumberRule = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  const bad =
    !Number.isFinite(n) ||
    (rule.int && !Number.isSafeInteger(n)) ||
    (rule.min !== undefined && n < rule.min) ||
    (rule.max !== undefined && n > rule.max);
  if (bad) {
    const range = [rule.min !== undefined ? `>= ${rule.min}` : '', rule.max !== undefined ? `<= ${rule.max}` : ''].filter(Boolean).join(' and ');
    throw new UsageError(`--${name} must be a${rule.int ? 'n integer' : ' number'}${range ? ` ${range}` : ''}, got '${String(value)}'`);
  }
  return n;
}
