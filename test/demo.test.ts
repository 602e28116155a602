// End to end, as a user meets Hessian: `hessian demo` with a few owners and rounds (each gradient
// committed as a seal, then revealed), ending with the trained model deployed to the loan desk
// and three borrowers quoted and decided; then the history it produced is checked three ways:
// GraphQL (the embedded indexer) against on-chain state read with ethers, and the dashboard in
// real Chromium against GraphQL. Ctrl-C must stop it all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Contract, JsonRpcProvider, ZeroAddress } from 'ethers';
import type { Browser } from 'playwright-core';
import { launchChromium } from '@hessian/test-kit/chromium';
import { loanDeskAbi, modelRepositoryAbi, DecisionReason, Verdict, enumName, sealOf, type EnumName } from '@hessian/contracts';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const RESULTS = path.join(repo, 'test', 'test-results');
const OWNERS = 3;
const ROUNDS = 2;
const BORROWERS = 3;

let demo: ChildProcess;
let output = '';
let dataDir: string;
let urls: { chain: string; graphql: string; dashboard: string; repository: string; desk: string };
let provider: JsonRpcProvider;
let browser: Browser | undefined;

function waitForOutput(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = output.match(re);
      if (m) {
        clearInterval(timer);
        clearTimeout(timeout);
        resolve(m);
      } else if (demo.exitCode !== null) {
        clearInterval(timer);
        clearTimeout(timeout);
        reject(new Error(`hessian demo exited with ${demo.exitCode} before printing ${re}:\n${output}`));
      }
    };
    const timer = setInterval(check, 200);
    const timeout = setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`timed out waiting for ${re} in the demo's output:\n${output}`));
    }, timeoutMs);
  });
}

