// indexer/scripts/bench-runtime.ts (the runtime's own benchmark) run as a child process: the
// mapping and growth suites' measurement.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastJson, runNode } from './proc.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const script = path.join(root, 'indexer/scripts/bench-runtime.ts');

export interface RuntimeBench {
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
  threadCpuMs: number;
  handlerCpuMs: number;
  storeCpuMs: number;
  eventsPerThreadCpuSec: number;
  peakRssMiB: number;
  /** the host's work at the WASM boundary per event (indexer/src/runtime/counters.ts) */
  perEvent: { storeGets: number; storeSets: number; fieldsOut: number; fieldsIn: number; heapObjects: number; heapBytes: number };
}

export async function runRuntimeBench(args: string[], nodeFlags: string[] = []): Promise<RuntimeBench> {
  const out = await runNode([...nodeFlags, script, ...args], { cwd: root });
  if (out.code !== 0) throw new Error(`bench-runtime ${args.join(' ')} exited ${out.code}: ${out.stderr.slice(-2000)}`);
  const b = lastJson<RuntimeBench>(out.stdout);
  if (!(b.events > 0 && b.entityChanges > 0)) throw new Error(`bench-runtime ${args.join(' ')} processed nothing: ${out.stdout}`);
  return b;
}
