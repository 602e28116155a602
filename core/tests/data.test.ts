import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CsvError, parseCsv, readCsvFile } from '../src/data/csv.ts';
import { encodeTable, featureEncoder, featureNames, fitEncoding } from '../src/data/encoding.ts';
import { miniBatches, shards, shuffledIndices, take, trainTestSplit } from '../src/data/split.ts';
import { dataCommitment } from '../src/data/commitment.ts';

const LENDING_CLUB = fileURLToPath(new URL('../../trainer/data/lending_club_loan_data.csv', import.meta.url));

test('the shipped LendingClub copy is byte-identical to the documented original', async () => {
  const bytes = await readFile(LENDING_CLUB);
  assert.equal(bytes.length, 751_254);
  assert.equal(createHash('sha256').update(bytes).digest('hex'), '1471c1bdc5ce3b48cfacb44a824d4739c252493196e7e1874668c6139c248af0');
});

test('LendingClub: purpose is one-hot, numeric columns standardized, label 0/1', async () => {
  const table = await readCsvFile(LENDING_CLUB);
  assert.equal(table.rows.length, 9578);
  const spec = fitEncoding(table, { label: 'not.fully.paid' });
  const purpose = spec.features.find((f) => f.column === 'purpose');
  assert.ok(purpose && purpose.kind === 'categorical');
  assert.equal(purpose.categories.length, 7);
  assert.deepEqual(spec.label, { column: 'not.fully.paid', kind: 'binary', positive: '1', negative: '0' });
  const names = featureNames(spec);
  assert.equal(names.length, 1 + 12 + 7);
  assert.equal(names[0], '(intercept)');
  const { x, y, skipped } = encodeTable(table, spec);
  assert.equal(skipped.length, 0);
  assert.equal(x.length, 9578);
  assert.equal(y.reduce((a, b) => a + b, 0), 1533);
  // standardized: mean 0, variance 1 on the fitting data
  const fico = names.indexOf('fico');
  const mean = x.reduce((s, r) => s + r[fico], 0) / x.length;
  const variance = x.reduce((s, r) => s + (r[fico] - mean) ** 2, 0) / x.length;
  assert.ok(Math.abs(mean) < 1e-9 && Math.abs(variance - 1) < 1e-9);
  // exactly one purpose column is hot per row
  const first = names.findIndex((n) => n.startsWith('purpose='));
  for (const r of x.slice(0, 200)) assert.equal(r.subarray(first, first + 7).reduce((a, b) => a + b, 0), 1);
});

test('RFC 4180: quotes, embedded delimiters and newlines, CRLF, line numbers across multi-line cells', () => {
  const t = parseCsv('a,b,c\r\n1,"x, y",3\r\n2,"multi\nline ""quoted""",4\n5,,6\n', { source: 'q.csv' });
  assert.deepEqual(t.header, ['a', 'b', 'c']);
  assert.deepEqual(t.rows.map((r) => r.cells), [['1', 'x, y', '3'], ['2', 'multi\nline "quoted"', '4'], ['5', '', '6']]);
  assert.deepEqual(t.rows.map((r) => r.line), [2, 3, 5]);
});

test('malformed CSV errors name the file and line', () => {
  assert.throws(() => parseCsv('a,b\n1,2\n3\n', { source: 'bad.csv' }), (e: unknown) =>
    e instanceof CsvError && e.line === 3 && /bad\.csv:3: expected 2 fields \(as in the header\), found 1/.test(e.message));
  assert.throws(() => parseCsv('a,b\n1,"open\n', { source: 'q.csv' }), /q\.csv:2: unterminated quoted field/);
  assert.throws(() => parseCsv('a,b\n1,x"y\n', { source: 'q.csv' }), /q\.csv:2: stray quote/);
  assert.throws(() => parseCsv('a,a\n1,2\n', { source: 'h.csv' }), /h\.csv:1: duplicate header "a"/);
  assert.throws(() => parseCsv('', { source: 'e.csv' }), /e\.csv:1: empty file/);
});

const BAD = [
  'income,city,defaulted',
  '50000,Paris,no',
  '62000,Lyon,yes',
  'lots,Paris,no', // line 4: not a number
  '48000,Paris,no',
  '51000,Nice,no', // line 6: category unknown to the spec fitted on lines 2-3
  '39000,Lyon,maybe', // line 7: label neither value
  ',Lyon,yes', // line 8: missing value
  '70000,Lyon,yes',
].join('\n');

