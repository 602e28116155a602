// The seven example queries answer their questions on real indexed data: the scripted history,
// run through the compiled mappings into the indexer's SQLite entity store and served by its
// graph-node compatible GraphQL API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { openDatabase, EntityStore, createGraphqlServer, loadSchema, blockPtrOf, type Db, type GraphqlServer } from '@hessian/indexer';
import { ETH } from '@hessian/contracts';
import { DAY, tx, type HistoryRecord } from '@hessian/test-kit/history';
import { indexHistory, schemaFile, subgraphDir, type IndexedHistory } from './helpers.ts';

let db: Db;
let indexed: IndexedHistory;
let server: GraphqlServer;
let record: HistoryRecord;

before(async () => {
  db = openDatabase(':memory:');
  const store = new EntityStore(db, loadSchema(schemaFile));
  indexed = await indexHistory(store, ({ block }, changes) => store.applyBlock(blockPtrOf(block), changes));
  record = indexed.record;
  server = await createGraphqlServer({ store, schema: indexed.subgraph.schema, subgraphName: 'hessian', port: 0, host: '127.0.0.1' });
});

after(async () => {
  await server?.close();
  await indexed?.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function run(name: string, variables: Record<string, unknown> = {}): Promise<Json> {
  const query = await readFile(path.join(subgraphDir, 'queries', `${name}.graphql`), 'utf8');
  const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: Json; errors?: { message: string }[] };
  assert.deepStrictEqual(body.errors ?? [], [], `${name}: no errors`);
  return body.data;
}

test('1. open bounties, by bounty left, deadline and progress', async () => {
  const byLeft = await run('open-bounties', { orderBy: 'bountyLeft', orderDirection: 'desc' });
  assert.deepStrictEqual(byLeft.models.map((m: Json) => [m.id, m.bountyLeft, m.progress]), [
    ['5', '300000000000000000000', '0'],
    ['4', '1000000000000000000', '0.5'],
  ]);
  const byDeadline = await run('open-bounties', { orderBy: 'submissionDeadline', orderDirection: 'asc' });
  assert.deepStrictEqual(byDeadline.models.map((m: Json) => m.id), ['5', '4']);
  const byProgress = await run('open-bounties', { orderBy: 'progress', orderDirection: 'desc' });
  assert.deepStrictEqual(byProgress.models.map((m: Json) => m.id), ['4', '5']);
  // model 5's deadline (t0 + 10 days) has passed 20 days in: only model 4 is still open for submissions
  const later = await run('open-bounties', { now: String(record.t0 + 20 * DAY) });
  // g14 revealed and waiting, g15 still sealed; carol, dave and erin committed
  assert.deepStrictEqual(later.models.map((m: Json) => [m.id, m.pendingCount, m.committedCount, m.contributorCount, m.funderCount, m.token.isNative]), [['4', 1, 1, 3, 1, true]]);
});

test('2. a model\'s score history against its target', async () => {
  const { model } = await run('score-history', { model: '1' });
  assert.equal(model.targetScore, '800000');
  assert.deepStrictEqual(
    model.evaluations.map((e: Json) => [e.ordinal, e.previousBestScore, e.score, e.bestScore, e.verdict, e.accepted, e.blockNumber === String(tx(record, `evaluate g${e.gradient.id}`).blockNumber)]),
    [
      [1, '700000', '740000', '740000', 'Accepted', true, true],
      [2, '740000', '690000', '740000', 'Declined', false, true],
      [3, '740000', '730000', '740000', 'Accepted', true, true],
      [4, '740000', '760000', '760000', 'Accepted', true, true],
      // the copy of g6 scores as g6 did, and is rejected
      [5, '760000', '760000', '760000', 'Rejected', false, true],
    ],
  );
  const m2 = (await run('score-history', { model: '2' })).model;
  assert.deepStrictEqual(m2.evaluations.map((e: Json) => e.reachedTarget), [false, false, true]);
  assert.equal(m2.targetReachedAt, String(tx(record, 'evaluate g9').timestamp));
});

test('3. leaderboards per model and overall', async () => {
  const a = record.accounts;
  const board = await run('leaderboard', { model: '1', token: ETH });
  assert.deepStrictEqual(board.perModel[0], {
    contributor: { id: a.carol },
    rewardsEarned: '900000000000000000',
    improvementContributed: '60000',
    gradientsSubmitted: 2,
    gradientsAccepted: 2,
    gradientsRejected: 0,
    gradientsDeclined: 0,
    gradientsExpired: 0,
    gradientsLapsed: 0,
    pendingCount: 0,
    dpEpsilonSpent: '1000000',
    bestScore: '760000',
    lastSubmittedAt: String(tx(record, 'commit g6').timestamp),
  });
  const byEpsilon = await run('leaderboard', { model: '1', token: ETH, orderBy: 'dpEpsilonSpent' });
  assert.deepStrictEqual(byEpsilon.perModel.map((r: Json) => [r.contributor.id, r.dpEpsilonSpent, r.gradientsLapsed]), [
    [a.dave, '3000000', 0],
    [a.carol, '1000000', 0],
    [a.erin, '250000', 1],
  ]);
  assert.deepStrictEqual(board.perModel.slice(1).map((r: Json) => [r.contributor.id, r.rewardsEarned]).sort(), [[a.dave, '300000000000000000'], [a.erin, '300000000000000000']].sort());
  assert.deepStrictEqual(board.overallByRewards[0], { account: { id: a.carol, gradientsAccepted: 5, gradientsRejected: 0, improvementContributed: '220000' }, rewardsEarned: '1900000000000000000' });
  assert.equal(board.overallByRewards.length, 3);
  assert.deepStrictEqual(board.overallByImprovement.map((r: Json) => r.id).slice(0, 1), [a.carol]);
  assert.equal(board.overallByImprovement.length, 3);
  const byImprovement = await run('leaderboard', { model: '2', token: record.token, orderBy: 'improvementContributed' });
  assert.deepStrictEqual(byImprovement.perModel.map((r: Json) => [r.contributor.id, r.improvementContributed]), [[a.carol, '110000'], [a.dave, '0']]);
  assert.deepStrictEqual(byImprovement.overallByRewards.map((r: Json) => [r.account.id, r.rewardsEarned]), [[a.carol, '1200000000000000000000']]);
});

test('4. a contributor\'s whole history', async () => {
  const { account } = await run('contributor-history', { account: record.accounts.dave });
  assert.deepStrictEqual(account.gradients.map((g: Json) => [g.id, g.status, g.stakeRefunded, g.dpEpsilon]), [
    ['2', 'Declined', true, '1000000'],
    ['5', 'Rejected', false, '2000000'],
    ['7', 'Expired', true, '1000000'],
    ['10', 'Rejected', false, '1000000'],
    ['14', 'Pending', null, '1000000'],
  ]);
  // the copy carries carol's CID under dave's own seal
  const copy = account.gradients.find((g: Json) => g.id === '10');
  assert.deepStrictEqual([copy.cid, copy.seal], [record.cids.g6, record.seals.g10]);
  assert.notEqual(record.seals.g10, record.seals.g6);
  assert.equal(account.dpEpsilonSpent, '6000000');
  assert.deepStrictEqual(account.evaluations.map((e: Json) => [e.gradient.id, e.verdict, e.accepted, e.score]), [
    ['2', 'Declined', false, '690000'],
    ['5', 'Rejected', false, '520000'],
    ['10', 'Rejected', false, '760000'],
  ]);
  assert.deepStrictEqual(account.rewards.map((r: Json) => [r.gradient.id, r.kind, r.amount]), [['7', 'ExpiredShare', '300000000000000000']]);
  // only the stakes that came back to dave: the declined g2 and the expired g7
  assert.deepStrictEqual(account.stakeReleases.map((s: Json) => [s.gradient.id, s.refunded]), [['2', true], ['7', true]]);
  assert.deepStrictEqual(account.withdrawals.map((w: Json) => [w.token.id, w.to, w.amount]), [[ETH, record.accounts.dave, '320000000000000000']]);
  assert.deepStrictEqual(account.balances.map((b: Json) => [b.token.id, b.rewardsEarned, b.stakesReturned, b.stakesForfeited, b.withdrawn, b.balance]), [
    [ETH, '300000000000000000', '20000000000000000', '10100000000000000', '320000000000000000', '0'],
  ]);
  assert.deepStrictEqual(account.modelStats.map((s: Json) => [s.model.id, s.dpEpsilonSpent]).sort(), [['1', '3000000'], ['2', '2000000'], ['4', '1000000']]);

  // erin: two commits lapsed, one still sealed (no CID, no epsilon yet)
  const erin = (await run('contributor-history', { account: record.accounts.erin })).account;
  assert.deepStrictEqual(erin.gradients.map((g: Json) => [g.id, g.status, g.cid === null, g.lapsedAt === null]), [
    ['3', 'Accepted', false, true],
    ['8', 'Expired', false, true],
    ['11', 'Lapsed', true, false],
    ['13', 'Lapsed', true, false],
    ['15', 'Committed', true, true],
  ]);
  assert.equal(erin.gradientsLapsed, 2);

  // frank's top-ups: model 1's leftover went to expired shares, model 3's came back a third to him
  const frank = (await run('contributor-history', { account: record.accounts.frank })).account;
  assert.deepStrictEqual(frank.fundings.map((f: Json) => [f.model.id, f.isLender, f.amount, f.refund]).sort(), [
    ['1', false, '500000000000000001', null],
    ['3', false, '100000000000000000', '100000000000000000'],
  ]);
  assert.deepStrictEqual(frank.balances.map((b: Json) => [b.token.id, b.refundsReceived, b.balance]), [[ETH, '100000000000000000', '100000000000000000']]);
});

test('5. protocol totals and the daily series', async () => {
  const data = await run('protocol-totals');
  assert.deepStrictEqual(
    [data.protocol.modelCount, data.protocol.openModelCount, data.protocol.gradientCount, data.protocol.acceptedGradientCount, data.protocol.rewardCount],
    [5, 2, 15, 6, 7],
  );
  assert.deepStrictEqual(
    ['committedGradientCount', 'pendingGradientCount', 'rejectedGradientCount', 'declinedGradientCount', 'expiredGradientCount', 'lapsedGradientCount'].map((k) => data.protocol[k]),
    [1, 1, 2, 1, 2, 2],
  );
  // the loan desk: three deployments (one retired), six quotes (five answered), four requests
  assert.deepStrictEqual(
    ['deploymentCount', 'activeDeploymentCount', 'quoteCount', 'answeredQuoteCount', 'loanRequestCount', 'approvedLoanCount', 'declinedLoanCount'].map((k) => data.protocol[k]),
    [3, 2, 6, 5, 4, 2, 1],
  );
  assert.deepStrictEqual(data.tokens.map((t: Json) => [t.id, t.totalEscrowed, t.totalPaid, t.totalLocked]), [
    [record.token, '1500000000000000000000', '1200000000000000000000', '300000000000000000000'],
    [ETH, '3800000000000000001', '2500000000000000000', '1000000000000000000'],
  ]);
  assert.deepStrictEqual(
    data.dayDatas.map((d: Json) => [d.date - record.day0 * DAY, d.gradientsSubmitted, d.gradientsRevealed, d.gradientsAccepted, d.gradientsDeclined, d.gradientsLapsed, d.cumulativeGradients]),
    [
      [0, 4, 4, 0, 0, 0, 4],
      [DAY, 1, 1, 3, 1, 0, 5],
      [2 * DAY, 6, 5, 2, 0, 1, 11],
      [3 * DAY, 2, 1, 1, 0, 1, 13],
      [4 * DAY, 2, 1, 0, 0, 0, 15],
    ],
  );
  const ethDays = data.tokenDayDatas.filter((d: Json) => d.token.id === ETH);
  assert.deepStrictEqual(ethDays.map((d: Json) => d.cumulativePaid), ['0', '600000000000000000', '900000000000000000', '1900000000000000000', '2500000000000000000']);
  const since = await run('protocol-totals', { since: (record.day0 + 3) * DAY });
  assert.equal(since.dayDatas.length, 2);
});

test('6. any of it as of a past block', async () => {
  const at = tx(record, 'evaluate g2');
  const data = await run('time-travel', { block: at.blockNumber, model: '1' });
  assert.equal(data._meta.block.number, at.blockNumber);
  assert.equal(data._meta.hasIndexingErrors, false);
  assert.deepStrictEqual(data.protocol, {
    modelCount: 3,
    gradientCount: 4,
    committedGradientCount: 0,
    pendingGradientCount: 2,
    acceptedGradientCount: 1,
    rejectedGradientCount: 0,
    declinedGradientCount: 1,
    lapsedGradientCount: 0,
    rewardCount: 1,
    lastBlockNumber: String(at.blockNumber),
  });
  assert.deepStrictEqual(
    [data.model.status, data.model.bestScore, data.model.progress, data.model.version, data.model.bountyLeft],
    ['Open', '740000', '0.4', 1, '900000000000000001'],
  );
  assert.deepStrictEqual(data.model.evaluations.map((e: Json) => e.ordinal), [1, 2]);
  // model 2 (1000 tokens) > model 1 (0.9 ETH + 1 wei) > model 3 (0.3 ETH), all open then
  assert.deepStrictEqual(data.models.map((m: Json) => m.id), ['2', '1', '3']);
  const now = await run('time-travel', { block: record.lastBlock, model: '1' });
  assert.equal(now.model.status, 'Closed');
  assert.deepStrictEqual(now.models.map((m: Json) => m.id), ['5', '4']);
});

test('7. a deployed model\'s loan decisions', async () => {
  const a = record.accounts;
  const { deployment } = await run('loan-decisions', { deployment: '1' });
  assert.deepStrictEqual(
    [deployment.model.id, deployment.lender.id, deployment.token, deployment.status, deployment.metric, deployment.modelVersion, deployment.score, deployment.targetScore],
    ['2', a.bob, record.token, 'Active', 'auc', 2, '610000', '600000'],
  );
  assert.deepStrictEqual(
    [deployment.quoteCount, deployment.answeredQuoteCount, deployment.loanRequestCount, deployment.pendingLoanCount, deployment.approvedCount, deployment.declinedCount, deployment.cancelledCount],
    [3, 3, 3, 0, 2, 1, 0],
  );
  // 3000 at 900 bps and 1000 at 1250 bps
  assert.deepStrictEqual([deployment.approvedAmount, deployment.averageRateBps], ['4000000000000000000000', '987.5']);
  // newest first, decided ones by default
  assert.deepStrictEqual(
    deployment.loanRequests.map((l: Json) => [l.id, l.borrower.id, l.quote.id, l.status, l.approvedAmount, l.rateBps, l.reason]),
    [
      ['3', a.ivan, '3', 'Approved', '1000000000000000000000', 1250, 'AmountAboveLimit'],
      ['2', a.heidi, '2', 'Declined', '0', 0, 'RiskTooHigh'],
      ['1', a.grace, '1', 'Approved', '3000000000000000000000', 900, 'Priced'],
    ],
  );
  assert.equal(deployment.loanRequests[2].decidedAt, String(tx(record, 'decide r1').timestamp));
  const declined = await run('loan-decisions', { deployment: '1', statuses: ['Declined'] });
  assert.deepStrictEqual(declined.deployment.loanRequests.map((l: Json) => l.id), ['2']);
  // model 1's deployment: nothing decided, one cancelled request
  const d2 = (await run('loan-decisions', { deployment: '2' })).deployment;
  assert.deepStrictEqual([d2.loanRequests, d2.averageRateBps, d2.cancelledCount], [[], null, 1]);
  const cancelled = await run('loan-decisions', { deployment: '2', statuses: ['Cancelled', 'Pending'] });
  assert.deepStrictEqual(cancelled.deployment.loanRequests.map((l: Json) => [l.id, l.status, l.approved, l.decidedAt]), [['4', 'Cancelled', null, null]]);
});
