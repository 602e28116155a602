// A bank's own export in the demo and the lender's command: ;-separated with a BOM and CRLF,
// quoted fields, a decimal comma, categorical columns, a 1/2 label and a few empty cells. What
// is wrong with the data is said in one line with the flag that fixes it, exit code 2, before any
// service starts; with the flag, the demo runs on it and says how it sized the batches.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const hessian = path.join(repo, 'cli', 'hessian.ts');
const dir = mkdtempSync(path.join(tmpdir(), 'hessian-bank-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 1,000 applicants as a German bank exports them; class 2 = defaulted */
function bankExport(): string {
  const lines = ['\ufeffchecking;duration;purpose;amount;savings;housing;age;class'];
  for (let i = 0; i < 1000; i++) {
    const r = (i * 2654435761) % 1000;
    const defaulted = r % 7 === 0 || (i % 5 === 0 && r % 3 === 0);
    lines.push([
      ['A11', 'A12', 'A13', 'A14'][r % 4],
      i % 131 === 3 ? '' : String(6 + (r % 42)), // a few empty cells
      ['car', 'radio/TV', 'furniture', 'business', '"repairs; other"'][i % 5],
      `${((r * 37) % 9000) + 300},${String(r % 100).padStart(2, '0')}`, // decimal comma
      ['A61', 'A62', 'A65'][r % 3],
      i % 3 ? 'own' : 'rent',
      String(20 + (r % 50)),
      defaulted ? '2' : '1',
    ].join(';'));
  }
  return lines.join('\r\n') + '\r\n';
}
const data = path.join(dir, 'german-credit.csv');
writeFileSync(data, bankExport());

function run(args: string[], timeout = 60_000) {
  return spawnSync(process.execPath, [hessian, ...args], { cwd: repo, encoding: 'utf8', timeout, env: { ...process.env, HESSIAN_DATA_DIR: dir } });
}

async function deadRpc(): Promise<string> {
  const srv = createServer();
  const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port)));
  await new Promise((r) => srv.close(r));
  return `http://127.0.0.1:${port}`;
}

test('a 1/2 label without --positive: one line naming the fix, exit 2, before any service starts', async () => {
  const demo = run(['demo', '--data', data, '--label', 'class', '--exit', '--graphql-port', '0', '--dashboard-port', '0']);
  assert.equal(demo.status, 2, demo.stderr);
  assert.equal(demo.stderr, `hessian: ${data}: label column "class" has values "1" and "2": pass --positive with the value meaning 1 (the event to predict), e.g. --positive 2\n`);
  assert.equal(demo.stdout, '', 'no chain, indexer or dashboard was started');

  // the lender's command checks the same data the same way, before it connects anywhere
  const lender = run(['train', 'lender', '--data', data, '--label', 'class', '--bounty', '1', '--target', '0.7', '--rpc', await deadRpc()]);
  assert.equal(lender.status, 2, lender.stderr);
  assert.match(lender.stderr, /label column "class" has values "1" and "2": pass --positive .* e\.g\. --positive 2/);
  assert.doesNotMatch(lender.stderr, /\n\s+at /, 'no stack trace');

  const ragged = path.join(dir, 'ragged.csv');
  writeFileSync(ragged, 'a;b;class\r\n1;2;1\r\n3;2\r\n');
  const bad = run(['demo', '--data', ragged, '--label', 'class']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /ragged\.csv:3: expected 3 fields .* read with delimiter ';' \(detected\): force another with --delimiter/);

  const small = run(['demo', '--data', data, '--label', 'class', '--positive', '2', '--owners', '5']);
  assert.equal(small.status, 2);
  assert.match(small.stderr, /5 owners get \d+\.\.\d+ usable rows each, fewer than the 256-row privacy minimum: pass --owners 3 or fewer/);
  const verbose = run(['demo', '--data', data, '--label', 'class', '--positive', '2', '--batch', '100', '--verbose']);
  assert.equal(verbose.status, 2);
  assert.match(verbose.stderr, /privacy minimum[\s\S]*\n\s+at /, '--verbose adds the stack');
});

test('hessian demo --data bank.csv --label class --positive 2 --exit runs on the bank export', { timeout: 400_000 }, () => {
  const r = run(['demo', '--data', data, '--label', 'class', '--positive', '2', '--exit', '--ckks', 'logistic-8192', '--borrowers', '1', '--graphql-port', '0', '--dashboard-port', '0', '--data-dir', dir], 380_000);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^data\s+1000 rows from .*german-credit\.csv \(';'-separated, detected, 1 = class "2"; \d+ rows with a missing or unreadable cell left out\): 200 held out by the lender, 3 owners x ~267 rows$/m);
  assert.match(r.stdout, /^batch\s+256 rows per gradient \(sized from the data: \d+ usable rows in the smallest shard, 2 round\(s\), at least the 256-row privacy minimum\)$/m);
  assert.match(r.stdout, /^model #1 .* (1[0-9]|2[0-9]) features$/m, 'one-hot categories plus the numeric columns');
  assert.match(r.stdout, /^done\s+best AUC 0\.\d+ .* [1-3] gradients evaluated$/m);
  assert.match(r.stdout, /borrower 1: loan request #1 .* -> (approved|declined)/);
});
