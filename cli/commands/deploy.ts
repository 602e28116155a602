// `hessian deploy`: deploy the contracts to any JSON-RPC chain (a local node, a testnet) and,
// optionally, the subgraph to a graph-node. Used by the docker-compose deploy job.
import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wallet, type Signer } from 'ethers';
import { readCommandFlags } from '../command.ts';
import { UsageError } from '@hessian/common/errors';
import { deploymentFile, DEFAULT_DATA_DIR } from '../data-dir.ts';

/** Hardhat's and the local node's chain id: the only chain the deploy job redeploys to on its own */
const HARDHAT_CHAIN_ID = 31337;

const repo = path.dirname(path.dirname(path.dirname(fileURLToPath(import.meta.url))));

/** quiet: the tool's output goes to stderr, so stdout keeps only the --json result */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, quiet = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: quiet ? ['ignore', process.stderr, 'inherit'] : 'inherit', env: { ...process.env, GRAPH_SKIP_NEW_VERSION_CHECK: 'true', ...env } });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new UsageError(`${cmd} ${args.join(' ')} exited with code ${code}`))));
  });
}

/**
 * The deployer key from HESSIAN_PRIVATE_KEY or a file, never from argv: a command line is
 * readable by every user of the machine (ps, /proc) and lands in shell history.
 */
function deployerKey(file: string | undefined): string | undefined {
  let key = process.env.HESSIAN_PRIVATE_KEY?.trim() || undefined;
  if (file) {
    try {
      key = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new UsageError(`--private-key-file ${file}: ${(err as Error).message}`);
    }
  }
  if (key === undefined) return undefined;
  // the message never repeats the key
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) throw new UsageError(`the deployer key${file ? ` in ${file}` : ' in HESSIAN_PRIVATE_KEY'} is not 32 bytes of hex`);
  return key.startsWith('0x') ? key : `0x${key}`;
}

