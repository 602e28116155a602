// Conversions, crypto, dataSource, ethereum.encode/decode, json and log host functions, and the
// ethereum.Event params (indexed, tuple, array, int64, bytes32) built from an encoded log.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbiCoder, encodeBase58, keccak256, toUtf8Bytes } from 'ethers';
import { HandlerError } from '../../src/runtime/errors.ts';
import { ChainBuilder, OTHER_ADDRESS, PROBE_ADDRESS } from './fixture.ts';
import { harness, plain } from './harness.ts';

const OWNER = '0xabcdef0123456789abcdef0123456789abcdef01';
const TAG = `0x${'ab'.repeat(16)}${'00'.repeat(16)}`;

describe('conversion, crypto, dataSource and ethereum host functions', () => {
  it('fill a Probe entity with values matching independent computations', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    const data = `0x${Buffer.from('hello\u0000\u0000', 'utf8').toString('hex')}`;
    const entry = chain.addBlock([
      [PROBE_ADDRESS, 'Sample', [42n, 'héllo wörld', data, -5n, TAG, [10n ** 30n, OWNER], [1, 2, 255], true]],
    ]);
    await h.run(entry);
    const p = plain(h.get('Probe', '42'));
    assert.ok(p);
    assert.equal(p.text, 'héllo wörld');
    assert.equal(p.data, data);
    assert.equal(p.delta, -5n);
    assert.equal(p.tag, TAG);
    assert.equal(p.amount, 10n ** 30n);
    assert.equal(p.owner, OWNER);
    assert.deepEqual(p.list, [1, 2, 255]);
    assert.equal(p.flag, true);
    assert.equal(p.kind, 'Flagged');
    assert.equal(p.keccak, keccak256(toUtf8Bytes('héllo wörld')));
    assert.equal(p.dataSourceAddress, PROBE_ADDRESS);
    assert.equal(p.network, 'hardhat');
    assert.equal(p.h160, OWNER);
    assert.equal(p.base58, encodeBase58(data));
    // trailing NULs of fixed-size buffers are trimmed
    assert.equal(p.utf8, 'hello');
    assert.equal(p.reencoded, AbiCoder.defaultAbiCoder().encode(['(uint256,address)'], [[10n ** 30n, OWNER]]));
    assert.equal(p.decodedAmount, 10n ** 30n);
    assert.equal(p.when, BigInt(entry.block.timestamp) * 1_000_000n);
    assert.deepEqual(p.tags, ['héllo wörld', 'x']);
    assert.equal(p.score, '1500000000000000000000000000000');
    // dataSource.context() from the manifest's `context:`
    assert.equal(p.note, 'from the manifest');
    // log.info reaches the logger with the trigger's coordinates
    assert.deepEqual(
      h.logs.map((l) => [l.level, l.message, l.dataSource, l.handler, l.block]),
      [['info', 'sample 42 héllo wörld', 'Probe', 'handleSample', 1]],
    );
  });

  it('parses JSON keeping number literals (json.fromBytes, toI64, toBigInt)', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    const json = '{"s":"ok","n":7,"big":123456789012,"flag":true,"extra":[1,2.5,null]}';
    await h.run(chain.addBlock([[PROBE_ADDRESS, 'Action', [13, json]]]));
    const c = plain(h.get('Counter', 'json'));
    assert.equal(c?.count, 7);
    assert.equal(c?.big, 123456789012n);
    assert.equal(c?.seenInBlock, true);
    assert.equal(c?.source, `0x${Buffer.from('ok').toString('hex')}`);
    await assert.rejects(
      h.run(chain.addBlock([[PROBE_ADDRESS, 'Action', [13, '{not json']]])),
      (err: unknown) => err instanceof HandlerError && /Failed to parse JSON/.test(err.message),
    );
  });

  it('gives each data source its own address and fails ethereum.call by name when the runtime has no JSON-RPC endpoint', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    for (let i = 0; i < 4; i++) chain.addBlock([]);
    await Promise.all(chain.blocks.map((b) => h.run(b)));
    const entry = chain.addBlock([
      [OTHER_ADDRESS, 'Action', [0, 'k']],
      [PROBE_ADDRESS, 'Action', [0, 'k']],
    ]);
    await h.run(entry);
    assert.equal(plain(h.get('Counter', 'other-k'))?.source, OTHER_ADDRESS);
    assert.equal(plain(h.get('Counter', 'k'))?.source, PROBE_ADDRESS);
    await assert.rejects(
      h.run(chain.addBlock([[PROBE_ADDRESS, 'Action', [11, '']]])),
      (err: unknown) => err instanceof HandlerError && /ethereum\.call needs a JSON-RPC endpoint/.test(err.message),
    );
  });
});
