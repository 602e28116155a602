// render-manifest.ts: the deployment file decides network, addresses and start blocks of both
// data sources; the template's event signatures and handlers match the contract ABIs and the
// compiled mappings.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { Interface } from 'ethers';
import { loanDeskAbi, modelRepositoryAbi } from '@hessian/contracts';
import { deploymentTarget, renderManifest, retargetBuild } from '../scripts/render-manifest.ts';
import { assertFreshBuild, buildDir, subgraphDir } from './helpers.ts';

interface Manifest {
  specVersion: string;
  schema: { file: string };
  dataSources: {
    name: string;
    network: string;
    source: { address: string; startBlock: number; abi: string };
    mapping: { apiVersion: string; file: string; abis: { name: string; file: string }[]; eventHandlers: { event: string; handler: string }[] };
  }[];
}

// the WebAssembly global is untyped under lib ES2023 without DOM
interface WasmModuleApi {
  new (bytes: Uint8Array): object;
  exports(module: object): { name: string }[];
  imports(module: object): { module: string; name: string }[];
}
const wasmApi = (globalThis as unknown as { WebAssembly: { Module: WasmModuleApi } }).WebAssembly;

let dir: string;
const address = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const deskAddress = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hessian-manifest-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function deploymentFile(name: string, body: unknown) {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(body));
  return file;
}

const tx = `0x${'ab'.repeat(32)}`;
const good = {
  network: 'sepolia',
  chainId: 11155111,
  contracts: {
    ModelRepository: { address, startBlock: 7_123_456, transactionHash: tx },
    LoanDesk: { address: deskAddress, startBlock: 7_123_460, transactionHash: tx },
  },
};

test('renders network, addresses and start blocks of both data sources from the deployment file', async () => {
  const out = path.join(dir, 'subgraph.yaml');
  const r = await renderManifest({ deployment: await deploymentFile('sepolia.json', good), out });
  assert.deepStrictEqual(r, {
    file: out,
    network: 'sepolia',
    address: address.toLowerCase(),
    startBlock: 7_123_456,
    loanDesk: { address: deskAddress.toLowerCase(), startBlock: 7_123_460 },
    placeholder: false,
  });
  const m = parse(await readFile(out, 'utf8')) as Manifest;
  assert.equal(m.specVersion, '1.0.0');
  assert.equal(m.schema.file, './schema.graphql');
  assert.deepStrictEqual(
    m.dataSources.map((ds) => [ds.name, ds.network, ds.source.address, ds.source.startBlock, ds.mapping.apiVersion]),
    [
      ['ModelRepository', 'sepolia', address.toLowerCase(), 7_123_456, '0.0.9'],
      ['LoanDesk', 'sepolia', deskAddress.toLowerCase(), 7_123_460, '0.0.9'],
    ],
  );
  // the ABIs graph-cli and graph-node read are bare arrays, the contracts' own
  for (const [ds, expected] of [[m.dataSources[0]!, modelRepositoryAbi], [m.dataSources[1]!, loanDeskAbi]] as const) {
    const abi = JSON.parse(await readFile(path.join(subgraphDir, ds.mapping.abis[0]!.file), 'utf8'));
    assert.ok(Array.isArray(abi));
    assert.deepStrictEqual(abi, expected);
  }
});

test('a deployment file without LoanDesk renders without its data source', async () => {
  const out = path.join(dir, 'no-desk.yaml');
  const old = { ...good, contracts: { ModelRepository: good.contracts.ModelRepository } };
  const r = await renderManifest({ deployment: await deploymentFile('no-desk.json', old), out });
  assert.equal(r.loanDesk, null);
  assert.deepStrictEqual((parse(await readFile(out, 'utf8')) as Manifest).dataSources.map((ds) => ds.name), ['ModelRepository']);
});

test('--network overrides the deployment network', async () => {
  const out = path.join(dir, 'override.yaml');
  const r = await renderManifest({ deployment: await deploymentFile('d.json', good), network: 'mainnet', out });
  assert.equal(r.network, 'mainnet');
  assert.deepStrictEqual((parse(await readFile(out, 'utf8')) as Manifest).dataSources.map((ds) => ds.network), ['mainnet', 'mainnet']);
});

test('bad input gets an error naming what was wrong', async () => {
  const out = path.join(dir, 'bad.yaml');
  await assert.rejects(renderManifest({ deployment: path.join(dir, 'missing.json'), out }), /cannot read deployment file .*missing\.json/);
  const noAddress = { ...good, contracts: { ModelRepository: { ...good.contracts.ModelRepository, address: '0x1234' } } };
  await assert.rejects(renderManifest({ deployment: await deploymentFile('bad-address.json', noAddress), out }), /contracts\.ModelRepository\.address/);
  const badDesk = { ...good, contracts: { ...good.contracts, LoanDesk: { ...good.contracts.LoanDesk, startBlock: -1 } } };
  await assert.rejects(renderManifest({ deployment: await deploymentFile('bad-desk.json', badDesk), out }), /contracts\.LoanDesk\.startBlock/);
  await assert.rejects(renderManifest({ deployment: await deploymentFile('ok.json', good), network: 'Main Net', out }), /"Main Net" is not a graph-node network name/);
});

