// Splits one CSV the way separate parties would hold it: the lender keeps a held-out test split
// and each data owner gets a disjoint shard in a file of its own. The demo and the daemon tests
// both start from this.
import path from 'node:path';
import { readCsvFile, type CsvTable, shards, trainTestSplit } from '@hessian/core/data';
import { writeCsvFile } from './csv-write.ts';

export interface ShardFiles {
  table: CsvTable;
  testRows: number;
  shardRows: number;
  /** the lender's held-out CSV */
  lender: string;
  /** one CSV per owner, disjoint */
  owners: string[];
}

/** source: a CSV file, or a table already read (with the delimiter the user gave or that was detected) */
export async function writeShardCsvs(source: string | CsvTable, dir: string, opts: { owners: number; testFraction: number; seed: string }): Promise<ShardFiles> {
  const table = typeof source === 'string' ? await readCsvFile(source) : source;
  const split = trainTestSplit(table.rows.length, { testFraction: opts.testFraction, seed: opts.seed });
  const lender = writeCsvFile(path.join(dir, 'lender-heldout.csv'), table, split.test);
  const owners = shards(split.train, opts.owners, opts.seed).map((rows, i) => writeCsvFile(path.join(dir, `owner-${i}.csv`), table, rows));
  return { table, testRows: split.test.length, shardRows: Math.round(split.train.length / opts.owners), lender, owners };
}
