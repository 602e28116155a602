// graph-node's query schema generated from schema.graphql (graph/src/schema/api.rs): entity
// object types whose entity-list fields take first/skip/orderBy/orderDirection/where, per type
// `X_filter` and `X_orderBy`, the `x`/`xs` query fields with `block` and `subgraphError`, and
// `_meta`. Resolvers come from execute.ts.
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLInterfaceType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLInputFieldConfig,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLScalarType,
  type ThunkObjMap,
} from 'graphql';
import type { EntityDef, FieldDef, ScalarName, SubgraphSchema } from '../schema.ts';
import { buildLayout, type Layout } from '../store/layout.ts';
import { resolveCollection, resolveMeta, resolveNested, resolveSingle, type ExecContext } from './execute.ts';
import type { FilterKey } from './where.ts';
import type { FilterOp } from '../store/query-filter.ts';
import { queryFieldNames } from './names.ts';
import { resolveCount, resolveVersions } from './extensions.ts';
import { resolveAggregation } from './aggregation.ts';
import { resolveFulltext } from './fulltext.ts';
import { acceptStringEnums } from './enum-coercion.ts';
import { BigDecimalScalar, BigIntScalar, BytesScalar, Int8Scalar, TimestampScalar } from './scalars.ts';

export interface ApiSchema {
  schema: GraphQLSchema;
  layout: Layout;
  filterKeys: Map<string, Map<string, FilterKey>>;
  /** root query field names → entity type, for subscriptions */
  queryFields: Map<string, { typeName: string; kind: 'single' | 'collection' }>;
}

const SCALAR_TYPES: Record<ScalarName, GraphQLScalarType> = {
  ID: GraphQLID,
  String: GraphQLString,
  Int: GraphQLInt,
  Int8: Int8Scalar,
  BigInt: BigIntScalar,
  BigDecimal: BigDecimalScalar,
  Bytes: BytesScalar,
  Boolean: GraphQLBoolean,
  Timestamp: TimestampScalar,
};

const STRING_OPS: FilterOp[] = [
  '',
  'not',
  'gt',
  'lt',
  'gte',
  'lte',
  'in',
  'not_in',
  'contains',
  'contains_nocase',
  'not_contains',
  'not_contains_nocase',
  'starts_with',
  'starts_with_nocase',
  'not_starts_with',
  'not_starts_with_nocase',
  'ends_with',
  'ends_with_nocase',
  'not_ends_with',
  'not_ends_with_nocase',
];

function scalarOps(name: ScalarName | 'Enum'): FilterOp[] {
  switch (name) {
    case 'Boolean':
    case 'Enum':
      return ['', 'not', 'in', 'not_in'];
    case 'Bytes':
      return ['', 'not', 'gt', 'lt', 'gte', 'lte', 'in', 'not_in', 'contains', 'not_contains'];
    case 'String':
      return STRING_OPS;
    default:
      return ['', 'not', 'gt', 'lt', 'gte', 'lte', 'in', 'not_in'];
  }
}

export const OrderDirectionEnum = new GraphQLEnumType({
  name: 'OrderDirection',
  description: 'Defines the order direction, either ascending or descending',
  values: { asc: { value: 'asc' }, desc: { value: 'desc' } },
});

export const SubgraphErrorPolicyEnum = new GraphQLEnumType({
  name: '_SubgraphErrorPolicy_',
  values: {
    allow: { value: 'allow', description: 'Data will be returned even if the subgraph has indexing errors' },
    deny: { value: 'deny', description: 'If the subgraph has indexing errors, data will be omitted. The default.' },
  },
});

// graph-node's meta.graphql declares these for every subgraph
export const AggregationIntervalEnum = new GraphQLEnumType({ name: 'Aggregation_interval', values: { hour: { value: 'hour' }, day: { value: 'day' } } });

