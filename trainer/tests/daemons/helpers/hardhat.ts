// A real Hardhat node for the daemon tests (a child process on a free loopback port, from
// @hessian/contracts) with the contracts deployed, and its funded dev accounts.
import { HDNodeWallet, Mnemonic, Wallet } from 'ethers';
import { deployHessian } from '@hessian/contracts';
import type { Deployment } from '@hessian/contracts';
import { startLocalChain, HARDHAT_MNEMONIC } from '@hessian/contracts/local-chain';
import { connectProvider } from '@hessian/core/model-repository';
import type { ChainConfig } from '@hessian/core/model-repository';

export interface TestChain {
  url: string;
  deployment: Deployment;
  chain: ChainConfig;
  /** funded dev accounts (Hardhat's public test mnemonic) */
  keys: string[];
  wallet(i: number): Wallet;
  stop(): Promise<void>;
}

export async function startTestChain(): Promise<TestChain> {
  const node = await startLocalChain();
  try {
    const mnemonic = Mnemonic.fromPhrase(HARDHAT_MNEMONIC);
    const keys = Array.from({ length: 12 }, (_, i) => HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`).privateKey);
    const provider = await connectProvider(node.url, 100);
    const deployment = await deployHessian(new Wallet(keys[0]!, provider));
    provider.destroy();
    const repo = deployment.contracts.ModelRepository;
    return {
      url: node.url,
      deployment,
      chain: { rpcUrl: node.url, address: repo.address, startBlock: repo.startBlock, pollMs: 100 },
      keys,
      wallet: (i) => new Wallet(keys[i]!),
      stop: () => node.stop(),
    };
  } catch (err) {
    await node.stop();
    throw err;
  }
}
