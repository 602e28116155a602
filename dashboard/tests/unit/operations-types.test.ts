// src/lib/operations.generated.ts (the result types every page and component reads, through
// types.ts) must be what subgraph/scripts/graphql-types.ts generates from queries.ts and the subgraph's schema
// now: a changed document or schema without `npm run build` fails here, not in a user's browser.
// The check runs as its own node process: under vitest, codegen and the schema would load two
// copies of graphql.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const dashboardDir = path.resolve(import.meta.dirname, '../..');
const generator = createRequire(import.meta.url).resolve('@hessian/subgraph/scripts/graphql-types');

describe('generated GraphQL types', () => {
  it('are up to date with queries.ts and subgraph/schema.graphql', async () => {
    const run = promisify(execFile)(process.execPath, [generator, '--check', dashboardDir]);
    await expect(run).resolves.toMatchObject({ stderr: '' });
  }, 60_000);
});
