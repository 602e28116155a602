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

test("@fulltext, timeseries and @aggregation mistakes get graph-node's messages", () => {
  const ts = `type D @entity(timeseries: true) { id: Int8! timestamp: Timestamp! v: BigDecimal! n: String! }`;
  const cases: [string, RegExp][] = [
    [`type _Schema_ @fulltext(name: "s", language: xx, algorithm: rank, include: [{ entity: "D", fields: [{ name: "n" }] }]) ${ts}`, /Fulltext language is invalid: xx/],
    [`type _Schema_ @fulltext(name: "s", language: de, algorithm: rank, include: [{ entity: "D", fields: [{ name: "n" }] }]) ${ts}`, /language `de` \(Postgres 'german'\) has no SQLite FTS5 tokenizer/],
    [`type _Schema_ @fulltext(name: "s", language: en, algorithm: best, include: [{ entity: "D", fields: [{ name: "n" }] }]) ${ts}`, /Fulltext algorithm is invalid: best/],
    [`type _Schema_ @fulltext(name: "s", language: en, algorithm: rank, include: [{ entity: "D", fields: [{ name: "v" }] }]) ${ts}`, /Fulltext entity field, v, not found or not a string/],
    [`type _Schema_ @fulltext(name: "ds", language: en, algorithm: rank, include: [{ entity: "D", fields: [{ name: "n" }] }]) ${ts}`, /Fulltext directive name overlaps with type: ds/],
    [`type D @entity(timeseries: true, immutable: false) { id: Int8! timestamp: Timestamp! }`, /Timeseries D is marked as mutable, it must be immutable/],
    [`type D @entity(timeseries: true) { id: ID! timestamp: Timestamp! }`, /Timeseries `D` must have an `id` field of type `Int8`/],
    [`${ts} type S @aggregation(intervals: ["hour"], source: "D") { id: Int8! timestamp: Timestamp! s: BigDecimal! @aggregate(fn: "avg", arg: "v") }`, /uses the unknown aggregation function `avg`/],
    [`${ts} type S @aggregation(intervals: ["week"], source: "D") { id: Int8! timestamp: Timestamp! s: BigDecimal! @aggregate(fn: "sum", arg: "v") }`, /Aggregation S: the interval week is not supported/],
    [`${ts} type S @aggregation(intervals: ["hour"], source: "D") { id: Int8! timestamp: Timestamp! s: BigDecimal! @aggregate(fn: "sum", arg: "v * w") }`, /has `arg` v \* w but the source type does not have such a field/],
    [`${ts} type S @aggregation(intervals: ["hour"], source: "D") { id: Int8! timestamp: Timestamp! s: BigDecimal! @aggregate(fn: "sum", arg: "random(v)") }`, /Function random is not supported/],
    [`${ts} type S @aggregation(intervals: ["hour"], source: "D") { id: Int8! timestamp: Timestamp! s: Int! @aggregate(fn: "sum", arg: "v") }`, /of type BigDecimal but it is of the wider type Int/],
    [`${ts} type S @aggregation(intervals: ["hour"], source: "D") { id: Int8! timestamp: Timestamp! }`, /Aggregation S has no @aggregate fields/],
    [`${ts} type S @aggregation(intervals: ["hour"], source: "X") { id: Int8! timestamp: Timestamp! s: BigDecimal! @aggregate(fn: "sum", arg: "v") }`, /there is no timeseries of that name/],
  ];
  for (const [src, message] of cases) assert.throws(() => parseSchema(src), message, src);
});
