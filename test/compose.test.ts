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
  depends_on?: Record<string, { condition?: string }> | string[];
  restart?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  tmpfs?: string[];
  healthcheck?: { test?: string[] };
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
    // with the service's environment, as compose would expand it: env-driven options are checked too
    const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, expand(String(v))]));
    const r = spawnSync(process.execPath, [path.join(repo, 'cli', 'hessian.ts'), ...args, '--help'], { encoding: 'utf8', cwd: repo, env: { ...process.env, ...env } });
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
    const copy = dockerfile.search(new RegExp(`COPY (--chown=\\S+ )?${ws}/package\\.json ${ws}/`));
    assert.ok(copy > 0 && copy < npmCi, `Dockerfile copies ${ws}/package.json before npm ci`);
  }
});

const services = compose.services;
const hessianServices = Object.entries(services).filter(([, s]) => s.image === 'hessian:local');
/** a service that keeps running (not a one-shot job) */
const longRunning = Object.entries(services).filter(([, s]) => s.restart !== 'no');

test('keys reach the deploy job and the roles through the environment, never the command line', () => {
  const deploy = services.deploy!;
  assert.equal(deploy.environment!.HESSIAN_PRIVATE_KEY, '${HESSIAN_PRIVATE_KEY:-}', 'the deployer key of the README\'s testnet command');
  assert.ok('HESSIAN_PRIVATE_KEY_FILE' in deploy.environment!, 'or a key file');
  for (const [name, s] of hessianServices) {
    assert.ok(!s.command!.some((a) => /private-key|^0x[0-9a-f]{64}$/i.test(a)), `${name}: no key in argv`);
  }
  for (const name of ['lender', 'evaluator', 'loan-service', 'owner-1', 'owner-2', 'owner-3']) {
    assert.match(services[name]!.environment!.HESSIAN_PRIVATE_KEY!, /^\$\{[A-Z0-9_]+_PRIVATE_KEY:-0x[0-9a-f]{64}\}$/, `${name} signs with its own key`);
  }
});

test('every long-running service has a healthcheck, and everything waits on conditions', () => {
  assert.ok(longRunning.length >= 10, longRunning.map(([n]) => n).join(', '));
  for (const [name, s] of longRunning) assert.ok(s.healthcheck?.test?.length, `${name} has a healthcheck`);
  for (const [name, s] of Object.entries(services)) {
    assert.ok(!Array.isArray(s.depends_on), `${name}: depends_on names a condition for each service`);
    for (const [dep, c] of Object.entries(s.depends_on ?? {})) {
      const want = services[dep]!.restart === 'no' ? 'service_completed_successfully' : 'service_healthy';
      assert.equal(c.condition, want, `${name} waits for ${dep} to be ${want}`);
    }
  }
  // the deploy job used to race graph-node's admin port
  assert.equal((services.deploy!.depends_on as Record<string, { condition: string }>)['graph-node']!.condition, 'service_healthy');
  assert.match(services['graph-node']!.healthcheck!.test!.join(' '), /8020/, 'graph-node is healthy once its admin port takes deploys');
});

test('each role has its own volume: no owner container can read the lender\'s CKKS secret key', () => {
  const stateVolume = (s: Service) => s.volumes?.find((v) => /^[\w-]+:\/data$/.test(v))?.split(':')[0];
  const lenderSide = ['lender', 'evaluator', 'loan-service'];
  for (const n of lenderSide) assert.equal(stateVolume(services[n]!), 'lender-data', `${n} shares the lender's state (its key)`);
  const owners = Object.keys(services).filter((n) => n.startsWith('owner-'));
  const ownerVolumes = owners.map((n) => stateVolume(services[n]!));
  assert.equal(new Set(ownerVolumes).size, owners.length, 'one volume per owner');
  for (const [name, s] of Object.entries(services)) {
    if (lenderSide.includes(name)) continue;
    assert.ok(!(s.volumes ?? []).some((v) => v.startsWith('lender-data:')), `${name} does not mount the lender's volume`);
  }
  // the deployment is shared read-only; only the deploy job writes it
  for (const [name, s] of hessianServices) {
    const dep = (s.volumes ?? []).find((v) => v.startsWith('deployment:'));
    if (name === 'deploy') assert.equal(dep, 'deployment:/deployment');
    else if (dep) assert.equal(dep, 'deployment:/deployment:ro', `${name} reads the deployment read-only`);
  }
  // the image runs its roles as an unprivileged user
  assert.match(readFileSync(path.join(repo, 'Dockerfile'), 'utf8'), /^USER node$/m);
});

test('only what a user needs is published; images are current releases', () => {
  const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => ({ name, container: Number(String(p).split(':').pop()) })));
  for (const p of [5001, 8020, 8030, 8040]) assert.ok(!published.some((x) => x.container === p), `port ${p} stays internal`);
  assert.deepEqual(published.map((p) => p.container).sort(), [4350, 5173, 8000, 8545]);
  const version = (image: string) => image.match(/:v(\d+)\.(\d+)/)!.slice(1).map(Number);
  const [gMajor, gMinor] = version(services['graph-node']!.image!);
  assert.ok(gMajor! > 0 || gMinor! >= 44, `graph-node ${services['graph-node']!.image} is v0.44 or later`);
  const [kMajor, kMinor] = version(services.ipfs!.image!);
  assert.ok(kMajor! > 0 || kMinor! >= 40, `kubo ${services.ipfs!.image} is v0.40 or later`);
});

test('down/up with the in-memory chain: nothing derived from the old chain is kept where it would be trusted', () => {
  // graph-node refuses a chain whose genesis changed: its store lives and dies with the chain
  assert.deepEqual(services.postgres!.tmpfs, ['/var/lib/postgresql/data']);
  assert.ok(!(services.postgres!.volumes ?? []).length);
  assert.ok(services.indexer!.tmpfs?.some((t) => t.startsWith('/data')), 'the embedded index too');
  // the deploy job redeploys when the chain is new and the roles bind their state to the chain:
  // both are code (cli/commands/deploy.ts, core/src/journal/chain-binding.ts, tested there); here, that
  // the deploy job keeps its deployment file where the roles read it
  assert.equal(services.deploy!.environment!.HESSIAN_DEPLOYMENT, '/deployment/deployment.json');
});
