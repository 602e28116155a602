import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queryFieldNames } from '../../src/graphql/names.ts';

test('query field names follow graph-node (Inflector pluralization, camelCase)', () => {
  const cases: [string, string, string][] = [
    ['Model', 'model', 'models'],
    ['DayData', 'dayData', 'dayDatas'],
    ['TokenDayData', 'tokenDayData', 'tokenDayDatas'],
    ['AccountToken', 'accountToken', 'accountTokens'],
    ['ModelContributor', 'modelContributor', 'modelContributors'],
    ['StakeRelease', 'stakeRelease', 'stakeReleases'],
    ['Protocol', 'protocol', 'protocols'],
    ['Stats', 'stats', 'stats_collection'],
    ['Tx', 'tx', 'txes'],
    ['Category', 'category', 'categories'],
    ['Status', 'status', 'statuses'],
    ['Match', 'match', 'matches'],
    ['Person', 'person', 'persons'],
  ];
  for (const [type, single, plural] of cases) assert.deepEqual(queryFieldNames(type), { single, plural }, type);
});
