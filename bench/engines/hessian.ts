// Hessian's embedded indexer as one backfill run: start, catch up with the head, and answer a
// GraphQL query showing every gradient; prints one JSON line (times since process start).
//   node bench/engines/hessian.ts --rpc URL --build DIR --db FILE --gradients N [--rebuild]
// --rebuild: re-index FILE from the chain data it stores (no log fetching): handlers and store alone.
import { parseArgs } from 'node:util';
import { startIndexer } from '@hessian/indexer';
import { graphql } from '../lib/indexer.ts';

const { values: a } = parseArgs({ options: { rpc: { type: 'string' }, build: { type: 'string' }, db: { type: 'string' }, gradients: { type: 'string' }, rebuild: { type: 'boolean', default: false } } });
if (!a.rpc || !a.build || !a.db || !a.gradients) throw new Error('hessian engine: --rpc, --build, --db and --gradients are required');
const startMs = performance.now();
const indexer = await startIndexer({ rpcUrl: a.rpc, subgraph: a.build, db: a.db, port: 0, host: '127.0.0.1', logLevel: 'error', progressIntervalSeconds: 0, rebuild: a.rebuild });
try {
  await indexer.ready;
  const readyMs = performance.now();
  const data = await graphql<{ protocol: { gradientCount: string } | null; _meta: { block: { number: number } } }>(indexer.url!, '{ protocol(id: "hessian") { gradientCount } _meta { block { number } } }');
  const queryableMs = performance.now();
  const gradients = Number(data.protocol?.gradientCount ?? 0);
  if (gradients !== Number(a.gradients)) throw new Error(`Hessian serves ${gradients} gradients, the chain has ${a.gradients}`);
  process.stdout.write(`${JSON.stringify({ startMs, readyMs, queryableMs, sinceStartMs: queryableMs, block: data._meta.block.number, gradients, maxRss: process.resourceUsage().maxRSS * 1024, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 })}\n`);
} finally {
  await indexer.stop();
}
