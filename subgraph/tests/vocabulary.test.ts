// The subgraph speaks the contracts' vocabulary: its AssemblyScript enum names are generated from
// @hessian/contracts and schema.graphql's enums hold exactly the contract's names (but None, the
// zero value no entity is ever in).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Kind, parse, type EnumTypeDefinitionNode } from 'graphql';
import * as vocabulary from '@hessian/contracts/vocabulary';
import { enumsFile, renderEnums } from '../scripts/generate-enums.ts';
import { schemaFile } from './helpers.ts';

test('src/enums.ts is what scripts/generate-enums.ts writes from @hessian/contracts', async () => {
  assert.equal(await readFile(enumsFile, 'utf8'), renderEnums(), 'src/enums.ts is stale: run `npm run build -w @hessian/subgraph`');
});

test("schema.graphql's enums are the contracts' enums, in order, without None", async () => {
  const doc = parse(await readFile(schemaFile, 'utf8'));
  const enums = doc.definitions.filter((d): d is EnumTypeDefinitionNode => d.kind === Kind.ENUM_TYPE_DEFINITION);
  assert.ok(enums.length >= 10, `found only ${enums.length} enums in schema.graphql`);
  for (const e of enums) {
    const values = (vocabulary as unknown as Record<string, Record<string, number> | undefined>)[e.name.value];
    assert.ok(values, `schema enum ${e.name.value} has no counterpart in @hessian/contracts`);
    const names = vocabulary.enumNames(values).filter((n) => n !== 'None');
    assert.deepEqual(e.values?.map((v) => v.name.value), names, `enum ${e.name.value}`);
  }
});
