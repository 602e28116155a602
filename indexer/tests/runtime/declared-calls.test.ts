// Declared calls (`calls:` on event handlers) parsed as graph-node's CallExpr::parse does, with its
// specVersion rules and error messages, and evaluated against a decoded log.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventFragment, Interface } from 'ethers';
import { declaredCallRequests, parseCallDecls } from '../../src/runtime/declared-calls.ts';
import { FIXTURES } from './fixture.ts';

const abi = new Interface(JSON.parse(readFileSync(join(FIXTURES, 'trigger-subgraph', 'abis', 'Pinger.json'), 'utf8')));
const abis = [{ name: 'Pinger', file: 'Pinger.json', abi }];
const event = abi.getEvent('Ping') as EventFragment;
const parse = (calls: Record<string, string>, specVersion = '1.2.0') =>
  parseCallDecls(calls, { specVersion, abis, event, eventSignature: 'Ping(indexed address,uint256,address)', where: (s) => s });

describe('declared calls', () => {
  it('parses Contract[address].function(args) with event.address, event.params.x and hex addresses', () => {
    const [a, b, c] = parse({
      a: 'Pinger[event.address].count()',
      b: 'Pinger[event.params.target].scores(event.params.sender)',
      c: 'Pinger[0x5FbDB2315678afecb367f032d93F642f64180aa3].scores(0x0000000000000000000000000000000000001005)',
    });
    assert.deepEqual([a!.address, a!.args, a!.function.name], [{ kind: 'address' }, [], 'count']);
    assert.deepEqual([b!.address, b!.args], [{ kind: 'param', name: 'target', path: [] }, [{ kind: 'param', name: 'sender', path: [] }]]);
    assert.deepEqual(c!.address, { kind: 'hex', address: '0x5fbdb2315678afecb367f032d93f642f64180aa3' });
    const sender = '0x' + '11'.repeat(20);
    const target = '0x' + '22'.repeat(20);
    const params = [
      { name: 'sender', value: { kind: 'address' as const, value: Buffer.from(sender.slice(2), 'hex') } },
      { name: 'value', value: { kind: 'uint' as const, value: 7n } },
      { name: 'target', value: { kind: 'address' as const, value: Buffer.from(target.slice(2), 'hex') } },
    ];
    const [ra, rb] = declaredCallRequests([a!, b!], '0x' + '33'.repeat(20), params);
    assert.deepEqual(ra, { to: '0x' + '33'.repeat(20), data: abi.encodeFunctionData('count') });
    assert.deepEqual(rb, { to: target, data: abi.encodeFunctionData('scores', [sender]) });
    const [bad] = parse({ bad: 'Pinger[event.params.value].count()' });
    assert.throws(() => declaredCallRequests([bad!], sender, params), /In declarative call 'bad': param value is not an address/);
  });

  it('needs specVersion 1.2.0, as graph-node', () => {
    assert.throws(() => parse({ a: 'Pinger[event.address].count()' }, '1.1.0'), /handler Ping\(indexed address,uint256,address\): declaring eth calls on handlers is only supported for specVersion >= 1.2.0/);
  });

  it('refuses what graph-node refuses, with its messages', () => {
    const cases: Array<[string, RegExp]> = [
      ['Pinger.count()', /Error in declared call 'x': Invalid call expression 'Pinger.count\(\)': missing '\[' after contract name/],
      ['[event.address].count()', /missing contract name before '\['/],
      ['Pinger[event.address]count()', /missing '\.' after address 'Pinger\[event.address\]'/],
      ['Pinger[event.address].count', /missing '\(' to start function arguments/],
      ['Pinger[event.address].nope()', /Unknown function "Pinger::nope" called from WASM runtime/],
      ['Other[event.address].count()', /No ABI entry with name `Other` found/],
      ['Pinger[event.blockNumber].count()', /Failed to parse address 'event.blockNumber' in call expression .*invalid call argument `event.blockNumber`/],
      ['Pinger[entity.owner].count()', /'entity\.\*' expressions not allowed in event handler context/],
      ['Pinger[event.address].scores(sender)', /Failed to parse argument 1 'sender'.*only 'event\.\*' expressions and hex addresses are allowed/],
      ['Pinger[event.address].scores(event.params.sender.0)', /Struct field access 'event.params.sender.\*' in declarative calls is only supported for specVersion >= 1.4.0, current version is 1.2.0/],
    ];
    for (const [expr, message] of cases) assert.throws(() => parse({ x: expr }), message, expr);
  });
});
