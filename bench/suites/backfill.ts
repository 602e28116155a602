// Indexer backfill, side by side on one Hardhat chain per event set: the floor (plain batched
// JSON-RPC fetching the same logs and blocks), Hessian's embedded indexer, and Ponder (a bench-only
// peer, when installed) with one RPC URL and with several. Each engine runs in its own process
// against a counting proxy; wall time is from process start to "all events queryable".
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emptyResult, fmt, runSuite, suiteArgs, type Table } from '../lib/result.ts';
import { benchDir, isInstalled } from '../lib/machine.ts';
import { generateEvents, startBenchChain, type Generated } from '../lib/chain.ts';
import { retargetedBuild } from '../lib/indexer.ts';
import { runNode } from '../lib/proc.ts';
import { startRpcProxy, type RpcCounter } from '../lib/rpc-proxy.ts';
import { runPonder } from '../lib/ponder.ts';
import { profileNode, profileTables, type ProfileSummary } from '../lib/cpu-profile.ts';

interface EngineRun {
  engine: string;
  ms: number;
  maxRss: number;
  cpuMs: number;
  /** the SQLite file (and its WAL) after the run: Hessian only */
  diskBytes?: number;
  calls: number;
  httpRequests: number;
  byMethod: Record<string, number>;
  error?: string;
}

interface EventSet {
  events: number;
  blocks: number;
  label: string;
}

const SETS: Record<string, EventSet> = {
  B: { events: 20_000, blocks: 200, label: 'B: 20,000 events in 200 blocks' },
  C: { events: 2_000, blocks: 2_000, label: 'C: 2,000 events in 2,000 blocks (one per block)' },
  D: { events: 200_000, blocks: 1_000, label: 'D: 200,000 events in 1,000 blocks' },
};
const SMOKE_SETS: Record<string, EventSet> = {
  B: { events: 100, blocks: 2, label: 'B (smoke): 100 events in 2 blocks' },
  C: { events: 20, blocks: 20, label: 'C (smoke): 20 events in 20 blocks' },
};

const engines = path.join(benchDir, 'engines');
const copy = (c: RpcCounter) => ({ calls: c.calls, httpRequests: c.httpRequests, byMethod: { ...c.byMethod } });

