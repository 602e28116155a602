// The factory/pair test subgraph (tests/fixtures/factory-subgraph) is a third party's subgraph:
// it must build with graph-cli's `graph codegen && graph build`, offline, into what graph-node
// deploys: every handler the manifest names exported by its WASM, the ABIs copied beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { listedTokenArtifact, pairArtifact, pairFactoryArtifact } from '@hessian/contracts';
import { buildFixture } from '../runtime/fixture.ts';

interface BuiltMapping {
  file: string;
  abis: { name: string; file: string }[];
  eventHandlers?: { event: string; handler: string; topic0?: string; calls?: Record<string, string> }[];
  callHandlers?: { function: string; handler: string }[];
  blockHandlers?: { handler: string; filter?: { kind: string; every?: number } }[];
}
interface BuiltDataSource {
  name: string;
  source: { address?: string; abi: string; startBlock?: number };
  mapping: BuiltMapping;
}

const build = buildFixture('factory-subgraph');
const manifest = parseYaml(readFileSync(join(build, 'subgraph.yaml'), 'utf8')) as {
  specVersion: string;
  features: string[];
  schema: { file: string };
  dataSources: BuiltDataSource[];
  templates: BuiltDataSource[];
};

function handlersOf(m: BuiltMapping): string[] {
  return [...(m.eventHandlers ?? []), ...(m.callHandlers ?? []), ...(m.blockHandlers ?? [])].map((h) => h.handler).sort();
}

function exportsOf(wasmFile: string): string[] {
  const module = new WebAssembly.Module(readFileSync(join(build, wasmFile)));
  return WebAssembly.Module.exports(module).map((e) => e.name);
}

test('graph build writes the manifest with the factory data source, the Pair template and the features graph-node reads', () => {
  assert.equal(manifest.specVersion, '1.2.0');
  assert.deepEqual(manifest.features, ['nonFatalErrors', 'fullTextSearch']);
  assert.ok(existsSync(join(build, manifest.schema.file)));
  assert.deepEqual(manifest.dataSources.map((d) => d.name), ['PairFactory']);
  assert.deepEqual(manifest.templates.map((d) => d.name), ['Pair']);
  const factory = manifest.dataSources[0]!.mapping;
  assert.deepEqual(factory.blockHandlers, [
    { handler: 'handleStart', filter: { kind: 'once' } },
    { handler: 'handlePoll', filter: { kind: 'polling', every: 4 } },
    { handler: 'handleFactoryCalled', filter: { kind: 'call' } },
  ]);
  assert.deepEqual(factory.callHandlers, [{ function: 'createPair(address,address,string)', handler: 'handleCreatePair' }]);
  assert.deepEqual(factory.eventHandlers![0]!.calls, {
    'token0.symbol': 'ListedToken[event.params.token0].symbol()',
    'token1.symbol': 'ListedToken[event.params.token1].symbol()',
  });
  const flagged = manifest.templates[0]!.mapping.eventHandlers!.find((h) => h.handler === 'handleFlagged');
  assert.equal(flagged?.topic0, '0x36f51e621cb9960db3770e4009e3f123193384dea923b32becde593f3c5447a6');
});

test('every handler the manifest names is exported by its compiled WASM', () => {
  for (const ds of [...manifest.dataSources, ...manifest.templates]) {
    const exported = exportsOf(ds.mapping.file);
    for (const handler of handlersOf(ds.mapping)) assert.ok(exported.includes(handler), `${ds.name}: ${handler} is not exported by ${ds.mapping.file}`);
  }
});

test('the built ABIs are the compiled contracts\u2019 (contracts/abi), so the subgraph decodes what the chain emits', () => {
  const artifacts: Record<string, unknown> = {
    PairFactory: pairFactoryArtifact.abi,
    ListedToken: listedTokenArtifact.abi,
    Pair: pairArtifact.abi,
  };
  for (const ds of [...manifest.dataSources, ...manifest.templates]) {
    for (const abi of ds.mapping.abis) {
      // graph build writes the bare ABI array out of the {contractName, abi, bytecode} artifact
      const built: unknown = JSON.parse(readFileSync(join(build, abi.file), 'utf8'));
      assert.deepEqual(built, artifacts[abi.name], `${ds.name}: ABI ${abi.name}`);
    }
  }
});
