import { readFile } from 'node:fs/promises';

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

export class CsvError extends Error {
  readonly source: string;
  readonly line: number;
  readonly column: string | undefined;
  constructor(source: string, line: number, message: string, column?: string) {
    super(`${source}:${line}${column === undefined ? '' : ` column "${column}"`}: ${message}`);
    this.name = 'CsvError';
    this.source = source;
    this.line = line;
    this.column = column;
  }
}

export interface ParseCsvOptions {
  /** name used in error messages (a file path) */
  source?: string;
  delimiter?: string;
  /** refuse inputs larger than this many characters */
  maxChars?: number;
}

const DEFAULT_MAX_CHARS = 512 * 1024 * 1024;

/**
 * RFC 4180 parser: quoted fields may hold delimiters, CR/LF and doubled quotes; CRLF or LF line
 * ends; a trailing newline does not make an empty record. Every record must have as many cells
 * as the header (a ragged row is a format error, not a bad value, so it is always thrown).
 */
export function parseCsv(text: string, opts: ParseCsvOptions = {}): CsvTable {
  const source = opts.source ?? '<csv>';
  const delim = opts.delimiter ?? ',';
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
    rows.push(rec);
  }
  return { source, header, rows };
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
