// GraphQL under load: the embedded indexer serves a chain filled by the driver; autocannon, in a
// second process on 127.0.0.1, fires the dashboard's leaderboard query, a filtered collection
// query and the leaderboard as of a past block (time travel).
import path from 'node:path';
import { print } from 'graphql';
import { LEADERBOARD } from '@hessian/dashboard/lib/queries';
import { startIndexer } from '@hessian/indexer';
import { emptyResult, fmt, runSuite, suiteArgs } from '../lib/result.ts';
import { benchDir, isInstalled } from '../lib/machine.ts';
import { generateEvents, startBenchChain } from '../lib/chain.ts';
import { graphql, retargetedBuild } from '../lib/indexer.ts';
import { runNode } from '../lib/proc.ts';

interface Cannon {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
}

const FILTERED = `query Filtered($model: String!) {
  gradients(where: { model: $model, status: Accepted, score_gte: "500000" }, orderBy: gradientId, orderDirection: desc, first: 100) {
    id gradientId status score improvement reward submittedAt contributor { id } evaluation { score bestScore }
  }
}`;

await runSuite(async () => {
  const { smoke } = suiteArgs();
  const r = emptyResult('graphql', 'GraphQL under load');
  const chain = await startBenchChain();
  let work: Awaited<ReturnType<typeof retargetedBuild>> | undefined;
  let indexer: Awaited<ReturnType<typeof startIndexer>> | undefined;
  try {
    const gen = await generateEvents(chain, smoke ? { events: 100, blocks: 4 } : { events: 4000, blocks: 40 });
    work = await retargetedBuild({ address: chain.address, startBlock: chain.startBlock });
    indexer = await startIndexer({ rpcUrl: chain.chain.url, subgraph: work.build, db: work.db, port: 0, host: '127.0.0.1', logLevel: 'error', progressIntervalSeconds: 0 });
    await indexer.ready;
    const url = indexer.url!;
    const leaderboard = print(LEADERBOARD);
    const past = gen.fromBlock + Math.floor((gen.toBlock - gen.fromBlock) / 2);
    const queries = [
      { name: 'leaderboard (the dashboard\'s, latest)', query: leaderboard, variables: {} },
      { name: 'filtered collection (accepted gradients of a model, by score)', query: FILTERED, variables: { model: '2' } },
      { name: `leaderboard as of block ${past} (time travel)`, query: leaderboard, variables: { block: { number: past } } },
    ];
    // each query must answer with data before it is measured
    const sizes: number[] = [];
    for (const q of queries) {
      const data = await graphql<Record<string, unknown>>(url, q.query, q.variables);
      const rows = Object.values(data).find(Array.isArray) as unknown[] | undefined;
      if (!rows || rows.length === 0) throw new Error(`${q.name} answered no rows: ${JSON.stringify(data).slice(0, 300)}`);
      sizes.push(rows.length);
    }
    const latest = await graphql<{ accounts: unknown[] }>(url, leaderboard, {});
    const then = await graphql<{ accounts: { gradientsSubmitted: number }[] }>(url, leaderboard, { block: { number: past } });
    const sum = (xs: { gradientsSubmitted: number }[]) => xs.reduce((s, a) => s + Number(a.gradientsSubmitted), 0);
    if (!(sum(then.accounts) < sum(latest.accounts as { gradientsSubmitted: number }[]))) throw new Error('time travel answered the same counts as the latest block');

    if (!isInstalled('autocannon')) {
      r.notes.push('Skipped the load test: autocannon is not installed (bench/node_modules: `cd bench && npm ci`); each query was answered once.');
      r.aims.push({ aim: '>= 2,000 req/s for the leaderboard at p99 < 20 ms', measured: 'autocannon not installed', met: null });
      return r;
    }
    const cannon = path.join(benchDir, 'node_modules/autocannon/autocannon.js');
    const results: Cannon[] = [];
    for (const q of queries) {
      const body = JSON.stringify({ query: q.query, variables: q.variables });
      const out = await runNode([cannon, '-c', '10', '-d', smoke ? '1' : '10', '-m', 'POST', '-H', 'content-type=application/json', '-b', body, '--json', url], { timeoutMs: 60_000 });
      if (out.code !== 0) throw new Error(`autocannon exited ${out.code}: ${out.stderr.slice(-1000)}`);
      const c = JSON.parse(out.stdout) as Cannon;
      if (c.non2xx > 0 || c.errors > 0 || c.requests.total === 0) throw new Error(`${q.name}: ${c.non2xx} non-2xx answers, ${c.errors} errors, ${c.requests.total} requests`);
      results.push(c);
    }
    const [lb, filt, tt] = results as [Cannon, Cannon, Cannon];
    r.tables.push({
      title: `${fmt.int(gen.events)} events in ${fmt.int(gen.blocks)} blocks indexed (${gen.models} models, ${chain.accounts.length - 1} contributors); autocannon, 10 connections, ${smoke ? 1 : 10} s per query`,
      columns: ['query', 'rows', 'req/s', 'p50 ms', 'p99 ms', 'cost relative to the latest leaderboard (req/s ratio)'],
      rows: queries.map((q, i) => [q.name, sizes[i]!, fmt.int(results[i]!.requests.average), results[i]!.latency.p50, results[i]!.latency.p99, fmt.x(lb.requests.average / results[i]!.requests.average)]),
    });
    const judged = !smoke;
    r.aims.push({ aim: '>= 2,000 req/s for the leaderboard at p99 < 20 ms', measured: `${fmt.int(lb.requests.average)} req/s, p99 ${lb.latency.p99} ms`, met: judged ? lb.requests.average >= 2000 && lb.latency.p99 < 20 : null });
    r.aims.push({ aim: 'time travel within 2x of latest', measured: `${fmt.x(lb.requests.average / tt.requests.average)} the latest query's cost (req/s ratio)`, met: judged ? lb.requests.average / tt.requests.average <= 2 : null });
    r.notes.push('The server is the indexer\'s own (`startIndexer`, Apollo Server 5 over the SQLite store) in the suite\'s process, with the chain still running; autocannon is a separate Node process. The leaderboard is the dashboard\'s `LEADERBOARD` document (dashboard/src/lib/queries.ts) as it sends it.');
    const brief = (c: Cannon) => ({ reqPerSec: c.requests.average, total: c.requests.total, p50: c.latency.p50, p99: c.latency.p99, mean: c.latency.average });
    r.figures = { generated: gen, leaderboard: brief(lb), filtered: brief(filt), timeTravel: brief(tt), pastBlock: past };
    return r;
  } finally {
    await indexer?.stop();
    work?.remove();
    await chain.stop();
  }
});
