// ABIs and creation bytecode, exported by `npm run build` into ../abi/ and committed, so that
// importing this package never needs the Solidity compiler.
import type { InterfaceAbi } from 'ethers';
import modelRepository from '../abi/ModelRepository.json' with { type: 'json' };
import loanDesk from '../abi/LoanDesk.json' with { type: 'json' };
import testToken from '../abi/TestToken.json' with { type: 'json' };
import pairFactory from '../abi/PairFactory.json' with { type: 'json' };
import pair from '../abi/Pair.json' with { type: 'json' };
import listedToken from '../abi/ListedToken.json' with { type: 'json' };

export interface ContractArtifact {
  contractName: string;
  abi: InterfaceAbi;
  bytecode: string;
}

export const modelRepositoryArtifact: ContractArtifact = modelRepository;
export const loanDeskArtifact: ContractArtifact = loanDesk;
export const testTokenArtifact: ContractArtifact = testToken;
/** the factory/pair test subgraph's contracts (contracts/test/factory/) */
export const pairFactoryArtifact: ContractArtifact = pairFactory;
export const pairArtifact: ContractArtifact = pair;
export const listedTokenArtifact: ContractArtifact = listedToken;

export const modelRepositoryAbi: InterfaceAbi = modelRepository.abi;
export const modelRepositoryBytecode: string = modelRepository.bytecode;
export const loanDeskAbi: InterfaceAbi = loanDesk.abi;
export const loanDeskBytecode: string = loanDesk.bytecode;
export const testTokenAbi: InterfaceAbi = testToken.abi;
export const testTokenBytecode: string = testToken.bytecode;

