// Mapping throughput with RPC taken out: a pre-built stream of real ABI-encoded logs and blocks
// through the compiled subgraph's WASM handlers into the SQLite EntityStore. Runs the indexer
// engineer's indexer/scripts/bench-runtime.ts (the runtime's own benchmark) with both stores.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyResult, fmt, runSuite, suiteArgs } from '../lib/result.ts';
import { lastJson, runNode } from '../lib/proc.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const script = path.join(root, 'indexer/scripts/bench-runtime.ts');

interface RuntimeBench {
  store: string;
  events: number;
  blocks: number;
  entityChanges: number;
  handlerEventsPerSec: number;
  totalEventsPerSec: number;
  handlerMs: number;
  storeMs: number;
  wallMs: number;
  cpuMs: number;
}

await runSuite(async () => {
  const { smoke } = suiteArgs();
  const r = emptyResult('mapping', 'Mapping throughput (pre-fetched logs, no RPC)');
  const size = smoke ? ['--models', '5', '--rounds', '10'] : ['--models', '25', '--rounds', '100'];
  const runs: RuntimeBench[] = [];
  for (const store of ['sqlite', 'memory']) {
    const out = await runNode([script, ...size, '--per-block', '20', '--store', store], { cwd: root });
    if (out.code !== 0) throw new Error(`bench-runtime --store ${store} exited ${out.code}: ${out.stderr.slice(-2000)}`);
    const b = lastJson<RuntimeBench>(out.stdout);
    if (!(b.events > 0 && b.entityChanges > 0)) throw new Error(`bench-runtime --store ${store} processed nothing: ${out.stdout}`);
    runs.push(b);
  }
  const [sqlite, memory] = runs as [RuntimeBench, RuntimeBench];
  r.tables.push({
    title: `${fmt.int(sqlite.events)} events (ModelCreated, GradientCommitted, GradientRevealed, GradientEvaluated) in ${fmt.int(sqlite.blocks)} blocks, 20 per block, committed 100 blocks per transaction`,
    columns: ['store', 'events/s end to end', 'events per CPU-second', 'events/s in handlers', 'handlers ms', 'store ms', 'wall ms', 'entity changes'],
    rows: runs.map((b) => [b.store === 'sqlite' ? 'SQLite EntityStore (the real one)' : 'in-memory Map (runtime alone)', fmt.int(b.totalEventsPerSec), fmt.int((b.events / b.cpuMs) * 1000), fmt.int(b.handlerEventsPerSec), fmt.int(b.handlerMs), fmt.int(b.storeMs), fmt.int(b.wallMs), fmt.int(b.entityChanges)]),
  });
  r.aims.push({
    aim: '>= 20,000 events/s through the WASM handlers and the store',
    measured: `${fmt.int(sqlite.totalEventsPerSec)} events/s wall clock, ${fmt.int((sqlite.events / sqlite.cpuMs) * 1000)} per CPU-second (SQLite store; the store is ${((sqlite.storeMs / sqlite.wallMs) * 100).toFixed(0)}% of the time)`,
    met: smoke ? null : sqlite.totalEventsPerSec >= 20_000,
  });
  r.notes.push('Command: `node indexer/scripts/bench-runtime.ts --models 25 --rounds 100 --per-block 20 --store sqlite|memory` (the stream is synthetic but ABI-encoded by the real contract ABI; handlers are the compiled subgraph).');
  r.figures = { sqlite, memory };
  return r;
});
