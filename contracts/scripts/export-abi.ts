// Copies {contractName, abi, bytecode} of the contracts other packages use from Hardhat's
// artifacts into abi/, which is committed so importers never need the compiler.
// Run after `hardhat build` (npm run build does both).
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
/** contract name -> its source, which names the directory Hardhat writes the artifact in */
const sources = {
  ModelRepository: 'contracts/ModelRepository.sol',
  LoanDesk: 'contracts/LoanDesk.sol',
  TestToken: 'contracts/test/TestToken.sol',
  // the factory/pair test subgraph's contracts (indexer/tests/fixtures/factory-subgraph)
  PairFactory: 'contracts/test/factory/PairFactory.sol',
  Pair: 'contracts/test/factory/Pair.sol',
  ListedToken: 'contracts/test/factory/ListedToken.sol',
};

await mkdir(path.join(root, 'abi'), { recursive: true });
for (const [name, source] of Object.entries(sources)) {
  const { contractName, abi, bytecode } = JSON.parse(await readFile(path.join(root, 'artifacts', source, `${name}.json`), 'utf8'));
  await writeFile(path.join(root, 'abi', `${name}.json`), `${JSON.stringify({ contractName, abi, bytecode }, null, 2)}\n`);
  console.log(`abi/${name}.json`);
}