test('bad rows: error mode names line and column; skip mode counts them', () => {
  const good = parseCsv(BAD.split('\n').slice(0, 3).join('\n'), { source: 'fit.csv' });
  const spec = fitEncoding(good, { label: 'defaulted', positive: 'yes' });
  const table = parseCsv(BAD, { source: 'loans.csv' });
  assert.throws(() => encodeTable(table, spec), (e: unknown) =>
    e instanceof CsvError && e.line === 4 && e.column === 'income' && /loans\.csv:4 column "income": value "lots" is not a number/.test(e.message));
  const r = encodeTable(table, spec, { badRows: 'skip' });
  assert.equal(r.x.length, 4);
  assert.deepEqual(r.lines, [2, 3, 5, 9]);
  assert.deepEqual(r.skipped.map((s) => s.line), [4, 6, 7, 8]);
  assert.match(r.skipped[1].reason, /unknown category "Nice" \(known: Lyon, Paris\)/);
  assert.match(r.skipped[2].reason, /label "maybe" is neither "yes" nor "no"/);
  assert.match(r.skipped[3].reason, /missing value/);
  assert.deepEqual(Array.from(r.y), [0, 1, 0, 1]);
});

test('missing cells: fitting ignores them (no third class, numeric stays numeric), encoding reports their lines', () => {
  const rows = ['score,region,label'];
  for (let i = 0; i < 30; i++) rows.push(`${i},${i % 2 ? 'north' : 'south'},${i % 3 === 0 ? 1 : 0}`);
  rows.push(',north,1'); // line 32: missing score
  rows.push('7,south,'); // line 33: missing label
  rows.push('n/a,south,0'); // line 34: one stray text cell in a numeric column
  const t = parseCsv(rows.join('\n'), { source: 'gaps.csv' });
  const spec = fitEncoding(t, { label: 'label' });
  assert.deepEqual(spec.features.map((f) => f.kind), ['numeric', 'categorical']);
  assert.deepEqual(spec.label, { column: 'label', kind: 'binary', positive: '1', negative: '0' });
  const score = spec.features[0];
  assert.ok(score.kind === 'numeric' && Math.abs(score.mean - (435 + 7) / 31) < 1e-12);
  assert.throws(() => encodeTable(t, spec), /gaps\.csv:32 column "score": missing value/);
  const r = encodeTable(t, spec, { badRows: 'skip' });
  assert.equal(r.x.length, 30);
  assert.deepEqual(r.skipped.map((s) => s.line), [32, 33, 34]);
  assert.match(r.skipped[1].reason, /column "label": label "" is neither "1" nor "0"/);
  assert.throws(() => fitEncoding(t, { label: 'label', categorical: ['region'] }), /gaps\.csv:34 column "score": value "n\/a" is not a number/);
});

test('a non-LendingClub CSV works: semicolons, text label, auto-detected categorical, explicit features', () => {
  const csv = ['id;colour;weight;bought', '1;red;1.5;Y', '2;blue;2.5;N', '3;red;3.5;N', '4;green;0.5;Y'].join('\n');
  const t = parseCsv(csv, { delimiter: ';', source: 'shop.csv' });
  // Y/N can only mean one thing; 1/2 or good/bad cannot
  assert.deepEqual(fitEncoding(t, { label: 'bought' }).label, { column: 'bought', kind: 'binary', positive: 'Y', negative: 'N' });
  assert.throws(() => fitEncoding(parseCsv('x,class\n1,1\n2,2\n'), { label: 'class' }), /say which one is positive/);
  const spec = fitEncoding(t, { label: 'bought', positive: 'y', exclude: ['id'] });
  assert.deepEqual(featureNames(spec), ['(intercept)', 'colour=blue', 'colour=green', 'colour=red', 'weight']);
  const { x, y } = encodeTable(t, spec);
  assert.deepEqual(Array.from(y), [1, 0, 0, 1]);
  assert.deepEqual(Array.from(x[1].subarray(0, 4)), [1, 1, 0, 0]);
  assert.ok(Math.abs(x[0][4] - (1.5 - 2) / Math.sqrt(1.25)) < 1e-12);
  assert.throws(() => fitEncoding(t, { label: 'nope' }), /no column "nope" \(columns: id, colour, weight, bought\)/);
  const three = parseCsv('x,y\n1,a\n2,b\n3,c\n');
  assert.throws(() => fitEncoding(three, { label: 'y' }), /exactly 2 distinct values/);
});

