// A deliberately naive, in-memory reading of graph-node's query semantics over hand-derived
// expected entities (@hessian/test-kit/expected): scan, filter, sort (NULLs last ascending, first
// descending, ties by id), page, and follow references and @derivedFrom by scanning. It shares
// nothing with the SQL path but the query's types (argument coercion by graphql-js), so the
// indexer's answers can be compared with it on the same documents.
import { buildSchema, execute, parse, printSchema, type GraphQLResolveInfo } from 'graphql';
import type { FieldDef, SubgraphSchema } from '../../src/schema.ts';
import { buildApiSchema } from '../../src/graphql/api-schema.ts';

type Scalar = string | number | bigint | boolean | null;
export type Entities = Record<string, Record<string, Record<string, Scalar>>>;
type Row = Record<string, Scalar> & { __typename: string };

const FILTER_SUFFIXES = ['not_in', 'not', 'gte', 'lte', 'gt', 'lt', 'in'] as const;

function compare(a: Scalar, b: Scalar): number {
  if (a === null || b === null) throw new Error('compare with null');
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = BigInt(a as bigint);
    const y = BigInt(b as bigint);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    // BigDecimal strings compare as numbers; everything else bytewise (C collation)
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function coerce(field: FieldDef, v: unknown): Scalar {
  if (v === null || v === undefined) return null;
  if (field.type.kind === 'scalar' && (field.type.name === 'BigInt' || field.type.name === 'Int8' || field.type.name === 'Timestamp')) return BigInt(v as string);
  if (field.type.kind === 'scalar' && field.type.name === 'Bytes') return String(v).toLowerCase();
  if (field.type.kind === 'scalar' && field.type.name === 'BigDecimal') return Number(v);
  if (field.type.kind === 'entity' && typeof v === 'string' && v.startsWith('0x')) return v.toLowerCase();
  return v as Scalar;
}

export class Reference {
  readonly sdl;
  readonly api;
  readonly sg: SubgraphSchema;
  readonly entities: Entities;
  constructor(sg: SubgraphSchema, entities: Entities) {
    this.sg = sg;
    this.entities = entities;
    this.api = buildApiSchema(sg);
    // the same types without resolvers or custom scalars: values pass through as written
    this.sdl = buildSchema(printSchema(this.api.schema));
  }

  rows(type: string): Row[] {
    return Object.entries(this.entities[type] ?? {}).map(([id, data]) => ({ ...data, id, __typename: type }) as Row);
  }

  matches(type: string, row: Row, where: Record<string, unknown>): boolean {
    const e = this.sg.entities.get(type)!;
    return Object.entries(where).every(([key, value]) => {
      let name = key;
      let op = '';
      for (const s of FILTER_SUFFIXES) {
        if (key.endsWith('_' + s) && e.fieldMap.has(key.slice(0, -s.length - 1))) {
          name = key.slice(0, -s.length - 1);
          op = s;
          break;
        }
      }
      const f = e.fieldMap.get(name);
      if (!f) throw new Error(`reference: unsupported filter ${key}`);
      const have = row[name] ?? null;
      if (op === 'in' || op === 'not_in') {
        const list = (value as unknown[]).map((v) => coerce(f, v));
        const found = have !== null && list.some((v) => compare(have, v) === 0);
        return have !== null && (op === 'in' ? found : !found);
      }
      const want = coerce(f, value);
      if (want === null) return op === '' ? have === null : have !== null;
      if (have === null) return false;
      const c = compare(have, want);
      return { '': c === 0, not: c !== 0, gt: c > 0, lt: c < 0, gte: c >= 0, lte: c <= 0 }[op]!;
    });
  }

  collection(type: string, rows: Row[], args: Record<string, unknown>): Row[] {
    const where = (args.where as Record<string, unknown> | undefined) ?? {};
    let out = rows.filter((r) => this.matches(type, r, where));
    const desc = args.orderDirection === 'desc';
    const key = (args.orderBy as string | undefined) ?? 'id';
    const e = this.sg.entities.get(type)!;
    const f = e.fieldMap.get(key)!;
    const value = (r: Row) => coerce(f, r[key] ?? null);
    out = [...out].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      let c: number;
      if (x === null && y === null) c = 0;
      else if (x === null) return desc ? -1 : 1;
      else if (y === null) return desc ? 1 : -1;
      else c = compare(x, y);
      if (c === 0) c = compare(a.id as string, b.id as string);
      return desc ? -c : c;
    });
    const skip = (args.skip as number | undefined) ?? 0;
    const first = (args.first as number | undefined) ?? 100;
    return out.slice(skip, skip + first);
  }

  resolve = (source: unknown, args: Record<string, unknown>, _ctx: unknown, info: GraphQLResolveInfo): unknown => {
    if (info.parentType.name === 'Query') {
      const q = this.api.queryFields.get(info.fieldName);
      if (!q) throw new Error(`reference: no ${info.fieldName}`);
      if (q.kind === 'single') return this.rows(q.typeName).find((r) => r.id === args.id) ?? null;
      return this.collection(q.typeName, this.rows(q.typeName), args);
    }
    const row = source as Row;
    const e = this.sg.entities.get(row.__typename);
    const f = e?.fieldMap.get(info.fieldName);
    if (!f) return (row as Record<string, unknown>)[info.fieldName];
    if (f.type.kind === 'entity') {
      const target = f.type.name;
      if (f.derivedFrom) {
        const back = f.derivedFrom;
        const children = this.rows(target).filter((c) => c[back] === row.id);
        return f.list ? this.collection(target, children, args) : (children[0] ?? null);
      }
      const id = row[f.name];
      return id === null || id === undefined ? null : (this.rows(target).find((c) => c.id === id) ?? null);
    }
    const v = row[f.name];
    if (v === undefined || v === null) return null;
    return typeof v === 'bigint' ? v.toString() : v;
  };

  answer(document: string, variables: Record<string, unknown>): unknown {
    const r = execute({ schema: this.sdl, document: parse(document), variableValues: variables, fieldResolver: this.resolve as never });
    if ('then' in r) throw new Error('reference is synchronous');
    if (r.errors?.length) throw new Error(`reference: ${r.errors.map((e) => e.message).join('; ')}`);
    return JSON.parse(JSON.stringify(r.data));
  }
}
