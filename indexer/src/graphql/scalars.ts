// graph-node's custom scalars. Results are serialized before they reach graphql-js (BigInt,
// BigDecimal, Int8 and Timestamp as JSON strings, Bytes as lowercase 0x-hex), so `serialize`
// only checks; `parseValue`/`parseLiteral` turn query inputs into the store's typed values.
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { normalizeDecimal, parseDecimal } from '../store/encoding.ts';

export interface BytesInput {
  kind: 'bytes';
  bytes: Buffer;
  /** lowercase 0x-hex, as stored ids are spelled */
  hex: string;
}

function fail(type: string, value: unknown): GraphQLError {
  return new GraphQLError(`Failed to coerce value \`${typeof value === 'string' ? value : JSON.stringify(value)}\` to scalar type \`${type}\``);
}

function literal(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
      return ast.value;
    case Kind.INT:
      return Number.isSafeInteger(Number(ast.value)) ? Number(ast.value) : ast.value;
    case Kind.FLOAT:
      return Number(ast.value);
    default:
      return undefined;
  }
}

function integer(type: string, value: unknown, min?: bigint, max?: bigint): bigint {
  let n: bigint;
  if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) n = BigInt(value.trim());
  else throw fail(type, value);
  if ((min !== undefined && n < min) || (max !== undefined && n > max)) throw fail(type, value);
  return n;
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function stringOut(type: string) {
  return (v: unknown) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'bigint' || typeof v === 'number') return v.toString();
    throw new GraphQLError(`cannot serialize ${typeof v} as ${type}`);
  };
}

function scalar(name: string, description: string, parse: (v: unknown) => unknown, intLiteral: boolean) {
  return new GraphQLScalarType({
    name,
    description,
    serialize: stringOut(name),
    parseValue: parse,
    parseLiteral(ast) {
      if (ast.kind !== Kind.STRING && !(intLiteral && ast.kind === Kind.INT) && !(name === 'BigDecimal' && ast.kind === Kind.FLOAT)) {
        throw new GraphQLError(`Invalid value for scalar type \`${name}\`: expected a ${intLiteral ? 'string or integer' : 'string'}`);
      }
      return parse(literal(ast));
    },
  });
}

export function parseBytes(value: unknown): BytesInput {
  if (typeof value !== 'string') throw fail('Bytes', value);
  const h = value.startsWith('0x') || value.startsWith('0X') ? value.slice(2) : value;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) {
    throw new GraphQLError(`Failed to decode \`Bytes\` value: \`${value}\` is not valid hex (0x followed by an even number of hex digits)`);
  }
  return { kind: 'bytes', bytes: Buffer.from(h, 'hex'), hex: '0x' + h.toLowerCase() };
}

export const BigIntScalar = scalar('BigInt', 'Arbitrary-size integer, a JSON string', (v) => integer('BigInt', v), true);
export const Int8Scalar = scalar('Int8', '8 bytes signed integer', (v) => integer('Int8', v, I64_MIN, I64_MAX), true);
export const TimestampScalar = scalar(
  'Timestamp',
  'A string representation of microseconds UNIX timestamp (16 digits)',
  (v) => integer('Timestamp', v, I64_MIN, I64_MAX),
  true,
);
export const BigDecimalScalar = scalar(
  'BigDecimal',
  'Arbitrary-precision decimal, a JSON string',
  (v) => {
    if (typeof v === 'number' && Number.isFinite(v)) return normalizeDecimal(String(v));
    if (typeof v !== 'string') throw fail('BigDecimal', v);
    try {
      parseDecimal(v);
    } catch {
      throw fail('BigDecimal', v);
    }
    return normalizeDecimal(v);
  },
  true,
);
export const BytesScalar = scalar('Bytes', 'Byte array, 0x-prefixed lowercase hex', parseBytes, false);
