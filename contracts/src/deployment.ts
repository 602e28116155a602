// The deployment file other packages read: where the contracts live and where indexing starts.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isAddress, isHexString } from 'ethers';

export interface DeployedContract {
  address: string;
  /** block of the deployment transaction: indexers start here */
  startBlock: number;
  transactionHash: string;
}

export interface Deployment {
  /** e.g. "localhost"; names the file contracts/deployments/<network>.json */
  network: string;
  chainId: number;
  contracts: {
    ModelRepository: DeployedContract;
    /** always deployed by deployHessian; optional so deployment files written before it still load */
    LoanDesk?: DeployedContract;
    TestToken?: DeployedContract;
  };
}

/** contracts/deployments/<network>.json */
export function deploymentPath(network: string): string {
  return path.join(import.meta.dirname, '..', 'deployments', `${network}.json`);
}

export async function readDeployment(file: string): Promise<Deployment> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read deployment file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`deployment file ${file} is not JSON: ${(err as Error).message}`);
  }
  return parseDeployment(json, file);
}

export async function writeDeployment(file: string, deployment: Deployment): Promise<void> {
  const checked = parseDeployment(deployment, file);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(checked, null, 2)}\n`);
}

/** Validates the shape and returns a plain copy; errors name the file and the bad field. */
export function parseDeployment(value: unknown, source = 'deployment'): Deployment {
  const fail = (what: string): never => {
    throw new Error(`${source}: ${what}`);
  };
  if (!isObject(value)) return fail('expected an object');
  const { network, chainId, contracts } = value;
  if (typeof network !== 'string' || network === '') fail('"network" must be a non-empty string');
  if (!Number.isSafeInteger(chainId) || (chainId as number) <= 0) fail(`"chainId" must be a positive integer, got ${JSON.stringify(chainId)}`);
  if (!isObject(contracts)) return fail('"contracts" must be an object');
  const contract = (name: string): DeployedContract => {
    const c = contracts[name];
    if (!isObject(c)) return fail(`"contracts.${name}" must be an object`);
    if (typeof c.address !== 'string' || !isAddress(c.address)) fail(`"contracts.${name}.address" is not an address: ${JSON.stringify(c.address)}`);
    if (!Number.isSafeInteger(c.startBlock) || (c.startBlock as number) < 0) fail(`"contracts.${name}.startBlock" must be a block number, got ${JSON.stringify(c.startBlock)}`);
    if (typeof c.transactionHash !== 'string' || !isHexString(c.transactionHash, 32)) fail(`"contracts.${name}.transactionHash" is not a 32-byte hex string: ${JSON.stringify(c.transactionHash)}`);
    return { address: c.address as string, startBlock: c.startBlock as number, transactionHash: c.transactionHash as string };
  };
  const out: Deployment = {
    network: network as string,
    chainId: chainId as number,
    contracts: { ModelRepository: contract('ModelRepository') },
  };
  if (contracts.LoanDesk !== undefined) out.contracts.LoanDesk = contract('LoanDesk');
  if (contracts.TestToken !== undefined) out.contracts.TestToken = contract('TestToken');
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
