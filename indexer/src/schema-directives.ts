// The schema features graph-node declares with directives rather than types: `@fulltext` on the
// `_Schema_` type (graph/src/schema/fulltext.rs) and timeseries with their `@aggregation`s
// (graph/src/schema/input/mod.rs). Parsed and validated with graph-node's error messages.
import { Kind, type ConstDirectiveNode, type ConstValueNode, type ObjectTypeDefinitionNode } from 'graphql';
import { ExprError, identifiers, parseExpr, type Expr } from './aggregate-expr.ts';
import type { EntityDef, FieldDef } from './schema.ts';

export type FulltextAlgorithm = 'rank' | 'proximityRank';

export interface FulltextDef {
  /** the query field's name */
  name: string;
  /** graph-node's language code (`en`, `simple`, ...) */
  language: string;
  algorithm: FulltextAlgorithm;
  entity: string;
  /** included String fields, in declaration order */
  fields: string[];
}

export type AggregateFn = 'sum' | 'count' | 'min' | 'max' | 'first' | 'last';
export type Interval = 'hour' | 'day';
/** graph-node's AggregationInterval, in increasing size (the order rollups run in) */
export const INTERVALS: readonly Interval[] = ['hour', 'day'];
export const INTERVAL_SECONDS: Record<Interval, number> = { hour: 3600, day: 86400 };

export interface AggregateDef {
  field: FieldDef;
  fn: AggregateFn;
  /** the `arg` as written (`count` without one reads `id`, as graph-node pretends) */
  arg: string;
  expr: Expr;
  cumulative: boolean;
}

export interface AggregationDef {
  name: string;
  source: string;
  intervals: Interval[];
  idType: EntityDef['idType'];
  /** every field in declaration order: id, timestamp, dimensions and aggregates */
  fields: FieldDef[];
  fieldMap: Map<string, FieldDef>;
  /** non-aggregate fields other than id and timestamp: the group key */
  dimensions: FieldDef[];
  aggregates: AggregateDef[];
  description?: string;
}

export class SchemaDirectiveError extends Error {
  override name = 'SchemaError';
}

/**
 * graph-node's fulltext languages; SQLite FTS5 has tokenizers for two of them. The others are
 * refused by name (FTS5 has no stemmer for them built in).
 */
export const FULLTEXT_LANGUAGES: Record<string, { postgres: string; tokenize?: string }> = {
  simple: { postgres: 'simple', tokenize: 'unicode61 remove_diacritics 0' },
  en: { postgres: 'english', tokenize: 'porter unicode61 remove_diacritics 0' },
  da: { postgres: 'danish' },
  nl: { postgres: 'dutch' },
  fi: { postgres: 'finnish' },
  fr: { postgres: 'french' },
  de: { postgres: 'german' },
  hu: { postgres: 'hungarian' },
  it: { postgres: 'italian' },
  no: { postgres: 'norwegian' },
  pt: { postgres: 'portugese' },
  ro: { postgres: 'romanian' },
  ru: { postgres: 'russian' },
  es: { postgres: 'spanish' },
  sv: { postgres: 'swedish' },
  tr: { postgres: 'turkish' },
};

function arg(d: ConstDirectiveNode, name: string): ConstValueNode | undefined {
  return d.arguments?.find((a) => a.name.value === name)?.value;
}

function str(v: ConstValueNode | undefined): string | undefined {
  return v?.kind === Kind.STRING ? v.value : undefined;
}

function objectField(v: ConstValueNode, name: string): ConstValueNode | undefined {
  return v.kind === Kind.OBJECT ? v.fields.find((f) => f.name.value === name)?.value : undefined;
}

