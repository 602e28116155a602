// The six example queries (queries/*.graphql) parse, name their operation, and validate against
// the graph-node query API the indexer generates from schema.graphql. The indexer's own tests run
// them for real against indexed data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Kind, parse, validate, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { loadSchema, type SubgraphSchema } from '@hessian/indexer/schema';
import { subgraphDir } from './helpers.ts';

const queriesDir = path.join(subgraphDir, 'queries');
const QUERIES = ['open-bounties', 'score-history', 'leaderboard', 'contributor-history', 'protocol-totals', 'time-travel'];

async function operations() {
  return Promise.all(
    QUERIES.map(async (name) => {
      const source = await readFile(path.join(queriesDir, `${name}.graphql`), 'utf8');
      return { name, source, document: parse(source) };
    }),
  );
}

test('one query per question, each a single named operation with documented variables', async () => {
  assert.deepStrictEqual((await readdir(queriesDir)).sort(), QUERIES.map((q) => `${q}.graphql`).sort());
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

test('every query validates against the generated graph-node API schema', async (t) => {
  let buildApiSchema: (schema: SubgraphSchema) => { schema: GraphQLSchema };
  // not a static import: the indexer's API engineer may still be writing it
  const apiSchemaModule = '@hessian/indexer/graphql/api-schema';
  try {
    ({ buildApiSchema } = (await import(apiSchemaModule)) as { buildApiSchema: typeof buildApiSchema });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return t.skip('indexer/src/graphql/api-schema.ts has not landed yet');
    throw err;
  }
  const { schema } = buildApiSchema(loadSchema(path.join(subgraphDir, '..', 'schema.graphql')));
  for (const { name, document } of await operations()) {
    assert.deepStrictEqual(validate(schema, document).map((e) => e.message), [], name);
  }
});
