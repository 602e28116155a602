// The set-up the subgraph, indexer and dashboard tests share: a throwaway Hardhat node, the
// scripted history played on it, and a private copy of the built subgraph pointed at that
// deployment. The subgraph's tests use this kit, so the kit knows no subgraph: the caller hands
// in how to retarget its build.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalChain, type LocalChain } from '@hessian/contracts/local-chain';
import type { Deployment } from '@hessian/contracts';
import { runHistory, type HistoryRecord } from './history.ts';

export interface HistoryChainOptions {
  /** copies the built subgraph to `outDir` pointed at `deployment`; returns the copy's directory */
  retarget: (deployment: Deployment, outDir: string) => Promise<string>;
  /** prefix of the temporary work directory (e.g. 'hessian-indexer-') */
  tmpPrefix?: string;
}

export interface HistoryChain {
  chain: LocalChain;
  record: HistoryRecord;
  /** the private, retargeted copy of the subgraph build */
  subgraphDir: string;
  /** a temporary directory removed by stop(); the subgraph copy lives in it */
  workDir: string;
  /** stops the node and removes workDir */
  stop(): Promise<void>;
}

/** Starts a node, plays the history (both contracts) and retargets the subgraph build at it; on a failure nothing is left running. */
export async function startHistoryChain(opts: HistoryChainOptions): Promise<HistoryChain> {
  const chain = await startLocalChain();
  let workDir: string | undefined;
  const stop = async () => {
    await chain.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  };
  try {
    const record = await runHistory(chain.url);
    if (!record.deployment.contracts.LoanDesk) throw new Error('the history deployment has no LoanDesk');
    workDir = await mkdtemp(path.join(tmpdir(), opts.tmpPrefix ?? 'hessian-history-'));
    const subgraphDir = await opts.retarget(record.deployment, path.join(workDir, 'subgraph'));
    return { chain, record, subgraphDir, workDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
