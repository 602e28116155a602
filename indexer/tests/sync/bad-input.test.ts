// Bad input gets a clear error naming what was wrong, through startIndexer (`hessian index`'s own
// flags and one-line reports are cli/tests/index.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildDir } from '@hessian/subgraph/tests/helpers';
import { retargetBuild } from '@hessian/subgraph/scripts/render-manifest';
import { freePort } from '@hessian/contracts/local-chain';
import { startIndexer, type IndexerConfig } from '../../src/indexer.ts';
import { silentLogger } from '../../src/log.ts';

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
});
