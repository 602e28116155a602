// schema.graphql → entity model: what graph-node accepts is accepted, the rest named clearly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSchema, parseSchema } from '../src/schema.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test("the project's schema parses into its entities, enums and id types", () => {
  const s = loadSchema(path.join(repo, 'subgraph', 'schema.graphql'));
  assert.equal(s.entities.get('Evaluation')?.immutable, true);
  assert.equal(s.entities.get('Model')?.immutable, false);
  assert.equal(s.entities.get('Evaluation')?.idType, 'Bytes');
  assert.equal(s.entities.get('Model')?.idType, 'ID');
  assert.deepEqual(s.enums.get('GradientStatus'), ['Committed', 'Pending', 'Accepted', 'Rejected', 'Declined', 'Expired', 'Lapsed']);
  const gradients = s.entities.get('Model')!.fieldMap.get('gradients')!;
  assert.deepEqual([gradients.list, gradients.nonNull, gradients.itemNonNull, gradients.derivedFrom], [true, true, true, 'model']);
  assert.deepEqual(s.entities.get('Model')!.fieldMap.get('token')!.type, { kind: 'entity', name: 'Token' });
  assert.deepEqual(s.entities.get('Model')!.fieldMap.get('status')!.type, { kind: 'enum', name: 'ModelStatus' });
});

test('@derivedFrom may point at an interface whose implementers carry the field', () => {
  const s = parseSchema(`
    interface Item { id: ID! owner: Owner! }
    type Book implements Item @entity { id: ID! owner: Owner! }
    type Owner @entity { id: ID! items: [Item!]! @derivedFrom(field: "owner") }`);
  assert.equal(s.entities.get('Owner')!.fieldMap.get('items')!.derivedFrom, 'owner');
  assert.deepEqual(s.interfaces.get('Item')!.implementedBy, ['Book']);
});

test('schema mistakes are refused with the type and field named', () => {
  const bad: [string, RegExp][] = [
    ['type A { id: ID! }', /type A must be annotated with @entity/],
    ['type A @entity { name: String }', /A\.id must be ID!, String!, Bytes! or Int8!/],
    ['type A @entity { id: BigInt! }', /A\.id must be/],
    ['type A @entity { id: ID! b: Nope }', /A\.b: unknown type Nope/],
    ['type A @entity { id: ID! m: [[Int]] }', /A\.m: nested lists are not supported/],
    ['type A @entity { id: ID! bs: [B!]! @derivedFrom(field: "a") } type B @entity { id: ID! }', /A\.bs: @derivedFrom\(field: "a"\) but B has no such field/],
    ['type A @entity { id: ID! n: Int @derivedFrom(field: "a") }', /A\.n: @derivedFrom needs an entity or interface type/],
    ['type A @entity { id: ID! ', /Syntax Error/],
  ];
  for (const [src, re] of bad) assert.throws(() => parseSchema(src), re, src);
  assert.throws(() => loadSchema('/nonexistent/schema.graphql'), /cannot read schema \/nonexistent\/schema\.graphql/);
});
