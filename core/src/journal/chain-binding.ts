// A role's state directory belongs to one chain: its journals hold model ids, gradient ids and
// data commitments of that chain. A local dev chain restarted empty (docker compose down/up) has
// the same chain id and contract addresses but a new genesis block, and an owner reading its old
// journal would skip "model 1" as done. So the directory records the genesis it was made on; one
// made on another genesis of a dev chain is moved aside (never deleted) and the role starts afresh.
// On any other chain a changed genesis means a wrong --rpc: that is refused.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { Provider } from 'ethers';
import path from 'node:path';
import type { Logger } from '../log.ts';

/** Hardhat's chain id: the only chain whose restarts are expected to start from nothing */
export const DEV_CHAIN_ID = 31337;

interface ChainRecord {
  chainId: number;
  genesis: string;
}

export async function bindStateToChain(stateDir: string, provider: Provider, log: Logger): Promise<void> {
  const [network, block] = await Promise.all([provider.getNetwork(), provider.getBlock(0)]);
  if (!block?.hash) throw new Error('the chain has no genesis block to bind the state directory to');
  const current: ChainRecord = { chainId: Number(network.chainId), genesis: block.hash };
  const file = path.join(stateDir, 'chain.json');
  if (existsSync(file)) {
    const recorded = JSON.parse(await readFile(file, 'utf8')) as ChainRecord;
    if (recorded.chainId === current.chainId && recorded.genesis === current.genesis) return;
    if (recorded.chainId !== DEV_CHAIN_ID || current.chainId !== DEV_CHAIN_ID) {
      throw new Error(`state directory ${stateDir} was made on chain ${recorded.chainId} (genesis ${recorded.genesis}), not this one (chain ${current.chainId}, genesis ${current.genesis}): check --rpc, or pass another --state-dir`);
    }
    let aside = `${stateDir}.chain-${recorded.genesis.slice(2, 10)}`;
    for (let n = 2; existsSync(aside); n++) aside = `${stateDir}.chain-${recorded.genesis.slice(2, 10)}-${n}`;
    try {
      await rename(stateDir, aside);
      log.warn('the local chain is new: the state of the old one was moved aside', { from: stateDir, to: aside });
    } catch (err) {
      // a role sharing the directory (evaluator, loan service) moved it first
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(current)}\n`);
}
