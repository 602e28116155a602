// Writes rows of a parsed CSV back out (RFC 4180 quoting), e.g. to split one file into the
// shards that different parties hold.
import { writeFileSync } from 'node:fs';
import type { CsvTable } from '@hessian/core/data';

function cell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The header plus the rows at `rows` (all rows when omitted), newline-terminated. */
export function formatCsv(table: CsvTable, rows?: ArrayLike<number>): string {
  const lines = [table.header.map(cell).join(',')];
  const n = rows ? rows.length : table.rows.length;
  for (let k = 0; k < n; k++) {
    const row = table.rows[rows ? rows[k]! : k];
    if (!row) throw new RangeError(`formatCsv: row index ${rows ? rows[k] : k} is out of range (${table.rows.length} rows)`);
    lines.push(row.cells.map(cell).join(','));
  }
  return lines.join('\n') + '\n';
}

export function writeCsvFile(file: string, table: CsvTable, rows?: ArrayLike<number>): string {
  writeFileSync(file, formatCsv(table, rows));
  return file;
}