test('every event of each contract has a handler, with the exact signature', async () => {
  const out = path.join(dir, 'events.yaml');
  await renderManifest({ deployment: await deploymentFile('events.json', good), out });
  const sources = (parse(await readFile(out, 'utf8')) as Manifest).dataSources;
  for (const [i, abi] of [modelRepositoryAbi, loanDeskAbi].entries()) {
    const handlers = sources[i]!.mapping.eventHandlers;
    const abiEvents: string[] = [];
    new Interface(abi).forEachEvent((e) => {
      abiEvents.push(`${e.name}(${e.inputs.map((p) => (p.indexed ? `indexed ${p.type}` : p.type)).join(',')})`);
    });
    assert.deepStrictEqual(handlers.map((h) => h.event).sort(), abiEvents.sort(), sources[i]!.name);
    for (const h of handlers) assert.equal(h.handler, `handle${h.event.slice(0, h.event.indexOf('('))}`);
  }
});

test('the compiled WASM of both data sources exports every handler and imports no eth_call', async () => {
  assertFreshBuild();
  const built = parse(await readFile(path.join(buildDir, 'subgraph.yaml'), 'utf8')) as Manifest;
  assert.deepStrictEqual(built.dataSources.map((ds) => ds.name), ['ModelRepository', 'LoanDesk']);
  for (const ds of built.dataSources) {
    const module = new wasmApi.Module(await readFile(path.join(buildDir, ds.mapping.file)));
    const exports = new Set(wasmApi.Module.exports(module).map((e) => e.name));
    for (const h of ds.mapping.eventHandlers) assert.ok(exports.has(h.handler), `${ds.name}.${h.handler} exported`);
    const imports = wasmApi.Module.imports(module).map((i) => `${i.module}.${i.name}`);
    assert.ok(!imports.some((i) => i.startsWith('ethereum.')), `${ds.name}: no ethereum.* host calls: ${imports.join(', ')}`);
  }
});

test('retargetBuild points a copy of the build at another deployment, LoanDesk included when given', async () => {
  assertFreshBuild();
  const loanDesk = { address: deskAddress, startBlock: 43 };
  const out = await retargetBuild(buildDir, { address, startBlock: 42, network: 'localhost', loanDesk }, path.join(dir, 'build'));
  const m = parse(await readFile(path.join(out, 'subgraph.yaml'), 'utf8')) as Manifest;
  assert.deepStrictEqual(
    m.dataSources.map((ds) => [ds.name, ds.network, ds.source.address, ds.source.startBlock]),
    [
      ['ModelRepository', 'localhost', address.toLowerCase(), 42],
      ['LoanDesk', 'localhost', deskAddress.toLowerCase(), 43],
    ],
  );
  for (const ds of m.dataSources) {
    assert.deepStrictEqual(await readFile(path.join(out, ds.mapping.file)), await readFile(path.join(buildDir, ds.mapping.file)));
  }
  // callers that name only ModelRepository get the copy without the LoanDesk data source
  const only = await retargetBuild(buildDir, { address, startBlock: 42 }, path.join(dir, 'build-repository-only'));
  const m2 = parse(await readFile(path.join(only, 'subgraph.yaml'), 'utf8')) as Manifest;
  assert.deepStrictEqual(m2.dataSources.map((ds) => [ds.name, ds.source.address, ds.source.startBlock]), [['ModelRepository', address.toLowerCase(), 42]]);
  // ... and a copy without it cannot be pointed at a LoanDesk
  await assert.rejects(retargetBuild(only, { address, startBlock: 42, loanDesk }, path.join(dir, 'build-again')), /has no LoanDesk data source/);
});

test('deploymentTarget names both contracts of a deployment file, or only the repository of an older one', () => {
  const contract = (a: string, startBlock: number) => ({ address: a, startBlock, transactionHash: `0x${'ab'.repeat(32)}` });
  const both = { network: 'localhost', chainId: 31337, contracts: { ModelRepository: contract(address, 7), LoanDesk: contract(deskAddress, 8) } };
  assert.deepStrictEqual(deploymentTarget(both), { address, startBlock: 7, network: 'localhost', loanDesk: { address: deskAddress, startBlock: 8 } });
  assert.equal(deploymentTarget(both, 'sepolia').network, 'sepolia');
  const older = { network: 'localhost', chainId: 31337, contracts: { ModelRepository: contract(address, 7) } };
  assert.equal(deploymentTarget(older).loanDesk, null);
});
