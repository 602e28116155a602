// The machine and software a run was measured on, for the head of BENCHMARKS.md.
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const rootDir = path.resolve(benchDir, '..');

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  packages: Record<string, string>;
  loadAverage: number[];
}

/** Version of an installed package as seen from `fromDir`, or "not installed". */
export function packageVersion(name: string, fromDir: string): string {
  let dir = fromDir;
  for (;;) {
    const file = path.join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    const up = path.dirname(dir);
    if (up === dir) return 'not installed';
    dir = up;
  }
}

export function isInstalled(name: string, fromDir = benchDir): boolean {
  try {
    createRequire(path.join(fromDir, 'package.json')).resolve(`${name}/package.json`);
    return true;
  } catch {
    return packageVersion(name, fromDir) !== 'not installed';
  }
}

export function machineInfo(): MachineInfo {
  const from = (pkg: string) => path.join(rootDir, pkg);
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    packages: {
      hardhat: packageVersion('hardhat', from('contracts')),
      ethers: packageVersion('ethers', from('contracts')),
      'node-seal': packageVersion('node-seal', from('trainer')),
      'better-sqlite3': packageVersion('better-sqlite3', from('indexer')),
      graphql: packageVersion('graphql', from('indexer')),
      '@apollo/server': packageVersion('@apollo/server', from('indexer')),
      '@graphprotocol/graph-cli': packageVersion('@graphprotocol/graph-cli', from('subgraph')),
      ponder: packageVersion('ponder', benchDir),
      viem: packageVersion('viem', benchDir),
      'paillier-bigint': packageVersion('paillier-bigint', benchDir),
      autocannon: packageVersion('autocannon', benchDir),
    },
    loadAverage: os.loadavg(),
  };
}
