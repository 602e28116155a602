// Ponder as a peer (bench/node_modules only): writes a Ponder app for ModelRepository's events into
// a temp dir, runs `ponder start` (PGlite, telemetry off) against the given RPC URLs, and times it
// from process start to a GraphQL answer showing every gradient. The handlers keep a smaller
// model than the subgraph (protocol, models, gradients, accounts): a lighter load than Hessian's.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { modelRepositoryAbi } from '@hessian/contracts';
import { freePort } from '@hessian/contracts/local-chain';
import { benchDir, packageVersion } from './machine.ts';
import { stopChild } from './proc.ts';

export interface PonderRun {
  version: string;
  ms: number;
  maxRss: number;
  cpuMs: number;
  log: string;
}

const SCHEMA = `import { onchainTable } from "ponder";
export const protocol = onchainTable("protocol", (t) => ({
  id: t.text().primaryKey(), modelCount: t.integer().notNull(), gradientCount: t.integer().notNull(), acceptedCount: t.integer().notNull(),
}));
export const model = onchainTable("model", (t) => ({
  id: t.bigint().primaryKey(), lender: t.hex().notNull(), token: t.hex().notNull(), bounty: t.bigint().notNull(), paid: t.bigint().notNull(),
  bestScore: t.bigint().notNull(), version: t.integer().notNull(), gradientCount: t.integer().notNull(), weightsCid: t.text().notNull(),
}));
export const gradient = onchainTable("gradient", (t) => ({
  id: t.bigint().primaryKey(), model: t.bigint().notNull(), contributor: t.hex().notNull(), seal: t.hex().notNull(), cid: t.text(), dpEpsilon: t.bigint(),
  status: t.text().notNull(), score: t.bigint(), reward: t.bigint().notNull(), submittedAt: t.bigint().notNull(), revealedAt: t.bigint(), evaluatedAt: t.bigint(), lapsedAt: t.bigint(),
}));
export const account = onchainTable("account", (t) => ({
  id: t.hex().primaryKey(), submitted: t.integer().notNull(), accepted: t.integer().notNull(), rejected: t.integer().notNull(), declined: t.integer().notNull(),
  lapsed: t.integer().notNull(), dpEpsilonSpent: t.bigint().notNull(), rewards: t.bigint().notNull(),
}));
`;

// As the subgraph: a gradient (and the account's submitted count, the protocol's gradientCount) is
// counted at its commit; the reveal sets its CID and epsilon; the verdict or a lapse settles it.
const HANDLERS = `import { ponder } from "ponder:registry";
import { account, gradient, model, protocol } from "ponder:schema";

// the Verdict enum's order in IModelRepository.sol
const VERDICTS = ["Accepted", "Rejected", "Declined"];

const bumpProtocol = (db, values) => db.insert(protocol).values({ id: "hessian", modelCount: 0, gradientCount: 0, acceptedCount: 0, ...values })
  .onConflictDoUpdate((row) => ({ modelCount: row.modelCount + (values.modelCount ?? 0), gradientCount: row.gradientCount + (values.gradientCount ?? 0), acceptedCount: row.acceptedCount + (values.acceptedCount ?? 0) }));

ponder.on("ModelRepository:ModelCreated", async ({ event, context }) => {
  const a = event.args;
  await context.db.insert(model).values({ id: a.modelId, lender: a.lender, token: a.token, bounty: a.bounty, paid: 0n, bestScore: a.initialScore, version: 0, gradientCount: 0, weightsCid: a.weightsCid });
  await bumpProtocol(context.db, { modelCount: 1 });
});

ponder.on("ModelRepository:GradientCommitted", async ({ event, context }) => {
  const a = event.args;
  await context.db.insert(gradient).values({ id: a.gradientId, model: a.modelId, contributor: a.contributor, seal: a.seal, status: "Committed", reward: 0n, submittedAt: event.block.timestamp });
  await context.db.update(model, { id: a.modelId }).set((row) => ({ gradientCount: row.gradientCount + 1 }));
  await context.db.insert(account).values({ id: a.contributor, submitted: 1, accepted: 0, rejected: 0, declined: 0, lapsed: 0, dpEpsilonSpent: 0n, rewards: 0n }).onConflictDoUpdate((row) => ({ submitted: row.submitted + 1 }));
  await bumpProtocol(context.db, { gradientCount: 1 });
});

ponder.on("ModelRepository:GradientRevealed", async ({ event, context }) => {
  const a = event.args;
  const epsilon = BigInt(a.dpEpsilon);
  await context.db.update(gradient, { id: a.gradientId }).set({ status: "Pending", cid: a.gradientCid, dpEpsilon: epsilon, revealedAt: event.block.timestamp });
  await context.db.update(account, { id: a.contributor }).set((row) => ({ dpEpsilonSpent: row.dpEpsilonSpent + epsilon }));
});

ponder.on("ModelRepository:GradientEvaluated", async ({ event, context }) => {
  const a = event.args;
  const verdict = VERDICTS[a.verdict];
  if (!verdict) throw new Error("unknown Verdict " + a.verdict);
  const accepted = verdict === "Accepted";
  await context.db.update(gradient, { id: a.gradientId }).set({ status: verdict, score: a.score, reward: a.reward, evaluatedAt: event.block.timestamp });
  await context.db.update(model, { id: a.modelId }).set((row) => ({ bestScore: a.bestScore, version: a.modelVersion, paid: row.paid + a.reward, weightsCid: accepted ? a.newWeightsCid : row.weightsCid }));
  await context.db.update(account, { id: a.contributor }).set((row) => (accepted ? { accepted: row.accepted + 1 } : verdict === "Rejected" ? { rejected: row.rejected + 1 } : { declined: row.declined + 1 }));
  if (accepted) await bumpProtocol(context.db, { acceptedCount: 1 });
});

ponder.on("ModelRepository:GradientLapsed", async ({ event, context }) => {
  const a = event.args;
  await context.db.update(gradient, { id: a.gradientId }).set({ status: "Lapsed", lapsedAt: event.block.timestamp });
  await context.db.update(account, { id: a.contributor }).set((row) => ({ lapsed: row.lapsed + 1 }));
});

ponder.on("ModelRepository:RewardEarned", async ({ event, context }) => {
  await context.db.update(account, { id: event.args.contributor }).set((row) => ({ rewards: row.rewards + event.args.amount }));
});
`;

