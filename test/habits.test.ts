// The habits of the ecosystem, across every `hessian` command: --version; one exit-code convention
// (2: the command line or the data is wrong, 1: something failed at run time); --json for scripts,
// with nothing else on stdout; the deployer key from the environment or a file, never argv; and
// `hessian deploy` finding a local chain that restarted empty and deploying again.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const hessian = path.join(repo, 'cli', 'hessian.ts');
const dir = mkdtempSync(path.join(tmpdir(), 'hessian-habits-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], env: NodeJS.ProcessEnv = {}, timeout = 120_000) {
  return spawnSync(process.execPath, [hessian, ...args], { cwd: repo, encoding: 'utf8', timeout, env: { ...process.env, HESSIAN_DATA_DIR: dir, HESSIAN_PRIVATE_KEY: '', ...env } });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port)));
  await new Promise((r) => srv.close(r));
  return port;
}

/** `hessian chain --json` on a free port; resolves with its first stdout line, parsed */
async function startChain(): Promise<{ child: ChildProcess; info: { rpc: string; contracts: { ModelRepository: { address: string } }; devAccounts: { privateKey: string }[] } }> {
  const child = spawn(process.execPath, [hessian, 'chain', '--json', '--port', '0', '--data-dir', path.join(dir, `chain-${children.length}`)], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 120_000;
  while (!out.includes('\n')) {
    assert.ok(child.exitCode === null && Date.now() < deadline, `hessian chain --json printed nothing: ${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, info: JSON.parse(out.slice(0, out.indexOf('\n'))) };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await exited;
}

test('hessian --version', () => {
  const r = run(['--version']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `hessian ${JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version}\n`);
});

test('one exit-code convention: 2 for what the user typed, 1 for a runtime failure, no stack without --verbose', { timeout: 300_000 }, async () => {
  const usage: string[][] = [
    ['frobnicate'],
    ['chain', '--port', 'eighty'],
    ['chain', '--nope'],
    ['deploy', '--nope'],
    ['index', '--nope'],
    ['dashboard', '--port', '-1'],
    ['demo', '--owners', 'many'],
    ['demo', '--data', path.join(dir, 'missing.csv'), '--label', 'x'],
    ['train', 'owner', '--nope'],
    ['train', 'frobnicate'],
    ['loan', 'quote', '--nope'],
    ['loan', 'request', '--quote', '1'],
  ];
  for (const args of usage) {
    const r = run(args, {}, 60_000);
    assert.equal(r.status, 2, `hessian ${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `hessian ${args.join(' ')}: no stack trace`);
  }
  const dead = `http://127.0.0.1:${await freePort()}`;
  for (const args of [['deploy', '--rpc', dead, '--deployment', path.join(dir, 'none.json')], ['train', 'withdraw', '--rpc', dead, '--contract', '0x5FbDB2315678afecb367f032d93F642f64180aa3']]) {
    const r = run(args, { HESSIAN_PRIVATE_KEY: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' }, 60_000);
    assert.equal(r.status, 1, `hessian ${args.join(' ')} fails at run time: ${r.stderr}`);
  }
});

test('the deployer key comes from the environment or a file, never argv', async () => {
  const key = '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a';
  const argv = run(['deploy', '--private-key', key]);
  assert.equal(argv.status, 2);
  assert.match(argv.stderr, /--private-key is not taken on the command line .* HESSIAN_PRIVATE_KEY, or pass --private-key-file FILE/);
  assert.ok(!argv.stderr.includes(key.slice(2, 20)), 'the key is not repeated');
  const bad = path.join(dir, 'bad.key');
  writeFileSync(bad, 'not-a-key-but-secret-text\n');
  const r = run(['deploy', '--private-key-file', bad]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /the deployer key in .*bad\.key is not 32 bytes of hex/);
  assert.ok(!r.stderr.includes('secret-text'), 'the file\'s content is not repeated');
  assert.match(run(['deploy', '--help']).stdout, /--private-key-file <value>.*env HESSIAN_PRIVATE_KEY_FILE/);
});

test('--json: one result line on stdout; deploy redeploys to a local chain that restarted empty', { timeout: 300_000 }, async () => {
  const first = await startChain();
  assert.match(first.info.rpc, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(first.info.devAccounts.length, 5);
  const file = path.join(dir, 'deployment.json');
  const keyFile = path.join(dir, 'deployer.key');
  writeFileSync(keyFile, `${first.info.devAccounts[4]!.privateKey}\n`);

  const deploy = () => run(['deploy', '--json', '--rpc', rpc, '--deployment', file, '--no-token', '--private-key-file', keyFile]);
  let rpc = first.info.rpc;
  const d1 = deploy();
  assert.equal(d1.status, 0, d1.stderr);
  const lines = d1.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stdout:\n${d1.stdout}`);
  const r1 = JSON.parse(lines[0]!) as { reused: boolean; deploymentFile: string; contracts: { ModelRepository: { address: string } } };
  assert.equal(r1.reused, false);
  assert.equal(r1.deploymentFile, file);
  const d2 = deploy();
  assert.equal(d2.status, 0, d2.stderr);
  assert.equal((JSON.parse(d2.stdout) as { reused: boolean }).reused, true, 'the same chain: the deployment is reused');

  // docker compose down/up: the in-memory chain is new, the deployment file is not
  await stop(first.child);
  const second = await startChain();
  rpc = second.info.rpc;
  const d3 = deploy();
  assert.equal(d3.status, 0, d3.stderr);
  assert.match(d3.stderr, /the local chain at .* is new \(no contract at 0x[0-9a-fA-F]{40}\): deploying again/);
  const r3 = JSON.parse(d3.stdout) as { reused: boolean; contracts: { ModelRepository: { address: string } } };
  assert.equal(r3.reused, false);
  const code = await fetch(rpc, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getCode', params: [r3.contracts.ModelRepository.address, 'latest'] }) });
  assert.notEqual(((await code.json()) as { result: string }).result, '0x', 'the contracts are on the new chain');

  const port = await freePort();
  const dash = spawn(process.execPath, [hessian, 'dashboard', '--json', '--port', String(port)], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(dash);
  let out = '';
  dash.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(JSON.parse(out), { url: `http://127.0.0.1:${port}/`, endpoint: 'http://127.0.0.1:8000/subgraphs/name/hessian' });
  await stop(dash);
  await stop(second.child);

  for (const args of [['chain'], ['deploy'], ['dashboard'], ['demo'], ['train', 'lender'], ['train', 'owner'], ['train', 'withdraw'], ['loan', 'quote']]) {
    assert.match(run([...args, '--help']).stdout, /--json/, `hessian ${args.join(' ')} takes --json`);
  }
});
