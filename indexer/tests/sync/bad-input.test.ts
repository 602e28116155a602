// Bad input gets a clear error naming what was wrong, through startIndexer and through the CLI.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDir } from '@hessian/subgraph/tests/helpers';
import { retargetBuild } from '@hessian/subgraph/scripts/render-manifest';
import { freePort } from '@hessian/contracts/local-chain';
import { startIndexer, type IndexerConfig } from '../../src/indexer.ts';
import { parseIndexArgs } from '../../src/cli.ts';
import { silentLogger } from '../../src/log.ts';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli.ts');
let work: string;
let n = 0;
let deadRpc: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'hessian-bad-input-'));
  // nothing listens here: the port was free a moment ago
  deadRpc = `http://127.0.0.1:${await freePort()}`;
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A private copy of the built subgraph to break. */
async function copy(): Promise<string> {
  return retargetBuild(buildDir, { address: '0x' + '11'.repeat(20), startBlock: 0 }, path.join(work, `build${n++}`));
}

function config(subgraph: string, extra: Partial<IndexerConfig> = {}): IndexerConfig {
  return { rpcUrl: deadRpc, subgraph, db: ':memory:', port: null, logger: silentLogger, ...extra };
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.once('exit', (code) => resolve({ code, stderr, stdout }));
  });
}

describe('bad input', () => {
  test('malformed manifest', async () => {
    const dir = await copy();
    await writeFile(path.join(dir, 'subgraph.yaml'), 'specVersion: 1.0.0\ndataSources: [\n  - kind: {');
    await assert.rejects(startIndexer(config(dir)), (err: Error) => {
      assert.equal(err.name, 'ManifestError');
      assert.match(err.message, /subgraph\.yaml: not valid YAML/);
      return true;
    });
  });

  test('a feature the indexer does not implement is refused by name', async () => {
    const dir = await copy();
    const file = path.join(dir, 'subgraph.yaml');
    const yaml = await readFile(file, 'utf8');
    await writeFile(file, `${yaml.trimEnd()}\ngraft:\n  base: QmSrPmbaBrWYbQ1ajHT1ZyJ4Tgkk9YnxWHHbMjZs5v5eBE\n  block: 1\n`);
    await assert.rejects(startIndexer(config(dir)), /does not support: grafting \(`graft`\)/);
  });

  test('missing WASM', async () => {
    const dir = await copy();
    const wasm = path.join(dir, 'ModelRepository', 'ModelRepository.wasm');
    await unlink(wasm);
    await assert.rejects(startIndexer(config(dir)), (err: Error) => {
      assert.ok(err.message.includes(wasm), err.message);
      assert.match(err.message, /ENOENT|does not exist|not found/);
      return true;
    });
  });

  test('an ABI that does not match the manifest names the event', async () => {
    const dir = await copy();
    const abiFile = path.join(dir, 'ModelRepository', 'ModelRepository.json');
    const abi = JSON.parse(await readFile(abiFile, 'utf8')) as Array<{ type: string; name?: string; inputs?: Array<{ type: string }> }>;
    const ev = abi.find((e) => e.type === 'event' && e.name === 'BountyAdded')!;
    ev.inputs![3]!.type = 'uint128';
    await writeFile(abiFile, JSON.stringify(abi));
    await assert.rejects(startIndexer(config(dir)), /event `BountyAdded\([^`]*\)` of handler handleBountyAdded does not match any event of ABI ModelRepository/);
  });

  test('unreachable RPC', async () => {
    const dir = await copy();
    await assert.rejects(startIndexer(config(dir)), (err: Error) => {
      assert.equal(err.name, 'ConfigError');
      assert.ok(err.message.includes(`cannot reach the JSON-RPC endpoint ${deadRpc}`), err.message);
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
  });

  test('an RPC URL that is not http(s)', async () => {
    await assert.rejects(startIndexer(config(await copy(), { rpcUrl: 'ftp://example.org' })), /invalid RPC URL "ftp:\/\/example\.org"/);
  });

  test('flags: env fallbacks, defaults, and errors naming the flag', () => {
    const parsed = parseIndexArgs(['--rpc', 'http://127.0.0.1:1', '--confirmations', '3'], { HESSIAN_DB: '/tmp/x.sqlite', HESSIAN_REBUILD: 'true', HESSIAN_CONFIRMATIONS: '9' });
    assert.equal(parsed.config.confirmations, 3, 'a flag wins over its env var');
    assert.equal(parsed.config.db, '/tmp/x.sqlite');
    assert.equal(parsed.config.rebuild, true);
    assert.equal(parsed.config.port, 8000);
    assert.equal(parsed.config.maxReorgDepth, 250);
    assert.equal(parsed.config.resultCacheBytes, 32_000_000);
    assert.equal(parseIndexArgs(['--rpc', 'http://x', '--result-cache-mb', '0']).config.resultCacheBytes, 0);
    assert.equal(parseIndexArgs(['--rpc', 'http://x'], { HESSIAN_RESULT_CACHE_MB: '5' }).config.resultCacheBytes, 5_000_000);
    assert.throws(() => parseIndexArgs(['--rpc', 'http://x', '--result-cache-mb', '1.5']), /--result-cache-mb: expected a whole number, got "1.5"/);
    assert.throws(() => parseIndexArgs(['--rpc', 'http://x', '--result-cache-mb', '-1']), /--result-cache-mb/);
    assert.throws(() => parseIndexArgs(['--rpc', 'http://x', '--result-cache-mb', '9999999']), /--result-cache-mb: must be at most 1000000/);
    assert.throws(() => parseIndexArgs(['--rpc', 'http://x', '--port', 'eighty']), /--port: expected a whole number, got "eighty"/);
    assert.throws(() => parseIndexArgs(['--rpc', 'http://x', '--max-reorg-depth', '0']), /--max-reorg-depth: must be at least 1/);
    assert.throws(() => parseIndexArgs(['--rpc', 'http://x', '--log-level', 'loud']), /--log-level: invalid log level "loud"/);
    assert.throws(() => parseIndexArgs(['--rpc', 'http://x', '--bogus']), /Unknown option '--bogus'/);
    assert.throws(() => parseIndexArgs([], {}), /--rpc is required/);
    assert.throws(() => parseIndexArgs(['--rpc', 'http://x'], { HESSIAN_REBUILD: 'maybe' }), /HESSIAN_REBUILD: expected true or false/);
  });

  test('the CLI reports bad input on one line with exit code 2', async () => {
    const missing = await runCli(['--rpc', deadRpc, '--subgraph', path.join(work, 'nope'), '--db', ':memory:']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^hessian index: subgraph not found: .*nope does not exist\n$/);
    const dir = await copy();
    const dead = await runCli(['--subgraph', dir, '--db', ':memory:'], { HESSIAN_RPC_URL: deadRpc });
    assert.equal(dead.code, 2);
    assert.match(dead.stderr, /^hessian index: cannot reach the JSON-RPC endpoint/);
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--max-reorg-depth N/);
    assert.match(help.stdout, /env HESSIAN_RPC_URL/);
  });
});
