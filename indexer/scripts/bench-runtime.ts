// Handler throughput of the WASM runtime: replays a synthetic event stream through the real
// compiled Hessian subgraph (subgraph/build; `npm run build -w @hessian/subgraph` first) into a
// real SQLite EntityStore, and reports events/s for the handlers alone and with the store.
//
//   node indexer/scripts/bench-runtime.ts [--models 50] [--rounds 400] [--per-block 20] [--subgraph DIR] [--store sqlite|memory] [--defer-indexes]
//
// `--store memory` keeps the latest entities in a Map instead, to see the runtime's own cost.
// `--defer-indexes` does as the indexer's backfill from scratch: the query-only indexes are left
// out and built at the end (timed with the rest: `indexMs`).
//
// The stream: ModelCreated for each model, then per round and model one gradient's
// GradientCommitted, GradientRevealed and GradientEvaluated (verdicts in turn Rejected, Accepted,
// Declined, Accepted), `--per-block` events per block.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { keccak256, toBeHex, toUtf8Bytes, type Interface } from 'ethers';
import { openDatabase } from '../src/db.ts';
import { loadSubgraph } from '../src/manifest.ts';
import { boundary } from '../src/runtime/counters.ts';
import { EntityStore } from '../src/store/entity-store.ts';
import { blockPtrOf, type BlockPtr, type EntityChange, type EntityData, type RpcBlock, type RpcLog, type RpcTransaction } from '../src/types.ts';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '400' },
    'per-block': { type: 'string', default: '20' },
    store: { type: 'string', default: 'sqlite' },
    'defer-indexes': { type: 'boolean', default: false },
    subgraph: { type: 'string', default: resolve(dirname(fileURLToPath(import.meta.url)), '../../subgraph/build') },
  },
});
const models = Number(args.models);
const rounds = Number(args.rounds);
const perBlock = Number(args['per-block']);

const sub = loadSubgraph(args.subgraph, { logger: () => {} });
const ds = sub.manifest.dataSources[0]!;
const address = ds.address ?? '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const abi: Interface = ds.abis.find((a) => a.name === ds.abi)!.abi;

const h = (...parts: (string | number)[]) => keccak256(toUtf8Bytes(parts.join(':')));
const addr = (i: number) => `0x${(i + 1).toString(16).padStart(40, '0')}`;
const cid = (i: number) => `bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52z${i}`;

/** The i-th event of the stream (generated on demand: the input must not weigh in the RSS figure). */
function eventAt(i: number): [string, unknown[]] {
  if (i < models) {
    const m = i + 1;
    return ['ModelCreated', [m, addr(m), addr(m), '0x0000000000000000000000000000000000000000', 10n ** 18n, 0, 500_000, 900_000, 2_000_000_000, 3600, 10n ** 15n, cid(m), cid(m + 1000)]];
  }
  const k = i - models;
  const gradient = Math.floor(k / 3) + 1;
  const r = Math.floor((gradient - 1) / models);
  const m = ((gradient - 1) % models) + 1;
  const contributor = addr(10_000 + (gradient % 97));
  if (k % 3 === 0) return ['GradientCommitted', [gradient, m, contributor, h('seal', gradient), r, 10n ** 15n, 2_000_000_000]];
  if (k % 3 === 1) return ['GradientRevealed', [gradient, m, contributor, h('data', gradient), h('salt', gradient), (gradient % 4) * 500_000, 2_000_000_000, cid(gradient)]];
  const accepted = gradient % 2 === 0;
  // Verdict: 0 Accepted, 1 Rejected, 2 Declined
  const verdict = accepted ? 0 : gradient % 4 === 1 ? 1 : 2;
  return ['GradientEvaluated', [gradient, m, contributor, verdict, 500_000 + r, 500_000 + r + (accepted ? 1 : 0), 500_000 + r + (accepted ? 1 : 0), r + 1, accepted ? 10n ** 14n : 0n, accepted ? cid(gradient + 1) : '']];
}
const eventCount = models + 3 * models * rounds;
const blockCount = Math.ceil(eventCount / perBlock);