export const AggregationCurrentEnum = new GraphQLEnumType({
  name: 'Aggregation_current',
  description: 'Indicates whether the current, partially filled bucket should be included in the response. Defaults to `exclude`',
  values: {
    exclude: { value: 'exclude', description: 'Exclude the current, partially filled bucket from the response' },
    include: { value: 'include', description: 'Include the current, partially filled bucket in the response' },
  },
});

export const BlockHeightInput = new GraphQLInputObjectType({
  name: 'Block_height',
  description: 'The block at which the query should be executed.',
  fields: {
    hash: { type: BytesScalar, description: 'Value containing a block hash' },
    number: { type: GraphQLInt, description: 'Value containing a block number' },
    number_gte: {
      type: GraphQLInt,
      description:
        'Value containing the minimum block number. In the case of `number_gte`, the query will be executed on the latest block only if the subgraph has progressed to or past the minimum block number. Defaults to the latest block when omitted.',
    },
  },
});

const BlockChangedFilterInput = new GraphQLInputObjectType({
  name: 'BlockChangedFilter',
  fields: { number_gte: { type: new GraphQLNonNull(GraphQLInt) } },
});

const BlockType = new GraphQLObjectType({
  name: '_Block_',
  fields: {
    hash: { type: BytesScalar, description: 'The hash of the block' },
    number: { type: new GraphQLNonNull(GraphQLInt), description: 'The block number' },
    timestamp: { type: GraphQLInt, description: 'Integer representation of the timestamp stored in blocks for the chain' },
    parentHash: { type: BytesScalar, description: 'The hash of the parent block' },
  },
});

const MetaType = new GraphQLObjectType({
  name: '_Meta_',
  description: 'The type for the top-level _meta field',
  fields: {
    block: {
      type: new GraphQLNonNull(BlockType),
      description:
        'Information about a specific subgraph block. The hash of the block will be null if the _meta field has a block constraint that asks for a block number. It will be filled if the _meta field has no block constraint and therefore asks for the latest  block',
    },
    deployment: { type: new GraphQLNonNull(GraphQLString), description: 'The deployment ID' },
    hasIndexingErrors: {
      type: new GraphQLNonNull(GraphQLBoolean),
      description: 'If `true`, the subgraph encountered indexing errors at some past block',
    },
  },
});

const BLOCK_ARG_DESCRIPTION =
  'The block at which the query should be executed. Can either be a `{ hash: Bytes }` value containing a block hash, a `{ number: Int }` containing the block number, or a `{ number_gte: Int }` containing the minimum block number. In the case of `number_gte`, the query will be executed on the latest block only if the subgraph has progressed to or past the minimum block number. Defaults to the latest block when omitted.';

export interface ApiSchemaOptions {
  /** add the `hessian_` extensions (extensions.ts): never in the schema graph-node's paths serve */
  extensions?: boolean;
}

