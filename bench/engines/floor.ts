// The floor: the least a backfill can cost over JSON-RPC. Plain batched JSON-RPC fetches the
// contract's logs over the range and the block (with transactions) of every block that has a log,
// as the indexer must, and does nothing else. Prints one JSON line.
//   node bench/engines/floor.ts --rpc URL --address 0x.. --from N --to M [--batch 50] [--range 10000]
import { parseArgs } from 'node:util';
import { rpcBatch } from '../lib/jsonrpc.ts';

const toBeHex = (n: number) => `0x${n.toString(16)}`;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const { values: a } = parseArgs({ options: { rpc: { type: 'string' }, address: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, batch: { type: 'string', default: '50' }, range: { type: 'string', default: '10000' } } });
if (!a.rpc || !a.address || !a.from || !a.to) throw new Error('floor: --rpc, --address, --from and --to are required');
const from = Number(a.from);
const to = Number(a.to);
const batch = Number(a.batch);
const range = Number(a.range);

const t0 = performance.now();
let logs = 0;
const blocksWithLogs = new Set<string>();
for (let lo = from; lo <= to; lo += range) {
  const hi = Math.min(to, lo + range - 1);
  const [got] = (await rpcBatch(a.rpc, [{ method: 'eth_getLogs', params: [{ address: a.address, fromBlock: toBeHex(lo), toBlock: toBeHex(hi) }] }])) as [{ blockNumber: string }[]];
  logs += got.length;
  for (const l of got) blocksWithLogs.add(l.blockNumber);
}
const numbers = [...blocksWithLogs];
let blocks = 0;
for (let i = 0; i < numbers.length; i += batch) {
  const got = await rpcBatch(a.rpc, numbers.slice(i, i + batch).map((n) => ({ method: 'eth_getBlockByNumber', params: [n, true] })));
  blocks += got.filter(Boolean).length;
}
const fetchMs = performance.now() - t0;
process.stdout.write(`${JSON.stringify({ logs, blocks, fetchMs, sinceStartMs: performance.now(), maxRss: process.resourceUsage().maxRSS * 1024, cpuMs: cpuMs() })}\n`);