const API = `import { db } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { graphql } from "ponder";
const app = new Hono();
app.use("/graphql", graphql({ db, schema }));
export default app;
`;

function writeApp(dir: string, o: { rpcUrls: string[]; address: string; startBlock: number; chainId: number }): void {
  mkdirSync(path.join(dir, 'src/api'), { recursive: true });
  symlinkSync(path.join(benchDir, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'hessian-ponder-peer', private: true, type: 'module' }));
  const events = (modelRepositoryAbi as { type: string }[]).filter((x) => x.type === 'event');
  writeFileSync(path.join(dir, 'abi.ts'), `export const abi = ${JSON.stringify(events)} as const;\n`);
  writeFileSync(path.join(dir, 'ponder.config.ts'), `import { createConfig } from "ponder";
import { abi } from "./abi.ts";
export default createConfig({
  database: { kind: "pglite", directory: "./.ponder/pglite" },
  chains: { hardhat: { id: ${o.chainId}, rpc: ${JSON.stringify(o.rpcUrls)}, disableCache: true } },
  contracts: { ModelRepository: { abi, chain: "hardhat", address: "${o.address}", startBlock: ${o.startBlock} } },
});
`);
  writeFileSync(path.join(dir, 'ponder.schema.ts'), SCHEMA);
  writeFileSync(path.join(dir, 'src/index.ts'), HANDLERS);
  writeFileSync(path.join(dir, 'src/api/index.ts'), API);
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'bundler', target: 'ES2022', strict: false, skipLibCheck: true, allowImportingTsExtensions: true, noEmit: true } }));
}

/** user + system CPU of a live process (clock ticks of 10 ms), threads included */
function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

export async function runPonder(o: { dir: string; rpcUrls: string[]; address: string; startBlock: number; chainId: number; gradients: number; timeoutMs: number }): Promise<PonderRun> {
  writeApp(o.dir, o);
  const port = await freePort();
  const bin = path.join(benchDir, 'node_modules/ponder/dist/esm/bin/ponder.js');
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'start', '--port', String(port), '--hostname', '127.0.0.1', '--schema', 'bench', '--log-level', 'warn'], {
    cwd: o.dir,
    env: { ...process.env, PONDER_TELEMETRY_DISABLED: 'true', DATABASE_URL: '', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (c: Buffer) => {
    log += c.toString();
    if (log.length > 100_000) log = log.slice(-50_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let rss = NaN;
  const rssTimer = setInterval(() => {
    const v = peakRss(child.pid!);
    if (!Number.isNaN(v)) rss = Number.isNaN(rss) ? v : Math.max(rss, v);
  }, 500);
  try {
    const deadline = t0 + o.timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`ponder exited with code ${child.exitCode}: ${log.slice(-1500)}`);
      if (performance.now() > deadline) throw new Error(`ponder did not serve every gradient within ${o.timeoutMs / 1000} s: ${log.slice(-800)}`);
      try {
        const ready = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2000) });
        if (ready.status === 200) {
          const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
            method: 'POST', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(5000),
            body: JSON.stringify({ query: '{ protocol(id: "hessian") { gradientCount } }' }),
          });
          const body = (await res.json()) as { data?: { protocol: { gradientCount: number } | null } };
          if (body.data?.protocol && Number(body.data.protocol.gradientCount) === o.gradients) break;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const ms = performance.now() - t0;
    rss = Math.max(Number.isNaN(rss) ? 0 : rss, peakRss(child.pid!) || 0);
    return { version: packageVersion('ponder', benchDir), ms, maxRss: rss, cpuMs: cpuOf(child.pid!), log };
  } finally {
    clearInterval(rssTimer);
    await stopChild(child, 5000);
  }
}