/** `@fulltext` directives of `_Schema_`, checked as graph-node's validate_fulltext_directives. */
export function parseFulltext(node: ObjectTypeDefinitionNode, entities: Map<string, EntityDef>, queryFieldNames: Set<string>): FulltextDef[] {
  if ((node.fields ?? []).length > 0) throw new SchemaDirectiveError('_Schema_ type is only for @fulltext and must not have any fields');
  const out: FulltextDef[] = [];
  for (const d of node.directives ?? []) {
    if (d.name.value !== 'fulltext') throw new SchemaDirectiveError('The _Schema_ type only allows @fulltext directives');
    const name = str(arg(d, 'name'));
    if (name === undefined) throw new SchemaDirectiveError('Fulltext directive name undefined');
    if (queryFieldNames.has(name)) throw new SchemaDirectiveError(`Fulltext directive name overlaps with type: ${name}`);
    if (out.some((f) => f.name === name)) throw new SchemaDirectiveError(`Fulltext directive name is not unique: ${name}`);
    const language = arg(d, 'language');
    if (language?.kind !== Kind.ENUM) throw new SchemaDirectiveError('Fulltext language is undefined');
    const lang = FULLTEXT_LANGUAGES[language.value];
    if (!lang) throw new SchemaDirectiveError(`Fulltext language is invalid: ${language.value}`);
    if (!lang.tokenize) {
      throw new SchemaDirectiveError(
        `@fulltext(name: "${name}"): language \`${language.value}\` (Postgres '${lang.postgres}') has no SQLite FTS5 tokenizer in the embedded indexer; use \`en\` or \`simple\`, or run this subgraph on graph-node`,
      );
    }
    const algorithm = arg(d, 'algorithm');
    if (algorithm?.kind !== Kind.ENUM) throw new SchemaDirectiveError('Fulltext algorithm is undefined');
    if (algorithm.value !== 'rank' && algorithm.value !== 'proximityRank') {
      throw new SchemaDirectiveError(`Fulltext algorithm is invalid: ${algorithm.value}`);
    }
    const include = arg(d, 'include');
    if (include?.kind !== Kind.LIST || include.values.length === 0) throw new SchemaDirectiveError("Fulltext directive requires an 'include' list");
    // graph-node's query field covers the first included entity only
    if (include.values.length > 1) throw new SchemaDirectiveError(`@fulltext(name: "${name}"): include names more than one entity; graph-node searches only one per directive`);
    const inc = include.values[0]!;
    if (inc.kind !== Kind.OBJECT) throw new SchemaDirectiveError("Fulltext 'include' list must contain an object");
    const entityName = str(objectField(inc, 'entity'));
    const fieldList = objectField(inc, 'fields');
    if (entityName === undefined || fieldList?.kind !== Kind.LIST) throw new SchemaDirectiveError("Fulltext 'include' list must contain an object");
    const entity = entities.get(entityName);
    if (!entity) throw new SchemaDirectiveError('Fulltext directive includes an entity not found on the subgraph schema');
    const fields: string[] = [];
    for (const fv of fieldList.values) {
      if (fv.kind !== Kind.OBJECT) throw new SchemaDirectiveError("Fulltext 'include' list must contain an object");
      const fname = str(objectField(fv, 'name'));
      if (fname === undefined) throw new SchemaDirectiveError("Fulltext include field must have a 'name' attribute");
      const f = entity.fieldMap.get(fname);
      if (!f || f.type.kind !== 'scalar' || f.type.name !== 'String' || f.derivedFrom) {
        throw new SchemaDirectiveError(`Fulltext entity field, ${fname}, not found or not a string`);
      }
      if (f.list) throw new SchemaDirectiveError(`@fulltext(name: "${name}"): ${entityName}.${fname} is a list; the embedded indexer searches String fields`);
      if (!fields.includes(fname)) fields.push(fname);
    }
    out.push({ name, language: language.value, algorithm: algorithm.value, entity: entityName, fields });
  }
  return out;
}

/** `@entity(timeseries: true)`: immutable, `id: Int8!`, `timestamp: Timestamp!` (graph-node's checks). */
export function checkTimeseries(e: EntityDef, immutableArg: boolean | undefined): void {
  if (immutableArg === false) throw new SchemaDirectiveError(`Timeseries ${e.name} is marked as mutable, it must be immutable`);
  if (e.idType !== 'Int8') throw new SchemaDirectiveError(`Timeseries \`${e.name}\` must have an \`id\` field of type \`Int8\``);
  checkTimestampField(e.name, e.fieldMap);
}

function checkTimestampField(owner: string, fields: Map<string, FieldDef>): void {
  const ts = fields.get('timestamp');
  if (!ts) throw new SchemaDirectiveError(`Timeseries ${owner} is missing a \`timestamp\` field`);
  if (ts.type.kind !== 'scalar' || ts.type.name !== 'Timestamp' || ts.list) {
    throw new SchemaDirectiveError(`Type ${owner} has a \`timestamp\` field of type ${ts.type.name}, but it must be of type Timestamp`);
  }
}

