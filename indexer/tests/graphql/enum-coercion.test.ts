// Strings where an enum is expected, as graph-node coerces them (graphql/src/values/coercion.rs:
// a string or enum naming a member is that member; anything else is InvalidArgumentError, whose
// text is `Invalid value provided for argument `<name>`: <graphql-parser value, {:?}>` at the
// argument definition's position, 0:0 in graph-node's generated API schema, or at the variable's).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphqlServer, type GraphqlServer } from '../../src/graphql/server.ts';
import { parseSchema } from '../../src/schema.ts';
import { data, errors, post } from './client.ts';
import { MUSIC_SCHEMA, musicStore } from './music.ts';

let server: GraphqlServer;
let url: string;

before(async () => {
  server = await createGraphqlServer({ store: musicStore(), schema: parseSchema(MUSIC_SCHEMA), subgraphName: 'enums', deployment: 'QmEnums' });
  url = server.url;
});
after(() => server.close());

const NAMES_DESC = { musicians: ['Valerie', 'Tom', 'Paul', 'Lisa', 'John'].map((name) => ({ name })) };
const AT_NO_POSITION = [{ line: 0, column: 0 }];

describe('a string naming a member is that member', () => {
  test('orderBy and orderDirection as strings answer as the enum literals do', async () => {
    assert.deepEqual(await data(url, `{ musicians(orderBy: name, orderDirection: desc) { name } }`), NAMES_DESC);
    assert.deepEqual(await data(url, `{ musicians(orderBy: "name", orderDirection: "desc") { name } }`), NAMES_DESC);
  });

  test('in where: an enum field, its _in list (strings and names mixed) and _not', async () => {
    assert.deepEqual(await data(url, `{ things(where: { color: "Red" }) { id } }`), { things: [{ id: 't1' }] });
    assert.deepEqual(await data(url, `{ things(where: { color_in: ["Red", Green] }) { id } }`), { things: [{ id: 't1' }, { id: 't2' }] });
    assert.deepEqual(await data(url, `{ things(where: { color_not: "Red" }) { id } }`), { things: [{ id: 't2' }] });
  });

  test('subgraphError and nested collections', async () => {
    assert.deepEqual(await data(url, `{ band(id: "b2", subgraphError: "allow") { originalSongs(orderBy: "title", orderDirection: "desc") { id } } }`), {
      band: { originalSongs: [{ id: 's3' }, { id: 's4' }, { id: 's1' }] },
    });
  });

  test('variables: an enum-typed variable given a string, and a String variable in an enum position', async () => {
    const q1 = `query q($dir: OrderDirection) { musicians(orderBy: name, orderDirection: $dir) { name } }`;
    assert.deepEqual(await data(url, q1, { dir: 'desc' }), NAMES_DESC);
    const q2 = `query q($dir: String, $by: String) { musicians(orderBy: $by, orderDirection: $dir) { name } }`;
    assert.deepEqual(await data(url, q2, { dir: 'desc', by: 'name' }), NAMES_DESC);
    const q3 = `query q($w: Thing_filter) { things(where: $w) { id } }`;
    assert.deepEqual(await data(url, q3, { w: { color: 'Green' } }), { things: [{ id: 't2' }] });
  });
});

