// The runtime's own ABI decoder must agree with ethers' coder; the WASM rewrite that exports
// mutable globals must keep the module valid and its behaviour unchanged.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AbiCoder, ParamType, getBytes, hexlify } from 'ethers';
import { decodeParams } from '../../src/runtime/abi-decode.ts';
import { fromEthers, type EthValue } from '../../src/runtime/ethereum-values.ts';
import { exportMutableGlobals, GLOBAL_EXPORT_PREFIX } from '../../src/runtime/wasm-globals.ts';
import { buildFixture } from './fixture.ts';

const coder = AbiCoder.defaultAbiCoder();

function randomValue(t: ParamType): unknown {
  if (t.isTuple()) return t.components.map(randomValue);
  if (t.isArray()) return Array.from({ length: t.arrayLength === -1 ? randomBytes(1)[0]! % 4 : t.arrayLength }, () => randomValue(t.arrayChildren));
  const base = t.baseType;
  const r = randomBytes(32);
  if (base === 'address') return hexlify(r.subarray(0, 20));
  if (base === 'bool') return (r[0]! & 1) === 1;
  if (base === 'string') return `s${r.toString('base64').slice(0, r[0]! % 40)}é`;
  if (base === 'bytes') return hexlify(r.subarray(0, r[0]! % 33));
  const fixed = /^bytes(\d+)$/.exec(base);
  if (fixed) return hexlify(r.subarray(0, Number(fixed[1])));
  const bits = Number(/(\d+)$/.exec(base)?.[1] ?? 256);
  const v = BigInt(hexlify(r)) % (1n << BigInt(bits));
  if (base.startsWith('int')) return BigInt.asIntN(bits, v);
  return v;
}

const norm = (v: EthValue): unknown =>
  'value' in v && Array.isArray(v.value)
    ? { kind: v.kind, value: v.value.map(norm) }
    : { kind: v.kind, value: v.value instanceof Uint8Array ? hexlify(v.value) : v.value };

describe('ABI decoding', () => {
  it('agrees with ethers on random values of nested static and dynamic types', () => {
    const signatures = [
      ['uint256', 'address', 'bool', 'int8', 'bytes32', 'bytes4', 'uint96'],
      ['string', 'bytes', 'uint256[]', 'string[]', 'address[2]'],
      ['(uint256,address)', '(string,uint8[])', '(uint64,(bool,bytes)[])[]', 'int256[3][]', 'bytes[2]'],
    ];
    for (let round = 0; round < 30; round++) {
      for (const sig of signatures) {
        const types = sig.map((s) => ParamType.from(s));
        const values = types.map(randomValue);
        const data = getBytes(coder.encode(types, values));
        const ours = decodeParams(types, data).map(norm);
        const theirs = coder.decode(types, data).map((v, i) => norm(fromEthers(types[i]!, v)));
        assert.deepEqual(ours, theirs, sig.join(','));
      }
    }
  });

  it('rejects truncated data instead of reading past it', () => {
    const types = [ParamType.from('string'), ParamType.from('uint256')];
    const data = getBytes(coder.encode(types, ['hello world', 5n]));
    assert.throws(() => decodeParams(types, data.subarray(0, 70)), /exceeds the data|data too short/);
    assert.throws(() => decodeParams([ParamType.from('uint256')], new Uint8Array(31)), /data too short/);
  });
});

describe('WASM rewrite for instance resets', () => {
  it('exports every mutable global and nothing else changes', () => {
    const bytes = readFileSync(join(buildFixture(), 'Probe', 'Probe.wasm'));
    const { bytes: rewritten, names } = exportMutableGlobals(bytes);
    assert.ok(names.length > 0);
    const original = new WebAssembly.Module(bytes);
    const module = new WebAssembly.Module(rewritten);
    const exportsOf = (m: WebAssembly.Module) => WebAssembly.Module.exports(m).map((e) => `${e.kind}:${e.name}`);
    const added = exportsOf(module).filter((e) => !exportsOf(original).includes(e));
    assert.deepEqual(added.sort(), names.map((n) => `global:${n}`).sort());
    assert.ok(names.every((n) => n.startsWith(GLOBAL_EXPORT_PREFIX)));
    assert.deepEqual(WebAssembly.Module.imports(module), WebAssembly.Module.imports(original));
    assert.throws(() => exportMutableGlobals(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), /not a WASM binary/);
  });
});
