// The seven example queries (queries/*.graphql) parse, name their operation, and validate against
// the graph-node query API the indexer generates from schema.graphql (queries-answers.test.ts
// runs them against indexed data).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { loadSchema, buildApiSchema } from '@hessian/indexer';
import { checkPackageTypes } from '../scripts/graphql-types.ts';
import { schemaFile, subgraphDir } from './helpers.ts';

const queriesDir = path.join(subgraphDir, 'queries');
const QUERIES = ['open-bounties', 'score-history', 'leaderboard', 'contributor-history', 'protocol-totals', 'time-travel', 'loan-decisions'];

async function operations() {
  return Promise.all(
    QUERIES.map(async (name) => {
      const source = await readFile(path.join(queriesDir, `${name}.graphql`), 'utf8');
      return { name, source, document: parse(source) };
    }),
  );
}

test('one query per question, each a single named operation with documented variables', async () => {
  assert.deepStrictEqual((await readdir(queriesDir)).filter((f) => f.endsWith('.graphql')).sort(), QUERIES.map((q) => `${q}.graphql`).sort());
  for (const { name, source, document } of await operations()) {
    const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    assert.equal(ops.length, 1, `${name}: one operation`);
    assert.equal(ops[0]!.operation, 'query', name);
    assert.ok(ops[0]!.name, `${name}: the operation is named`);
    for (const v of ops[0]!.variableDefinitions ?? []) {
      assert.match(source, new RegExp(`^#.*\\$${v.variable.name.value}\\b`, 'm'), `${name}: $${v.variable.name.value} is documented in a comment`);
    }
  }
});

test('every query validates against the generated graph-node API schema', async () => {
  const { schema } = buildApiSchema(loadSchema(schemaFile));
  for (const { name, document } of await operations()) {
    assert.deepStrictEqual(validate(schema, document).map((e) => e.message), [], name);
  }
});

test('queries/operations.generated.ts holds the types scripts/graphql-types.ts generates from the queries now', async () => {
  await checkPackageTypes(subgraphDir);
});
