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

/** a copy of the built fixture with its manifest (and schema) edited */
function variant(edit: (yaml: string) => string, editSchema: (schema: string) => string = (s) => s): string {
  const dir = mkdtempSync(join(tmpdir(), 'hessian-manifest-'));
  temps.push(dir);
  cpSync(built, dir, { recursive: true });
  const file = join(dir, 'subgraph.yaml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  const schema = join(dir, 'schema.graphql');
  writeFileSync(schema, editSchema(readFileSync(schema, 'utf8')));
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
    // graph-node takes topic filters from spec version 1.2.0
    const dir = variant((y) => y.replace('specVersion: 1.0.0', 'specVersion: 1.2.0').replace('          receipt: true\n', `          receipt: true\n          topic1: ["${zeroPadValue(wanted, 32)}"]\n`));
    const { runtime, manifest } = loadSubgraph(dir);
    assert.deepEqual(manifest.dataSources[0]!.mapping.eventHandlers[0]!.topic1, [zeroPadValue(wanted, 32)]);
    const chain = new ChainBuilder();
    const entry = chain.addBlock([
      [PROBE_ADDRESS, 'Transfer', [wanted, '0x2222222222222222222222222222222222222222', 1n]],
      [PROBE_ADDRESS, 'Transfer', ['0x2222222222222222222222222222222222222222', wanted, 1n]],
    ]);
    assert.deepEqual(entry.logs.map((l) => runtime.matches(l, 1)), [true, false]);
  });

  it('matches events by topic0 as graph-node does: a topic0 override, the signature check of a non-anonymous event', () => {
    const other = keccakText('Something(else)');
    const dir = variant((y) => y.replace('          handler: handleArith\n', `          topic0: "${other}"\n          handler: handleArith\n`));
    const { runtime, manifest } = loadSubgraph(dir);
    const arith = manifest.dataSources[0]!.mapping.eventHandlers[1]!;
    assert.deepEqual([arith.handler, arith.topic0, arith.anonymous], ['handleArith', other, false]);
    const chain = new ChainBuilder();
    const entry = chain.addBlock([[PROBE_ADDRESS, 'Arith', [1n, 2n, 0]]]);
    const log = entry.logs[0]!;
    // its real signature topic is no longer the handler's topic0; with the override as topic0 the
    // non-anonymous event does not decode (graph-node's decode_log checks the signature): skipped
    assert.equal(runtime.matches(log, 1), false);
    assert.equal(runtime.matches({ ...log, topics: [other, ...log.topics.slice(1)] }, 1), false);
    // without the override: keccak256 of the manifest's signature
    assert.equal(loadSubgraph(built).runtime.matches(log, 1), true);
  });

  it('two handlers of one data source for the same log: graph-node\'s "Multiple handlers" error, not two calls', async () => {
    const dir = variant((y) => y.replace('        - event: Action(uint8,string)\n          handler: handleAction\n', '        - event: Action(uint8,string)\n          handler: handleAction\n        - event: Action(uint8,string)\n          handler: handleArith\n'));
    const { runtime } = loadSubgraph(dir);
    const entry = new ChainBuilder().addBlock([[PROBE_ADDRESS, 'Action', [1, 'x']]]);
    await assert.rejects(runtime.processBlock(entry.block, entry.logs, { get: () => null }), (err: Error) => err.name === 'Error' && /^Multiple handlers defined for event `Action\(uint8,string\)`, only one is supported$/.test(err.message));
  });

  it('reads features: and refuses an unknown one with graph-node\'s message', () => {
    const dir = variant((y) => y.replace('specVersion: 1.0.0\n', 'specVersion: 1.0.0\nfeatures:\n  - nonFatalErrors\n'));
    assert.deepEqual(readManifest(dir).features, ['nonFatalErrors']);
    assert.ok(loadSubgraph(dir).runtime.errorsAreNonFatal);
    assert.equal(loadSubgraph(built).runtime.errorsAreNonFatal, false);
    rejects(variant((y) => y.replace('specVersion: 1.0.0\n', 'specVersion: 1.0.0\nfeatures:\n  - warpDrive\n')), /Invalid subgraph feature: warpDrive/);
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
      variant((y) => `${y}templates:\n  - kind: file/ipfs\n    name: Pool\n    network: hardhat\n    source:\n      abi: Probe\n    mapping: {}\n`),
      /does not support: template Pool of kind `file\/ipfs` \(file data sources\)/,
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

  describe('spec version and features, as graph-node checks them', () => {
    const FULLTEXT = `
type _Schema_ @fulltext(name: "accountSearch", language: en, algorithm: rank, include: [{ entity: "Note", fields: [{ name: "text" }] }])
type Note @entity { id: ID! text: String! }
`;
    const TIMESERIES = `
type Point @entity(timeseries: true) { id: Int8! timestamp: Timestamp! amount: BigInt! }
type PointStats @aggregation(intervals: ["hour"], source: "Point") { id: Int8! timestamp: Timestamp! total: BigInt! @aggregate(fn: "sum", arg: "amount") }
`;
    const spec = (v: string) => (y: string) => y.replace('specVersion: 1.0.0', `specVersion: ${v}`);
    const withFeatures = (v: string, features: string) => (y: string) => spec(v)(y).replace(/^schema:/m, `features:\n${features}\nschema:`);

    it('@fulltext needs `features: [fullTextSearch]` from spec version 0.0.4', () => {
      rejects(variant(spec('1.0.0'), (s) => s + FULLTEXT), /: The feature `fullTextSearch` is used by the subgraph but it is not declared in the manifest\.$/);
      rejects(variant(withFeatures('1.3.0', '  - nonFatalErrors'), (s) => s + FULLTEXT), /The feature `fullTextSearch` is used by the subgraph but it is not declared/);
      assert.equal(loadSubgraph(variant(withFeatures('1.0.0', '  - fullTextSearch'), (s) => s + FULLTEXT)).schema.fulltexts.length, 1);
      // before 0.0.4 graph-node did not manage features
      assert.equal(loadSubgraph(variant(spec('0.0.2'), (s) => s + FULLTEXT)).schema.fulltexts.length, 1);
    });

    it('@aggregation and Int8 ids need spec version 1.1.0; no feature is declared for them', () => {
      const dir = variant(spec('1.0.0'), (s) => s + TIMESERIES);
      assert.throws(
        () => loadSubgraph(dir),
        (err: unknown) =>
          err instanceof ManifestError &&
          err.message ===
            `${join(dir, 'subgraph.yaml')}: Validation errors in subgraph \`${join(dir, 'subgraph.yaml')}\`:\n` +
              '  (1) - Using Int8 as the type for the `id` field is not supported with spec version 1.0.0; please migrate the subgraph to the latest version\n' +
              '  (2) - Aggregations are not supported with spec version 1.0.0; please migrate the subgraph to the latest version',
      );
      assert.equal(loadSubgraph(variant(spec('1.1.0'), (s) => s + TIMESERIES)).schema.aggregations.size, 1);
    });

    it('topic filters need spec version 1.2.0', () => {
      rejects(
        variant((y) => y.replace('          receipt: true\n', `          receipt: true\n          topic2: ["0x${'00'.repeat(32)}"]\n`)),
        /Subgraph `.*subgraph\.yaml` uses spec version 1\.0\.0, but data source `Probe` requires at least version 1\.2\.0/,
      );
    });

    it('every spec version graph-cli 0.98.1 writes loads (init: 1.3.0; migrations: 0.0.2, 0.0.4), others are refused as graph-node refuses them', () => {
      for (const v of ['0.0.2', '0.0.3', '0.0.4', '0.0.5', '0.0.6', '0.0.7', '0.0.8', '0.0.9', '1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0', '1.5.0']) {
        assert.equal(loadSubgraph(variant(spec(v))).manifest.specVersion, v);
      }
      rejects(variant(spec('0.0.1')), /This Graph Node only supports manifest spec versions between 0\.0\.2 and 1\.5\.0, but subgraph `.*subgraph\.yaml` uses `0\.0\.1`/);
      rejects(variant(spec('1.6.0')), /between 0\.0\.2 and 1\.5\.0, but subgraph .* uses `1\.6\.0`/);
      rejects(variant(spec('"1.0"')), /specVersion "1\.0" is not a version/);
      rejects(variant((y) => y.replace('specVersion: 1.0.0\n', '')), /specVersion "" is not a version/);
    });
  });
});