describe('anything else is graph-node InvalidArgumentError', () => {
  test('a string or enum that is no member, at 0:0', async () => {
    assert.deepEqual((await post(url, `{ musicians(orderDirection: "up") { id } }`)).body, {
      errors: [{ locations: AT_NO_POSITION, message: 'Invalid value provided for argument `orderDirection`: String("up")' }],
    });
    assert.deepEqual((await post(url, `{ musicians(orderBy: nope) { id } }`)).body, {
      errors: [{ locations: AT_NO_POSITION, message: 'Invalid value provided for argument `orderBy`: Enum("nope")' }],
    });
  });

  test('a literal of another kind names its kind', async () => {
    assert.deepEqual(await errors(url, `{ musicians(orderDirection: 5) { id } }`), ['Invalid value provided for argument `orderDirection`: Int(Number(5))']);
    assert.deepEqual(await errors(url, `{ musicians(orderDirection: 1.5) { id } }`), ['Invalid value provided for argument `orderDirection`: Float(1.5)']);
    assert.deepEqual(await errors(url, `{ musicians(orderDirection: ["asc"]) { id } }`), ['Invalid value provided for argument `orderDirection`: List([String("asc")])']);
  });

  test('in where the whole filter object is named, its keys in order, escapes as Rust writes them', async () => {
    assert.deepEqual(await errors(url, `{ things(where: { int: 0, color: "Pur\\"ple" }) { id } }`), [
      'Invalid value provided for argument `where`: Object({"color": String("Pur\\"ple"), "int": Int(Number(0))})',
    ]);
    // a list names only its failing item
    assert.deepEqual(await errors(url, `{ things(where: { color_in: [Red, "Mauve"] }) { id } }`), [
      'Invalid value provided for argument `where`: Object({"color_in": List([Enum("Red"), String("Mauve")])})',
    ]);
  });

  test('every refused argument of the first refused field, in definition order', async () => {
    assert.deepEqual(await errors(url, `{ musicians(orderDirection: up, orderBy: nope) { id } things(orderBy: "x") { id } }`), [
      'Invalid value provided for argument `orderBy`: Enum("nope")',
      'Invalid value provided for argument `orderDirection`: Enum("up")',
    ]);
  });

  test('an enum-typed variable: at the variable, before anything else', async () => {
    const r = await post(url, `query q($dir: OrderDirection) { musicians(orderDirection: $dir) { nope } }`, { dir: 'up' });
    assert.deepEqual(r.body, { errors: [{ locations: [{ line: 1, column: 9 }], message: 'Invalid value provided for argument `dir`: String("up")' }] });
    assert.deepEqual(await errors(url, `query q($w: Thing_filter) { things(where: $w) { id } }`, { w: { color: 'Mauve' } }), [
      'Invalid value provided for argument `w`: Object({"color": String("Mauve")})',
    ]);
    // its default is coerced as a given value is
    assert.deepEqual(await errors(url, `query q($dir: OrderDirection = sideways) { musicians(orderDirection: $dir) { id } }`), [
      'Invalid value provided for argument `dir`: Enum("sideways")',
    ]);
  });

  test('a String variable that names no member: at the argument', async () => {
    const r = await post(url, `query q($dir: String) { musicians(orderDirection: $dir) { id } }`, { dir: 'up' });
    assert.deepEqual(r.body, { errors: [{ locations: AT_NO_POSITION, message: 'Invalid value provided for argument `orderDirection`: String("up")' }] });
  });
});

describe('what graph-node checks first, or does not check', () => {
  test('an unknown field is reported before an argument an enum refuses (validate_fields runs first)', async () => {
    assert.deepEqual(await errors(url, `{ musicians(orderBy: "nope") { nope } }`), ['Type `Musician` has no field `nope`']);
  });

  test('a field skipped by @skip/@include is not coerced', async () => {
    assert.deepEqual(await data(url, `{ a: musicians(orderBy: "nope") @skip(if: true) { id } b: things(orderBy: nope) @include(if: false) { id } things(first: 1) { id } }`), {
      things: [{ id: 't1' }],
    });
    assert.deepEqual(await errors(url, `query q($s: Boolean) { musicians(orderBy: "nope") @skip(if: $s) { id } }`, { s: false }), [
      'Invalid value provided for argument `orderBy`: String("nope")',
    ]);
  });

  test('other wrong types keep their validation errors', async () => {
    assert.deepEqual(await errors(url, `{ things(where: { int: "zero" }) { id } }`), ['Int cannot represent non-integer value: "zero"']);
    assert.deepEqual(await errors(url, `{ things(where: { colour: Red }) { id } }`), ['Field "colour" is not defined by type "Thing_filter". Did you mean "color"?']);
  });
});
