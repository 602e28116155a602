// render-manifest.ts: the deployment file decides network, address and start block; the
// template's event signatures and handlers match the contract ABI and the compiled mappings.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { Interface } from 'ethers';
import { modelRepositoryAbi } from '@hessian/contracts';
import { renderManifest, retargetBuild } from '../scripts/render-manifest.ts';
import { assertFreshBuild, buildDir, subgraphDir } from './helpers.ts';

interface Manifest {
  specVersion: string;
  schema: { file: string };
  dataSources: {
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

const good = {
  network: 'sepolia',
  chainId: 11155111,
  contracts: { ModelRepository: { address, startBlock: 7_123_456, transactionHash: `0x${'ab'.repeat(32)}` } },
};

test('renders network, address and start block from the deployment file', async () => {
  const out = path.join(dir, 'subgraph.yaml');
  const r = await renderManifest({ deployment: await deploymentFile('sepolia.json', good), out });
  assert.deepStrictEqual(r, { file: out, network: 'sepolia', address: address.toLowerCase(), startBlock: 7_123_456, placeholder: false });
  const m = parse(await readFile(out, 'utf8')) as Manifest;
  assert.equal(m.specVersion, '1.0.0');
  assert.equal(m.schema.file, '../schema.graphql');
  const ds = m.dataSources[0]!;
  assert.equal(ds.network, 'sepolia');
  assert.equal(ds.source.address, address.toLowerCase());
  assert.equal(ds.source.startBlock, 7_123_456);
  assert.equal(ds.mapping.apiVersion, '0.0.9');
  // the ABI graph-cli and graph-node read is a bare array, the contract's own
  const abi = JSON.parse(await readFile(path.join(subgraphDir, ds.mapping.abis[0]!.file), 'utf8'));
  assert.ok(Array.isArray(abi));
  assert.deepStrictEqual(abi, modelRepositoryAbi);
});

test('--network overrides the deployment network', async () => {
  const out = path.join(dir, 'override.yaml');
  const r = await renderManifest({ deployment: await deploymentFile('d.json', good), network: 'mainnet', out });
  assert.equal(r.network, 'mainnet');
  assert.equal((parse(await readFile(out, 'utf8')) as Manifest).dataSources[0]!.network, 'mainnet');
});

test('bad input gets an error naming what was wrong', async () => {
  const out = path.join(dir, 'bad.yaml');
  await assert.rejects(renderManifest({ deployment: path.join(dir, 'missing.json'), out }), /cannot read deployment file .*missing\.json/);
  const noAddress = { ...good, contracts: { ModelRepository: { ...good.contracts.ModelRepository, address: '0x1234' } } };
  await assert.rejects(renderManifest({ deployment: await deploymentFile('bad-address.json', noAddress), out }), /contracts\.ModelRepository\.address/);
  await assert.rejects(renderManifest({ deployment: await deploymentFile('ok.json', good), network: 'Main Net', out }), /"Main Net" is not a graph-node network name/);
});

test('every event of the contract has a handler, with the exact signature', async () => {
  const out = path.join(dir, 'events.yaml');
  await renderManifest({ deployment: await deploymentFile('events.json', good), out });
  const handlers = (parse(await readFile(out, 'utf8')) as Manifest).dataSources[0]!.mapping.eventHandlers;
  const abiEvents: string[] = [];
  new Interface(modelRepositoryAbi).forEachEvent((e) => {
    abiEvents.push(`${e.name}(${e.inputs.map((i) => (i.indexed ? `indexed ${i.type}` : i.type)).join(',')})`);
  });
  assert.deepStrictEqual(handlers.map((h) => h.event).sort(), abiEvents.sort());
  for (const h of handlers) assert.equal(h.handler, `handle${h.event.slice(0, h.event.indexOf('('))}`);
});

test('the compiled WASM exports every handler and imports no eth_call', async () => {
  assertFreshBuild();
  const built = parse(await readFile(path.join(buildDir, 'subgraph.yaml'), 'utf8')) as Manifest;
  const wasm = await readFile(path.join(buildDir, built.dataSources[0]!.mapping.file));
  const module = new wasmApi.Module(wasm);
  const exports = new Set(wasmApi.Module.exports(module).map((e) => e.name));
  for (const h of built.dataSources[0]!.mapping.eventHandlers) assert.ok(exports.has(h.handler), `${h.handler} exported`);
  const imports = wasmApi.Module.imports(module).map((i) => `${i.module}.${i.name}`);
  assert.ok(!imports.some((i) => i.startsWith('ethereum.')), `no ethereum.* host calls: ${imports.join(', ')}`);
});

test('retargetBuild points a copy of the build at another deployment', async () => {
  assertFreshBuild();
  const out = await retargetBuild(buildDir, { address, startBlock: 42, network: 'localhost' }, path.join(dir, 'build'));
  const m = parse(await readFile(path.join(out, 'subgraph.yaml'), 'utf8')) as Manifest;
  assert.equal(m.dataSources[0]!.source.address, address.toLowerCase());
  assert.equal(m.dataSources[0]!.source.startBlock, 42);
  assert.deepStrictEqual(await readFile(path.join(out, m.dataSources[0]!.mapping.file)), await readFile(path.join(buildDir, m.dataSources[0]!.mapping.file)));
});