async function gql<T>(query: string): Promise<T> {
  const res = await fetch(urls.graphql, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(`GraphQL: ${body.errors.map((e) => e.message).join('; ')}`);
  return body.data!;
}

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'hessian-e2e-'));
  demo = spawn(
    process.execPath,
    [
      path.join(repo, 'cli', 'hessian.ts'), 'demo',
      '--owners', String(OWNERS), '--rounds', String(ROUNDS),
      // unreachable target: every round runs, so the history has several evaluations per owner
      '--target', '0.99', '--ckks', 'logistic-8192',
      '--graphql-port', '0', '--dashboard-port', '0', '--data-dir', dataDir,
    ],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  demo.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  demo.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const chain = await waitForOutput(/^chain\s+(\S+) .*ModelRepository at (0x[0-9a-fA-F]{40})/m, 120_000);
  const graphql = await waitForOutput(/^graphql\s+(\S+)/m, 60_000);
  const dashboard = await waitForOutput(/^dashboard\s+(\S+)/m, 60_000);
  urls = { chain: chain[1]!, repository: chain[2]!, graphql: graphql[1]!, dashboard: dashboard[1]!, desk: '' };
  await waitForOutput(/^done\s+best AUC/m, 400_000);
  // the loan desk: deployment, quotes, requests and decisions; then the demo serves until Ctrl-C
  await waitForOutput(/^loans\s+\S+#\/loans/m, 300_000);
  const deployment = JSON.parse(readFileSync(path.join(dataDir, 'demo', 'deployment.json'), 'utf8')) as { contracts: { LoanDesk: { address: string } } };
  urls.desk = deployment.contracts.LoanDesk.address;
  provider = new JsonRpcProvider(urls.chain, undefined, { staticNetwork: true });
  // the indexer follows the head by polling: wait until it has the last block
  const head = Number(await provider.send('eth_blockNumber', []));
  for (let i = 0; ; i++) {
    const { _meta } = await gql<{ _meta: { block: { number: number } } }>('{ _meta { block { number } } }');
    if (_meta.block.number >= head) break;
    if (i > 150) throw new Error(`indexer stuck at block ${_meta.block.number}, chain head ${head}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, { timeout: 600_000 });

after(async () => {
  await browser?.close();
  provider?.destroy();
  if (demo && demo.exitCode === null) demo.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Evaluation {
  gradient: { id: string };
  contributor: { id: string };
  verdict: EnumName<typeof Verdict>;
  accepted: boolean;
  score: string;
  previousBestScore: string;
  reward: string;
}

test('GraphQL history matches the chain: evaluations, rewards, credits, escrow', { timeout: 120_000 }, async () => {
  const { model, accountTokens } = await gql<{
    model: {
      bounty: string; paid: string; refunded: string; bestScore: string; gradientCount: number; committedCount: number; pendingCount: number;
      acceptedCount: number; declinedCount: number; rejectedCount: number; lapsedCount: number; evaluations: Evaluation[];
    };
    accountTokens: { account: { id: string }; token: { id: string }; rewardsEarned: string; stakesReturned: string; stakesReceived: string; refundsReceived: string; withdrawn: string; balance: string }[];
  }>(`{
    model(id: "1") { bounty paid refunded bestScore gradientCount committedCount pendingCount acceptedCount declinedCount rejectedCount lapsedCount
      evaluations(first: 1000, orderBy: blockNumber) { gradient { id } contributor { id } verdict accepted score previousBestScore reward } }
    accountTokens(first: 1000) { account { id } token { id } rewardsEarned stakesReturned stakesReceived refundsReceived withdrawn balance }
  }`);
  assert.equal(model.gradientCount, OWNERS * ROUNDS, 'every owner submitted every round, once');
  // differential privacy is on by default: each owner's two batches are disjoint rows of one plan,
  // so its most exposed row is in one release (epsilon 2.25 at the default noise multiplier 2)
  assert.match(output, /^privacy\s+epsilon spent per owner/m);
  for (let i = 0; i < OWNERS; i++) assert.match(output, new RegExp(`^  owner ${i}  epsilon 2\\.25 \\(delta 1e-6\\) over ${ROUNDS} gradients?; budget 8$`, 'm'));
  assert.equal(model.evaluations.length, OWNERS * ROUNDS, 'every gradient evaluated once');
  assert.deepEqual([model.committedCount, model.pendingCount, model.lapsedCount, model.rejectedCount], [0, 0, 0, 0], 'every commit revealed and judged; no honest gradient rejected');
  assert.equal(model.acceptedCount + model.declinedCount, OWNERS * ROUNDS);

  const repository = new Contract(urls.repository, modelRepositoryAbi, provider);
  const onChain = await repository.queryFilter(repository.filters.GradientEvaluated!(null, 1n));
  assert.equal(onChain.length, OWNERS * ROUNDS);
  for (const log of onChain) {
    const args = (log as unknown as { args: { gradientId: bigint; contributor: string; verdict: bigint; score: bigint; previousBestScore: bigint; reward: bigint } }).args;
    const e = model.evaluations.find((x) => x.gradient.id === args.gradientId.toString());
    assert.ok(e, `gradient ${args.gradientId} evaluated in GraphQL`);
    assert.equal(e.contributor.id, args.contributor.toLowerCase());
    assert.equal(e.verdict, enumName(Verdict, args.verdict));
    assert.equal(e.accepted, e.verdict === 'Accepted');
    assert.equal(e.score, args.score.toString());
    assert.equal(e.previousBestScore, args.previousBestScore.toString());
    assert.equal(e.reward, args.reward.toString());
  }
  const paid = model.evaluations.reduce((s, e) => s + BigInt(e.reward), 0n);
  assert.equal(model.paid, paid.toString(), 'model.paid is the sum of evaluation rewards');
  assert.ok(paid > 0n, 'somebody earned something');

  // every account's pull-payment credit on-chain equals what GraphQL says it was owed and took
  let credits = 0n;
  for (const at of accountTokens.filter((a) => a.token.id === ZeroAddress)) {
    const credit = (await repository.credit!(at.account.id, ZeroAddress)) as bigint;
    const owed = BigInt(at.rewardsEarned) + BigInt(at.stakesReturned) + BigInt(at.stakesReceived) + BigInt(at.refundsReceived) - BigInt(at.withdrawn);
    assert.equal(credit, owed, `credit of ${at.account.id} from its history`);
    assert.equal(credit.toString(), at.balance, `balance of ${at.account.id}`);
    credits += credit;
  }
  // the contract holds exactly the escrow left plus everyone's credits (no stake is pending)
  const balance = await provider.getBalance(urls.repository);
  assert.equal(balance, BigInt(model.bounty) - BigInt(model.paid) - BigInt(model.refunded) + credits, 'contract balance = escrow left + credits');
});

test('every gradient went through commit-reveal: GraphQL holds the seal from the commit and the content from the reveal, and they match', { timeout: 120_000 }, async () => {
  const { gradients } = await gql<{
    gradients: { id: string; contributor: { id: string }; seal: string; cid: string; dataCommitment: string; salt: string; dpEpsilon: string; status: string; stakeRefunded: boolean; submittedAt: string; revealedAt: string; transactionHash: string; revealTransactionHash: string }[];
  }>(`{ gradients(first: 1000, where: { model: "1" }) { id contributor { id } seal cid dataCommitment salt dpEpsilon status stakeRefunded submittedAt revealedAt transactionHash revealTransactionHash } }`);
  assert.equal(gradients.length, OWNERS * ROUNDS);
  const repository = new Contract(urls.repository, modelRepositoryAbi, provider);
  const commits = await repository.queryFilter(repository.filters.GradientCommitted!(null, 1n));
  const reveals = await repository.queryFilter(repository.filters.GradientRevealed!(null, 1n));
  assert.equal(commits.length, OWNERS * ROUNDS, 'one commit per gradient');
  assert.equal(reveals.length, OWNERS * ROUNDS, 'one reveal per commit');
  for (const g of gradients) {
    const c = commits.find((l) => (l as unknown as { args: { gradientId: bigint } }).args.gradientId.toString() === g.id) as unknown as { args: { seal: string }; transactionHash: string; blockNumber: number };
    const r = reveals.find((l) => (l as unknown as { args: { gradientId: bigint } }).args.gradientId.toString() === g.id) as unknown as { args: { gradientCid: string; dataCommitment: string; salt: string; dpEpsilon: bigint }; transactionHash: string; blockNumber: number };
    assert.ok(c && r, `gradient ${g.id} committed and revealed`);
    assert.equal(g.seal, c.args.seal);
    assert.equal(g.transactionHash, c.transactionHash, 'submittedAt/transactionHash are the commit\'s');
    assert.equal(g.revealTransactionHash, r.transactionHash);
    assert.ok(r.blockNumber > c.blockNumber, 'revealed in a later block than its commit');
    assert.ok(BigInt(g.revealedAt) >= BigInt(g.submittedAt));
    assert.deepEqual([g.cid, g.dataCommitment, g.salt, g.dpEpsilon], [r.args.gradientCid, r.args.dataCommitment, r.args.salt, r.args.dpEpsilon.toString()]);
    // what the reveal published is what the commit sealed, under this contributor
    assert.equal(sealOf(g.contributor.id, 1n, g.dataCommitment, g.cid, g.salt), g.seal);
    assert.ok(g.status === 'Accepted' || g.status === 'Declined', `gradient ${g.id}: ${g.status}`);
    assert.equal(g.stakeRefunded, true, `gradient ${g.id}: an honest owner's stake comes back`);
  }
  assert.equal(new Set(gradients.map((g) => g.salt)).size, gradients.length, 'a fresh salt per commit');
  assert.match(output, /^ {2}owner \d committed gradient #\d+: a sealed hash and a 0\.001 ETH stake/m, 'the demo tells the commit');
  assert.match(output, /^ {2}owner \d revealed gradient #\d+ \(round 1\)/m, 'and the reveal');
  assert.match(output, /^owners {6}submit in two steps .* each stakes at most 0\.01 ETH/m, 'and the owners\' safety defaults');
});

test('the model leaderboard ranks owners by on-chain rewards, and the dashboard shows it', { timeout: 120_000 }, async () => {
  const { model } = await gql<{ model: { contributors: { contributor: { id: string }; rewardsEarned: string; gradientsAccepted: number; gradientsSubmitted: number }[] } }>(
    '{ model(id: "1") { contributors(orderBy: rewardsEarned, orderDirection: desc) { contributor { id } rewardsEarned gradientsAccepted gradientsSubmitted } } }',
  );
  assert.equal(model.contributors.length, OWNERS);
  const repository = new Contract(urls.repository, modelRepositoryAbi, provider);
  const rewards = await repository.queryFilter(repository.filters.RewardEarned!(1n));
  const byOwner = new Map<string, bigint>();
  for (const log of rewards) {
    const a = (log as unknown as { args: { contributor: string; amount: bigint } }).args;
    byOwner.set(a.contributor.toLowerCase(), (byOwner.get(a.contributor.toLowerCase()) ?? 0n) + a.amount);
  }
  for (const c of model.contributors) {
    assert.equal(c.rewardsEarned, (byOwner.get(c.contributor.id) ?? 0n).toString(), `rewards of ${c.contributor.id}`);
    assert.equal(c.gradientsSubmitted, ROUNDS);
  }
  for (let i = 1; i < model.contributors.length; i++) {
    assert.ok(BigInt(model.contributors[i - 1]!.rewardsEarned) >= BigInt(model.contributors[i]!.rewardsEarned), 'ordered by rewards');
  }

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${urls.dashboard}#/model/1`);
  const rows = page.locator('[data-testid="model-leaderboard"] tbody tr');
  await rows.first().waitFor({ timeout: 30_000 });
  assert.equal(await rows.count(), OWNERS);
  const shownOrder = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-contributor')));
  for (const c of model.contributors) {
    const raw = await page.locator(`[data-testid="model-leaderboard"] tr[data-contributor="${c.contributor.id}"] [data-field="rewardsEarned"] .amount`).first().getAttribute('data-raw');
    assert.equal(raw, c.rewardsEarned, `dashboard reward of ${c.contributor.id}`);
  }
  assert.deepEqual(new Set(shownOrder), new Set(model.contributors.map((c) => c.contributor.id)));
  // a leaderboard: the page ranks by reward, top first
  const shownRewards = shownOrder.map((id) => BigInt(model.contributors.find((c) => c.contributor.id === id)!.rewardsEarned));
  for (let i = 1; i < shownRewards.length; i++) assert.ok(shownRewards[i - 1]! >= shownRewards[i]!, `row ${i + 1} earned no more than row ${i}`);
  mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS, 'demo-model.png'), fullPage: true });
  assert.deepEqual(errors, [], 'no page errors');
});