test('splits and shards are deterministic, disjoint and covering', () => {
  assert.deepEqual(shuffledIndices(50, 'seed'), shuffledIndices(50, 'seed'));
  assert.notDeepEqual(shuffledIndices(50, 'seed'), shuffledIndices(50, 'other'));
  const y = Float64Array.from({ length: 1000 }, (_, i) => (i % 5 === 0 ? 1 : 0));
  const { train, test: testIdx } = trainTestSplit(1000, { testFraction: 0.2, seed: 7, stratify: y });
  assert.equal(train.length + testIdx.length, 1000);
  assert.equal(new Set([...train, ...testIdx]).size, 1000);
  assert.equal(Array.from(testIdx).filter((i) => y[i] === 1).length, 40);
  const parts = shards(train, 3, 'owners');
  assert.equal(parts.reduce((s, p) => s + p.length, 0), train.length);
  assert.equal(new Set(parts.flatMap((p) => Array.from(p))).size, train.length);
  const batches = miniBatches(parts[0], 100, 's', 1);
  assert.equal(batches.reduce((s, b) => s + b.length, 0), parts[0].length);
  assert.ok(batches.slice(0, -1).every((b) => b.length === 100));
  const rows = [Float64Array.of(1), Float64Array.of(2), Float64Array.of(3)];
  assert.deepEqual(take(rows, Float64Array.of(0, 1, 0), [2, 0]).y, Float64Array.of(0, 0));
  assert.throws(() => take(rows, Float64Array.of(0, 1, 0), [5]), /row index 5 out of range/);
});

test('data commitment: deterministic, bound to every row value, label and the context', () => {
  const x = [Float64Array.of(1, 0.5, -2), Float64Array.of(1, 0, 3)];
  const y = Float64Array.of(1, 0);
  const ctx = { chainId: 31337, modelId: 1n, contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' };
  const c = dataCommitment(x, y, ctx);
  assert.match(c, /^0x[0-9a-f]{64}$/);
  assert.equal(c, dataCommitment([Float64Array.of(1, 0.5, -2), Float64Array.of(1, 0, 3)], Float64Array.of(1, 0), { ...ctx, contributor: ctx.contributor.toLowerCase() }));
  assert.notEqual(c, dataCommitment([Float64Array.of(1, 0.5, -2), Float64Array.of(1, 1e-12, 3)], y, ctx));
  assert.notEqual(c, dataCommitment(x, Float64Array.of(0, 0), ctx));
  assert.notEqual(c, dataCommitment(x, y, { ...ctx, modelId: 2 }));
  assert.notEqual(c, dataCommitment(x, y, { ...ctx, chainId: 1 }));
  assert.notEqual(c, dataCommitment(x, y, { ...ctx, salt: '0x' + '11'.repeat(32) }));
  assert.notEqual(c, dataCommitment([x[1], x[0]], Float64Array.of(0, 1), ctx), 'row order is committed');
  assert.throws(() => dataCommitment(x, Float64Array.of(1), ctx), /2 rows but 1 labels/);
  assert.throws(() => dataCommitment([Float64Array.of(NaN)], Float64Array.of(1), ctx), /not finite/);
});

test('featureEncoder: a borrower row without the label column encodes like the labelled row', async () => {
  const table = await readCsvFile(LENDING_CLUB);
  const spec = fitEncoding(table, { label: 'not.fully.paid' });
  const { x } = encodeTable(table, spec);
  const labelIdx = table.header.indexOf('not.fully.paid');
  const unlabelled = {
    source: 'me.csv',
    header: table.header.filter((_, i) => i !== labelIdx),
    rows: table.rows.slice(0, 5).map((r) => ({ line: r.line, cells: r.cells.filter((_, i) => i !== labelIdx) })),
  };
  const encode = featureEncoder(unlabelled, spec);
  unlabelled.rows.forEach((r, k) => assert.deepEqual(encode(r), x[k]));
  const bad = { ...unlabelled, rows: [{ line: 2, cells: unlabelled.rows[0]!.cells.map((c, i) => (unlabelled.header[i] === 'purpose' ? 'yacht' : c)) }] };
  assert.throws(() => featureEncoder(bad, spec)(bad.rows[0]!), /me\.csv:2 column "purpose": unknown category "yacht"/);
  const missing = { ...unlabelled, header: unlabelled.header.filter((h) => h !== 'fico') };
  assert.throws(() => featureEncoder(missing, spec), /fico/);
});
