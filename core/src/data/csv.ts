import { readFile } from 'node:fs/promises';
import { HessianError } from '@hessian/common/errors';

/** A parsed CSV file: header names plus data rows, each remembering its 1-based line number. */
export interface CsvTable {
  /** where the text came from, used in error messages */
  source: string;
  header: string[];
  rows: CsvRow[];
}

export interface CsvRow {
  /** 1-based line number of the row's first line in the file (the header is line 1) */
  line: number;
  cells: string[];
}

/** a CSV the user gave that cannot be read as asked: names the file, line and column */
export class CsvError extends HessianError {
  override name = 'CsvError';
  readonly source: string;
  readonly line: number;
  readonly column: string | undefined;
  constructor(source: string, line: number, message: string, column?: string) {
    super(`${source}:${line}${column === undefined ? '' : ` column "${column}"`}: ${message}`, { kind: 'user' });
    this.source = source;
    this.line = line;
    this.column = column;
  }
}

export interface ParseCsvOptions {
  /** name used in error messages (a file path) */
  source?: string;
  /** field separator; default: detected among , ; and tab (see detectDelimiter) */
  delimiter?: string;
  /** refuse inputs larger than this many characters */
  maxChars?: number;
}

const DEFAULT_MAX_CHARS = 512 * 1024 * 1024;

/**
 * RFC 4180 parser: quoted fields may hold delimiters, CR/LF and doubled quotes; CRLF or LF line
 * ends; a trailing newline does not make an empty record; a leading BOM is dropped; with ';' as
 * the delimiter, numbers with a decimal comma read as numbers. Every record must have as many cells
 * as the header (a ragged row is a format error, not a bad value, so it is always thrown).
 */
export function parseCsv(text: string, opts: ParseCsvOptions = {}): CsvTable {
  const source = opts.source ?? '<csv>';
  const delim = opts.delimiter ?? detectDelimiter(text, source);
  if (delim.length !== 1 || delim === '"' || delim === '\n' || delim === '\r') {
    throw new Error(`CSV delimiter must be one character other than a quote or newline, got ${JSON.stringify(delim)}`);
  }
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  if (text.length > maxChars) throw new CsvError(source, 1, `input has ${text.length} characters, over the limit of ${maxChars}`);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const records: CsvRow[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const cells: string[] = [];
    let endOfRecord = false;
    while (!endOfRecord) {
      let cell = '';
      if (text[i] === '"') {
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= n) throw new CsvError(source, quoteLine, 'unterminated quoted field');
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') { cell += '"'; i += 2; continue; }
            i++;
            break;
          }
          if (c === '\n') line++;
          cell += c;
          i++;
        }
        const after = text[i];
        if (i < n && after !== delim && after !== '\n' && after !== '\r') {
          throw new CsvError(source, line, `unexpected character ${JSON.stringify(after)} after closing quote of field ${cells.length + 1}`);
        }
      } else {
        const start = i;
        while (i < n) {
          const c = text[i];
          if (c === delim || c === '\n' || c === '\r') break;
          if (c === '"') throw new CsvError(source, line, `stray quote inside unquoted field ${cells.length + 1}`);
          i++;
        }
        cell = text.slice(start, i);
      }
      cells.push(cell);
      if (i >= n) { endOfRecord = true; break; }
      const c = text[i];
      if (c === delim) { i++; if (i >= n) { cells.push(''); endOfRecord = true; } continue; }
      if (c === '\r') { i++; if (text[i] === '\n') i++; } else { i++; }
      line++;
      endOfRecord = true;
    }
    records.push({ line: startLine, cells });
  }

  if (records.length === 0) throw new CsvError(source, 1, 'empty file: a header row is required');
  const header = records[0].cells.map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((h, k) => {
    if (h === '') throw new CsvError(source, 1, `header cell ${k + 1} is empty`);
    if (seen.has(h)) throw new CsvError(source, 1, `duplicate header "${h}"`);
    seen.add(h);
  });
  const rows: CsvRow[] = [];
  for (const rec of records.slice(1)) {
    // a blank line (one empty cell) is not a record
    if (rec.cells.length === 1 && rec.cells[0] === '' && header.length > 1) continue;
    if (rec.cells.length !== header.length) {
      throw new CsvError(source, rec.line, `expected ${header.length} fields (as in the header), found ${rec.cells.length}`);
    }
    if (delim === ';') rec.cells = rec.cells.map(decimalPoint);
    rows.push(rec);
  }
  return { source, header, rows };
}

