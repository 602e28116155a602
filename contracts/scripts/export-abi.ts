// Copies {contractName, abi, bytecode} of the contracts other packages use from Hardhat's
// artifacts into abi/, which is committed so importers never need the compiler.
// Run after `hardhat build` (npm run build does both).
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const contracts = ['ModelRepository', 'LoanDesk', 'TestToken'] as const;
const sources: Record<(typeof contracts)[number], string> = {
  ModelRepository: 'contracts/ModelRepository.sol',
  LoanDesk: 'contracts/LoanDesk.sol',
  TestToken: 'contracts/test/TestToken.sol',
};

export function exportedArtifact(artifact: { contractName: string; abi: unknown; bytecode: string }): string {
  return `${JSON.stringify({ contractName: artifact.contractName, abi: artifact.abi, bytecode: artifact.bytecode }, null, 2)}\n`;
}

export function artifactPath(name: (typeof contracts)[number]): string {
  return path.join(root, 'artifacts', sources[name], `${name}.json`);
}

export function abiPath(name: string): string {
  return path.join(root, 'abi', `${name}.json`);
}

if (import.meta.main) {
  await mkdir(path.join(root, 'abi'), { recursive: true });
  for (const name of contracts) {
    const artifact = JSON.parse(await readFile(artifactPath(name), 'utf8'));
    await writeFile(abiPath(name), exportedArtifact(artifact));
    console.log(`abi/${name}.json`);
  }
}
