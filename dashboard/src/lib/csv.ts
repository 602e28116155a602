// CSV export of a table's rows as RFC 4180 text: CRLF line ends, a field quoted when it holds a
// comma, quote, CR or LF (quotes doubled), one header line. Amounts are exact decimals made with
// bigint arithmetic (never a float, never rounded, no grouping) so a spreadsheet sums them right.
import { SCORE_SCALE, toBigInt } from './format.ts';

export type CsvValue = string | number | bigint | boolean | null | undefined;

export interface CsvColumn<T> {
  header: string;
  value: (row: T) => CsvValue;
}

/** One field: empty for null, quoted when it must be. */
export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv<T>(columns: readonly CsvColumn<T>[], rows: readonly T[]): string {
  const lines = [columns.map((c) => csvField(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(c.value(row))).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** Base units → the exact decimal in whole units: ("1500000000000000001", 18) → "1.500000000000000001". */
export function exactDecimal(raw: string | bigint | number, decimals: number): string {
  let v = toBigInt(raw, 'amount');
  const negative = v < 0n;
  if (negative) v = -v;
  const unit = 10n ** BigInt(decimals);
  const frac = decimals > 0 ? (v % unit).toString().padStart(decimals, '0').replace(/0+$/, '') : '';
  return `${negative ? '-' : ''}${v / unit}${frac ? `.${frac}` : ''}`;
}

/** A fixed-point score (SCORE_SCALE) as its exact decimal; empty when there is none. */
export function exactScore(raw: string | null | undefined): string {
  return raw === null || raw === undefined ? '' : exactDecimal(raw, SCORE_SCALE.toString().length - 1);
}

/** Unix seconds as an ISO 8601 UTC time. */
export function isoTime(seconds: string | number | null | undefined): string {
  return seconds === null || seconds === undefined ? '' : new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Saves `text` as a file through the browser's download. */
export function downloadCsv(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
