// Reading the CSVs people actually have: ;- or tab-separated bank exports with a BOM, CRLF line
// ends, quoted fields, missing cells and labels coded 1/2, checked before anything starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detectDelimiter, parseCsv, parseDelimiter } from '@hessian/core/data';
import { checkData, csvFormat, DataError, readDataFile } from '../../src/data/options.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'hessian-data-options-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

/** a bank export: BOM, CRLF, ';', a decimal comma in quotes, categorical columns, a 1/2 label, a few empty cells */
function bankExport(rows: number): string {
  const lines = ['\ufeffchecking;duration;purpose;"amount; EUR";housing;class'];
  for (let i = 0; i < rows; i++) {
    const purpose = ['car', 'radio/TV', 'furniture', 'business'][i % 4];
    const amount = i % 97 === 5 ? '' : `"${1000 + ((i * 37) % 5000)},50"`;
    lines.push(`A1${i % 4};${6 + (i % 40)};${purpose};${amount};${i % 3 ? 'own' : 'rent'};${i % 3 === 0 ? 2 : 1}`);
  }
  return lines.join('\r\n') + '\r\n';
}

test('the delimiter is detected among , ; and tab, outside quotes and across CRLF', () => {
  assert.equal(detectDelimiter('a,b,c\n1,2,3\n'), ',');
  assert.equal(detectDelimiter('a;b;c\r\n"1,5";2;3\r\n'), ';', 'a decimal comma inside quotes does not count');
  assert.equal(detectDelimiter('a\tb\n1\t2\n'), '\t');
  assert.equal(detectDelimiter('\ufeffa;b\r\n1,5;2\r\n'), ';', 'the ; splits every line alike; the comma does not');
  assert.equal(detectDelimiter('single\n1\n2\n'), ',', 'one column reads as comma-separated');
  assert.throws(() => detectDelimiter('a,b;c\n1,2;3\n', 'x.csv'), /x\.csv:1: cannot tell the delimiter: "," and ";" both split every line into 2 fields; say which with --delimiter/);
  // the detected delimiter is what parseCsv uses when none is given
  const t = parseCsv('\ufeffa;b\r\n"x;y";2\r\n');
  assert.deepEqual(t.header, ['a', 'b']);
  assert.deepEqual(t.rows[0]!.cells, ['x;y', '2']);
  assert.deepEqual(parseCsv('a;b\n"1.234,50";x\n-0,25;1,5x\n').rows.map((r) => r.cells), [['1234.50', 'x'], ['-0.25', '1,5x']], 'decimal commas in a ;-separated file');
  assert.deepEqual(parseCsv('a,b\n"1,50",x\n').rows[0]!.cells, ['1,50', 'x'], 'but not in a comma-separated one');
  assert.equal(parseDelimiter('tab'), '\t');
  assert.equal(parseDelimiter(';'), ';');
  assert.throws(() => parseDelimiter(';;'), /one character/);
});

test('a 1,000-row bank export: ; detected, categorical columns found, a 1/2 label needs --positive, missing cells skipped and counted', () => {
  const f = file('bank.csv', bankExport(1000));
  assert.throws(() => checkData(f, { label: 'class' }), (e: unknown) =>
    e instanceof DataError && /label column "class" has values "1" and "2": pass --positive with the value meaning 1 \(the event to predict\), e\.g\. --positive 2$/.test(e.message) && !e.message.includes('\n'));
  const d = checkData(f, { label: 'class', positive: '2' });
  assert.equal(d.delimiter, ';');
  assert.equal(d.detected, true);
  assert.equal(d.table.rows.length, 1000);
  assert.deepEqual(d.spec.label, { column: 'class', kind: 'binary', positive: '2', negative: '1' });
  const kinds = Object.fromEntries(d.spec.features.map((f) => [f.column, f.kind]));
  // a ;-separated export writes 1000,50 for 1000.50: a number, not 989 categories
  assert.deepEqual(kinds, { checking: 'categorical', duration: 'numeric', purpose: 'categorical', 'amount; EUR': 'numeric', housing: 'categorical' });
  const amount = d.spec.features.find((f) => f.column === 'amount; EUR');
  assert.ok(amount?.kind === 'numeric' && amount.mean > 1000 && amount.mean < 6000);
  const missing = Array.from({ length: 1000 }, (_, i) => i).filter((i) => i % 97 === 5).length;
  assert.equal(d.skipped.length, missing, 'rows with an empty cell are left out');
  assert.equal(d.usableRows, 1000 - missing);
  assert.match(d.skipped[0]!.reason, /bank\.csv:7 column "amount; EUR": missing value/);
  assert.throws(() => checkData(f, { label: 'class', positive: '2', 'bad-rows': 'error' }), /pass --bad-rows skip to leave them out/);
});

test('data errors name the fix in one line', () => {
  const f = file('small.csv', 'id,income,status\n1,10,good\n2,20,bad\n3,30,good\n');
  assert.throws(() => checkData(f, {}), /--label is required/);
  assert.throws(() => checkData(f, { label: 'default' }), /no column "default" \(columns: id, income, status\): pass --label/);
  assert.throws(() => checkData(f, { label: 'status' }), /has values "bad" and "good": pass --positive .* e\.g\. --positive good/);
  assert.throws(() => checkData(f, { label: 'status', positive: 'late' }), /positive label "late" does not occur in column "status" \(values: bad, good\): pass --positive with one of those values/);
  assert.deepEqual(checkData(f, { label: 'status', positive: 'BAD' }).spec.label, { column: 'status', kind: 'binary', positive: 'bad', negative: 'good' }, 'the value, whatever its case');
  assert.throws(() => checkData(path.join(dir, 'nope.csv'), { label: 'x' }), /--data .*nope\.csv: no such file/);
  const ragged = file('ragged.csv', 'a;b;c\n1;2;3\n4;5\n');
  assert.throws(() => readDataFile(ragged), /ragged\.csv:3: expected 3 fields \(as in the header\), found 2; read with delimiter ';' \(detected\): force another with --delimiter, or fix that line/);
  const many = file('ids.csv', ['customer,x,y', ...Array.from({ length: 100 }, (_, i) => `c${i},${i},${i % 2}`)].join('\n'));
  assert.throws(() => checkData(many, { label: 'y' }), /column "customer" has 100 distinct values.*leave it out with --exclude customer/);
  assert.equal(checkData(many, { label: 'y', exclude: 'customer' }).spec.features.length, 1);
  assert.throws(() => csvFormat({ 'bad-rows': 'maybe' }), /--bad-rows must be skip or error/);
  assert.deepEqual(csvFormat({ delimiter: 'tab' }), { delimiter: '\t', badRows: 'skip' });
  // a forced delimiter wins over detection
  const tsv = file('t.tsv', 'a\tb,c\n1\t2,3\n');
  assert.deepEqual(readDataFile(tsv, { delimiter: ',' }).table.header, ['a\tb', 'c']);
});
