// Command-line flags with environment-variable fallbacks, on node:util's parseArgs, so every
// Hessian CLI (hessian <command>, hessian index, hessian train/loan) reads its options alike:
// a flag wins over its environment variable, which wins over the default. Help text stays with
// each CLI: only the parsing is shared.
import { parseArgs } from 'node:util';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** environment variable read when the flag is absent (an empty value counts as unset) */
  env?: string;
  default?: string | boolean;
}

/** a string flag's value, or undefined when neither given, set nor defaulted; booleans are always true or false */
export type FlagValues = Record<string, string | boolean | undefined>;

export class FlagError extends Error {
  override name = 'FlagError';
}

export interface ReadFlagsOptions {
  env?: NodeJS.ProcessEnv;
  /** appended to a bad-flag error, so the user sees what the command accepts */
  usage?: () => string;
}

/**
 * Reads `argv` against `specs` (no positionals; -h/--help always accepted). Returns undefined
 * when help was asked for. Throws FlagError naming an unknown flag, a missing flag value, or a
 * boolean environment variable that is not one of 1/true/yes/on, 0/false/no/off.
 */
export function readFlags(specs: Record<string, FlagSpec>, argv: string[], opts: ReadFlagsOptions = {}): FlagValues | undefined {
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
    throw new FlagError(`${(err as Error).message}${usage ? `\n\n${usage}` : ''}`);
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
  return values;
}

function envBoolean(name: string, raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new FlagError(`${name}: expected true or false, got "${raw}"`);
}
