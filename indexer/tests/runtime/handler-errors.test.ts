// Deterministic failures stop the block with a HandlerError naming the handler, block and log,
// as graph-node fails a subgraph: schema violations, log.critical, aborts, traps, refused imports.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HandlerError } from '../../src/runtime/errors.ts';
import { ChainBuilder, PROBE_ADDRESS } from './fixture.ts';
import { harness, plain } from './harness.ts';

const action = (code: number, key: string): [string, string, unknown[]] => [PROBE_ADDRESS, 'Action', [code, key]];

async function failure(code: number, key: string, setup?: (h: ReturnType<typeof harness>, chain: ChainBuilder) => Promise<void>) {
  const h = harness();
  const chain = new ChainBuilder();
  if (setup) await setup(h, chain);
  const entry = chain.addBlock([action(0, 'before'), action(code, key)]);
  try {
    await h.run(entry);
  } catch (err) {
    assert.ok(err instanceof HandlerError, `expected a HandlerError, got ${String(err)}`);
    assert.equal(err.handler, 'handleAction');
    assert.equal(err.dataSource, 'Probe');
    assert.equal(err.block, Number(entry.block.number));
    assert.equal(err.blockHash, entry.block.hash);
    assert.equal(err.logIndex, 1);
    // the failed block changed nothing, not even what its earlier trigger did
    assert.equal(h.get('Counter', 'before'), null);
    return { err, h, chain };
  }
  assert.fail(`action ${code} did not fail`);
}

describe('handler failures', () => {
  it('log.critical', async () => {
    const { err } = await failure(2, 'k');
    assert.match(err.reason, /^Critical error logged in mapping with log message: critical for k$/);
  });

  it('a required field left unset', async () => {
    const { err } = await failure(3, 'k');
    assert.match(err.reason, /Entity Counter\[k\]: missing value for non-nullable field `big`/);
  });

  it('setting a derived field', async () => {
    const { err } = await failure(4, '0x01');
    assert.match(err.reason, /Entity Account\[0x01\]: field `transfersIn` is derived and cannot be set/);
  });

  it('a value of the wrong type', async () => {
    const { err } = await failure(5, 'k');
    assert.match(err.reason, /the value `1` for field `count` must have type Int! but has type BigInt/);
  });

  it('setting an immutable entity written in an earlier block', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    const first = chain.addBlock([[PROBE_ADDRESS, 'Transfer', ['0x1111111111111111111111111111111111111111', '0x2222222222222222222222222222222222222222', 5n]]]);
    await h.run(first);
    const id = `${(first.block.transactions[0] as { hash: string }).hash}00000000`;
    await assert.rejects(h.run(chain.addBlock([action(6, id)])), (e: unknown) => {
      assert.ok(e instanceof HandlerError);
      assert.match(e.reason, new RegExp(`entity Transfer\\[${id}\\] is immutable; inserting it at block 2 is not possible`));
      return true;
    });
    assert.equal(plain(h.get('Transfer', id))?.value, 5n);
  });

  it('removing an immutable entity', async () => {
    const h = harness();
    const chain = new ChainBuilder();
    const first = chain.addBlock([[PROBE_ADDRESS, 'Transfer', ['0x1111111111111111111111111111111111111111', '0x2222222222222222222222222222222222222222', 5n]]]);
    await h.run(first);
    const id = `${(first.block.transactions[0] as { hash: string }).hash}00000000`;
    await assert.rejects(h.run(chain.addBlock([action(9, id)])), /immutable entity type Transfer only allows inserts/);
  });

  it('a field the schema does not define (apiVersion 0.0.9)', async () => {
    const { err } = await failure(8, 'k');
    assert.match(err.reason, /Attempted to set undefined fields \[bogus\] for the entity type `Counter`/);
  });

  it('an assertion abort, with the mapping source location', async () => {
    const { err } = await failure(10, 'k');
    assert.match(err.reason, /^Mapping aborted at src\/mapping\.ts, line \d+, column \d+, with message: boom k$/);
  });

  it('an id that is not valid for a Bytes id type', async () => {
    const { err } = await failure(12, 'not-hex');
    assert.match(err.reason, /Entity Account: id `not-hex` is not valid hex for a Bytes id/);
  });

  it('leaves the runtime usable for the next block', async () => {
    const { h, chain } = await failure(2, 'k');
    await h.run(chain.addBlock([action(0, 'after')]));
    assert.equal(plain(h.get('Counter', 'after'))?.count, 1);
  });
});
