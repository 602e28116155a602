// docker compose down/up restarts the in-memory dev chain empty while the roles' volumes keep
// their journals: an owner whose journal says "model 1: submitted" would skip the new chain's
// model 1. The state directory is bound to the genesis it was made on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Provider } from 'ethers';
import { bindStateToChain } from '../src/journal/chain-binding.ts';
import { silentLogger } from '../src/log.ts';

const chain = (chainId: number, genesis: string) => ({ getNetwork: async () => ({ chainId: BigInt(chainId) }), getBlock: async () => ({ hash: genesis }) }) as unknown as Provider;
const G1 = `0x${'a1'.repeat(32)}`;
const G2 = `0x${'b2'.repeat(32)}`;

test('a state directory made on a dev chain that restarted empty is moved aside, not reused and not deleted', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-state-chain-'));
  try {
    const owner = path.join(dir, 'owner');
    await bindStateToChain(owner, chain(31337, G1), silentLogger);
    writeFileSync(path.join(owner, 'owner-0xabc.json'), '{"submissions":{"1":"done"}}');
    await bindStateToChain(owner, chain(31337, G1), silentLogger);
    assert.ok(existsSync(path.join(owner, 'owner-0xabc.json')), 'same chain: the journal stays');

    await bindStateToChain(owner, chain(31337, G2), silentLogger);
    assert.ok(!existsSync(path.join(owner, 'owner-0xabc.json')), 'a new chain starts from an empty journal');
    assert.equal(JSON.parse(readFileSync(path.join(owner, 'chain.json'), 'utf8')).genesis, G2);
    const aside = path.join(dir, 'owner.chain-a1a1a1a1');
    assert.equal(readFileSync(path.join(aside, 'owner-0xabc.json'), 'utf8'), '{"submissions":{"1":"done"}}', 'the old state is kept aside');

    // a real chain whose genesis changed is a wrong --rpc, not a restart
    const lender = path.join(dir, 'lender');
    mkdirSync(lender);
    writeFileSync(path.join(lender, 'chain.json'), JSON.stringify({ chainId: 11155111, genesis: G1 }));
    await assert.rejects(bindStateToChain(lender, chain(11155111, G2), silentLogger), /was made on chain 11155111 .* check --rpc/);
    assert.ok(existsSync(path.join(lender, 'chain.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
