// The data options every command that reads a CSV shares (hessian demo, train lender/owner/evaluate,
// loan deploy/quote), and the check that runs them on the file before anything else starts: a
// user with a bank's export learns what is wrong with it, and how to say what they mean, in one
// line, before a chain, an indexer or a daemon is up.
import { existsSync, readFileSync } from 'node:fs';
import { HessianError } from '@hessian/common/errors';
import { CsvError, detectDelimiter, parseCsv, parseDelimiter, type CsvTable, encodeTable, fitEncoding, type BadRowPolicy, type EncodingSpec, type FitEncodingOptions } from '@hessian/core/data';

/** A data error a user fixes by editing a flag or the file; the CLIs report it in one line, exit code 2. */
export class DataError extends HessianError {
  override name = 'DataError';
  constructor(message: string) {
    super(message, { kind: 'user' });
  }
}

export interface DataOptionSpec {
  type: 'string';
  env: string;
  default?: string;
  description: string;
}

/** Flags describing how to read a CSV (any command that reads one). */
export const CSV_OPTIONS = {
  delimiter: { type: 'string', env: 'HESSIAN_DELIMITER', description: 'field separator: , ; tab (default: detected from the file)' },
  'bad-rows': { type: 'string', env: 'HESSIAN_BAD_ROWS', default: 'skip', description: 'skip | error: rows with a missing or unreadable cell are left out and counted, or stop the command' },
} as const satisfies Record<string, DataOptionSpec>;

/** Flags describing the label and features (commands that fit an encoding: the lender, the demo). */
export const ENCODING_OPTIONS = {
  label: { type: 'string', env: 'HESSIAN_LABEL', description: 'label column (binary: 1 = the event the model predicts, e.g. default)' },
  positive: { type: 'string', env: 'HESSIAN_POSITIVE', description: 'label value meaning 1, e.g. 2, bad, Y (needed unless the label is 0/1, true/false, yes/no or Y/N)' },
  categorical: { type: 'string', env: 'HESSIAN_CATEGORICAL', description: 'comma-separated categorical columns (default: the non-numeric ones)' },
  features: { type: 'string', env: 'HESSIAN_FEATURES', description: 'comma-separated feature columns (default: all but the label and --exclude)' },
  exclude: { type: 'string', env: 'HESSIAN_EXCLUDE', description: 'comma-separated columns to leave out (ids, dates, free text)' },
} as const satisfies Record<string, DataOptionSpec>;

export const DATA_OPTIONS = { ...ENCODING_OPTIONS, ...CSV_OPTIONS };

export type DataFlags = Partial<Record<keyof typeof DATA_OPTIONS, string | boolean | undefined>>;

export interface CsvFormat {
  /** forced by the user; undefined: detected */
  delimiter?: string;
  badRows: BadRowPolicy;
}

function list(v: unknown): string[] | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

/** Reads --delimiter and --bad-rows; throws DataError for a value they cannot take. */
export function csvFormat(flags: DataFlags): CsvFormat {
  const badRows = String(flags['bad-rows'] ?? 'skip');
  if (badRows !== 'skip' && badRows !== 'error') throw new DataError(`--bad-rows must be skip or error, got '${badRows}'`);
  if (flags.delimiter === undefined || flags.delimiter === '') return { badRows };
  try {
    return { delimiter: parseDelimiter(String(flags.delimiter)), badRows };
  } catch (err) {
    throw new DataError(`--delimiter: ${(err as Error).message}`);
  }
}

/** The label and feature options as fitEncoding takes them; undefined without --label. */
export function encodingOptions(flags: DataFlags): FitEncodingOptions | undefined {
  if (typeof flags.label !== 'string' || flags.label === '') return undefined;
  const categorical = list(flags.categorical);
  const features = list(flags.features);
  const exclude = list(flags.exclude);
  return {
    label: flags.label,
    ...(typeof flags.positive === 'string' && flags.positive !== '' ? { positive: flags.positive } : {}),
    ...(categorical ? { categorical } : {}),
    ...(features ? { features } : {}),
    ...(exclude ? { exclude } : {}),
  };
}

