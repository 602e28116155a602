// Loading a built subgraph: what the manifest yields for sync, and clear errors for bad builds
// and for features this indexer does not implement.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { id as keccakText, zeroPadValue } from 'ethers';
import { loadSubgraph, ManifestError, readManifest } from '../../src/manifest.ts';
import { buildFixture, ChainBuilder, OTHER_ADDRESS, PROBE_ADDRESS } from './fixture.ts';

const built = buildFixture();
const temps: string[] = [];
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** a copy of the built fixture with its manifest edited */
function variant(edit: (yaml: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hessian-manifest-'));
  temps.push(dir);
  cpSync(built, dir, { recursive: true });
  const file = join(dir, 'subgraph.yaml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return dir;
}

const rejects = (dir: string, pattern: RegExp) =>
  assert.throws(() => loadSubgraph(dir), (err: unknown) => err instanceof ManifestError && pattern.test(err.message));

describe('manifest', () => {
  it('describes data sources, handlers and topics for sync', () => {
    const { manifest, runtime, schema } = loadSubgraph(built);
    assert.equal(manifest.dataSources.length, 2);
    const [probe, other] = manifest.dataSources;
    assert.equal(probe!.address, PROBE_ADDRESS);
    assert.equal(other!.address, OTHER_ADDRESS);
    assert.equal(probe!.startBlock, 1);
    assert.equal(other!.startBlock, 5);
    assert.equal(probe!.network, 'hardhat');
    assert.deepEqual(
      probe!.mapping.eventHandlers.map((h) => [h.handler, h.receipt, h.topic0]),
      [
        ['handleTransfer', true, keccakText('Transfer(address,address,uint256)')],
        ['handleArith', false, keccakText('Arith(int256,int256,uint8)')],
        ['handleDecimal', false, keccakText('Decimal(string,string)')],
        ['handleSample', false, keccakText('Sample(uint256,string,bytes,int64,bytes32,(uint256,address),uint8[],bool)')],
        ['handleAction', false, keccakText('Action(uint8,string)')],
      ],
    );
    assert.equal(probe!.mapping.eventHandlers[0]!.event, 'Transfer(indexed address,indexed address,uint256)');
    assert.deepEqual(probe!.context, { note: { kind: 'String', value: 'from the manifest' } });
    assert.ok(runtime.needsReceipts);
    assert.ok(runtime.needsTransactions);
    assert.deepEqual(runtime.unimplementedImports, []);
    assert.ok(schema.entities.has('Transfer'));
    // the project directory works too: its build/ is used
    assert.equal(readManifest(join(built, '..')).file, join(built, 'subgraph.yaml'));
  });

  it('applies topic filters of event handlers', () => {
    const wanted = '0x1111111111111111111111111111111111111111';
    const dir = variant((y) => y.replace('          receipt: true\n', `          receipt: true\n          topic1: ["${zeroPadValue(wanted, 32)}"]\n`));
    const { runtime, manifest } = loadSubgraph(dir);
    assert.deepEqual(manifest.dataSources[0]!.mapping.eventHandlers[0]!.topic1, [zeroPadValue(wanted, 32)]);
    const chain = new ChainBuilder();
    const entry = chain.addBlock([
      [PROBE_ADDRESS, 'Transfer', [wanted, '0x2222222222222222222222222222222222222222', 1n]],
      [PROBE_ADDRESS, 'Transfer', ['0x2222222222222222222222222222222222222222', wanted, 1n]],
    ]);
    assert.deepEqual(entry.logs.map((l) => runtime.matches(l, 1)), [true, false]);
  });

  it('refuses malformed YAML and missing pieces with the file named', () => {
    rejects(variant(() => 'dataSources: [\n  - kind: ethereum\n   bad'), /subgraph\.yaml: not valid YAML/);
    rejects(variant((y) => y.replace(/^schema:\n  file: schema.graphql\n/m, '')), /`schema\.file` is missing/);
    rejects(variant((y) => y.replace('file: schema.graphql', 'file: nope.graphql')), /schema file .*nope\.graphql does not exist/);
    rejects(variant((y) => y.replace('address: "0x5FbDB2315678afecb367f032d93F642f64180aa3"', 'address: "0x1234"')), /data source Probe: source\.address "0x1234" is not an Ethereum address/);
    rejects(variant((y) => y.replace('startBlock: 1', 'startBlock: -3')), /startBlock must be a block number/);
    rejects(variant((y) => y.replace('apiVersion: 0.0.9', 'apiVersion: 0.0.4')), /apiVersion "0\.0\.4" is not supported/);
    assert.throws(() => readManifest(join(tmpdir(), 'no-such-subgraph-dir')), /does not exist/);
  });

  it('refuses a missing or invalid WASM file', () => {
    const dir = variant((y) => y);
    unlinkSync(join(dir, 'Probe', 'Probe.wasm'));
    rejects(dir, /cannot read WASM file .*Probe\.wasm/);
    const bad = variant((y) => y);
    writeFileSync(join(bad, 'Probe', 'Probe.wasm'), 'not wasm');
    rejects(bad, /Probe\.wasm is not a valid WASM module/);
    rejects(variant((y) => y.replace('handler: handleArith', 'handler: handleNothing')), /handler `handleNothing` is not exported by .*Probe\.wasm/);
  });

  it('refuses a source (unbuilt) manifest', () => {
    rejects(variant((y) => y.replaceAll('file: Probe/Probe.wasm', 'file: ./src/mapping.ts')), /is a source manifest|not compiled WASM/);
  });

  it('refuses an ABI that does not match the handlers', () => {
    rejects(
      variant((y) => y.replace('event: Arith(int256,int256,uint8)', 'event: Arith(int256,int256)')),
      /event `Arith\(int256,int256\)` of handler handleArith does not match any event of ABI Probe \(.*Arith\(int256,int256,uint8\).*Transfer\(indexed address,indexed address,uint256\)\)/,
    );
    const dir = variant((y) => y);
    writeFileSync(join(dir, 'Probe', 'Probe.json'), '{"oops": true');
    rejects(dir, /cannot read ABI .*Probe\.json/);
    rejects(variant((y) => y.replace('abi: Probe\n      startBlock: 1', 'abi: Missing\n      startBlock: 1')), /source\.abi Missing is not among mapping\.abis \(Probe\)/);
  });

  it('validates block handlers as graph-node does', () => {
    const withBlock = (handlers: string, y: string) => y.replace('      eventHandlers:\n        - event: Transfer', `      blockHandlers:\n${handlers}      eventHandlers:\n        - event: Transfer`);
    const every = '        - handler: handleA\n';
    const polling = '        - handler: handleB\n          filter:\n            kind: polling\n            every: 10\n';
    const once = '        - handler: handleC\n          filter:\n            kind: once\n';
    rejects(variant((y) => withBlock(every + polling, y)), /data source has a combination of filtered and non-filtered block handlers that is not allowed/);
    rejects(variant((y) => withBlock(once + once, y)), /data source has duplicated block handlers/);
    rejects(variant((y) => withBlock(polling.replace('every: 10', 'every: 0'), y)), /polling filter needs `every`, a positive integer, got 0/);
    rejects(variant((y) => withBlock(once, y).replace('specVersion: 1.0.0', 'specVersion: 0.0.7')), /Subgraph uses spec version 0\.0\.7, but data source `Probe` requires at least version 0\.0\.8/);
    rejects(variant((y) => withBlock(every, y).replace(/\n      address: "0x5FbDB2315678afecb367f032d93F642f64180aa3"/, '')), /subgraph source address is required/);
  });

  it('refuses unsupported features by name', () => {
    rejects(
      variant((y) => `${y}templates:\n  - kind: ethereum\n    name: Pool\n    network: hardhat\n    source:\n      abi: Probe\n    mapping: {}\n`),
      /does not support: templates \(dynamic data sources: Pool\)/,
    );
    rejects(
      variant((y) => y.replace('      eventHandlers:\n        - event: Transfer', '      callHandlers:\n        - function: foo(uint256)\n          handler: handleCall\n      eventHandlers:\n        - event: Transfer')),
      /Function with the signature "foo\(uint256\)" not found in contract "Probe" of data source "Probe"/,
    );
    rejects(
      variant((y) => y.replace('  - kind: ethereum\n    name: Other', '  - kind: file/ipfs\n    name: Other')),
      /data source Other of kind `file\/ipfs` \(file data sources\)/,
    );
  });
});
