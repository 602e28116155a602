// docker-compose.yml cannot be run here (no Docker engine, no image pulls), so check what can be:
// the file is valid compose, and every Hessian service's command line is one the CLI accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const file = path.join(repo, 'docker-compose.yml');

interface Service {
  image?: string;
  command?: string[];
  profiles?: string[];
  depends_on?: Record<string, unknown> | string[];
  restart?: string;
}
const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, Service> };
/** `${VAR:-default}` as compose would expand it with VAR unset */
const expand = (s: string) => s.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');

// .ci/run installs Debian's docker-compose; a developer without it gets a failure saying so.
test('docker-compose.yml is valid compose', () => {
  const r = spawnSync('docker-compose', ['-f', file, '--profile', 'embedded', 'config', '-q'], { encoding: 'utf8' });
  assert.ok(!r.error, `docker-compose is needed to validate docker-compose.yml (apt-get install docker-compose): ${r.error?.message}`);
  assert.equal(r.status, 0, r.stderr);
});

test('the stack has the services the README promises', () => {
  const names = Object.keys(compose.services);
  for (const s of ['chain', 'ipfs', 'postgres', 'graph-node', 'deploy', 'dashboard', 'lender', 'evaluator', 'owner-1', 'indexer']) {
    assert.ok(names.includes(s), `service ${s}`);
  }
  assert.deepEqual(compose.services.indexer!.profiles, ['embedded'], 'the embedded indexer is an optional profile');
  for (const [name, s] of Object.entries(compose.services)) {
    const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
    for (const d of deps) assert.ok(names.includes(d), `${name} depends on unknown service ${d}`);
  }
});

test('daemons come back after a crash; the one-shot jobs run once', () => {
  const daemons = Object.keys(compose.services).filter((n) => n === 'evaluator' || n === 'loan-service' || n === 'indexer' || n.startsWith('owner-'));
  assert.ok(daemons.length >= 6, `daemons found: ${daemons.join(', ')}`);
  for (const n of daemons) assert.equal(compose.services[n]!.restart, 'on-failure', `${n} restart policy`);
  for (const n of ['deploy', 'lender']) assert.equal(compose.services[n]!.restart, 'no', `${n} restart policy`);
});

test('every Hessian service runs a command line the hessian CLI accepts', { timeout: 120_000 }, () => {
  const hessianServices = Object.entries(compose.services).filter(([, s]) => s.image === 'hessian:local');
  assert.ok(hessianServices.length >= 8);
  for (const [name, s] of hessianServices) {
    assert.ok(Array.isArray(s.command), `${name} has a command`);
    const args = s.command.map(expand);
    // strict flag parsing happens before --help is honoured, so an unknown flag fails here
    const r = spawnSync(process.execPath, [path.join(repo, 'cli', 'hessian.ts'), ...args, '--help'], { encoding: 'utf8', cwd: repo });
    assert.equal(r.status, 0, `${name}: hessian ${args.join(' ')}\n${r.stderr}`);
    assert.match(r.stdout, /Usage/, `${name} prints its usage`);
  }
});

test('the image installs every workspace: the Dockerfile copies each package.json before npm ci', () => {
  const dockerfile = readFileSync(path.join(repo, 'Dockerfile'), 'utf8');
  const { workspaces } = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { workspaces: string[] };
  const npmCi = dockerfile.indexOf('RUN npm ci');
  assert.ok(npmCi > 0, 'the image runs npm ci');
  for (const ws of workspaces) {
    const copy = dockerfile.indexOf(`COPY ${ws}/package.json ${ws}/`);
    assert.ok(copy > 0 && copy < npmCi, `Dockerfile copies ${ws}/package.json before npm ci`);
  }
});