const delimiterName = (d: string) => (d === '\t' ? 'tab' : `'${d}'`);

/** Parses a CSV file with the user's format, turning every problem into a DataError that says what to do. */
export function readDataFile(file: string, format: Pick<CsvFormat, 'delimiter'> = {}, flag = '--data'): { table: CsvTable; delimiter: string; detected: boolean } {
  if (!existsSync(file)) throw new DataError(`${flag} ${file}: no such file`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DataError(`${flag} ${file}: ${(err as Error).message}`);
  }
  let delimiter: string;
  try {
    delimiter = format.delimiter ?? detectDelimiter(text, file);
  } catch (err) {
    throw new DataError((err as Error).message);
  }
  try {
    return { table: parseCsv(text, { source: file, delimiter }), delimiter, detected: format.delimiter === undefined };
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const fix = /expected \d+ fields/.test(err.message)
      ? `; read with delimiter ${delimiterName(delimiter)}${format.delimiter === undefined ? ' (detected)' : ''}: force another with --delimiter, or fix that line`
      : '';
    throw new DataError(`${err.message}${fix}`);
  }
}

export interface CheckedData {
  table: CsvTable;
  delimiter: string;
  detected: boolean;
  badRows: BadRowPolicy;
  encoding: FitEncodingOptions;
  spec: EncodingSpec;
  /** rows that encode (every row the lender or an owner can use) */
  usableRows: number;
  skipped: { line: number; reason: string }[];
}

/**
 * Reads a CSV and fits the encoding the lender would fit on it, so a wrong label, an unknown
 * positive value, an id column taken for a category or a bad row shows up now, as a DataError
 * naming the flag that fixes it.
 */
export function checkData(file: string, flags: DataFlags, extra: Partial<FitEncodingOptions> = {}): CheckedData {
  const format = csvFormat(flags);
  const fromFlags = encodingOptions(flags);
  if (!fromFlags) throw new DataError('--label is required: the name of the column holding the outcome (e.g. --label default)');
  const encoding = { ...fromFlags, ...extra };
  const { table, delimiter, detected } = readDataFile(file, format);
  let spec: EncodingSpec;
  try {
    spec = fitEncoding(table, encoding);
  } catch (err) {
    throw new DataError(withFix(file, (err as Error).message, table));
  }
  const encoded = encodeTable(table, spec, { badRows: 'skip' });
  if (format.badRows === 'error' && encoded.skipped.length) {
    throw new DataError(`${encoded.skipped[0]!.reason} (${encoded.skipped.length} such row(s); pass --bad-rows skip to leave them out)`);
  }
  return { table, delimiter, detected, badRows: format.badRows, encoding, spec, usableRows: encoded.x.length, skipped: encoded.skipped };
}

/** fitEncoding's messages name the problem; this adds the flag that fixes it */
function withFix(file: string, message: string, table: CsvTable): string {
  const at = message.startsWith(file) ? message : `${file}: ${message}`;
  if (/say which one is positive/.test(message)) {
    const values = [...message.matchAll(/"([^"]*)"/g)].map((m) => m[1]!).slice(1);
    return `${at.replace(/: say which one is positive$/, '')}: pass --positive with the value meaning 1 (the event to predict), e.g. --positive ${values[1] ?? values[0] ?? 'VALUE'}`;
  }
  if (/no column "/.test(message)) return `${at}: pass --label (and --features, --categorical, --exclude) with names from the header`;
  if (/exactly 2 distinct values/.test(message)) return `${at}: a binary label has two values; is --label the outcome column?`;
  if (/distinct values, over maxCategories/.test(message)) {
    const col = message.match(/column "([^"]*)"/)?.[1];
    return `${at.replace(/: exclude it or raise the limit$/, '')}: leave it out with --exclude ${col ?? 'COLUMN'} (an id or free text is no feature)`;
  }
  if (/does not occur in column/.test(message)) return `${at}: pass --positive with one of those values`;
  if (/is not a number/.test(message)) return `${at}: list that column in --categorical, or fix the cell`;
  if (/no feature columns left/.test(message)) return `${at}: the file needs columns besides the label (columns: ${table.header.join(', ')})`;
  return at;
}
