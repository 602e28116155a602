// The README's "Roles and their commands" by hand: chain, index, dashboard, train lender, train
// evaluate, train owner, each its own process started in that order, meeting only through their
// defaults: one data directory (HESSIAN_DATA_DIR), the deployment file `hessian chain` writes there,
// the subgraph retargeted at it, one GraphQL port. The ports are moved off their defaults through
// the same environment every process gets (other tests on this machine may hold 8545 or 8000), as a
// user would export them; the defaults themselves are checked to agree.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const hessian = path.join(repo, 'cli', 'hessian.ts');
const DATA = path.join(repo, 'trainer', 'data', 'lending_club_loan_data.csv');
const dir = mkdtempSync(path.join(tmpdir(), 'hessian-roles-'));
const dataDir = path.join(dir, 'state');
/** every role runs from here: nothing may land in ./.hessian when HESSIAN_DATA_DIR is set */
const cwd = path.join(dir, 'cwd');
mkdirSync(cwd);
const children: ChildProcess[] = [];

after(async () => {
  for (const c of children.reverse()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// Hardhat's public dev accounts, as `hessian chain` prints them and the README uses them
const LENDER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const OWNER_KEY = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';

async function freePort(): Promise<number> {
  const srv = createServer();
  const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port)));
  await new Promise((r) => srv.close(r));
  return port;
}

function role(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; out: () => string; wait: (re: RegExp, ms: number) => Promise<RegExpMatchArray> } {
  const child = spawn(process.execPath, [hessian, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const wait = async (re: RegExp, ms: number) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = out.match(re);
      if (m) return m;
      assert.ok(child.exitCode === null, `hessian ${args.join(' ')} exited with ${child.exitCode}:\n${out}`);
      assert.ok(Date.now() < deadline, `hessian ${args.join(' ')} did not print ${re}:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return { child, out: () => out, wait };
}

function help(args: string[]): string {
  const r = spawnSync(process.execPath, [hessian, ...args, '--help'], { cwd: repo, encoding: 'utf8', env: { ...process.env, HESSIAN_DATA_DIR: '' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('the defaults meet: one GraphQL port, the chain port the trainer dials, one data directory', () => {
  assert.match(help(['index']), /--port N\s+.*default 8000\)/);
  assert.match(help(['dashboard']), /--endpoint <value>.*default http:\/\/127\.0\.0\.1:8000\/subgraphs\/name\/hessian/);
  assert.match(help(['chain']), /--port <value>.*default 8545/);
  assert.match(help(['train', 'owner']), /--rpc <value>.*default http:\/\/127\.0\.0\.1:8545/);
  for (const args of [['chain'], ['deploy'], ['train', 'lender'], ['loan', 'quote']]) assert.match(help(args), /env HESSIAN_DATA_DIR/, `${args.join(' ')} takes the data directory`);
  assert.match(help(['index']), /HESSIAN_DATA_DIR/);
});

test('chain, index, dashboard, train lender, train evaluate, train owner by hand: the dashboard\'s GraphQL shows an accepted gradient', { timeout: 600_000 }, async () => {
  const [chainPort, graphqlPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HESSIAN_DATA_DIR: dataDir,
    HESSIAN_CHAIN_PORT: String(chainPort),
    HESSIAN_RPC_URL: `http://127.0.0.1:${chainPort}`,
    HESSIAN_INDEXER_PORT: String(graphqlPort),
    HESSIAN_GRAPHQL_URL: `http://127.0.0.1:${graphqlPort}/subgraphs/name/hessian`,
    HESSIAN_DASHBOARD_PORT: '0',
    HESSIAN_POLL_MS: '250',
    HESSIAN_POLL_INTERVAL: '250',
    HESSIAN_LOG_LEVEL: 'warn',
  };

  // terminal 1
  const chain = role(['chain'], env);
  await chain.wait(/Hardhat node at \S+; Ctrl-C to stop/, 120_000);
  assert.match(chain.out(), /#1 lender\s+0x70997970C51812dc3A010C7d01b50e0d17dc79C8\s+HESSIAN_PRIVATE_KEY=0x59c6/, 'the chain prints the keys the README uses');
  assert.ok(existsSync(path.join(dataDir, 'deployment.json')), 'the deployment lands in HESSIAN_DATA_DIR');
  const deployment = JSON.parse(readFileSync(path.join(dataDir, 'deployment.json'), 'utf8')) as { contracts: { ModelRepository: { address: string } } };

  // terminal 2: no flags; finds the deployment and indexes it, not the build's placeholder
  const index = role(['index'], env);
  const [, graphql] = await index.wait(/GraphQL API: (\S+)/, 120_000);
  assert.equal(graphql, env.HESSIAN_GRAPHQL_URL);
  const manifest = readFileSync(path.join(dataDir, 'subgraph', 'subgraph.yaml'), 'utf8');
  assert.match(manifest, new RegExp(deployment.contracts.ModelRepository.address, 'i'), 'the subgraph was retargeted at the deployment');

  // terminal 3
  const dashboard = role(['dashboard'], env);
  const [, dashboardUrl] = await dashboard.wait(/dashboard: (\S+)/, 60_000);
  const config = (await (await fetch(new URL('config.json', dashboardUrl!))).json()) as { endpoint: string };
  assert.equal(config.endpoint, graphql, 'the dashboard queries the indexer');

  // terminal 4: the lender opens a model (a one-shot command); 8192 only to keep the test short
  const lender = spawnSync(process.execPath, [hessian, 'train', 'lender', '--data', DATA, '--label', 'not.fully.paid', '--bounty', '10', '--target', '0.69', '--ckks', 'logistic-8192'], {
    cwd, env: { ...env, HESSIAN_PRIVATE_KEY: LENDER_KEY }, encoding: 'utf8', timeout: 240_000,
  });
  assert.equal(lender.status, 0, lender.stderr);
  const opened = JSON.parse(lender.stdout.trim().split('\n').pop()!) as { modelId: number };
  assert.equal(opened.modelId, 1);

  // terminals 5 and 6
  role(['train', 'evaluate'], { ...env, HESSIAN_PRIVATE_KEY: LENDER_KEY });
  // one submission whose acceptance must not hinge on a DP noise draw: this test is about the roles
  const owner = role(['train', 'owner', '--data', DATA, '--max-submissions', '1', '--dp-noise', '0'], { ...env, HESSIAN_PRIVATE_KEY: OWNER_KEY });

  // the dashboard's endpoint answers with the accepted gradient
  const deadline = Date.now() + 300_000;
  let gradients: { id: string; status: string; model: { id: string } }[] = [];
  while (Date.now() < deadline) {
    const res = await fetch(config.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ gradients(where: { status: Accepted }) { id status model { id } } }' }),
    });
    gradients = ((await res.json()) as { data?: { gradients: typeof gradients } }).data?.gradients ?? [];
    if (gradients.length) break;
    assert.equal(owner.child.exitCode, null, `the owner stopped:\n${owner.out()}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.deepEqual(gradients, [{ id: '1', status: 'Accepted', model: { id: '1' } }], `no accepted gradient in GraphQL:\n${owner.out()}`);

  // one data directory held everything; nothing went to ./.hessian
  for (const d of ['deployment.json', 'index.sqlite', 'lender', 'owner', 'ipfs', 'subgraph']) assert.ok(existsSync(path.join(dataDir, d)), `${d} in HESSIAN_DATA_DIR`);
  assert.deepEqual(readdirSync(cwd), [], 'nothing written to the working directory');

  for (const c of [...children].reverse()) {
    if (c.exitCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  }
});