let parentHash = h('genesis');
/** blocks `from`..`to` (1-based, inclusive) with their logs */
function makeBlocks(from: number, to: number): { block: RpcBlock; logs: RpcLog[] }[] {
  const out: { block: RpcBlock; logs: RpcLog[] }[] = [];
  for (let number = from; number <= to; number++) {
    const hash = h('block', number);
    const transactions: RpcTransaction[] = [];
    const logs: RpcLog[] = [];
    const first = (number - 1) * perBlock;
    const inBlock = Array.from({ length: Math.min(perBlock, eventCount - first) }, (_, j) => eventAt(first + j));
    inBlock.forEach(([name, values], j) => {
      const txHash = h('tx', number, j);
      transactions.push({ hash: txHash, from: addr(j), to: address, value: '0x0', gas: '0x5208', gasPrice: '0x1', input: '0x', nonce: toBeHex(number), transactionIndex: toBeHex(j), blockNumber: toBeHex(number), blockHash: hash });
      const { data, topics } = abi.encodeEventLog(name, values);
      logs.push({ address, topics, data, blockNumber: toBeHex(number), blockHash: hash, transactionHash: txHash, transactionIndex: toBeHex(j), logIndex: toBeHex(j), removed: false });
    });
    const block: RpcBlock = {
      number: toBeHex(number), hash, parentHash, timestamp: toBeHex(1_700_000_000 + number * 12),
      miner: addr(0), stateRoot: h('s', number), transactionsRoot: h('t', number), receiptsRoot: h('r', number), sha3Uncles: h('u'),
      gasUsed: '0x0', gasLimit: '0x1c9c380', difficulty: '0x0', totalDifficulty: '0x0', size: '0x100', baseFeePerGas: '0x7', transactions,
    };
    parentHash = hash;
    out.push({ block, logs });
  }
  return out;
}

/** the latest entities in a Map, for measuring the runtime without SQLite */
class MemoryStore {
  private readonly rows = new Map<string, EntityData>();
  get(entityType: string, id: string): EntityData | null {
    return this.rows.get(`${entityType}|${id}`) ?? null;
  }
  applyBlock(_ptr: BlockPtr, changes: EntityChange[]): void {
    for (const c of changes) {
      if (c.data) this.rows.set(`${c.entityType}|${c.id}`, c.data);
      else this.rows.delete(`${c.entityType}|${c.id}`);
    }
  }
  transaction(fn: () => void): void {
    fn();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'hessian-bench-'));
const store = args.store === 'memory' ? new MemoryStore() : new EntityStore(openDatabase(join(dir, 'bench.db')), sub.schema);
if (args['defer-indexes'] && store instanceof EntityStore) store.deferAttributeIndexes();
// this thread's CPU time: on a shared machine wall clock measures the neighbours too
const threadCpuMs = () => {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
};
let handlerMs = 0;
let handlerCpuMs = 0;
let changes = 0;
const cpu0 = process.cpuUsage();
let wallMs = 0;
let threadMs = 0;
for (let i = 1; i <= blockCount; i += 100) {
  // generating the stream (ABI encoding, hashing) is not the indexer's work: not timed
  const batch = makeBlocks(i, Math.min(i + 99, blockCount));
  const w = performance.now();
  const c = threadCpuMs();
  store.transaction(() => {
    for (const { block, logs } of batch) {
      const a = performance.now();
      const c = threadCpuMs();
      const result = sub.runtime.processBlockSync(block, logs, store);
      handlerCpuMs += threadCpuMs() - c;
      handlerMs += performance.now() - a;
      store.applyBlock(blockPtrOf(block), result);
      changes += result.length;
    }
  });
  threadMs += threadCpuMs() - c;
  wallMs += performance.now() - w;
}
let indexMs = 0;
if (store instanceof EntityStore && store.attributeIndexesDeferred()) {
  const w = performance.now();
  const c = threadCpuMs();
  store.createAttributeIndexes();
  indexMs = performance.now() - w;
  threadMs += threadCpuMs() - c;
  wallMs += indexMs;
}
const cpu = process.cpuUsage(cpu0);
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
rmSync(dir, { recursive: true, force: true });

const n = eventCount;
const out = {
  store: args.store,
  events: n,
  blocks: blockCount,
  entityChanges: changes,
  handlerEventsPerSec: Math.round((n / handlerMs) * 1000),
  totalEventsPerSec: Math.round((n / wallMs) * 1000),
  handlerMs: Math.round(handlerMs),
  /** everything but the handlers: applyBlock and the commit (a write-behind store inserts there) */
  storeMs: Math.round(wallMs - handlerMs),
  /** building the deferred indexes at the end (`--defer-indexes`), part of storeMs */
  indexMs: Math.round(indexMs),
  wallMs: Math.round(wallMs),
  /** the process (GC and SQLite threads included; stream generation too) */
  cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  /** the main thread alone, split: handlers and the rest (store) */
  threadCpuMs: Math.round(threadMs),
  handlerCpuMs: Math.round(handlerCpuMs),
  storeCpuMs: Math.round(threadMs - handlerCpuMs),
  eventsPerThreadCpuSec: Math.round((n / threadMs) * 1000),
  peakRssMiB: Math.round(peakRssMiB),
  /** the host's work at the WASM boundary, per event */
  perEvent: Object.fromEntries(Object.entries(boundary).map(([k, v]) => [k, Math.round((v / n) * 10) / 10])),
};
console.log(JSON.stringify(out, null, 2));
