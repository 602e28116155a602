// node contracts/scripts/deploy.ts --rpc http://127.0.0.1:8545 [--token] [--out file] [--network name]
// Deploys ModelRepository, then LoanDesk reading it (and TestToken with --token) over JSON-RPC and
// prints the deployment.
// The deployer is the node's first unlocked account (Hardhat node), or the key in
// HESSIAN_DEPLOYER_KEY when set (never printed).
import { parseArgs } from 'node:util';
import { JsonRpcProvider, Network, Wallet, type Signer } from 'ethers';
import { deployHessian } from '../src/deploy.ts';
import { deploymentPath, writeDeployment } from '../src/deployment.ts';
import { fetchChainId } from '../src/rpc.ts';

const usage = 'usage: node contracts/scripts/deploy.ts --rpc <url> [--token] [--out <file> | --no-write] [--network <name>]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rpc: { type: 'string', default: process.env.HESSIAN_RPC_URL ?? 'http://127.0.0.1:8545' },
      token: { type: 'boolean', default: false },
      out: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      network: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  let url: URL;
  try {
    url = new URL(values.rpc);
  } catch {
    throw new Error(`--rpc is not a URL: ${values.rpc}`);
  }
  const chainId = await fetchChainId(url.href);
  // a known network: ethers then never polls a dead node with "failed to detect network" retries
  const provider = new JsonRpcProvider(url.href, Network.from(chainId), { staticNetwork: true });
  try {
    const signer: Signer = process.env.HESSIAN_DEPLOYER_KEY
      ? deployerWallet(process.env.HESSIAN_DEPLOYER_KEY, provider)
      : await provider.getSigner(0);
    const deployment = await deployHessian(signer, { token: values.token, network: values.network });
    if (!values['no-write']) {
      const file = values.out ?? deploymentPath(deployment.network);
      await writeDeployment(file, deployment);
      console.error(`wrote ${file}`);
    }
    console.log(JSON.stringify(deployment, null, 2));
  } finally {
    provider.destroy();
  }
}

/** ethers echoes a malformed key in its error: replace the message so the secret never reaches a log. */
function deployerWallet(key: string, provider: JsonRpcProvider): Wallet {
  try {
    return new Wallet(key, provider);
  } catch {
    throw new Error('HESSIAN_DEPLOYER_KEY is not a valid private key (expected 32 bytes of hex)');
  }
}

main().catch((err: unknown) => {
  console.error(`deploy: ${err instanceof Error ? err.message : String(err)}`);
  console.error(usage);
  process.exitCode = 1;
});
