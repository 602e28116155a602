// The subgraph's six example queries (subgraph/queries/*.graphql) against the whole embedded
// indexer: a Hardhat node with the scripted ModelRepository history, `startIndexer` syncing it over
// JSON-RPC through the compiled WASM mappings into SQLite, and the GraphQL server it starts. Each
// answer must equal, as JSON, the answer graph-node's semantics give over the hand-derived expected
// entities (reference.ts); the time-travel query is checked against the history's checkpoints.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ETH } from '@hessian/contracts';
import { expectedCheckpoints, expectedEntities } from '@hessian/test-kit/expected';
import { DAY, tx } from '@hessian/test-kit/history';
import type { LeaderboardQuery, OpenBountiesQuery, ProtocolTotalsQuery, ScoreHistoryQuery, TimeTravelQuery } from '@hessian/subgraph/queries';
import { startIndexer, type RunningIndexer } from '../../src/indexer.ts';
import { silentLogger } from '../../src/log.ts';
import { startHessianChain, type HessianChain } from '../sync/helpers/hessian.ts';
import { post } from './client.ts';
import { Reference, type Entities } from './reference.ts';

const queriesDir = path.resolve(import.meta.dirname, '../../../subgraph/queries');
const query = (name: string) => readFileSync(path.join(queriesDir, `${name}.graphql`), 'utf8');

let h: HessianChain;
let indexer: RunningIndexer;
let reference: Reference;

before(async () => {
  h = await startHessianChain();
  indexer = await startIndexer({ rpcUrl: h.chain.url, subgraph: h.subgraphDir, db: ':memory:', port: 0, pollIntervalMs: 20, logger: silentLogger });
  await indexer.ready;
  reference = new Reference(indexer.subgraph.schema, expectedEntities(h.record) as Entities);
});
after(async () => {
  await indexer?.stop();
  await h?.stop();
});

/** the answer, typed as generated from the query document (subgraph/queries/operations.generated.ts) */
async function same<Answer>(name: string, variables: Record<string, unknown>): Promise<Answer> {
  const doc = query(name);
  const got = await post(indexer.url!, doc, variables);
  assert.equal(got.body.errors, undefined, JSON.stringify(got.body.errors));
  assert.deepStrictEqual(got.body.data, reference.answer(doc, variables), `${name} ${JSON.stringify(variables)}`);
  return got.body.data as Answer;
}

describe('the six example queries over the indexed scripted history', () => {
  test('1. open bounties', async () => {
    const first = await same<OpenBountiesQuery>('open-bounties', {});
    assert.ok(first.models.length > 0, 'some model is open');
    await same('open-bounties', { orderBy: 'submissionDeadline', orderDirection: 'asc' });
    await same('open-bounties', { orderBy: 'progress', orderDirection: 'desc', first: 1, skip: 1 });
    await same('open-bounties', { now: String(h.record.t0 + 20 * DAY) });
  });

  test('2. score history', async () => {
    for (const model of ['1', '2', '3', '4', '5', '99']) await same('score-history', { model });
    const one = await same<ScoreHistoryQuery>('score-history', { model: '1' });
    assert.ok(one.model!.evaluations.length >= 2, 'model 1 has a score curve');
  });

  test('3. leaderboards', async () => {
    for (const token of [ETH, h.record.token]) {
      for (const orderBy of ['rewardsEarned', 'improvementContributed', 'gradientsAccepted', 'gradientsRejected', 'bestScore']) {
        await same('leaderboard', { model: '1', token, orderBy });
      }
      await same('leaderboard', { model: '2', token, first: 2 });
      const board = await same<LeaderboardQuery>('leaderboard', { model: '1', token });
      assert.ok(board.perModel.length > 0, 'model 1 has contributors');
    }
  });

  test('4. contributor histories', async () => {
    for (const account of Object.values(h.record.accounts)) await same('contributor-history', { account: account.toLowerCase() });
    await same('contributor-history', { account: '0x000000000000000000000000000000000000dead', first: 3 });
  });

  test('5. protocol totals', async () => {
    const totals = await same<ProtocolTotalsQuery>('protocol-totals', {});
    assert.ok(totals.dayDatas.length > 0 && totals.tokens.length === 2, 'days and both tokens');
    await same('protocol-totals', { since: (h.record.day0 + 2) * DAY, days: 2 });
  });

  test('6. time travel to every checkpoint of the history', async () => {
    for (const { after: label, entities } of expectedCheckpoints(h.record)) {
      const step = tx(h.record, label);
      const model = Object.keys(entities.Model ?? { '1': {} })[0]!;
      const got = await post(indexer.url!, query('time-travel'), { block: step.blockNumber, model });
      assert.equal(got.body.errors, undefined, JSON.stringify(got.body.errors));
      const data = got.body.data as TimeTravelQuery;
      assert.deepStrictEqual(data._meta?.block.number, step.blockNumber, label);
      const pick = (row: Record<string, unknown>, want: Record<string, unknown>) =>
        Object.fromEntries(Object.keys(want).filter((k) => k in row).map((k) => [k, row[k]]));
      const plain = (want: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(want).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));
      for (const [type, rows] of [['Model', entities.Model?.[model]], ['Protocol', entities.Protocol?.hessian]] as const) {
        if (!rows) continue;
        const row = (type === 'Model' ? data.model : data.protocol)!;
        const want = plain(rows);
        assert.deepStrictEqual(pick(row, want), pick(want, row), `${type} after ${label}`);
        if (type === 'Model') assert.ok(Object.keys(pick(row, want)).length >= 2, `some Model fields compared after ${label}`);
      }
    }
  });
});
