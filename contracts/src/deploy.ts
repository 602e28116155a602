// Deploys with plain ethers, so the CLI, trainer and tests can deploy to any JSON-RPC node
// without the Hardhat runtime.
import { ContractFactory, NonceManager, type Signer } from 'ethers';
import { loanDeskArtifact, modelRepositoryArtifact, testTokenArtifact, type ContractArtifact } from './artifacts.ts';
import type { DeployedContract, Deployment } from './deployment.ts';

export interface DeployOptions {
  /** also deploy TestToken (the demo's bounty token) */
  token?: boolean;
  /** name recorded in the deployment; default "localhost" on chain 31337, otherwise "chain-<id>" */
  network?: string;
}

export async function deployHessian(signer: Signer, opts: DeployOptions = {}): Promise<Deployment> {
  const provider = signer.provider;
  if (!provider) throw new Error('deployHessian: the signer must be connected to a provider');
  const chainId = Number((await provider.getNetwork()).chainId);
  // Back-to-back deployments from one account: ethers briefly caches identical requests, so a
  // second getTransactionCount can return the first one's nonce. Count nonces locally instead.
  const sender = signer instanceof NonceManager ? signer : new NonceManager(signer);
  const repository = await deployOne(modelRepositoryArtifact, sender);
  const contracts: Deployment['contracts'] = {
    ModelRepository: repository,
    LoanDesk: await deployOne(loanDeskArtifact, sender, [repository.address]),
  };
  if (opts.token) contracts.TestToken = await deployOne(testTokenArtifact, sender);
  return {
    network: opts.network ?? (chainId === 31337 ? 'localhost' : `chain-${chainId}`),
    chainId,
    contracts,
  };
}

async function deployOne(artifact: ContractArtifact, signer: Signer, args: unknown[] = []): Promise<DeployedContract> {
  const factory = new ContractFactory(artifact.abi, artifact.bytecode, signer);
  const contract = await factory.deploy(...args);
  const tx = contract.deploymentTransaction();
  if (!tx) throw new Error(`deploying ${artifact.contractName}: no deployment transaction`);
  const receipt = await tx.wait();
  if (!receipt || receipt.status !== 1) throw new Error(`deploying ${artifact.contractName}: transaction ${tx.hash} failed`);
  return { address: await contract.getAddress(), startBlock: receipt.blockNumber, transactionHash: tx.hash };
}
