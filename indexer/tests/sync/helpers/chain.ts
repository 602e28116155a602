// A throwaway Hardhat node with the project's TestToken deployed: its Transfer events are the
// simplest real logs to sync (one mint = one log; a batch of transfers = many logs per block).
import { Contract, ContractFactory, JsonRpcProvider, id, type JsonRpcSigner } from 'ethers';
import { startLocalChain, type LocalChain } from '@hessian/contracts/local-chain';
import { testTokenArtifact } from '@hessian/contracts';

export const TRANSFER = id('Transfer(address,address,uint256)');
export const APPROVAL = id('Approval(address,address,uint256)');

export interface TokenChain {
  chain: LocalChain;
  provider: JsonRpcProvider;
  signer: JsonRpcSigner;
  token: Contract;
  address: string;
  deployBlock: number;
  send<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  head(): Promise<number>;
  mine(blocks?: number): Promise<void>;
  /** one transaction (one block, automine) minting `amount` to a fresh-ish address */
  mint(to: number, amount: bigint): Promise<void>;
  stop(): Promise<void>;
}

export function account(k: number): string {
  return '0x' + (0x1000 + k).toString(16).padStart(40, '0');
}

export async function startTokenChain(): Promise<TokenChain> {
  const chain = await startLocalChain();
  const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const signer = await provider.getSigner(0);
    const factory = new ContractFactory(testTokenArtifact.abi, testTokenArtifact.bytecode, signer);
    const token = (await factory.deploy()) as Contract;
    const receipt = await token.deploymentTransaction()!.wait();
    const send = <T,>(method: string, params: unknown[] = []) => provider.send(method, params) as Promise<T>;
    return {
      chain,
      provider,
      signer,
      token,
      address: (await token.getAddress()).toLowerCase(),
      deployBlock: receipt!.blockNumber,
      send,
      head: async () => Number(BigInt(await send<string>('eth_blockNumber'))),
      mine: async (blocks = 1) => {
        await send('hardhat_mine', ['0x' + blocks.toString(16)]);
      },
      mint: async (to, amount) => {
        const tx = await token.getFunction('mint')(account(to), amount);
        await tx.wait();
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

/** All Transfer logs of the token straight from the node: the reference a synced store must match. */
export async function referenceLogs(c: TokenChain, topics: string[] = [TRANSFER]): Promise<Array<Record<string, unknown>>> {
  return c.send('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: c.address, topics: [topics] }]);
}
