// A Hardhat node with the dynamic-subgraph fixture's Factory deployed (the first transaction of a
// fresh node, so at the address the fixture's manifest names), and the fixture's build.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Contract, ContractFactory, JsonRpcProvider, type JsonRpcSigner } from 'ethers';
import { startLocalChain, type LocalChain } from '@hessian/contracts/local-chain';
import { FIXTURES, buildFixture } from '../../runtime/fixture.ts';

export const FACTORY_ADDRESS = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const DIR = path.join(FIXTURES, 'dynamic-subgraph');

interface Compiled {
  abi: unknown[];
  bytecode: string;
}

/** Factory.sol compiled with solc-js (cached by source hash: a cold compile takes seconds). */
export function compileFactory(): Record<'Factory' | 'Pair', Compiled> {
  const source = readFileSync(path.join(DIR, 'contracts', 'Factory.sol'), 'utf8');
  const cache = path.join(tmpdir(), `hessian-factory-${createHash('sha256').update(source).digest('hex').slice(0, 16)}.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8'));
  const solc = createRequire(import.meta.url)('solc') as { compile(input: string): string };
  const out = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: 'Solidity',
        sources: { 'Factory.sol': { content: source } },
        settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
      }),
    ),
  ) as { errors?: { severity: string; formattedMessage: string }[]; contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>> };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const get = (n: string) => ({ abi: out.contracts['Factory.sol']![n]!.abi, bytecode: '0x' + out.contracts['Factory.sol']![n]!.evm.bytecode.object });
  const compiled = { Factory: get('Factory'), Pair: get('Pair') };
  writeFileSync(cache, JSON.stringify(compiled));
  return compiled;
}

export interface FactoryChain {
  chain: LocalChain;
  provider: JsonRpcProvider;
  signer: JsonRpcSigner;
  factory: Contract;
  subgraphDir: string;
  compiled: ReturnType<typeof compileFactory>;
  send<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  head(): Promise<number>;
  pair(address: string): Contract;
  /** Factory.create: the new pair's address (its PairCreated, and its first Ping when `firstPing` > 0) */
  create(tag: string, firstPing?: number): Promise<string>;
  /** a Pair deployed by an account, not by the factory: no data source watches it */
  deployPair(): Promise<string>;
  /** the transactions `fns` send (each with the nonce it is given), all in one block */
  oneBlock(fns: Array<(overrides: { nonce: number }) => Promise<unknown>>): Promise<void>;
  stop(): Promise<void>;
}

export async function startFactoryChain(): Promise<FactoryChain> {
  const subgraphDir = buildFixture('dynamic-subgraph');
  const compiled = compileFactory();
  const chain = await startLocalChain();
  const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  try {
    const signer = await provider.getSigner(0);
    const factory = (await new ContractFactory(compiled.Factory.abi as never, compiled.Factory.bytecode, signer).deploy()) as Contract;
    await factory.waitForDeployment();
    if ((await factory.getAddress()).toLowerCase() !== FACTORY_ADDRESS) throw new Error(`Factory deployed at ${await factory.getAddress()}, not at the manifest's ${FACTORY_ADDRESS}`);
    const send = <T,>(method: string, params: unknown[] = []) => provider.send(method, params) as Promise<T>;
    const pair = (address: string) => new Contract(address, compiled.Pair.abi as never, signer);
    return {
      chain,
      provider,
      signer,
      factory,
      subgraphDir,
      compiled,
      send,
      head: async () => Number(BigInt(await send<string>('eth_blockNumber'))),
      pair,
      async create(tag, firstPing = 0) {
        const tx = await factory.getFunction('create')(tag, firstPing);
        const receipt = await tx.wait();
        const log = receipt!.logs.find((l: { address: string }) => l.address.toLowerCase() === FACTORY_ADDRESS);
        return ('0x' + log!.topics[1]!.slice(26)).toLowerCase();
      },
      async deployPair() {
        const c = (await new ContractFactory(compiled.Pair.abi as never, compiled.Pair.bytecode, signer).deploy()) as Contract;
        await c.waitForDeployment();
        return (await c.getAddress()).toLowerCase();
      },
      async oneBlock(fns) {
        await send('evm_setAutomine', [false]);
        try {
          // explicit nonces: ethers would otherwise ask the node, which counts pending transactions inconsistently
          let nonce = await provider.getTransactionCount(await signer.getAddress(), 'pending');
          for (const fn of fns) await fn({ nonce: nonce++ });
          await send('evm_mine');
        } finally {
          await send('evm_setAutomine', [true]);
        }
      },
      stop: async () => {
        provider.destroy();
        await chain.stop();
      },
    };
  } catch (err) {
    provider.destroy();
    await chain.stop();
    throw err;
  }
}
