import { CsvError, columnIndex, type CsvRow, type CsvTable } from './csv.ts';

/**
 * How raw CSV columns become a numeric design matrix. The lender fits it on its own data and
 * publishes it in the model metadata, so every data owner encodes rows identically.
 * Feature order is the order of `features`; each categorical feature expands to one column per
 * category (one-hot, in the listed order). With `intercept`, column 0 is a constant 1.
 */
export interface EncodingSpec {
  label: LabelSpec;
  features: FeatureSpec[];
  intercept: boolean;
}

export type LabelSpec =
  /** y = 1 when the cell equals `positive`, 0 when it equals `negative`; anything else is a bad row */
  | { column: string; kind: 'binary'; positive: string; negative: string }
  /** y = the cell's number (for linear regression) */
  | { column: string; kind: 'numeric' };

export type FeatureSpec =
  /** x = (value - mean) / std */
  | { column: string; kind: 'numeric'; mean: number; std: number }
  | { column: string; kind: 'categorical'; categories: string[] };

export type BadRowPolicy = 'error' | 'skip';

export interface EncodedData {
  /** one Float64Array per kept row, length featureNames(spec).length */
  x: Float64Array[];
  y: Float64Array;
  /** CSV line number of each kept row */
  lines: number[];
  skipped: { line: number; reason: string }[];
}

export interface FitEncodingOptions {
  label: string;
  /** label value meaning "positive" (1); needed when the column is not already 0/1 */
  positive?: string;
  /** 'binary' (default) or 'numeric' (linear regression on a real-valued label) */
  labelKind?: 'binary' | 'numeric';
  /** feature columns; default: every column except the label */
  features?: string[];
  /**
   * columns to treat as categorical; default: columns where fewer than 90% of the non-empty
   * cells are numbers. When given, every other feature must be fully numeric.
   */
  categorical?: string[];
  /** columns to drop from the default feature list */
  exclude?: string[];
  intercept?: boolean;
  /** categorical columns with more distinct values than this are refused (likely an id column) */
  maxCategories?: number;
}

export const INTERCEPT_NAME = '(intercept)';

/** share of non-empty cells that must parse as numbers for a column to be fitted as numeric */
export const NUMERIC_SHARE = 0.9;

export function featureNames(spec: EncodingSpec): string[] {
  const names: string[] = spec.intercept ? [INTERCEPT_NAME] : [];
  for (const f of spec.features) {
    if (f.kind === 'numeric') names.push(f.column);
    else for (const c of f.categories) names.push(`${f.column}=${c}`);
  }
  return names;
}

export function featureCount(spec: EncodingSpec): number {
  return featureNames(spec).length;
}

