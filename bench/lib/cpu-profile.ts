// Where a V8 CPU profile (`node --cpu-prof`) spends its time: self time per function and per
// part of the indexer, counting only samples under a given frame (the timed region) and the
// garbage collection that interrupts it, so that a benchmark can print the profile that bounds
// it next to its figures.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fmt, type Table } from './result.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** ms of samples under the frame */
  totalMs: number;
  /** self time per function, largest first: `name (file:line)` */
  functions: { name: string; ms: number }[];
  /** self time per part (`partOf`), largest first */
  parts: { name: string; ms: number }[];
}

/** The part of the system a frame belongs to, from its script URL. */
function partOf(url: string, fn: string): string {
  if (url.startsWith('wasm://')) return 'WASM (the compiled mappings)';
  if (url.includes('/indexer/src/store/')) return 'entity store (JS + SQLite calls made from it)';
  if (url.includes('/better-sqlite3/')) return 'better-sqlite3 (transaction wrapper)';
  if (url.includes('/indexer/src/runtime/host/')) return 'host functions (graph-ts imports)';
  if (url.includes('/indexer/src/runtime/')) return 'runtime: marshalling between WASM and JS, entity cache';
  if (url.includes('/indexer/src/sync/')) return 'sync: JSON-RPC requests, log and block fetching';
  if (url.includes('/indexer/src/runner/')) return 'runner: running and committing batches';
  if (url.includes('/indexer/src/graphql/')) return 'GraphQL server';
  if (url.includes('/ethers/')) return 'ethers (JSON-RPC provider, ABI)';
  if (url.startsWith('node:')) return 'Node internals (HTTP, streams, module loading)';
  if (fn === '(garbage collector)') return 'garbage collector';
  if (url === '') return `native (${fn || 'other'})`;
  if (url.includes('node_modules')) return 'other libraries';
  return 'other JS';
}

/**
 * `under`: the function whose samples (and the garbage collection interrupting them) count; null
 * counts the whole process except idle time.
 */
export function summarizeProfile(file: string, under: string | null, top = 12): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inside = new Map<number, boolean>();
  const isInside = (id: number): boolean => {
    const known = inside.get(id);
    if (known !== undefined) return known;
    const up = parent.get(id);
    const name = byId.get(id)!.callFrame.functionName;
    const r = under === null ? name !== '(idle)' : name === under || (up !== undefined && isInside(up));
    inside.set(id, r);
    return r;
  };
  const fns = new Map<string, number>();
  const parts = new Map<string, number>();
  let total = 0;
  // V8 hangs garbage collection off the root, not under the code that allocated: a GC sample
  // belongs to the timed region when the last sample before it did
  let lastInside = false;
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    const gc = byId.get(id)!.callFrame.functionName === '(garbage collector)';
    if (!gc) lastInside = isInside(id);
    if (!(gc ? under === null || lastInside : isInside(id))) continue;
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    total += ms;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url.startsWith('wasm://') ? 'wasm' : `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    const name = `${functionName || '(anonymous)'} (${where})`;
    fns.set(name, (fns.get(name) ?? 0) + ms);
    const part = partOf(url, functionName);
    parts.set(part, (parts.get(part) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, ms }));
  return { totalMs: total, functions: sorted(fns).slice(0, top), parts: sorted(parts) };
}

/** Runs a Node process (`run` is handed the flags to put before its script) under `--cpu-prof` and summarizes its profile. */
export async function profileNode(run: (nodeFlags: string[]) => Promise<unknown>, under: string | null, top = 12): Promise<ProfileSummary> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-prof-'));
  try {
    await run(['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('node --cpu-prof wrote no profile');
    return summarizeProfile(path.join(dir, file), under, top);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A profile as two tables: self time by part (`title`), then the top functions. */
export function profileTables(title: string, prof: ProfileSummary): Table[] {
  const pct = (ms: number) => `${((ms / prof.totalMs) * 100).toFixed(1)}%`;
  return [
    {
      title,
      columns: ['part', 'ms', 'share'],
      rows: prof.parts.filter((p) => p.ms / prof.totalMs >= 0.005).map((p) => [p.name, fmt.int(p.ms), pct(p.ms)]),
    },
    {
      title: 'The same profile: top functions by self time (SQLite\'s C code counts as self time of the JS function that called it)',
      columns: ['function (file:line)', 'ms', 'share'],
      rows: prof.functions.map((f) => [f.name, fmt.int(f.ms), pct(f.ms)]),
    },
  ];
}
