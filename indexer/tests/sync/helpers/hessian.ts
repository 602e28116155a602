// The real thing for orchestration tests: a Hardhat node, the subgraph engineer's scripted
// ModelRepository + LoanDesk history on it, and the compiled subgraph (both data sources)
// pointed at that deployment.
import path from 'node:path';
import { Contract, JsonRpcProvider, parseEther, type JsonRpcSigner } from 'ethers';
import { modelRepositoryAbi, ETH, MIN_SUBMISSION_STAKE, RewardRule } from '@hessian/contracts';
import { startHistoryChain, type HistoryChain } from '@hessian/test-kit/history-chain';
import { assertFreshBuild, retargetHere } from '@hessian/subgraph/tests/helpers';
import { openDatabase } from '../../../src/db.ts';
import { EntityStore, type DumpRow } from '../../../src/store/entity-store.ts';
import { EventStore } from '../../../src/store/event-store.ts';
import { loadSchema } from '../../../src/schema.ts';

export interface HessianChain extends HistoryChain {
  provider: JsonRpcProvider;
  send<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  head(): Promise<number>;
  /** a new ETH model (one block, one ModelCreated) with a distinct CID per `tag` */
  createModel(tag: string, lender?: number): Promise<void>;
}

export async function startHessianChain(): Promise<HessianChain> {
  assertFreshBuild();
  // both data sources: the indexer follows two contracts with their own start blocks
  const history = await startHistoryChain({ retarget: retargetHere, tmpPrefix: 'hessian-indexer-' });
  const provider = new JsonRpcProvider(history.chain.url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  const repo = history.record.deployment.contracts.ModelRepository;
  const send = <T,>(method: string, params: unknown[] = []) => provider.send(method, params) as Promise<T>;
  const signers = new Map<number, JsonRpcSigner>();
  const signer = async (i: number) => {
    if (!signers.has(i)) signers.set(i, await provider.getSigner(i));
    return signers.get(i)!;
  };
  return {
    ...history,
    provider,
    send,
    head: async () => Number(BigInt(await send<string>('eth_blockNumber'))),
    async createModel(tag, lender = 1) {
      const latest = await send<{ timestamp: string }>('eth_getBlockByNumber', ['latest', false]);
      const contract = new Contract(repo.address, modelRepositoryAbi, await signer(lender));
      const bounty = parseEther('1');
      const tx = await contract.getFunction('createModel')(
        {
          token: ETH,
          bounty,
          weightsCid: `bafkreiweights${tag}`,
          metadataCid: `bafkreimeta${tag}`,
          initialScore: 500_000n,
          targetScore: 900_000n,
          rule: RewardRule.Improvement,
          submissionDeadline: BigInt(Number(BigInt(latest.timestamp)) + 30 * 86_400),
          evaluationWindow: 86_400,
          evaluator: ETH,
          submissionStake: MIN_SUBMISSION_STAKE,
        },
        { value: bounty },
      );
      const receipt = await tx.wait();
      if (!receipt || receipt.status !== 1) throw new Error(`createModel ${tag} failed`);
    },
    async stop() {
      provider.destroy();
      await history.stop();
    },
  };
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface FullDump {
  entities: DumpRow[];
  chain: ReturnType<EventStore['dump']>;
  cursor: unknown;
  failed: unknown;
}

/** Everything an indexer wrote to its database, in canonical order. */
export function dumpOf(store: EntityStore, events: EventStore): FullDump {
  return { entities: store.dump(), chain: events.dump(), cursor: store.getCursor(), failed: store.getFailed() };
}

/** The same, read from a database file no process has open. */
export function dumpFile(file: string, subgraphDir: string): FullDump {
  const db = openDatabase(file);
  try {
    const schema = loadSchema(path.join(subgraphDir, 'schema.graphql'));
    return dumpOf(new EntityStore(db, schema), new EventStore(db));
  } finally {
    db.close();
  }
}