/** Delimiters a spreadsheet or bank export writes: comma, semicolon (locales with a decimal comma), tab. */
export const DELIMITERS = [',', ';', '\t'] as const;

/** counts of each candidate delimiter outside quotes, per non-blank line, for the first `lines` records */
function delimiterCounts(text: string, lines: number): Map<string, number[]> {
  const counts = new Map<string, number[]>(DELIMITERS.map((d) => [d, []]));
  let current = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let blank = true;
  let seen = 0;
  const endLine = () => {
    // blank lines are not records (the parser skips them too)
    if (!blank) for (const d of DELIMITERS) counts.get(d)!.push(current.get(d)!);
    if (!blank) seen++;
    current = new Map(DELIMITERS.map((d) => [d, 0]));
    blank = true;
  };
  let quoted = false;
  for (let i = 0; i < text.length && seen < lines; i++) {
    const c = text[i]!;
    if (c === '"') quoted = !quoted;
    if (!quoted && c === '\n') {
      endLine();
      continue;
    }
    if (c !== '\r' && c.trim() !== '') blank = false;
    if (!quoted && current.has(c)) current.set(c, current.get(c)! + 1);
  }
  if (seen < lines) endLine();
  return counts;
}

/**
 * Picks the delimiter of a CSV among , ; and tab: the one that occurs in the header and the same
 * number of times on every one of the first lines (outside quotes). A file with one column has
 * none of them and reads as comma-separated. When two fit equally, the file is ambiguous and the
 * caller must say which (--delimiter).
 */
export function detectDelimiter(text: string, source = '<csv>'): string {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const counts = delimiterCounts(text, 20);
  const consistent = DELIMITERS.filter((d) => {
    const v = counts.get(d)!;
    return v.length > 0 && v[0]! > 0 && v.every((n) => n === v[0]);
  });
  if (consistent.length === 1) return consistent[0]!;
  const name = (d: string) => (d === '\t' ? 'tab' : `"${d}"`);
  if (consistent.length > 1) {
    // a comma inside a ;-separated export is a decimal comma, rarely the other way round: prefer the one with more fields
    const [a, b] = consistent.map((d) => ({ d, n: counts.get(d)![0]! })).sort((x, y) => y.n - x.n);
    if (a!.n > b!.n) return a!.d;
    throw new CsvError(source, 1, `cannot tell the delimiter: ${consistent.map(name).join(' and ')} both split every line into ${a!.n + 1} fields; say which with --delimiter`);
  }
  const inHeader = DELIMITERS.filter((d) => counts.get(d)![0]! > 0);
  if (inHeader.length === 0) return ',';
  // no candidate is consistent: let the parser name the first ragged line of the likeliest one
  return inHeader.map((d) => ({ d, n: counts.get(d)![0]! })).sort((x, y) => y.n - x.n)[0]!.d;
}

/** Reads a delimiter name as a user types it: , ; tab \t | or comma, semicolon, pipe. */
export function parseDelimiter(value: string): string {
  const named: Record<string, string> = { comma: ',', semicolon: ';', tab: '\t', '\\t': '\t', pipe: '|' };
  const d = named[value.toLowerCase()] ?? value;
  if (d.length !== 1 || d === '"' || d === '\n' || d === '\r') throw new Error(`delimiter must be one character (, ; tab |), got ${JSON.stringify(value)}`);
  return d;
}

/** 1234,5 or 1.234,50 or -0,25: a number as written where the comma is the decimal mark */
const DECIMAL_COMMA = /^\s*[+-]?\d{1,3}(\.\d{3})*,\d+\s*$|^\s*[+-]?\d+,\d+\s*$/;

/**
 * A ;-separated file comes from a locale whose decimal mark is the comma (that is why it is not
 * comma-separated): its numbers are read as such, so 1.234,50 is 1234.50 and not a category.
 */
function decimalPoint(cell: string): string {
  return DECIMAL_COMMA.test(cell) ? cell.trim().replace(/\./g, '').replace(',', '.') : cell;
}

export async function readCsvFile(path: string, opts: Omit<ParseCsvOptions, 'source'> = {}): Promise<CsvTable> {
  const text = await readFile(path, 'utf8');
  return parseCsv(text, { ...opts, source: path });
}

/** Index of a header column, or a clear error listing the available ones. */
export function columnIndex(table: CsvTable, column: string): number {
  const k = table.header.indexOf(column);
  if (k < 0) throw new Error(`${table.source}: no column "${column}" (columns: ${table.header.join(', ')})`);
  return k;
}
