// Splits one CSV the way the demo's parties would hold it: the lender keeps a held-out test split,
// each data owner gets a disjoint shard in a file of its own (its "private" data).
import path from 'node:path';
import { readCsvFile } from '@hessian/trainer/data/csv';
import { writeCsvFile } from '@hessian/trainer/data/csv-write';
import { shards, trainTestSplit } from '@hessian/trainer/data/split';

export interface ShardFiles {
  rows: number;
  testRows: number;
  shardRows: number;
  lender: string;
  owners: string[];
}

export async function writeShardCsvs(source: string, dir: string, opts: { owners: number; testFraction: number; seed: string }): Promise<ShardFiles> {
  const table = await readCsvFile(source);
  const split = trainTestSplit(table.rows.length, { testFraction: opts.testFraction, seed: opts.seed });
  const lender = path.join(dir, 'lender-heldout.csv');
  writeCsvFile(lender, table, split.test);
  const parts = shards(split.train, opts.owners, opts.seed);
  const owners = parts.map((rows, i) => {
    const file = path.join(dir, `owner-${i}.csv`);
    writeCsvFile(file, table, rows);
    return file;
  });
  return { rows: table.rows.length, testRows: split.test.length, shardRows: Math.round(split.train.length / opts.owners), lender, owners };
}
