// The indexer source's answer types (src/chain/model-repository/source.generated.ts) must be what
// subgraph/scripts/graphql-types.ts generates from its documents and the subgraph's schema now.
import { test } from 'node:test';
import path from 'node:path';
import { checkPackageTypes } from '@hessian/subgraph/scripts/graphql-types';

test('the generated GraphQL types are up to date with the documents and subgraph/schema.graphql', async () => {
  await checkPackageTypes(path.resolve(import.meta.dirname, '..'));
});