test('borrowers got quotes without revealing features, and each decision is on-chain, in GraphQL and in the dashboard', { timeout: 120_000 }, async () => {
  const desk = new Contract(urls.desk, loanDeskAbi, provider);
  const decided = await desk.queryFilter(desk.filters.LoanDecided!());
  assert.equal(decided.length, BORROWERS, 'every borrower got a decision');
  const { deployments, loanRequests } = await gql<{
    deployments: { id: string; model: { id: string }; status: string; quoteCount: number; answeredQuoteCount: number; loanRequestCount: number; approvedCount: number; declinedCount: number }[];
    loanRequests: { id: string; borrower: { id: string }; status: string; approved: boolean; approvedAmount: string; rateBps: number; reason: string; quote: { status: string; queryCid: string; resultCid: string } }[];
  }>(`{
    deployments { id model { id } status quoteCount answeredQuoteCount loanRequestCount approvedCount declinedCount }
    loanRequests(orderBy: requestId) { id borrower { id } status approved approvedAmount rateBps reason quote { status queryCid resultCid } }
  }`);
  assert.equal(deployments.length, 1);
  assert.equal(deployments[0]!.model.id, '1');
  assert.equal(deployments[0]!.quoteCount, BORROWERS);
  assert.equal(deployments[0]!.answeredQuoteCount, BORROWERS);
  assert.equal(deployments[0]!.loanRequestCount, BORROWERS);
  const reasons = Object.keys(DecisionReason).filter((k) => Number.isNaN(Number(k)));
  for (const log of decided) {
    const a = (log as unknown as { args: { requestId: bigint; borrower: string; approved: boolean; amount: bigint; rateBps: bigint; reason: bigint } }).args;
    const r = loanRequests.find((x) => x.id === a.requestId.toString());
    assert.ok(r, `request ${a.requestId} in GraphQL`);
    assert.equal(r.borrower.id, a.borrower.toLowerCase());
    assert.equal(r.approved, a.approved);
    assert.equal(r.status, a.approved ? 'Approved' : 'Declined');
    assert.equal(r.approvedAmount, a.amount.toString());
    assert.equal(r.rateBps, Number(a.rateBps));
    assert.equal(r.reason, reasons[Number(a.reason)], `reason of request ${a.requestId}`);
    assert.equal(r.quote.status, 'Answered');
  }
  assert.equal(deployments[0]!.approvedCount + deployments[0]!.declinedCount, BORROWERS);

  // what went through IPFS for a quote is ciphertext: the query document names keys and a
  // ciphertext by CID and carries no feature value; the borrower's CSV row is nowhere in it
  const row = readFileSync(path.join(dataDir, 'demo', 'borrower-1.csv'), 'utf8').trim().split('\n')[1]!.split(',');
  const { openContentStore } = await import('@hessian/trainer');
  const { parseQueryDocument } = await import('@hessian/lending');
  const store = await openContentStore({ path: path.join(dataDir, 'demo', 'ipfs') });
  try {
    const doc = await store.getJson(loanRequests[0]!.quote.queryCid, { maxBytes: 64 * 1024 });
    // the strict schema: CIDs of the public key, Galois keys and ciphertext, parameters, counts
    assert.equal(parseQueryDocument(doc).kind, 'hessian/loan-query');
    const text = JSON.stringify(doc);
    for (const cell of row.filter((c) => c.length >= 4)) assert.ok(!text.includes(cell), `feature value ${cell} appears in the query document`);
  } finally {
    await store.close();
  }

  browser ??= await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${urls.dashboard}#/loans`);
  const rows = page.locator('[data-testid="loans-table"] tbody tr');
  await rows.first().waitFor({ timeout: 30_000 });
  assert.equal(await rows.count(), BORROWERS);
  for (const r of loanRequests) {
    const tr = page.locator(`[data-testid="loans-table"] tr[data-loan="${r.id}"]`);
    assert.equal(await tr.getAttribute('data-status'), r.status, `status of request ${r.id} in the dashboard`);
    assert.equal(await tr.locator('[data-field="rate"]').getAttribute('data-raw'), String(r.rateBps ?? ''), `rate of request ${r.id} in the dashboard`);
    assert.equal(await tr.locator('[data-field="reason"]').getAttribute('data-raw'), r.reason);
  }
  await page.screenshot({ path: path.join(RESULTS, 'demo-loans.png'), fullPage: true });
  assert.deepEqual(errors, [], 'no page errors');
});

test('Ctrl-C stops every service and exits 0', { timeout: 60_000 }, async () => {
  const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
  demo.kill('SIGINT');
  assert.equal(await exited, 0, `demo exit code\n${output.slice(-2000)}`);
  await assert.rejects(fetch(urls.graphql, { method: 'POST', body: '{}' }), 'GraphQL is down');
  await assert.rejects(provider.send('eth_blockNumber', []), 'the chain is down');
});