export async function deploy(argv: string[]): Promise<void> {
  if (argv.some((a) => a === '--private-key' || a.startsWith('--private-key='))) {
    throw new UsageError('deploy: --private-key is not taken on the command line (other users and shell history can read it): set HESSIAN_PRIVATE_KEY, or pass --private-key-file FILE');
  }
  const opts = readCommandFlags(
    { command: 'deploy', summary: 'Deploy ModelRepository (and the demo TestToken) to a JSON-RPC chain and write the deployment file; with --graph-node, also build and deploy the subgraph to a graph-node.' },
    {
      rpc: { type: 'string', env: 'HESSIAN_RPC_URL', default: 'http://127.0.0.1:8545', description: 'JSON-RPC URL of the chain' },
      'private-key-file': { type: 'string', env: 'HESSIAN_PRIVATE_KEY_FILE', description: "file holding the deployer key (or set HESSIAN_PRIVATE_KEY; default: the node's first unlocked account)" },
      network: { type: 'string', env: 'GRAPH_NETWORK', default: 'localhost', description: 'network name written to the deployment and the subgraph manifest' },
      'data-dir': { type: 'string', env: 'HESSIAN_DATA_DIR', default: DEFAULT_DATA_DIR, description: 'where the deployment file is written' },
      deployment: { type: 'string', env: 'HESSIAN_DEPLOYMENT', description: 'deployment file (default <data-dir>/deployment.json); reused when it exists' },
      'no-token': { type: 'boolean', description: 'do not deploy the demo ERC-20 token' },
      'graph-node': { type: 'string', env: 'GRAPH_NODE_ADMIN', description: "graph-node admin URL (e.g. http://localhost:8020): deploy the subgraph there" },
      ipfs: { type: 'string', env: 'IPFS_API', default: 'http://127.0.0.1:5001', description: 'Kubo RPC URL graph-node reads subgraph files from' },
      name: { type: 'string', default: 'hessian', description: 'subgraph name' },
      'subgraph-out': { type: 'string', env: 'HESSIAN_SUBGRAPH', description: 'also write the built subgraph, pointed at this deployment, here (for `hessian index`)' },
      json: { type: 'boolean', description: 'print the result as one JSON line (deployment, file, whether it was reused) and nothing else on stdout' },
    },
    argv,
  );
  if (!opts) return;
  const key = deployerKey(opts['private-key-file']);
  const { deployHessian, writeDeployment, readDeployment } = await import('@hessian/contracts');
  const file = path.resolve(opts.deployment ?? deploymentFile(opts['data-dir']!));
  // with --json, stdout carries the one result line; what is said on the way goes to stderr
  const say = (s: string) => (opts.json ? process.stderr : process.stdout).write(s);
  let reused = false;
  let deployment = existsSync(file) ? await readDeployment(file) : undefined;
  // fails fast with the URL in the message; a bare JsonRpcProvider retries a dead node forever
  const { connectProvider } = await import('@hessian/trainer');
  const provider = await connectProvider(opts.rpc!);
  try {
    if (deployment && (await provider.getCode(deployment.contracts.ModelRepository.address)) === '0x') {
      // the file outlived its chain: a local dev node restarted empty (docker compose down/up)
      const chainId = Number((await provider.getNetwork()).chainId);
      if (chainId !== HARDHAT_CHAIN_ID) {
        throw new UsageError(`${file} names ModelRepository ${deployment.contracts.ModelRepository.address}, which chain ${chainId} at ${opts.rpc} does not have: point --rpc at its chain, or move the file away to deploy anew`);
      }
      say(`the local chain at ${opts.rpc} is new (no contract at ${deployment.contracts.ModelRepository.address}): deploying again\n`);
      deployment = undefined;
    }
    if (deployment) {
      say(`using the existing deployment ${file}\n`);
      reused = true;
    } else {
      const signer: Signer = key ? new Wallet(key, provider) : await provider.getSigner(0);
      deployment = await deployHessian(signer, { token: !opts['no-token'], network: opts.network! });
      await writeDeployment(file, deployment);
    }
  } finally {
    provider.destroy();
  }
  if (!opts.json) process.stdout.write(`${JSON.stringify(deployment, null, 2)}\n`);
  let subgraphOut: string | undefined;
  if (opts['subgraph-out']) {
    const { retargetBuild, deploymentTarget } = await import('@hessian/subgraph/scripts/render-manifest');
    subgraphOut = await retargetBuild(path.join(repo, 'subgraph', 'build'), deploymentTarget(deployment, opts.network!), path.resolve(opts['subgraph-out']));
    say(`subgraph for the embedded indexer: ${subgraphOut}\n`);
  }
  if (opts['graph-node']) await deploySubgraph(opts['graph-node'], opts.ipfs!, opts.name!, file, opts.network!, Boolean(opts.json));
  if (opts.json) process.stdout.write(`${JSON.stringify({ deploymentFile: file, reused, ...deployment, ...(subgraphOut ? { subgraph: subgraphOut } : {}), ...(opts['graph-node'] ? { graphNode: opts['graph-node'], name: opts.name } : {}) })}\n`);
}

async function deploySubgraph(node: string, ipfs: string, name: string, file: string, network: string, quiet: boolean): Promise<void> {
  // the subgraph package's own build (render the manifest for this deployment, codegen, build)
  const subgraph = path.join(repo, 'subgraph');
  const graph = path.join(repo, 'node_modules', '.bin', 'graph');
  await run('npm', ['run', 'build', '-w', '@hessian/subgraph'], repo, { HESSIAN_DEPLOYMENT: file, GRAPH_NETWORK: network }, quiet);
  // a name created by an earlier run (graph-node kept its store) is no reason to stop: deploy adds a version
  await run(graph, ['create', '--node', node, name], subgraph, {}, quiet).catch((err: Error) => process.stderr.write(`deploy: ${err.message} (the subgraph name may exist already); deploying a new version\n`));
  await run(graph, ['deploy', '--node', node, '--ipfs', ipfs, '--version-label', 'v0.1.0', name], subgraph, {}, quiet);
}
