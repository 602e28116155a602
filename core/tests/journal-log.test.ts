// The journal's append log (state.ts): an update writes the records it changed, not the whole
// document, so a flood of quotes costs the loan service linear I/O (security review M5); crashes
// mid-append or mid-compaction lose nothing that was acknowledged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Journal, recordsJournal } from '../src/journal/journal.ts';

interface Doc {
  version: 1;
  quotes: Record<string, { deploymentId: number; state: string; tag?: { a: number; b: number }; resultCid?: string }>;
  loans: Record<string, { state: string }>;
}

function tempFile(t: { after(f: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-journal-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'loan-service.json');
}

const open = (file: string, readOnly = false) => recordsJournal<Doc>(file, ['quotes', 'loans'], { readOnly });

/** bytes this process has passed to write(2) so far (Linux), whatever code wrote them */
function bytesWritten(): number {
  const m = /^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  assert.ok(m, '/proc/self/io has wchar');
  return Number(m[1]);
}

test('a flood of quotes: journal I/O stays linear in the records written (each update appends its records, not the document)', (t) => {
  const file = tempFile(t);
  const j = open(file);
  const n = 600;
  const before = bytesWritten();
  for (let i = 0; i < n; i++) {
    j.update((d) => void (d.quotes[String(i)] = { deploymentId: 1, state: 'keyed', tag: { a: 600 + i / 1024, b: -1234.5 + i } }));
  }
  for (let i = 0; i < n; i++) {
    j.update((d) => Object.assign(d.quotes[String(i)]!, { state: 'answered', resultCid: `bafkreiresult${String(i).padStart(6, '0')}` }));
  }
  const written = bytesWritten() - before;
  const reader = open(file, true);
  const size = readFileSync(file).length;
  j.close();
  const finalSize = readFileSync(file).length;
  t.diagnostic(`${2 * n} updates: ${written} bytes written (${(written / (2 * n)).toFixed(0)} per update), final document ${finalSize} bytes; stats ${JSON.stringify(j.stats())}`);
  // rewriting the whole document each time writes ~n/2 documents' worth (here ~1000x its size)
  assert.ok(written < 10 * finalSize, `${written} bytes written for a ${finalSize}-byte document`);
  assert.ok(j.stats().compactions >= 1 && j.stats().appends >= 2 * n - 1);
  assert.ok(size > 0);
  // a reader sees every update, before and after compaction
  assert.equal(Object.keys(reader.value.quotes).length, n);
  assert.equal(reader.value.quotes[String(n - 1)]!.state, 'answered');
  const again = open(file, true);
  assert.deepEqual(again.value, reader.value);
  assert.ok(!existsSync(`${file}.log`), 'closing folds the log into the document');
  assert.deepEqual((JSON.parse(readFileSync(file, 'utf8')) as Doc).quotes['5'], reader.value.quotes['5']);
});

test('crash safety: a torn last line is ignored and cut off; a log left by a compaction cut short is not applied twice; a damaged line is named', (t) => {
  const file = tempFile(t);
  const j = open(file);
  j.update((d) => void (d.quotes['1'] = { deploymentId: 1, state: 'keyed' }));
  j.update((d) => void (d.quotes['2'] = { deploymentId: 1, state: 'keyed' }));
  j.update((d) => void (d.quotes['1']!.state = 'answered'));
  assert.ok(existsSync(`${file}.log`), 'updates after the first are appended');
  // a crash in the middle of the next append: part of a line, never acknowledged
  copyFileSync(`${file}.log`, `${file}.log.saved`);
  appendFileSync(`${file}.log`, '{"ops":[{"k":"quotes","id":"3","v":{"deployme');
  const reader = open(file, true);
  assert.deepEqual(Object.keys(reader.value.quotes).sort(), ['1', '2']);
  assert.equal(reader.value.quotes['1']!.state, 'answered');
  // the lock is ours in this process: hand it over as a crashed writer would (released)
  j.close();
  const next = open(file);
  assert.deepEqual(Object.keys(next.value.quotes).sort(), ['1', '2']);
  next.update((d) => void (d.quotes['3'] = { deploymentId: 1, state: 'keyed' }));
  next.close();
  assert.deepEqual(Object.keys(open(file, true).value.quotes).sort(), ['1', '2', '3']);

  // a compaction that wrote the snapshot but crashed before removing the log: the old log names
  // the previous snapshot, so replaying it would be wrong if it deleted something since re-added
  const file2 = tempFile(t);
  const k = open(file2);
  k.update((d) => void (d.quotes['1'] = { deploymentId: 1, state: 'keyed' }));
  k.update((d) => void delete d.quotes['1']);
  copyFileSync(`${file2}.log`, `${file2}.log.old`);
  k.update((d) => void (d.quotes['1'] = { deploymentId: 1, state: 'answered' }));
  k.close();
  copyFileSync(`${file2}.log.old`, `${file2}.log`);
  assert.equal(open(file2, true).value.quotes['1']?.state, 'answered', 'the stale log is not replayed');

  // a damaged line that is not the last: refused with the file and line named
  const file3 = tempFile(t);
  const m = open(file3);
  m.update((d) => void (d.quotes['1'] = { deploymentId: 1, state: 'keyed' }));
  m.update((d) => void (d.quotes['2'] = { deploymentId: 1, state: 'keyed' }));
  m.update((d) => void (d.quotes['3'] = { deploymentId: 1, state: 'keyed' }));
  const lines = readFileSync(`${file3}.log`, 'utf8').split('\n');
  lines[1] = lines[1]!.replace('"ops"', '"op');
  writeFileSync(`${file3}.log`, lines.join('\n'));
  assert.throws(() => open(file3, true), /journal log .*loan-service\.json\.log line 2 is damaged/);
  m.close();
});

test('an update changes only its records: earlier references keep their values, a failed change writes nothing, a read-only change writes nothing', (t) => {
  const file = tempFile(t);
  const j = open(file);
  j.update((d) => void (d.quotes['1'] = { deploymentId: 1, state: 'keyed' }));
  const before = j.value.quotes['1']!;
  const beforeMap = j.value.quotes;
  j.update((d) => void (d.quotes['1']!.state = 'answered'));
  j.update((d) => void (d.quotes['2'] = { deploymentId: 2, state: 'keyed' }));
  assert.equal(before.state, 'keyed', 'a record held from before the update is not changed under its holder');
  assert.deepEqual(Object.keys(beforeMap), ['1']);
  assert.equal(j.value.quotes['1']!.state, 'answered');

  const stats = j.stats();
  assert.throws(() => j.update((d) => {
    d.quotes['1']!.state = 'refused';
    throw new Error('changed my mind');
  }), /changed my mind/);
  assert.equal(j.value.quotes['1']!.state, 'answered', 'a change that throws leaves the document as it was');
  j.update((d) => void d.quotes['1']!.state);
  assert.deepEqual(j.stats(), stats, 'nothing written by a failed or read-only change');
  j.close();
  assert.equal(open(file, true).value.quotes['1']!.state, 'answered');
});

test('a journal with top-level values and arrays (the owner keeps a salt and a batch cursor map) round-trips through the log', (t) => {
  const file = tempFile(t);
  type Owner = { salt?: string; list: number[]; nextBatch: Record<string, number> };
  const mk = (readOnly = false) => new Journal<Owner>({ file, readOnly, initial: () => ({ list: [], nextBatch: {} }) });
  const j = mk();
  j.update((d) => void (d.salt = 'ab'));
  j.update((d) => void d.list.push(1, 2));
  j.update((d) => void (d.nextBatch['7'] = 3));
  j.update((d) => void (d.nextBatch['7'] = 4));
  j.update((d) => void delete d.salt);
  assert.deepEqual(mk(true).value, { list: [1, 2], nextBatch: { 7: 4 } });
  j.close();
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { list: [1, 2], nextBatch: { 7: 4 } });
});
