// A Hardhat node with the trigger fixture's contracts (Pinger at Hardhat's first contract
// address, Relay at its second, as the fixture manifest expects) and the fixture subgraph built.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Contract, ContractFactory, JsonRpcProvider, type JsonRpcSigner } from 'ethers';
import { startLocalChain, type LocalChain } from '@hessian/contracts/local-chain';
import { FIXTURES, buildFixture } from '../runtime/fixture.ts';

const DIR = join(FIXTURES, 'trigger-subgraph');
const abi = (name: string) => JSON.parse(readFileSync(join(DIR, 'abis', `${name}.json`), 'utf8'));
const bytecode = JSON.parse(readFileSync(join(DIR, 'contracts', 'bytecode.json'), 'utf8')) as Record<string, string>;

export const PINGER = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
export const RELAY = '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512';
export const EOA = '0x0000000000000000000000000000000000001005';

export interface PingerChain {
  chain: LocalChain;
  provider: JsonRpcProvider;
  signers: JsonRpcSigner[];
  pinger: Contract;
  relay: Contract;
  subgraphDir: string;
  send<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  head(): Promise<number>;
  /** one block holding these transactions (automine off while they are sent) */
  block(txs: Array<() => Promise<{ hash: string }>>): Promise<number>;
  stop(): Promise<void>;
}

export async function startPingerChain(subgraph = 'trigger-subgraph'): Promise<PingerChain> {
  const subgraphDir = buildFixture(subgraph);
  const chain = await startLocalChain();
  const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const send = <T,>(method: string, params: unknown[] = []) => provider.send(method, params) as Promise<T>;
  const signers = await Promise.all([0, 1, 2, 3, 4].map((i) => provider.getSigner(i)));
  const deploy = async (name: string, ...args: unknown[]) => {
    const c = (await new ContractFactory(abi(name), bytecode[name]!, signers[0]).deploy(...args)) as Contract;
    await c.waitForDeployment();
    return c;
  };
  const pinger = await deploy('Pinger');
  const relay = await deploy('Relay');
  if ((await pinger.getAddress()).toLowerCase() !== PINGER || (await relay.getAddress()).toLowerCase() !== RELAY) {
    throw new Error('the fixture contracts did not land at the addresses the manifest names');
  }
  const head = async () => Number(BigInt(await send<string>('eth_blockNumber')));
  return {
    chain,
    provider,
    signers,
    pinger,
    relay,
    subgraphDir,
    send,
    head,
    async block(txs) {
      await send('evm_setAutomine', [false]);
      try {
        const sent = [];
        for (const t of txs) sent.push(await t());
        await send('evm_mine');
        for (const s of sent) await provider.waitForTransaction(s.hash);
      } finally {
        await send('evm_setAutomine', [true]);
      }
      return head();
    },
    async stop() {
      provider.destroy();
      await chain.stop();
    },
  };
}

export function ping(c: PingerChain, signer: number, value: number, target: string) {
  return () => (c.pinger.connect(c.signers[signer]!) as Contract).getFunction('ping')(value, target) as Promise<{ hash: string }>;
}
