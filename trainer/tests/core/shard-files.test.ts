// Splitting one CSV into the files separate parties hold, and writing CSV back out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCsv, readCsvFile } from '@hessian/core/data';
import { formatCsv } from '../../src/data/csv-write.ts';
import { writeShardCsvs } from '../../src/data/shard-files.ts';

test('formatCsv quotes what needs quoting and round-trips through the parser', () => {
  const text = 'a,b\n"x, y","say ""hi"""\nplain,"two\nlines"\n';
  const table = parseCsv(text);
  assert.equal(formatCsv(table), text);
  assert.equal(formatCsv(table, [1]), 'a,b\nplain,"two\nlines"\n');
  assert.throws(() => formatCsv(table, [5]), /row index 5 is out of range \(2 rows\)/);
});

test('writeShardCsvs: held-out split and disjoint owner shards that together cover every row once', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-shards-'));
  try {
    const rows = Array.from({ length: 101 }, (_, i) => `${i},${i % 2}`);
    const source = path.join(dir, 'all.csv');
    writeFileSync(source, `id,label\n${rows.join('\n')}\n`);
    const files = await writeShardCsvs(source, dir, { owners: 3, testFraction: 0.2, seed: 's' });
    const ids = async (f: string) => (await readCsvFile(f)).rows.map((r) => r.cells[0]!);
    const lender = await ids(files.lender);
    const owners = await Promise.all(files.owners.map(ids));
    assert.equal(files.owners.length, 3);
    assert.equal(lender.length, files.testRows);
    assert.ok(lender.length >= 19 && lender.length <= 21, `about 20% held out (${lender.length})`);
    const all = [...lender, ...owners.flat()];
    assert.equal(all.length, 101, 'every row lands in exactly one file');
    assert.equal(new Set(all).size, 101, 'no row in two files');
    for (const o of owners) assert.ok(Math.abs(o.length - files.shardRows) <= 1, 'shards are even');
    const again = await writeShardCsvs(source, path.join(dir), { owners: 3, testFraction: 0.2, seed: 's' });
    assert.deepEqual(await ids(again.lender), lender, 'the same seed gives the same split');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