export function buildApiSchema(sg: SubgraphSchema, opts: ApiSchemaOptions = {}): ApiSchema {
  const ext = opts.extensions === true;
  const layout = buildLayout(sg);
  const enums = new Map<string, GraphQLEnumType>();
  for (const [name, values] of sg.enums) {
    enums.set(name, new GraphQLEnumType({ name, values: Object.fromEntries(values.map((v) => [v, { value: v }])) }));
  }
  const objects = new Map<string, GraphQLObjectType | GraphQLInterfaceType>();
  const filters = new Map<string, GraphQLInputObjectType>();
  const orderBys = new Map<string, GraphQLEnumType>();
  const filterKeys = new Map<string, Map<string, FilterKey>>();

  const idScalarOf = (typeName: string): 'String' | 'Int' | 'Bytes' => {
    const e = sg.entities.get(typeName) ?? sg.entities.get(sg.interfaces.get(typeName)?.implementedBy[0] ?? '');
    if (!e) return 'String';
    return e.idType === 'Int8' ? 'Int' : e.idType === 'Bytes' ? 'Bytes' : 'String';
  };

  const orderKeys = new Map<string, GraphQLInputObjectType>();
  const collectionArgs = (typeName: string): GraphQLFieldConfigArgumentMap => ({
    skip: { type: GraphQLInt, defaultValue: 0 },
    first: { type: GraphQLInt, defaultValue: 100 },
    orderBy: { type: orderBys.get(typeName)! },
    orderDirection: { type: OrderDirectionEnum },
    where: { type: filters.get(typeName)! },
    ...(ext
      ? {
          hessian_orderBy: {
            type: new GraphQLList(new GraphQLNonNull(orderKeys.get(typeName)!)),
            description: 'Extension (not graph-node): order by these keys in turn, then by id ascending. Instead of orderBy/orderDirection.',
          },
        }
      : {}),
  });

  const outputType = (f: FieldDef): GraphQLOutputType => {
    let base: GraphQLOutputType;
    if (f.type.kind === 'scalar') base = SCALAR_TYPES[f.type.name];
    else if (f.type.kind === 'enum') base = enums.get(f.type.name)!;
    else base = objects.get(f.type.name)!;
    if (f.list) {
      const item = f.itemNonNull ? new GraphQLNonNull(base) : base;
      const list = new GraphQLList(item);
      return f.nonNull ? new GraphQLNonNull(list) : list;
    }
    return f.nonNull ? new GraphQLNonNull(base) : base;
  };

  const fieldsOf = (fields: FieldDef[]): ThunkObjMap<GraphQLFieldConfig<Record<string, unknown>, unknown>> => () =>
    Object.fromEntries(
      fields.map((f) => {
        const isRef = f.type.kind === 'entity' || f.type.kind === 'interface';
        const config: GraphQLFieldConfig<Record<string, unknown>, unknown> = {
          type: outputType(f),
          ...(f.description ? { description: f.description } : {}),
          ...(isRef ? { resolve: resolveNested } : {}),
          ...(isRef && f.list ? { args: collectionArgs(f.type.name) } : {}),
        };
        return [f.name, config];
      }),
    );

  for (const i of sg.interfaces.values()) {
    objects.set(
      i.name,
      new GraphQLInterfaceType({
        name: i.name,
        fields: fieldsOf(i.fields),
        resolveType: (src: Record<string, unknown>) => src.__typename as string,
      }),
    );
  }
  for (const e of sg.entities.values()) {
    objects.set(
      e.name,
      new GraphQLObjectType({
        name: e.name,
        ...(e.description ? { description: e.description } : {}),
        interfaces: () => e.interfaces.map((n) => objects.get(n) as GraphQLInterfaceType),
        fields: fieldsOf(e.fields),
      }),
    );
  }

  for (const agg of sg.aggregations.values()) {
    objects.set(
      agg.name,
      new GraphQLObjectType({ name: agg.name, ...(agg.description ? { description: agg.description } : {}), fields: fieldsOf(agg.fields) }),
    );
  }

  const addFilterAndOrder = (typeName: string, fields: FieldDef[]) => {
    const keys = new Map<string, FilterKey>();
    filterKeys.set(typeName, keys);
    const inputFields = (): Record<string, GraphQLInputFieldConfig> => {
      const out: Record<string, GraphQLInputFieldConfig> = {};
      const add = (f: FieldDef, op: FilterOp, type: GraphQLInputType) => {
        const key = op === '' ? f.name : op === 'child' ? `${f.name}_` : `${f.name}_${op}`;
        out[key] = { type };
        keys.set(key, { field: f, op });
      };
      const listOf = (t: GraphQLInputType) => new GraphQLList(new GraphQLNonNull(t as GraphQLScalarType));
      for (const f of fields) {
        const isRef = f.type.kind === 'entity' || f.type.kind === 'interface';
        if (f.list) {
          if (isRef) {
            if (!f.derivedFrom) {
              const idScalar = idScalarOf(f.type.name);
              const t = idScalar === 'Int' ? GraphQLInt : GraphQLString;
              const ops: FilterOp[] =
                idScalar === 'String' ? ['', 'not', 'contains', 'contains_nocase', 'not_contains', 'not_contains_nocase'] : ['', 'not', 'contains', 'not_contains'];
              for (const op of ops) add(f, op, listOf(t));
            }
            add(f, 'child', filters.get(f.type.name)!);
          } else {
            const base = f.type.kind === 'enum' ? enums.get(f.type.name)! : SCALAR_TYPES[(f.type as { name: ScalarName }).name];
            const nocase = f.type.kind === 'scalar' && f.type.name === 'String';
            const ops: FilterOp[] = nocase ? ['', 'not', 'contains', 'contains_nocase', 'not_contains', 'not_contains_nocase'] : ['', 'not', 'contains', 'not_contains'];
            for (const op of ops) add(f, op, listOf(base));
          }
          continue;
        }
        if (isRef) {
          if (!f.derivedFrom) {
            const idScalar = idScalarOf(f.type.name);
            const ops = idScalar === 'Int' ? scalarOps('Int') : STRING_OPS;
            const t = idScalar === 'Int' ? GraphQLInt : GraphQLString;
            for (const op of ops) add(f, op, op === 'in' || op === 'not_in' ? listOf(t) : t);
          }
          add(f, 'child', filters.get(f.type.name)!);
          continue;
        }
        const ft = f.type;
        const base = ft.kind === 'enum' ? enums.get(ft.name)! : SCALAR_TYPES[ft.name as ScalarName];
        const ops = scalarOps(ft.kind === 'enum' ? 'Enum' : (ft.name as ScalarName));
        for (const op of ops) add(f, op, op === 'in' || op === 'not_in' ? listOf(base) : base);
      }
      out._change_block = { type: BlockChangedFilterInput, description: 'Filter for the block changed event.' };
      out.and = { type: new GraphQLList(filters.get(typeName)!) };
      out.or = { type: new GraphQLList(filters.get(typeName)!) };
      return out;
    };
    filters.set(typeName, new GraphQLInputObjectType({ name: `${typeName}_filter`, fields: inputFields }));

    const values: string[] = [];
    for (const f of fields) {
      values.push(f.name);
      const isRef = f.type.kind === 'entity' || f.type.kind === 'interface';
      if (isRef && !f.list) {
        const target = sg.entities.get(f.type.name)?.fields ?? sg.interfaces.get(f.type.name)?.fields ?? [];
        for (const cf of target) {
          if (cf.list || cf.type.kind === 'entity' || cf.type.kind === 'interface') continue;
          values.push(`${f.name}__${cf.name}`);
        }
      }
    }
    orderBys.set(typeName, new GraphQLEnumType({ name: `${typeName}_orderBy`, values: Object.fromEntries(values.map((v) => [v, { value: v }])) }));
    if (ext) {
      orderKeys.set(
        typeName,
        new GraphQLInputObjectType({
          name: `${typeName}_hessianOrderKey`,
          fields: () => ({ by: { type: new GraphQLNonNull(orderBys.get(typeName)!) }, direction: { type: OrderDirectionEnum, defaultValue: 'asc' } }),
        }),
      );
    }
  };
  for (const e of sg.entities.values()) addFilterAndOrder(e.name, e.fields);
  for (const i of sg.interfaces.values()) addFilterAndOrder(i.name, i.fields);

  // graph-node's FilterOps::Aggregation: the non-aggregate fields, numbers and timestamps with
  // `gt lt gte lte in`, everything else by equality, references also by child filter
  for (const agg of sg.aggregations.values()) {
    const keys = new Map<string, FilterKey>();
    filterKeys.set(agg.name, keys);
    const aggregated = new Set(agg.aggregates.map((a) => a.field.name));
    const inputFields = (): Record<string, GraphQLInputFieldConfig> => {
      const out: Record<string, GraphQLInputFieldConfig> = {};
      const add = (f: FieldDef, op: FilterOp, type: GraphQLInputType) => {
        const key = op === '' ? f.name : op === 'child' ? `${f.name}_` : `${f.name}_${op}`;
        out[key] = { type };
        keys.set(key, { field: f, op });
      };
      const ordered: FilterOp[] = ['', 'gt', 'lt', 'gte', 'lte', 'in'];
      for (const f of agg.fields) {
        if (aggregated.has(f.name)) continue;
        const ft = f.type;
        let base: GraphQLInputType;
        let numeric: boolean;
        if (ft.kind === 'entity' || ft.kind === 'interface') {
          numeric = idScalarOf(ft.name) === 'Int';
          base = numeric ? GraphQLInt : GraphQLString;
        } else if (ft.kind === 'enum') {
          numeric = false;
          base = enums.get(ft.name)!;
        } else {
          numeric = ['Int', 'Int8', 'BigInt', 'BigDecimal', 'Timestamp'].includes(ft.name);
          // graph-node's filter takes the id of an Int8-id type as Int
          base = f.name === 'id' && ft.name === 'Int8' ? GraphQLInt : SCALAR_TYPES[ft.name];
        }
        for (const op of numeric ? ordered : ['' as FilterOp]) add(f, op, op === 'in' ? new GraphQLList(new GraphQLNonNull(base as GraphQLScalarType)) : base);
        if (ft.kind === 'entity' || ft.kind === 'interface') add(f, 'child', filters.get(ft.name)!);
      }
      out._change_block = { type: BlockChangedFilterInput, description: 'Filter for the block changed event.' };
      out.and = { type: new GraphQLList(filters.get(agg.name)!) };
      out.or = { type: new GraphQLList(filters.get(agg.name)!) };
      return out;
    };
    filters.set(agg.name, new GraphQLInputObjectType({ name: `${agg.name}_filter`, fields: inputFields }));
    const values: string[] = [];
    for (const f of agg.fields) {
      values.push(f.name);
      if ((f.type.kind === 'entity' || f.type.kind === 'interface') && !f.list) {
        const target = sg.entities.get(f.type.name)?.fields ?? sg.interfaces.get(f.type.name)?.fields ?? [];
        for (const cf of target) if (!cf.list && cf.type.kind !== 'entity' && cf.type.kind !== 'interface') values.push(`${f.name}__${cf.name}`);
      }
    }
    orderBys.set(agg.name, new GraphQLEnumType({ name: `${agg.name}_orderBy`, values: Object.fromEntries(values.map((v) => [v, { value: v }])) }));
  }

  const queryFields: ApiSchema['queryFields'] = new Map();
  const rootFields: Record<string, GraphQLFieldConfig<unknown, ExecContext>> = {};
  const subgraphError = { type: new GraphQLNonNull(SubgraphErrorPolicyEnum), defaultValue: 'deny', description: 'Set to `allow` to receive data even if the subgraph has skipped over errors while syncing.' };
  const block = { type: BlockHeightInput, description: BLOCK_ARG_DESCRIPTION };
  const typeNames = [...sg.entities.keys(), ...sg.interfaces.keys()];
  for (const name of typeNames) {
    const { single, plural } = queryFieldNames(name);
    const type = objects.get(name)!;
    rootFields[single] = {
      type,
      args: { id: { type: new GraphQLNonNull(GraphQLID) }, block, subgraphError },
      resolve: resolveSingle(name) as never,
    };
    rootFields[plural] = {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(type))),
      args: { ...collectionArgs(name), block, subgraphError },
      resolve: resolveCollection(name) as never,
    };
    queryFields.set(single, { typeName: name, kind: 'single' });
    queryFields.set(plural, { typeName: name, kind: 'collection' });
  }
  for (const agg of sg.aggregations.values()) {
    rootFields[queryFieldNames(agg.name).plural] = {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(objects.get(agg.name)!))),
      description: `Collection of aggregated \`${agg.name}\` values`,
      args: {
        skip: { type: GraphQLInt, defaultValue: 0 },
        first: { type: GraphQLInt, defaultValue: 100 },
        interval: { type: new GraphQLNonNull(AggregationIntervalEnum) },
        orderBy: { type: orderBys.get(agg.name)! },
        orderDirection: { type: OrderDirectionEnum },
        current: { type: AggregationCurrentEnum },
        where: { type: filters.get(agg.name)! },
        block,
        subgraphError,
      },
      resolve: resolveAggregation(agg) as never,
    };
  }
  for (const ft of sg.fulltexts) {
    rootFields[ft.name] = {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(objects.get(ft.entity)!))),
      args: {
        text: { type: new GraphQLNonNull(GraphQLString) },
        first: { type: GraphQLInt, defaultValue: 100 },
        skip: { type: GraphQLInt, defaultValue: 0 },
        block,
        where: { type: filters.get(ft.entity)! },
        subgraphError,
      },
      resolve: resolveFulltext(ft) as never,
    };
  }
  if (ext) {
    for (const name of typeNames) {
      const { single, plural } = queryFieldNames(name);
      rootFields[`hessian_count_${plural}`] = {
        type: new GraphQLNonNull(GraphQLInt),
        description: `Extension (not graph-node): how many ${name} entities match \`where\` at the block.`,
        args: { where: { type: filters.get(name)! }, block, subgraphError },
        resolve: resolveCount(name) as never,
      };
      if (!sg.entities.has(name)) continue;
      const version = new GraphQLObjectType({
        name: `HessianVersion_${name}`,
        description: `Extension (not graph-node): one version of a ${name}, valid from blockStart up to (not including) blockEnd`,
        fields: {
          blockStart: { type: new GraphQLNonNull(GraphQLInt) },
          blockEnd: { type: GraphQLInt, description: 'null while the version is current' },
          entity: { type: new GraphQLNonNull(objects.get(name)!), description: 'the entity as it was; its references are read at blockStart' },
        },
      });
      rootFields[`hessian_versions_${single}`] = {
        type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(version))),
        description: `Extension (not graph-node): every version of one ${name}, oldest first (orderDirection: desc for newest first).`,
        args: {
          id: { type: new GraphQLNonNull(GraphQLID) },
          first: { type: GraphQLInt, defaultValue: 100 },
          skip: { type: GraphQLInt, defaultValue: 0 },
          orderDirection: { type: OrderDirectionEnum },
          subgraphError,
        },
        resolve: resolveVersions(name) as never,
      };
    }
  }
  rootFields._meta = { type: MetaType, description: 'Access to subgraph metadata', args: { block: { type: BlockHeightInput } }, resolve: resolveMeta() as never };

  const query = new GraphQLObjectType({ name: 'Query', fields: rootFields });
  // Subscriptions mirror the query fields: each event re-runs the field against the new head.
  const subscription = new GraphQLObjectType({
    name: 'Subscription',
    fields: () =>
      Object.fromEntries(
        Object.entries(rootFields).map(([k, v]) => [
          k,
          { ...v, args: Object.fromEntries(Object.entries(v.args ?? {}).filter(([a]) => a !== 'block')), subscribe: subscribeToHead },
        ]),
      ),
  });
  const schema = new GraphQLSchema({ query, subscription, types: [...objects.values(), AggregationIntervalEnum, AggregationCurrentEnum] });
  // graph-node takes a string where an enum is expected
  acceptStringEnums(schema);
  return { schema, layout, filterKeys, queryFields };
}

function subscribeToHead(_src: unknown, _args: unknown, ctx: ExecContext): AsyncIterable<unknown> {
  if (!ctx.heads) throw new Error('subscriptions are only served over graphql-ws');
  return ctx.heads();
}

export type { EntityDef };