/** Strict number parsing: the whole trimmed cell must be a finite decimal number. */
export function parseNumber(cell: string): number | undefined {
  const t = cell.trim();
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** Fits an encoding (means, standard deviations, category lists) on a table. */
export function fitEncoding(table: CsvTable, opts: FitEncodingOptions): EncodingSpec {
  const labelIdx = columnIndex(table, opts.label);
  if (table.rows.length < 2) throw new Error(`${table.source}: at least 2 data rows are needed to fit an encoding, found ${table.rows.length}`);
  const exclude = new Set([opts.label, ...(opts.exclude ?? [])]);
  const featureCols = opts.features ?? table.header.filter((h) => !exclude.has(h));
  if (featureCols.length === 0) throw new Error(`${table.source}: no feature columns left`);
  if (featureCols.includes(opts.label)) throw new Error(`label column "${opts.label}" cannot also be a feature`);
  const maxCategories = opts.maxCategories ?? 64;

  let label: LabelSpec;
  const labelKind = opts.labelKind ?? 'binary';
  if (labelKind === 'numeric') {
    for (const r of table.rows) {
      const cell = r.cells[labelIdx];
      if (cell.trim() !== '' && parseNumber(cell) === undefined) throw new CsvError(table.source, r.line, `label ${JSON.stringify(cell)} is not a number`, opts.label);
    }
    label = { column: opts.label, kind: 'numeric' };
  } else {
    // empty label cells are bad rows for encodeTable, not a third class
    const values = new Set(table.rows.map((r) => r.cells[labelIdx].trim()).filter((v) => v !== ''));
    if (values.size !== 2) {
      throw new Error(`${table.source}: label column "${opts.label}" must have exactly 2 distinct values for a binary label, found ${values.size}: ${[...values].slice(0, 10).join(', ')}`);
    }
    const [a, b] = [...values].sort();
    let positive = opts.positive;
    if (positive === undefined) {
      positive = obviousPositive(a, b);
      if (positive === undefined) throw new Error(`label column "${opts.label}" has values "${a}" and "${b}": say which one is positive`);
    }
    // `--positive yes` for a column of Yes/No: the user means the value, not its case
    if (!values.has(positive)) positive = [a, b].find((v) => v.toLowerCase() === positive!.toLowerCase()) ?? positive;
    if (!values.has(positive)) throw new Error(`positive label "${positive}" does not occur in column "${opts.label}" (values: ${a}, ${b})`);
    label = { column: opts.label, kind: 'binary', positive, negative: positive === a ? b : a };
  }

  const forcedCategorical = new Set(opts.categorical ?? []);
  const features: FeatureSpec[] = featureCols.map((col) => {
    const k = columnIndex(table, col);
    const nums: number[] = [];
    let numeric = !forcedCategorical.has(col);
    if (numeric) {
      // missing or stray non-numeric cells do not turn a numeric column categorical: they are
      // left out of the fit and reported as bad rows when encoding
      let nonEmpty = 0;
      let firstBad: { line: number; cell: string } | undefined;
      for (const r of table.rows) {
        const cell = r.cells[k];
        if (cell.trim() === '') continue;
        nonEmpty++;
        const v = parseNumber(cell);
        if (v === undefined) firstBad ??= { line: r.line, cell };
        else nums.push(v);
      }
      if (firstBad && opts.categorical !== undefined) throw new CsvError(table.source, firstBad.line, `value ${JSON.stringify(firstBad.cell)} is not a number`, col);
      if (nums.length === 0 || nums.length < NUMERIC_SHARE * nonEmpty) numeric = false;
    }
    if (numeric) {
      let mean = 0;
      for (const v of nums) mean += v;
      mean /= nums.length;
      let ss = 0;
      for (const v of nums) ss += (v - mean) ** 2;
      const std = Math.sqrt(ss / nums.length);
      // a constant column carries no signal; std 1 keeps it finite instead of dividing by zero
      return { column: col, kind: 'numeric', mean, std: std > 0 ? std : 1 };
    }
    const cats = [...new Set(table.rows.map((r) => r.cells[k].trim()).filter((c) => c !== ''))].sort();
    if (cats.length === 0) throw new Error(`${table.source}: column "${col}" is empty`);
    if (cats.length > maxCategories) throw new Error(`column "${col}" has ${cats.length} distinct values, over maxCategories=${maxCategories}: exclude it or raise the limit`);
    return { column: col, kind: 'categorical', categories: cats };
  });
  return { label, features, intercept: opts.intercept ?? true };
}

/**
 * The positive value of a label pair that can only mean one thing (0/1, false/true, no/yes, N/Y,
 * any case); undefined for pairs such as 1/2 or good/bad, where the user must say.
 */
export function obviousPositive(a: string, b: string): string | undefined {
  const pairs: [string, string][] = [['0', '1'], ['false', 'true'], ['no', 'yes'], ['n', 'y']];
  for (const [neg, pos] of pairs) {
    if (a.toLowerCase() === neg && b.toLowerCase() === pos) return b;
    if (b.toLowerCase() === neg && a.toLowerCase() === pos) return a;
  }
  return undefined;
}

/** Checks an encoding spec's internal consistency (it may come from untrusted metadata). */
export function validateEncodingSpec(spec: EncodingSpec): void {
  const cols = new Set<string>();
  for (const [i, f] of spec.features.entries()) {
    if (cols.has(f.column)) throw new Error(`encoding.features[${i}]: column "${f.column}" listed twice`);
    cols.add(f.column);
    if (f.column === spec.label.column) throw new Error(`encoding.features[${i}]: label column "${f.column}" used as a feature`);
    if (f.kind === 'numeric') {
      if (!Number.isFinite(f.mean)) throw new Error(`encoding.features[${i}].mean must be finite`);
      if (!Number.isFinite(f.std) || f.std <= 0) throw new Error(`encoding.features[${i}].std must be finite and > 0`);
    } else {
      if (f.categories.length === 0) throw new Error(`encoding.features[${i}].categories is empty`);
      if (new Set(f.categories).size !== f.categories.length) throw new Error(`encoding.features[${i}].categories has duplicates`);
    }
  }
  if (spec.label.kind === 'binary' && spec.label.positive === spec.label.negative) throw new Error('encoding.label: positive and negative values are equal');
}

export interface EncodeOptions {
  badRows?: BadRowPolicy;
}

/**
 * Encodes rows with a fitted spec. A row with a missing/non-numeric value, an unknown category
 * or an unexpected label throws a CsvError naming the line and column (badRows 'error', the
 * default) or is left out and reported in `skipped` (badRows 'skip').
 */
/**
 * Encodes rows' features only (no label column needed): what a borrower, who has no outcome yet,
 * applies to its own row with a model's published encoding.
 */
export function featureEncoder(table: CsvTable, spec: EncodingSpec): (r: CsvRow) => Float64Array {
  const featIdx = spec.features.map((f) => columnIndex(table, f.column));
  const catMaps = spec.features.map((f) => (f.kind === 'categorical' ? new Map(f.categories.map((c, j) => [c, j])) : undefined));
  const width = featureCount(spec);
  return (r) => {
    const row = new Float64Array(width);
    let o = 0;
    if (spec.intercept) row[o++] = 1;
    spec.features.forEach((f, fi) => {
      const cell = r.cells[featIdx[fi]!]!;
      if (f.kind === 'numeric') {
        const v = parseNumber(cell);
        if (v === undefined) throw new CsvError(table.source, r.line, cell.trim() === '' ? 'missing value' : `value ${JSON.stringify(cell)} is not a number`, f.column);
        row[o++] = (v - f.mean) / f.std;
      } else {
        const j = catMaps[fi]!.get(cell.trim());
        if (j === undefined) throw new CsvError(table.source, r.line, `unknown category ${JSON.stringify(cell)} (known: ${f.categories.join(', ')})`, f.column);
        row[o + j] = 1;
        o += f.categories.length;
      }
    });
    return row;
  };
}

export function encodeTable(table: CsvTable, spec: EncodingSpec, opts: EncodeOptions = {}): EncodedData {
  validateEncodingSpec(spec);
  const policy = opts.badRows ?? 'error';
  const labelIdx = columnIndex(table, spec.label.column);
  const encodeRow = featureEncoder(table, spec);
  const x: Float64Array[] = [];
  const ys: number[] = [];
  const lines: number[] = [];
  const skipped: { line: number; reason: string }[] = [];

  for (const r of table.rows) {
    try {
      const row = encodeRow(r);
      const cell = r.cells[labelIdx];
      let yv: number;
      if (spec.label.kind === 'binary') {
        const t = cell.trim();
        if (t === spec.label.positive) yv = 1;
        else if (t === spec.label.negative) yv = 0;
        else throw new CsvError(table.source, r.line, `label ${JSON.stringify(cell)} is neither "${spec.label.positive}" nor "${spec.label.negative}"`, spec.label.column);
      } else {
        const v = parseNumber(cell);
        if (v === undefined) throw new CsvError(table.source, r.line, `label ${JSON.stringify(cell)} is not a number`, spec.label.column);
        yv = v;
      }
      x.push(row);
      ys.push(yv);
      lines.push(r.line);
    } catch (e) {
      if (policy === 'skip' && e instanceof CsvError) {
        skipped.push({ line: e.line, reason: e.message });
        continue;
      }
      throw e;
    }
  }
  return { x, y: Float64Array.from(ys), lines, skipped };
}