await runSuite(async () => {
  const args = suiteArgs();
  const smoke = args.smoke;
  const wanted = (args.get('sets') ?? process.env.BENCH_BACKFILL_SETS ?? 'B,C,D').split(',');
  const sets = smoke ? SMOKE_SETS : SETS;
  // Ponder takes ~40 s to start even on a tiny chain: smoke runs leave it out
  const ponder = !smoke && isInstalled('ponder') && isInstalled('viem');
  const ponderUrls = Number(process.env.BENCH_PONDER_URLS ?? 4);
  const r = emptyResult('backfill', 'Indexer backfill: Hessian vs the JSON-RPC floor vs Ponder');
  if (!ponder) r.notes.push(`Skipped Ponder: ${smoke ? 'smoke run (the bench-only peers are optional there)' : 'ponder/viem are not installed in bench/node_modules (`cd bench && npm ci`)'}.`);
  const summary: Record<string, unknown> = {};
  let profiled: { key: string; profile: ProfileSummary } | null = null;
  for (const key of Object.keys(sets)) {
    if (!wanted.includes(key)) continue;
    const set = sets[key];
    const chain = await startBenchChain();
    const proxy = await startRpcProxy(chain.chain.url, Math.max(1, ponderUrls));
    const work = await retargetedBuild({ address: chain.address, startBlock: chain.startBlock });
    const runs: EngineRun[] = [];
    /** Hessian re-indexing the chain data it stored: no log fetching, so what no overlap with RPC can hide */
    let noRpc: EngineRun | undefined;
    let gen: Generated | undefined;
    try {
      gen = await generateEvents(chain, set);
      process.stderr.write(`[backfill] ${set.label}: generated ${gen.events} events in ${gen.blocks} blocks in ${(gen.ms / 1000).toFixed(0)} s\n`);
      const head = gen.toBlock;

      proxy.reset();
      const floor = await runNode([path.join(engines, 'floor.ts'), '--rpc', proxy.urls[0]!, '--address', chain.address, '--from', String(chain.startBlock), '--to', String(head)]);
      if (floor.code !== 0) throw new Error(`floor exited ${floor.code}: ${floor.stderr.slice(-1500)}`);
      const f = JSON.parse(floor.stdout.trim().split('\n').at(-1)!) as { logs: number; sinceStartMs: number; maxRss: number; cpuMs: number };
      if (f.logs < gen.events) throw new Error(`the floor fetched ${f.logs} logs, the chain has ${gen.events}`);
      runs.push({ engine: 'floor: batched JSON-RPC (eth_getLogs + blocks with logs, 50 per batch)', ms: f.sinceStartMs, maxRss: f.maxRss, cpuMs: f.cpuMs, ...copy(proxy.counter) });

      proxy.reset();
      const gradients = String(gen.gradients);
      const hessian = async (db: string, nodeFlags: string[] = [], extra: string[] = []) => {
        const h = await runNode([...nodeFlags, path.join(engines, 'hessian.ts'), '--rpc', proxy.urls[0]!, '--build', work.build, '--db', db, '--gradients', gradients, ...extra]);
        if (h.code !== 0) throw new Error(`Hessian's indexer exited ${h.code}: ${h.stderr.slice(-1500)}`);
        return JSON.parse(h.stdout.trim().split('\n').at(-1)!) as { sinceStartMs: number; maxRss: number; cpuMs: number };
      };
      const hr = await hessian(work.db);
      runs.push({ engine: 'Hessian embedded indexer (SQLite)', ms: hr.sinceStartMs, maxRss: hr.maxRss, cpuMs: hr.cpuMs, diskBytes: fileBytes(work.db), ...copy(proxy.counter) });
      proxy.reset();
      const nr = await hessian(work.db, [], ['--rebuild']);
      noRpc = {
        engine: 'Hessian again, re-indexing the chain data it stored (`--rebuild`: no log fetching; startup, handlers and store)',
        ms: nr.sinceStartMs, maxRss: nr.maxRss, cpuMs: nr.cpuMs, diskBytes: fileBytes(work.db), ...copy(proxy.counter),
      };
      runs.push(noRpc);
      if (profiled === null) {
        // once more from scratch (a new file) under the profiler: where the whole process's CPU goes
        profiled = { key, profile: await profileNode((flags) => hessian(path.join(work.dir, 'profiled.sqlite'), flags), null, 15) };
      }

      if (ponder) {
        for (const urls of [1, ponderUrls]) {
          proxy.reset();
          const dir = mkdtempSync(path.join(os.tmpdir(), 'hessian-ponder-'));
          try {
            const p = await runPonder({ dir, rpcUrls: proxy.urls.slice(0, urls), address: chain.address, startBlock: chain.startBlock, chainId: chain.chain.chainId, gradients: gen.gradients, timeoutMs: smoke ? 90_000 : 1_800_000 });
            runs.push({ engine: `Ponder ${p.version} (PGlite), ${urls} RPC URL${urls > 1 ? 's' : ''}`, ms: p.ms, maxRss: p.maxRss, cpuMs: p.cpuMs, ...copy(proxy.counter) });
          } catch (e) {
            runs.push({ engine: `Ponder, ${urls} RPC URL${urls > 1 ? 's' : ''}`, ms: NaN, maxRss: NaN, cpuMs: NaN, ...copy(proxy.counter), error: e instanceof Error ? e.message : String(e) });
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
          if (urls === ponderUrls) break;
        }
      }
    } catch (e) {
      // a full run keeps the other sets' figures and reports this one as failed; smoke runs fail
      if (smoke) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      r.notes.push(`Set ${key} failed in this run: ${msg.slice(0, 600)}`);
      r.aims.push({ aim: `set ${key}`, measured: `failed: ${msg.slice(0, 200)}`, met: false });
      process.exitCode = 3;
      continue;
    } finally {
      work.remove();
      await proxy.close();
      await chain.stop();
    }
    if (!gen || !noRpc) throw new Error(`set ${key}: no figures`);
    const floorMs = runs[0]!.ms;
    const hessianMs = runs[1]!.ms;
    const t: Table = {
      title: `${set.label}: ${fmt.int(gen.events)} events actually emitted in ${fmt.int(gen.blocks)} blocks (${fmt.int(gen.transactions)} transactions)`,
      columns: ['engine', 'wall ms to all queryable', 'events/s', 'x the floor', 'Hessian faster by', 'CPU s (user+sys)', 'peak RSS', 'store on disk', 'RPC calls (HTTP requests)', 'calls by method'],
      rows: runs.map((e) => e.error
        ? [e.engine, `failed: ${e.error.slice(0, 300)}`, '', '', '', '', '', '', `${fmt.int(e.calls)} (${fmt.int(e.httpRequests)})`, '']
        : [e.engine, fmt.int(e.ms), fmt.int((gen.events / e.ms) * 1000), fmt.x(e.ms / floorMs), e === runs[0] || e === noRpc ? '' : fmt.x(e.ms / hessianMs), (e.cpuMs / 1000).toFixed(1), fmt.mib(e.maxRss), e.diskBytes === undefined ? '' : fmt.mib(e.diskBytes), `${fmt.int(e.calls)} (${fmt.int(e.httpRequests)})`, Object.entries(e.byMethod).sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m} ${n}`).join(', ')]),
    };
    r.tables.push(t);
    if (profiled?.key === key) {
      const p = profiled.profile;
      r.tables.push(...profileTables(`Where Hessian's CPU goes on ${key}: the same run again under \`node --cpu-prof\`, the whole process (${fmt.int(p.totalMs)} ms of samples, idle excluded; startup, sync, handlers, store and the GraphQL answer), by part`, p));
    }
    const judged = !smoke;
    // what bounds Hessian: its own CPU time against its wall time (1 core's worth = CPU-bound);
    // where that CPU goes is the first set's profile (and the mapping suite's, for handlers and store)
    const hessianCpu = runs[1]!.cpuMs;
    const noRpcMs = noRpc.ms;
    r.aims.push({
      aim: `set ${key}: Hessian within 2x of the floor`,
      measured:
        `${fmt.x(hessianMs / floorMs)} the floor (${fmt.int(hessianMs)} vs ${fmt.int(floorMs)} ms); Hessian used ${(hessianCpu / 1000).toFixed(1)} CPU-s in ${(hessianMs / 1000).toFixed(1)} s (${((hessianCpu / hessianMs) * 100).toFixed(0)}% of a core). ` +
        `With no log fetching at all (re-indexing its stored chain data) it takes ${fmt.int(noRpcMs)} ms, ${fmt.x(noRpcMs / floorMs)} the floor: ` +
        (noRpcMs > 2 * floorMs
          ? `the handlers and the store alone are past 2x, so no better overlap with the RPC can reach the aim (fetching adds ${fmt.int(Math.max(0, hessianMs - noRpcMs))} ms to them); what they cost is ${profiled ? `the profile of set ${profiled.key}'s run` : 'the mapping profile'}`
          : 'the handlers and the store alone fit in 2x: what is missing is overlap with the RPC'),
      met: judged ? hessianMs / floorMs <= 2 : null,
    });
    const ponders = runs.filter((e) => e.engine.startsWith('Ponder'));
    const ok = ponders.filter((e) => !e.error);
    const best = ok.toSorted((a, b) => a.ms - b.ms)[0];
    r.aims.push({
      aim: `set ${key}: at least 5x faster than Ponder`,
      measured: best
        ? `${fmt.x(best.ms / hessianMs)} faster than Ponder's best setting (${best.engine})` +
          (best.ms / hessianMs < 5 ? `; 5x would be ${fmt.int(best.ms / 5)} ms, and Hessian's handlers and store alone (no log fetching) take ${fmt.int(noRpcMs)} ms` : '')
        : ponders.length ? `Ponder failed: ${ponders[0]!.error?.slice(0, 200)}` : 'Ponder not run',
      met: judged && best ? best.ms / hessianMs >= 5 : null,
    });
    if (ok.length) {
      const leanest = Math.min(...ok.map((e) => e.maxRss));
      r.aims.push({
        aim: `set ${key}: peak RSS below Ponder's`,
        measured: `${fmt.mib(runs[1]!.maxRss)} vs Ponder's lowest ${fmt.mib(leanest)}`,
        met: judged ? runs[1]!.maxRss < leanest : null,
      });
    }
    summary[key] = { generated: gen, runs, ...(profiled?.key === key ? { profile: profiled.profile } : {}) };
  }
  r.notes.push('Hessian\'s "store on disk" is the SQLite file and its WAL after the run: entity versions (history for time travel) and the event store (the raw logs and blocks, kept so a changed subgraph re-indexes without the RPC).');
  r.notes.push('Every engine runs in its own process and reads the same Hardhat node through a counting JSON-RPC proxy on 127.0.0.1 (the proxy\'s cost is in every figure). Wall time runs from the engine\'s process start (Node startup, WASM and schema loading included) to a GraphQL answer that shows every gradient (Hessian: `protocol.gradientCount`; Ponder: its `protocol` row, after `/ready`). The floor stops once the last block is fetched.');
  if (ponder) r.notes.push('The Ponder app (bench/lib/ponder.ts) keeps less than the subgraph: four tables (protocol, models, gradients, accounts) updated by six handlers (ModelCreated, GradientCommitted, GradientRevealed, GradientEvaluated, GradientLapsed, RewardEarned: the same statuses, CIDs, epsilons and counts as the subgraph\'s for those fields), against the subgraph\'s 15 entity types with versioned history for time travel; Ponder\'s figures are therefore for a lighter job. It runs `ponder start` on PGlite (its embedded default) with PONDER_TELEMETRY_DISABLED=true and `disableCache: true`, given 1 and then 4 RPC URLs (separate rate-limit buckets, all to the same proxy).');
  r.notes.push('Hessian\'s indexer runs with its defaults (`--max-reorg-depth 250`: blocks deeper than that are fetched as final ranges, nearer ones fetched once each per step in one batch (full blocks only where there are logs), with reorg checks; RPC batches of 50). The next step is fetched while the handlers run the current one; a final range\'s logs are handed over at most 100 blocks with logs per step, and the first steps start at 10 blocks and double.');
  r.notes.push(
    'What bounds the ratio to the floor is the row re-indexing the stored chain data: with no fetching at all, Hessian still takes that long, so fetching is already hidden behind the handlers and the store (the difference between the two Hessian rows is what the RPC adds). ' +
      'The handlers run on one thread because each block sees the store its predecessors left; the second core already takes the next step\'s fetching and JSON parsing, SQLite\'s WAL writes and V8\'s garbage collection. ' +
      'Moving the store\'s inserts and commits to a worker thread was built and measured (branch experiment/write-behind, every indexer test passing with it): set B\'s wall time moved by -1.5% on the mean of four alternating pairs, within this machine\'s noise, for +0.5 CPU-s and +150 to 190 MiB of peak RSS. The sync commits few, growing batches, so the last one\'s write overlaps nothing, and recording and copying the writes to the worker costs the main thread much of what it saves. It was not kept.',
  );
  if (!smoke && !wanted.includes('D')) r.notes.push('Set D (200,000 events) was left out of this run (`BENCH_BACKFILL_SETS`).');
  r.figures = summary;
  return r;
});

function fileBytes(db: string): number {
  let n = 0;
  for (const f of [db, `${db}-wal`]) {
    try {
      n += statSync(f).size;
    } catch {
      // no WAL left after a clean close
    }
  }
  return n;
}
