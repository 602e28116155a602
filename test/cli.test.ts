// The `hessian` CLI as a user runs it: a local chain with a deployment, a second deployment with
// its subgraph retargeted for the embedded indexer, the indexer catching up on it, and the errors a
// user can fix (unreachable node, port in use, missing deployment, unknown command or flag) said
// in one clear line.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonRpcProvider } from 'ethers';
import { readDeployment } from '@hessian/contracts';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const hessian = path.join(repo, 'cli', 'hessian.ts');
const dir = mkdtempSync(path.join(tmpdir(), 'hessian-cli-'));
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], timeout = 120_000) {
  return spawnSync(process.execPath, [hessian, ...args], { cwd: repo, encoding: 'utf8', timeout, env: { ...process.env, HESSIAN_DATA_DIR: dir } });
}

test('hessian chain deploys to a fresh node; deploy and index work against it', { timeout: 300_000 }, async () => {
  const chain = spawn(process.execPath, [hessian, 'chain', '--port', '0', '--data-dir', dir], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(chain);
  let out = '';
  chain.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  chain.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 120_000;
  while (!/Hardhat node at (\S+);/.test(out)) {
    assert.ok(chain.exitCode === null, `hessian chain exited early:\n${out}`);
    assert.ok(Date.now() < deadline, `hessian chain did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const rpc = out.match(/Hardhat node at (\S+);/)![1]!;
  const printed = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as { contracts: { ModelRepository: { address: string } } };
  const deployment = await readDeployment(path.join(dir, 'deployment.json'));
  assert.equal(deployment.chainId, 31337);
  assert.equal(deployment.contracts.ModelRepository.address, printed.contracts.ModelRepository.address, 'printed what it wrote');
  assert.ok(deployment.contracts.TestToken, 'the demo token is deployed too');
  const provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true });
  assert.notEqual(await provider.getCode(deployment.contracts.ModelRepository.address), '0x', 'contract code at the address');

  // a second deployment to the same node, with a subgraph for the embedded indexer
  const second = path.join(dir, 'second.json');
  const sub = path.join(dir, 'subgraph');
  const d = run(['deploy', '--rpc', rpc, '--deployment', second, '--no-token', '--subgraph-out', sub]);
  assert.equal(d.status, 0, d.stderr);
  const secondDeployment = await readDeployment(second);
  assert.notEqual(secondDeployment.contracts.ModelRepository.address, deployment.contracts.ModelRepository.address);
  assert.equal(secondDeployment.contracts.TestToken, undefined);
  const manifest = readFileSync(path.join(sub, 'subgraph.yaml'), 'utf8');
  assert.match(manifest, new RegExp(secondDeployment.contracts.ModelRepository.address.toLowerCase()), 'subgraph points at the new deployment');
  // re-running reuses the deployment file instead of deploying again
  const again = run(['deploy', '--rpc', rpc, '--deployment', second]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /using the existing deployment/);

  const idx = run(['index', '--rpc', rpc, '--subgraph', sub, '--db', path.join(dir, 'index.sqlite'), '--exit-when-synced', '--log-level', 'warn']);
  assert.equal(idx.status, 0, `hessian index --exit-when-synced:\n${idx.stdout}\n${idx.stderr}`);

  // --json: the endpoints as one JSON line for scripts, each of them answering
  const served = spawn(process.execPath, [hessian, 'index', '--rpc', rpc, '--subgraph', sub, '--db', path.join(dir, 'index-json.sqlite'), '--port', '0', '--json', '--log-level', 'warn'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(served);
  let line = '';
  served.stdout!.on('data', (c: Buffer) => (line += c.toString()));
  const until = Date.now() + 60_000;
  while (!line.includes('\n') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  const endpoints = JSON.parse(line) as Record<string, string>;
  assert.deepEqual(Object.keys(endpoints).sort(), ['byId', 'deployment', 'graphiql', 'graphql', 'indexNode', 'live', 'metrics', 'ready']);
  assert.equal((await fetch(endpoints.live!)).status, 200);
  const meta = (await (await fetch(endpoints.graphql!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ _meta { deployment } }' }) })).json()) as { data: { _meta: { deployment: string } } };
  assert.equal(meta.data._meta.deployment, endpoints.deployment);
  const stopped = new Promise((r) => served.once('exit', r));
  served.kill('SIGINT');
  await stopped;

  // the port is now taken: a second chain on it says so and how to fix it
  const port = new URL(rpc).port;
  const busy = run(['chain', '--port', port, '--data-dir', path.join(dir, 'busy')], 60_000);
  assert.notEqual(busy.status, 0);
  assert.match(busy.stderr, new RegExp(`port ${port} .*already in use.*--port`));

  provider.destroy();
  const exited = new Promise((r) => chain.once('exit', r));
  chain.kill('SIGINT');
  await exited;
});

test('errors a user can fix are one clear line with a hint', { timeout: 120_000 }, async () => {
  // a port nothing listens on
  const srv = createServer();
  const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port)));
  await new Promise((r) => srv.close(r));
  const dead = `http://127.0.0.1:${port}`;

  const deploy = run(['deploy', '--rpc', dead, '--deployment', path.join(dir, 'nope.json')]);
  assert.equal(deploy.status, 1);
  assert.match(deploy.stderr, new RegExp(`cannot reach the Ethereum node at ${dead}`));
  assert.match(deploy.stderr, /hint: is the JSON-RPC node running\?/);
  assert.doesNotMatch(deploy.stderr, /\n\s+at /, 'no stack trace for a user error');

  const missing = run(['train', 'withdraw', '--rpc', dead, '--deployment', path.join(dir, 'missing-deployment.json')], 60_000);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /missing-deployment\.json|no Ethereum account/);

  // one convention: 2 for what the user typed, 1 for a runtime failure (the dead RPC above)
  const unknown = run(['frobnicate']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  assert.match(unknown.stderr, /Usage: hessian <command>/);

  const badFlag = run(['demo', '--owners', 'many']);
  assert.equal(badFlag.status, 2);
  assert.match(badFlag.stderr, /--owners must be an integer >= 1, got 'many'/);

  const help = run(['--help']);
  assert.equal(help.status, 0);
  for (const c of ['chain', 'deploy', 'index', 'dashboard', 'train', 'loan', 'demo']) assert.match(help.stdout, new RegExp(`\\n  ${c}\\s`));
});
