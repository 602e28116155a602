export {
  modelRepositoryAbi,
  modelRepositoryBytecode,
  modelRepositoryArtifact,
  loanDeskAbi,
  loanDeskBytecode,
  loanDeskArtifact,
  testTokenAbi,
  testTokenBytecode,
  testTokenArtifact,
  pairFactoryArtifact,
  pairArtifact,
  listedTokenArtifact,
} from './artifacts.ts';
export type { ContractArtifact } from './artifacts.ts';
export * from './vocabulary.ts';
export { sealOf } from './protocol.ts';
export { readDeployment, writeDeployment, parseDeployment, deploymentPath } from './deployment.ts';
export type { Deployment, DeployedContract } from './deployment.ts';
export { deployHessian } from './deploy.ts';
export type { DeployOptions } from './deploy.ts';
export { fetchChainId } from './rpc.ts';
