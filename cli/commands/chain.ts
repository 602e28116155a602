// `hessian chain`: a local Hardhat node with Hessian deployed, for development and the demo.
import { HDNodeWallet, JsonRpcProvider, Mnemonic } from 'ethers';
import { readCommandFlags } from '../command.ts';
import { numberFlag } from '@hessian/common/args';
import { deploymentFile, DEFAULT_DATA_DIR } from '../data-dir.ts';

export async function chain(argv: string[]): Promise<void> {
  const opts = readCommandFlags(
    { command: 'chain', summary: 'Start a local Hardhat node, deploy ModelRepository, LoanDesk and the demo TestToken, write the deployment file and keep serving until Ctrl-C.' },
    {
      host: { type: 'string', env: 'HESSIAN_CHAIN_HOST', default: '127.0.0.1', description: 'address to bind' },
      port: { type: 'string', env: 'HESSIAN_CHAIN_PORT', default: '8545', description: 'JSON-RPC port (0 = a free one)' },
      'data-dir': { type: 'string', env: 'HESSIAN_DATA_DIR', default: DEFAULT_DATA_DIR, description: 'where the deployment file is written' },
      'no-token': { type: 'boolean', description: 'do not deploy the demo ERC-20 token' },
      'no-deploy': { type: 'boolean', description: 'only run the node (deploy later with `hessian deploy`)' },
      json: { type: 'boolean', description: 'print one JSON line (rpc, deployment, dev accounts) instead of text' },
    },
    argv,
  );
  if (!opts) return;
  const { startLocalChain, HARDHAT_MNEMONIC } = await import('@hessian/contracts/local-chain');
  const { deployHessian, writeDeployment } = await import('@hessian/contracts');
  const file = deploymentFile(opts['data-dir']!);
  const node = await startLocalChain({ host: opts.host!, port: numberFlag('port', opts.port, { int: true, min: 0 }) ?? 0 });
  const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  if (!opts['no-deploy']) {
    const deployer = await provider.getSigner(0);
    const deployment = await deployHessian(deployer, { token: !opts['no-token'], network: 'localhost' });
    await writeDeployment(file, deployment);
    if (opts.json) process.stdout.write(`${JSON.stringify({ rpc: node.url, deploymentFile: file, ...deployment, devAccounts: devAccountList(HARDHAT_MNEMONIC) })}\n`);
    else process.stdout.write(`${JSON.stringify({ rpc: node.url, deploymentFile: file, ...deployment }, null, 2)}\n${devAccounts(HARDHAT_MNEMONIC)}`);
  } else if (opts.json) {
    process.stdout.write(`${JSON.stringify({ rpc: node.url })}\n`);
  }
  if (!opts.json) process.stdout.write(`Hardhat node at ${node.url}; Ctrl-C to stop.\n`);
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
function devAccountList(phrase: string): { role: string; address: string; privateKey: string }[] {
  const mnemonic = Mnemonic.fromPhrase(phrase);
  return ['deployer', 'lender', 'owner 1', 'owner 2', 'owner 3'].map((role, i) => {
    const w = HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`);
    return { role, address: w.address, privateKey: w.privateKey };
  });
}

function devAccounts(phrase: string): string {
  const rows = devAccountList(phrase).map((a, i) => `  #${i} ${a.role.padEnd(8)} ${a.address}  HESSIAN_PRIVATE_KEY=${a.privateKey}`);
  return ['Funded dev accounts (public keys of this local chain only, never use them elsewhere):', ...rows, ''].join('\n');
}