const NUMERIC = ['Int', 'Int8', 'BigInt', 'BigDecimal'];
/** graph-node's ValueType order for "wider": Int < Int8 < BigInt < BigDecimal */
const WIDTH: Record<string, number> = { Int: 0, Int8: 1, BigInt: 2, BigDecimal: 3 };

/** An `@aggregation` type, checked as graph-node's validate_aggregations. */
export function parseAggregation(
  node: ObjectTypeDefinitionNode,
  fields: FieldDef[],
  entities: Map<string, EntityDef>,
): AggregationDef {
  const name = node.name.value;
  const dir = node.directives!.find((d) => d.name.value === 'aggregation')!;
  const fieldMap = new Map(fields.map((f) => [f.name, f]));
  checkTimestampField(name, fieldMap);
  for (const f of fields) {
    if (f.derivedFrom) throw new SchemaDirectiveError(`Aggregation ${name} has a derived field ${f.name} but fields in aggregations can not be derived`);
  }
  const sourceArg = arg(dir, 'source');
  if (sourceArg === undefined) throw new SchemaDirectiveError(`Aggregation ${name} is missing the \`source\` argument`);
  const sourceName = str(sourceArg);
  if (sourceName === undefined) throw new SchemaDirectiveError(`Aggregation ${name} has an invalid argument for \`source\`: it must be the name of a timeseries`);
  const source = entities.get(sourceName);
  if (!source) throw new SchemaDirectiveError(`Aggregaton ${name} uses ${sourceName} as the source, but there is no timeseries of that name`);
  if (!source.timeseries) throw new SchemaDirectiveError(`Aggregation ${name} uses ${sourceName} as the source, but that type is not a timeseries`);
  const id = fieldMap.get('id');
  if (!id || id.type.kind !== 'scalar' || !['ID', 'String', 'Bytes', 'Int8'].includes(id.type.name) || !id.nonNull || id.list) {
    throw new SchemaDirectiveError(`${name}.id must be ID!, String!, Bytes! or Int8!`);
  }
  const idType = id.type.name as EntityDef['idType'];
  if (idType !== source.idType) {
    throw new SchemaDirectiveError(`The type of the \`id\` field for aggregation ${name} must be ${source.idType}, the same as in the source, but is ${idType}`);
  }

  const dimensions: FieldDef[] = [];
  const aggregates: AggregateDef[] = [];
  for (const fnode of node.fields ?? []) {
    const f = fieldMap.get(fnode.name.value)!;
    if (f.name === 'id' || f.name === 'timestamp') continue;
    const agg = fnode.directives?.find((d) => d.name.value === 'aggregate');
    if (!agg) {
      const src = source.fieldMap.get(f.name);
      if (!src) throw new SchemaDirectiveError(`Aggregation ${name} uses ${sourceName} as the source, but that does not have a field ${f.name}`);
      if (src.type.name !== f.type.name) {
        throw new SchemaDirectiveError(`Field ${f.name} in aggregation ${name} has type ${f.type.name} but its type in the source is ${src.type.name}`);
      }
      if (f.list) throw new SchemaDirectiveError(`Aggregation ${name}: dimension ${f.name} is a list; the embedded indexer groups by single values`);
      dimensions.push(f);
      continue;
    }
    const fnArg = arg(agg, 'fn');
    const fnName = fnArg?.kind === Kind.STRING || fnArg?.kind === Kind.ENUM ? fnArg.value : undefined;
    if (fnArg === undefined) throw new SchemaDirectiveError(`Field ${f.name} in aggregation ${name} is missing the \`fn\` argument`);
    if (!fnName || !['sum', 'count', 'min', 'max', 'first', 'last'].includes(fnName)) {
      throw new SchemaDirectiveError(`Field ${f.name} in aggregation ${name} uses the unknown aggregation function \`${fnName ?? String((fnArg as { value?: unknown }).value)}\``);
    }
    const fn = fnName as AggregateFn;
    const firstLast = fn === 'first' || fn === 'last';
    const fieldIsRef = f.type.kind === 'entity' || f.type.kind === 'interface';
    if (!NUMERIC.includes(f.type.name) || f.type.kind !== 'scalar') {
      const ok = firstLast && (fieldIsRef || (f.type.kind === 'scalar' && (f.type.name === 'Bytes' || f.type.name === 'String')));
      if (!ok && firstLast) throw new SchemaDirectiveError(`Aggregation '${name}', field '${f.name}': first/last aggregates must use a numeric, byte array, string or a reference type`);
      if (!ok) throw new SchemaDirectiveError(`Aggregation ${name}, field${f.name}: aggregates must use a numeric type, one of Int, Int8, BigInt, and BigDecimal`);
    }
    const argValue = arg(agg, 'arg');
    let argText: string;
    if (argValue === undefined) {
      if (fn !== 'count') throw new SchemaDirectiveError(`Field ${f.name} in aggregation ${name} is missing the \`arg\` argument since the function ${fn} requires it`);
      argText = 'id';
    } else {
      const s = str(argValue);
      if (s === undefined) throw new SchemaDirectiveError(`Field ${f.name} in aggregation ${name} has an invalid argument for \`arg\`: it must be a string`);
      argText = s;
    }
    const cum = arg(agg, 'cumulative');
    if (cum !== undefined && cum.kind !== Kind.BOOLEAN) {
      throw new SchemaDirectiveError(`Field ${f.name} in aggregation ${name} has an invalid value for \`cumulative\`. It needs to be a boolean`);
    }
    let expr: Expr;
    try {
      expr = parseExpr(argText);
    } catch (err) {
      const msg = (err as Error).message;
      throw new SchemaDirectiveError(err instanceof ExprError && /not supported/.test(msg) ? msg : `Failed to parse expression: ${msg}`);
    }
    if (fn !== 'count') {
      for (const ident of identifiers(expr)) {
        const src = source.fieldMap.get(ident);
        if (!src || src.derivedFrom) {
          throw new SchemaDirectiveError(`Field ${f.name} in aggregation ${name} has \`arg\` ${argText} but the source type does not have such a field`);
        }
        const srcName = src.type.name;
        if (src.type.kind === 'scalar' && NUMERIC.includes(srcName) && !src.list) {
          if (f.type.kind === 'scalar' && NUMERIC.includes(f.type.name) && WIDTH[srcName]! > WIDTH[f.type.name]!) {
            throw new SchemaDirectiveError(
              `Field ${f.name} in aggregation ${name} has \`arg\` ${argText} of type ${srcName} but it is of the wider type ${f.type.name} in the source`,
            );
          }
          continue;
        }
        const sameRef = firstLast && src.type.kind !== 'scalar' && src.type.name === f.type.name;
        const bytesOrString = firstLast && src.type.kind === 'scalar' && (srcName === 'Bytes' || srcName === 'String');
        if (!(sameRef || bytesOrString) || src.list) {
          throw new SchemaDirectiveError(`Field ${f.name} in aggregation ${name} has arg \`${argText}\` but that is not a numeric field in ${sourceName}`);
        }
      }
    }
    aggregates.push({ field: f, fn, arg: argText, expr, cumulative: cum?.kind === Kind.BOOLEAN ? cum.value : false });
  }
  if (aggregates.length === 0) throw new SchemaDirectiveError(`Aggregation ${name} has no @aggregate fields`);

  const intervalsArg = arg(dir, 'intervals');
  if (intervalsArg === undefined) throw new SchemaDirectiveError(`Aggregation ${name} is missing an \`intervals\` argument for the timeseries directive`);
  const wrong = () => new SchemaDirectiveError(`Aggregation ${name} has an invalid argument for \`intervals\`: it must be a non-empty list of strings`);
  if (intervalsArg.kind !== Kind.LIST || intervalsArg.values.length === 0) throw wrong();
  const intervals = new Set<Interval>();
  for (const v of intervalsArg.values) {
    if (v.kind !== Kind.STRING) throw wrong();
    if (v.value !== 'hour' && v.value !== 'day') throw new SchemaDirectiveError(`Aggregation ${name}: the interval ${v.value} is not supported`);
    intervals.add(v.value);
  }
  return {
    name,
    source: sourceName,
    intervals: INTERVALS.filter((i) => intervals.has(i)),
    idType,
    fields,
    fieldMap,
    dimensions,
    aggregates,
    ...(node.description ? { description: node.description.value } : {}),
  };
}
