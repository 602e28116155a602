// The loan service's journals on disk: deployments live in loan-deployments.json (written by
// `hessian loan deploy` only, read by the running service), quotes and loans in
// loan-service.json; state directories from before the split kept deployments in the latter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deploymentJournal, deploymentRecords, loanServiceJournal } from '../src/service/journal.ts';
import type { DeploymentRecord } from '../src/service/journal.ts';

const record = (serviceCid: string, state: DeploymentRecord['state'], deploymentId?: number): DeploymentRecord => ({
  modelId: 1,
  metadataCid: 'bafy-meta',
  weightsCid: 'bafy-weights',
  salt: '00',
  weightsCommitment: '0x' + '11'.repeat(32),
  serviceCid,
  disclosureKeyFile: `/keys/${serviceCid}.secret.json`,
  state,
  ...(deploymentId ? { deploymentId } : {}),
});

test('deployment records: both files are read, the new one wins, and the service journal keeps an older deployments map untouched', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-loan-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.deepEqual(deploymentRecords(dir), {}, 'an empty state directory has none (and reading creates nothing)');
  assert.throws(() => readFileSync(path.join(dir, 'loan-deployments.json')), /ENOENT/);

  // a state directory from before the split: one finished and one prepared deployment
  writeFileSync(path.join(dir, 'loan-service.json'), JSON.stringify({ version: 1, deployments: { old: record('old', 'deployed', 1), resumed: record('resumed', 'prepared') }, quotes: {}, loans: {} }));
  deploymentJournal(dir).update((j) => {
    j.deployments.resumed = record('resumed', 'deployed', 2);
    j.deployments.fresh = record('fresh', 'deployed', 3);
  });
  const all = deploymentRecords(dir);
  assert.deepEqual(Object.keys(all).sort(), ['fresh', 'old', 'resumed']);
  assert.equal(all.resumed!.state, 'deployed', 'the record finished in the new file wins over the prepared one');
  assert.equal(all.old!.deploymentId, 1);
  // the daemon hands in its in-memory copy of the older map instead of the file being parsed again
  assert.deepEqual(deploymentRecords(dir, loanServiceJournal(dir, { readOnly: true }).value.deployments ?? {}), all);
  assert.deepEqual(Object.keys(deploymentRecords(dir, {})).sort(), ['fresh', 'resumed'], 'a given older map is used, not the file');

  // the daemon's writes keep the older map, so those deployments stay known
  const daemon = loanServiceJournal(dir);
  daemon.update((j) => void (j.quotes['7'] = { deploymentId: 1, state: 'refused', reason: 'test' }));
  daemon.close();
  const doc = JSON.parse(readFileSync(path.join(dir, 'loan-service.json'), 'utf8')) as { deployments: Record<string, unknown>; quotes: Record<string, unknown> };
  assert.deepEqual(Object.keys(doc.deployments).sort(), ['old', 'resumed']);
  assert.ok(doc.quotes['7']);
});

test('a journal that is not one is refused with its file named', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-loan-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'loan-deployments.json'), JSON.stringify({ version: 1 }));
  assert.throws(() => deploymentRecords(dir), /loan-deployments\.json is invalid: expected \{version: 1, deployments\}/);
});
