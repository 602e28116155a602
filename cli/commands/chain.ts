// `hessian chain`: a local Hardhat node with Hessian deployed, for development and the demo.
import { HDNodeWallet, JsonRpcProvider, Mnemonic } from 'ethers';
import { parseOptions, intOption } from '../args.ts';
import { deploymentFile, DEFAULT_DATA_DIR } from '../data-dir.ts';

export async function chain(argv: string[]): Promise<void> {
  const opts = parseOptions(
    'chain',
    'Start a local Hardhat node, deploy ModelRepository, LoanDesk and the demo TestToken, write the deployment file and keep serving until Ctrl-C.',
    {
      host: { type: 'string', env: 'HESSIAN_CHAIN_HOST', default: '127.0.0.1', description: 'address to bind' },
      port: { type: 'string', env: 'HESSIAN_CHAIN_PORT', default: '8545', description: 'JSON-RPC port (0 = a free one)' },
      'data-dir': { type: 'string', env: 'HESSIAN_DATA_DIR', default: DEFAULT_DATA_DIR, description: 'where the deployment file is written' },
      'no-token': { type: 'boolean', description: 'do not deploy the demo ERC-20 token' },
      'no-deploy': { type: 'boolean', description: 'only run the node (deploy later with `hessian deploy`)' },
    },
    argv,
  );
  if (!opts) return;
  const { startLocalChain, HARDHAT_MNEMONIC } = await import('@hessian/contracts/local-chain');
  const { deployHessian, writeDeployment } = await import('@hessian/contracts');
  const file = deploymentFile(opts['data-dir']!);
  const node = await startLocalChain({ host: opts.host!, port: intOption('port', opts.port) ?? 0 });
  const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  if (!opts['no-deploy']) {
    const deployer = await provider.getSigner(0);
    const deployment = await deployHessian(deployer, { token: !opts['no-token'], network: 'localhost' });
    await writeDeployment(file, deployment);
    process.stdout.write(`${JSON.stringify({ rpc: node.url, deploymentFile: file, ...deployment }, null, 2)}\n`);
    process.stdout.write(devAccounts(HARDHAT_MNEMONIC));
  }
  process.stdout.write(`Hardhat node at ${node.url}; Ctrl-C to stop.\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    node.process.once('exit', stop);
  });
  provider.destroy();
  await node.stop();
}

/** the funded accounts the README's role commands use, so a user running them by hand has keys */
function devAccounts(phrase: string): string {
  const mnemonic = Mnemonic.fromPhrase(phrase);
  const roles = ['deployer', 'lender', 'owner 1', 'owner 2', 'owner 3'];
  const rows = roles.map((role, i) => {
    const w = HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`);
    return `  #${i} ${role.padEnd(8)} ${w.address}  HESSIAN_PRIVATE_KEY=${w.privateKey}`;
  });
  return ['Funded dev accounts (public keys of this local chain only, never use them elsewhere):', ...rows, ''].join('\n');
}
