// `hessian index`: flags with environment fallbacks and defaults that meet the other roles, and bad
// input said in one line naming the problem with exit code 2.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDir } from '@hessian/subgraph/tests/helpers';
import { retargetBuild } from '@hessian/subgraph/scripts/render-manifest';
import { freePort } from '@hessian/contracts/local-chain';
import { readFlags } from '@hessian/common/args';
import { INDEX_OPTIONS, indexArgs } from '../commands/index.ts';

const hessian = fileURLToPath(new URL('../hessian.ts', import.meta.url));
let work: string;
let deadRpc: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'hessian-index-cli-'));
  // nothing listens here: the port was free a moment ago
  deadRpc = `http://127.0.0.1:${await freePort()}`;
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

function parse(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return indexArgs(readFlags(INDEX_OPTIONS, argv, { env })!);
}

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [hessian, 'index', ...args], { env: { ...process.env, HESSIAN_DATA_DIR: work, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.once('exit', (code) => resolve({ code, stderr, stdout }));
  });
}

test('flags: env fallbacks, defaults, and errors naming the flag', () => {
  const parsed = parse(['--rpc', 'http://127.0.0.1:1', '--confirmations', '3'], { HESSIAN_DB: '/tmp/x.sqlite', HESSIAN_REBUILD: 'true', HESSIAN_CONFIRMATIONS: '9' });
  assert.equal(parsed.config.confirmations, 3, 'a flag wins over its env var');
  assert.equal(parsed.config.db, '/tmp/x.sqlite');
  assert.equal(parsed.config.rebuild, true);
  assert.equal(parsed.config.port, 8000);
  assert.equal(parsed.config.indexNodePort, 8030);
  assert.equal(parse(['--port', '0']).config.indexNodePort, 0, 'any free port for both');
  assert.equal(parse(['--index-node-port', 'off']).config.indexNodePort, null);
  assert.equal(parsed.config.maxReorgDepth, 250);
  assert.equal(parsed.config.resultCacheBytes, 32_000_000);
  assert.equal(parse(['--result-cache-mb', '0']).config.resultCacheBytes, 0);
  assert.equal(parse([], { HESSIAN_RESULT_CACHE_MB: '5' }).config.resultCacheBytes, 5_000_000);
  assert.throws(() => parse(['--result-cache-mb', '1.5']), /--result-cache-mb must be an integer >= 0 and <= 1000000, got '1.5'/);
  assert.throws(() => parse(['--result-cache-mb', '-1']), /--result-cache-mb/);
  assert.throws(() => parse(['--result-cache-mb', '9999999']), /--result-cache-mb must be an integer >= 0 and <= 1000000, got '9999999'/);
  assert.throws(() => parse(['--port', 'eighty']), /--port must be an integer >= 0, got 'eighty'/);
  assert.throws(() => parse(['--max-reorg-depth', '0']), /--max-reorg-depth must be an integer >= 1, got '0'/);
  assert.throws(() => parse(['--log-range', '10', '--max-log-range', '5']), /--max-log-range \(5\) is below --log-range \(10\)/);
  assert.throws(() => parse(['--log-level', 'loud']), /--log-level: invalid log level "loud"/);
  assert.throws(() => parse(['--bogus']), /Unknown option '--bogus'/);
  assert.throws(() => parse([], { HESSIAN_REBUILD: 'maybe' }), /HESSIAN_REBUILD: expected true or false/);
});

test('defaults meet the other roles: the RPC of `hessian chain`, the store and deployment in the data directory', () => {
  const parsed = parse([], { HESSIAN_DATA_DIR: '/data' });
  assert.equal(parsed.config.rpcUrl, 'http://127.0.0.1:8545');
  assert.equal(parsed.config.db, path.join('/data', 'index.sqlite'));
  assert.equal(parsed.deployment, path.join('/data', 'deployment.json'));
  assert.equal(parsed.subgraph, undefined, 'the repository build, retargeted at the deployment');
  assert.equal(parse(['--data-dir', '/d', '--deployment', '/elsewhere.json']).deployment, '/elsewhere.json');
});

test('bad input is one line naming the problem, with exit code 2', async () => {
  const sub = await retargetBuild(buildDir, { address: '0x' + '11'.repeat(20), startBlock: 0 }, path.join(work, 'build'));
  const missing = await run(['--rpc', deadRpc, '--subgraph', path.join(work, 'nope'), '--db', ':memory:']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^hessian index: subgraph not found: .*nope does not exist\n$/);
  const dead = await run(['--subgraph', sub, '--db', ':memory:'], { HESSIAN_RPC_URL: deadRpc });
  assert.equal(dead.code, 2);
  assert.match(dead.stderr, /^hessian index: cannot reach the JSON-RPC endpoint/);
  const noDeployment = await run(['--rpc', deadRpc]);
  assert.equal(noDeployment.code, 2);
  assert.match(noDeployment.stderr, /^hessian index: no deployment file at .*deployment\.json: start `hessian chain`/);
  const flag = await run(['--port', 'eighty']);
  assert.equal(flag.code, 2);
  assert.equal(flag.stderr, "hessian index: --port must be an integer >= 0, got 'eighty'\n");
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--max-reorg-depth N/);
  assert.match(help.stdout, /env HESSIAN_RPC_URL/);
  assert.match(help.stdout, /--data-dir DIR .*env HESSIAN_DATA_DIR/);
});
