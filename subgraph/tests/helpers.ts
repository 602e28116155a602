// What the mapping tests need around the indexer's runtime: the chain's raw logs and blocks over
// JSON-RPC (in the shape sync hands the runtime), a small in-memory entity store, and entity
// values in a form `assert.deepStrictEqual` can compare with expected.ts.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { hexlify } from 'ethers';
import type { Deployment } from '@hessian/contracts';
import { loadSubgraph, JsonRpcClient, type LoadedSubgraph, type EntityChange, type EntityData, type EntityReader, type RpcBlock, type RpcLog, type Value } from '@hessian/indexer';
import type { Expected } from '@hessian/test-kit/expected';
import { startHistoryChain, type HistoryChain } from '@hessian/test-kit/history-chain';
import { deploymentTarget, retargetBuild } from '../scripts/render-manifest.ts';

export const subgraphDir = path.dirname(import.meta.dirname);
export const buildDir = path.join(subgraphDir, 'build');
/** the entity schema the subgraph owns */
export const schemaFile = path.join(subgraphDir, 'schema.graphql');

/** Fails with a clear message when `graph build` has not run or is older than its sources. */
export function assertFreshBuild(): void {
  let built = Infinity;
  for (const name of ['ModelRepository', 'LoanDesk']) {
    const wasm = path.join(buildDir, name, `${name}.wasm`);
    if (!existsSync(wasm)) throw new Error(`${wasm} not found: run \`npm run build -w @hessian/subgraph\` first`);
    built = Math.min(built, statSync(wasm).mtimeMs);
  }
  const sources = [
    schemaFile,
    path.join(subgraphDir, 'subgraph.template.yaml'),
    ...readdirSync(path.join(subgraphDir, 'src')).map((f) => path.join(subgraphDir, 'src', f)),
  ];
  const stale = sources.filter((f) => statSync(f).mtimeMs > built);
  if (stale.length) throw new Error(`subgraph build is older than ${stale.map((f) => path.relative(subgraphDir, f)).join(', ')}: run \`npm run build -w @hessian/subgraph\``);
}

export interface ChainBlock {
  block: RpcBlock;
  logs: RpcLog[];
}

/** Every block holding a log of one of `addresses`, with its full transactions, in block order. */
async function fetchChain(url: string, addresses: string[], fromBlock: number, toBlock: number): Promise<ChainBlock[]> {
  const rpc = new JsonRpcClient({ url, retries: 0 });
  const hex = (n: number) => `0x${n.toString(16)}`;
  const logs = await rpc.call<RpcLog[]>('eth_getLogs', [{ address: addresses, fromBlock: hex(fromBlock), toBlock: hex(toBlock) }]);
  const byBlock = new Map<string, RpcLog[]>();
  for (const log of logs) {
    const list = byBlock.get(log.blockNumber) ?? [];
    list.push(log);
    byBlock.set(log.blockNumber, list);
  }
  const numbers = [...byBlock.keys()];
  const fetched = await rpc.batchResults<RpcBlock>(numbers.map((n) => ({ method: 'eth_getBlockByNumber', params: [n, true] })));
  const out = fetched.map((block, i) => {
    const blockLogs = byBlock.get(numbers[i]!)!;
    blockLogs.sort((a, b) => Number(BigInt(a.logIndex) - BigInt(b.logIndex)));
    return { block, logs: blockLogs };
  });
  return out.sort((a, b) => Number(BigInt(a.block.number) - BigInt(b.block.number)));
}

/** The latest state of every entity, as the embedded store would serve it. */
export class MemoryStore implements EntityReader {
  readonly entities = new Map<string, Map<string, EntityData>>();

  get(entityType: string, id: string): EntityData | null {
    return this.entities.get(entityType)?.get(id) ?? null;
  }

  apply(changes: EntityChange[]): void {
    for (const change of changes) {
      let table = this.entities.get(change.entityType);
      if (!table) this.entities.set(change.entityType, (table = new Map()));
      if (change.data === null) table.delete(change.id);
      else table.set(change.id, change.data);
    }
  }

  ids(entityType: string): string[] {
    return [...(this.entities.get(entityType)?.keys() ?? [])].sort();
  }
}

export function plainValue(value: Value): Expected | Expected[] {
  switch (value.kind) {
    case 'Null':
      return null;
    case 'Bytes':
      return hexlify(value.value);
    case 'List':
      return value.value.map((v) => plainValue(v) as Expected);
    case 'Int8':
    case 'Timestamp':
      return value.value;
    default:
      return value.value;
  }
}

/** `fields` (every stored field of the type) → plain values, absent fields as null. */
export function plainEntity(data: EntityData, fields: string[]): Record<string, Expected | Expected[]> {
  const out: Record<string, Expected | Expected[]> = {};
  for (const f of fields) out[f] = data[f] === undefined ? null : plainValue(data[f]);
  return out;
}

/** Copies this package's build to `outDir` pointed at `deployment` (both data sources): what test-kit's startHistoryChain asks for. */
export function retargetHere(deployment: Deployment, outDir: string): Promise<string> {
  return retargetBuild(buildDir, deploymentTarget(deployment), outDir);
}

export interface IndexedHistory extends HistoryChain {
  blocks: ChainBlock[];
  subgraph: LoadedSubgraph;
}

/**
 * Starts a Hardhat node, plays the scripted history, and feeds its blocks one by one through the
 * runtime running the compiled mappings (both data sources retargeted at the fresh deployment); `onBlock` receives
 * each block's changes (apply them to a store). Call `stop()` when done.
 */
export async function indexHistory(reader: EntityReader, onBlock: (chainBlock: ChainBlock, changes: EntityChange[]) => void): Promise<IndexedHistory> {
  assertFreshBuild();
  const history = await startHistoryChain({ retarget: retargetHere, tmpPrefix: 'hessian-subgraph-' });
  try {
    const { chain, record } = history;
    const subgraph = loadSubgraph(history.subgraphDir);
    const target = deploymentTarget(record.deployment);
    const from = Math.min(target.startBlock, target.loanDesk!.startBlock);
    const blocks = await fetchChain(chain.url, [record.repository, record.loanDesk], from, record.lastBlock);
    for (const chainBlock of blocks) onBlock(chainBlock, await subgraph.runtime.processBlock(chainBlock.block, chainBlock.logs, reader));
    return { ...history, blocks, subgraph };
  } catch (err) {
    await history.stop();
    throw err;
  }
}
