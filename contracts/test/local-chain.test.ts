// startLocalChain: the throwaway Hardhat node the CLI, the demo and other packages' tests use.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Contract, JsonRpcProvider, Network } from 'ethers';
import { deployHessian, modelRepositoryAbi } from '../src/index.ts';
import { HARDHAT_MNEMONIC, freePort, portInUse, startLocalChain, type LocalChain } from '../src/local-chain.ts';

describe('startLocalChain', () => {
  let chain: LocalChain;
  before(async () => {
    chain = await startLocalChain();
  });
  after(async () => {
    await chain.stop();
  });

  it('serves JSON-RPC on a free loopback port, with the funded Hardhat accounts', async () => {
    assert.equal(chain.chainId, 31337);
    assert.equal(chain.url, `http://127.0.0.1:${chain.port}`);
    const provider = new JsonRpcProvider(chain.url, Network.from(31337), { staticNetwork: true });
    try {
      const signer = await provider.getSigner(0);
      assert.ok((await provider.getBalance(await signer.getAddress())) > 10n ** 21n);
      const d = await deployHessian(signer, { token: true });
      const repo = new Contract(d.contracts.ModelRepository.address, modelRepositoryAbi, provider);
      assert.equal(await repo.getFunction('modelCount')(), 0n);
      assert.equal(HARDHAT_MNEMONIC.split(' ').length, 12);
    } finally {
      provider.destroy();
    }
  });

  it('refuses a port that is already taken, naming it', async () => {
    const server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    try {
      assert.equal(await portInUse(port), true);
      await assert.rejects(startLocalChain({ port }), new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    } finally {
      await new Promise((r) => server.close(r));
    }
    assert.equal(await portInUse(port), false);
  });

  it('stops the node process (and a second stop is a no-op)', async () => {
    const other = await startLocalChain({ port: await freePort() });
    await other.stop();
    assert.ok(other.process.exitCode !== null || other.process.signalCode !== null, 'process still running');
    await other.stop();
    const answered = await fetch(other.url, { method: 'POST', body: '{}' }).then(() => true, () => false);
    assert.equal(answered, false);
  });

  it('dies with its parent, even a parent killed with SIGKILL', async () => {
    // a parent process that starts a chain, reports the node's pid, then waits forever
    const script = `import { startLocalChain } from ${JSON.stringify(new URL('../src/local-chain.ts', import.meta.url).href)};
const c = await startLocalChain();
process.stdout.write(JSON.stringify({ pid: c.process.pid, url: c.url }) + '\\n');
setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    for await (const chunk of parent.stdout!) {
      text += String(chunk);
      if (text.includes('\n')) break;
    }
    const { pid, url } = JSON.parse(text) as { pid: number; url: string };
    const alive = (p: number) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    };
    assert.equal(alive(pid), true, 'the chain runs while its parent lives');
    const exited = once(parent, 'exit');
    parent.kill('SIGKILL');
    await exited;
    // liveness bound, not a speed target: the node needs a moment to notice and exit
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(pid), false, `hardhat node ${pid} outlived its SIGKILLed parent`);
    const answered = await fetch(url, { method: 'POST', body: '{}' }).then(() => true, () => false);
    assert.equal(answered, false);
  });
});
