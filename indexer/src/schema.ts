// schema.graphql → the entity model every part of the indexer shares (store tables, runtime
// schema checks, the generated query API). Parsed with graphql-js; only what graph-node accepts.
import { HessianError } from '@hessian/common/errors';
import { readFileSync } from 'node:fs';
import { Kind, parse, type DocumentNode, type TypeNode, type FieldDefinitionNode, type ConstDirectiveNode, type ObjectTypeDefinitionNode } from 'graphql';
import { queryFieldNames } from './graphql/names.ts';
import { checkTimeseries, parseAggregation, parseFulltext, type AggregationDef, type FulltextDef } from './schema-directives.ts';

export type { AggregationDef, AggregateDef, AggregateFn, FulltextDef, Interval } from './schema-directives.ts';

export const SCALARS = ['ID', 'String', 'Int', 'Int8', 'BigInt', 'BigDecimal', 'Bytes', 'Boolean', 'Timestamp'] as const;
export type ScalarName = (typeof SCALARS)[number];

export type FieldKind =
  | { kind: 'scalar'; name: ScalarName }
  | { kind: 'enum'; name: string }
  | { kind: 'entity'; name: string }
  | { kind: 'interface'; name: string };

export interface FieldDef {
  name: string;
  type: FieldKind;
  /** `[T]` or `[T!]` */
  list: boolean;
  /** the field itself is `!` */
  nonNull: boolean;
  /** list items are `!` */
  itemNonNull: boolean;
  /** `@derivedFrom(field: ...)`: not stored, resolved by reverse lookup */
  derivedFrom?: string;
  description?: string;
}

export interface EntityDef {
  name: string;
  immutable: boolean;
  /** `@entity(timeseries: true)`: graph-node sets its id and timestamp on `store.set` */
  timeseries?: boolean;
  idType: 'ID' | 'String' | 'Bytes' | 'Int8';
  fields: FieldDef[];
  fieldMap: Map<string, FieldDef>;
  interfaces: string[];
  description?: string;
}

export interface InterfaceDef {
  name: string;
  fields: FieldDef[];
  implementedBy: string[];
}

export interface SubgraphSchema {
  source: string;
  document: DocumentNode;
  entities: Map<string, EntityDef>;
  enums: Map<string, string[]>;
  interfaces: Map<string, InterfaceDef>;
  /** `@fulltext` directives of the `_Schema_` type */
  fulltexts: FulltextDef[];
  /** `@aggregation` types by name (not entities: no `store.set`, no `x`/`xs` fields) */
  aggregations: Map<string, AggregationDef>;
}

/** schema.graphql is malformed or uses what graph-node refuses: the user's to fix */
export class SchemaError extends HessianError {
  override name = 'SchemaError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { kind: 'user', ...options });
  }
}

function directive(node: { directives?: readonly ConstDirectiveNode[] }, name: string) {
  return node.directives?.find((d) => d.name.value === name);
}

function directiveArg(d: ConstDirectiveNode | undefined, arg: string) {
  const a = d?.arguments?.find((x) => x.name.value === arg);
  if (!a) return undefined;
  if (a.value.kind === Kind.BOOLEAN) return a.value.value;
  if (a.value.kind === Kind.STRING) return a.value.value;
  return undefined;
}

export function parseSchema(source: string): SubgraphSchema {
  const document = parse(source);
  const enums = new Map<string, string[]>();
  const entityNodes = [];
  const interfaceNodes = [];
  const aggregationNodes: ObjectTypeDefinitionNode[] = [];
  let schemaType: ObjectTypeDefinitionNode | undefined;
  for (const def of document.definitions) {
    if (def.kind === Kind.ENUM_TYPE_DEFINITION) enums.set(def.name.value, (def.values ?? []).map((v) => v.name.value));
    else if (def.kind === Kind.OBJECT_TYPE_DEFINITION && def.name.value === '_Schema_') schemaType = def;
    else if (def.kind === Kind.OBJECT_TYPE_DEFINITION && directive(def, 'aggregation')) aggregationNodes.push(def);
    else if (def.kind === Kind.OBJECT_TYPE_DEFINITION) entityNodes.push(def);
    else if (def.kind === Kind.INTERFACE_TYPE_DEFINITION) interfaceNodes.push(def);
    else if (def.kind === Kind.SCALAR_TYPE_DEFINITION || def.kind === Kind.DIRECTIVE_DEFINITION) continue;
    else throw new SchemaError(`schema.graphql: unsupported definition kind ${def.kind}`);
  }
  const entityNames = new Set(entityNodes.map((n) => n.name.value));
  const interfaceNames = new Set(interfaceNodes.map((n) => n.name.value));
  const aggregationNames = new Set(aggregationNodes.map((n) => n.name.value));

  const fieldOf = (owner: string, f: FieldDefinitionNode): FieldDef => {
    let t: TypeNode = f.type;
    let nonNull = false;
    let list = false;
    let itemNonNull = false;
    if (t.kind === Kind.NON_NULL_TYPE) {
      nonNull = true;
      t = t.type;
    }
    if (t.kind === Kind.LIST_TYPE) {
      list = true;
      t = t.type;
      if (t.kind === Kind.NON_NULL_TYPE) {
        itemNonNull = true;
        t = t.type;
      }
      if (t.kind === Kind.LIST_TYPE) throw new SchemaError(`${owner}.${f.name.value}: nested lists are not supported`);
    }
    if (t.kind !== Kind.NAMED_TYPE) throw new SchemaError(`${owner}.${f.name.value}: unexpected type`);
    const name = t.name.value;
    let type: FieldKind;
    if ((SCALARS as readonly string[]).includes(name)) type = { kind: 'scalar', name: name as ScalarName };
    else if (enums.has(name)) type = { kind: 'enum', name };
    else if (entityNames.has(name)) type = { kind: 'entity', name };
    else if (interfaceNames.has(name)) type = { kind: 'interface', name };
    else if (aggregationNames.has(name)) {
      throw new SchemaError(`${owner}.${f.name.value}: fields of aggregation type ${name} are not supported by the embedded indexer; query ${name} at the root`);
    } else throw new SchemaError(`${owner}.${f.name.value}: unknown type ${name}`);
    const derived = directiveArg(directive(f, 'derivedFrom'), 'field');
    return {
      name: f.name.value,
      type,
      list,
      nonNull,
      itemNonNull,
      ...(typeof derived === 'string' ? { derivedFrom: derived } : {}),
      ...(f.description ? { description: f.description.value } : {}),
    };
  };

  const entities = new Map<string, EntityDef>();
  for (const node of entityNodes) {
    const name = node.name.value;
    const entityDirective = directive(node, 'entity');
    if (!entityDirective) throw new SchemaError(`type ${name} must be annotated with @entity`);
    const fields = (node.fields ?? []).map((f) => fieldOf(name, f));
    const id = fields.find((f) => f.name === 'id');
    if (!id || id.type.kind !== 'scalar' || !['ID', 'String', 'Bytes', 'Int8'].includes(id.type.name) || !id.nonNull || id.list) {
      throw new SchemaError(`${name}.id must be ID!, String!, Bytes! or Int8!`);
    }
    const immutableArg = directiveArg(entityDirective, 'immutable');
    const timeseries = directiveArg(entityDirective, 'timeseries') === true;
    const def: EntityDef = {
      name,
      // graph-node: `immutable` defaults to `timeseries`
      immutable: immutableArg === true || (immutableArg === undefined && timeseries),
      ...(timeseries ? { timeseries } : {}),
      idType: id.type.name as EntityDef['idType'],
      fields,
      fieldMap: new Map(fields.map((f) => [f.name, f])),
      interfaces: (node.interfaces ?? []).map((i) => i.name.value),
      ...(node.description ? { description: node.description.value } : {}),
    };
    if (timeseries) checkTimeseries(def, typeof immutableArg === 'boolean' ? immutableArg : undefined);
    entities.set(name, def);
  }
  const aggregations = new Map<string, AggregationDef>();
  for (const node of aggregationNodes) {
    aggregations.set(node.name.value, parseAggregation(node, (node.fields ?? []).map((f) => fieldOf(node.name.value, f)), entities));
  }
  const rootNames = new Set<string>();
  for (const n of [...entities.keys(), ...interfaceNames]) {
    const { single, plural } = queryFieldNames(n);
    rootNames.add(single).add(plural);
  }
  for (const n of aggregationNames) rootNames.add(queryFieldNames(n).plural);
  const fulltexts = schemaType ? parseFulltext(schemaType, entities, rootNames) : [];
  const interfaces = new Map<string, InterfaceDef>();
  for (const node of interfaceNodes) {
    const name = node.name.value;
    interfaces.set(name, {
      name,
      fields: (node.fields ?? []).map((f) => fieldOf(name, f)),
      implementedBy: [...entities.values()].filter((e) => e.interfaces.includes(name)).map((e) => e.name),
    });
  }
  // derived fields must point at a field of the target type that references back
  for (const e of entities.values()) {
    for (const f of e.fields) {
      if (!f.derivedFrom) continue;
      // graph-node derives from an entity type or an interface (every implementer has the field)
      const targetFields =
        f.type.kind === 'entity'
          ? entities.get(f.type.name)?.fields
          : f.type.kind === 'interface'
            ? interfaces.get(f.type.name)?.fields
            : undefined;
      if (!targetFields) throw new SchemaError(`${e.name}.${f.name}: @derivedFrom needs an entity or interface type`);
      if (!targetFields.some((t) => t.name === f.derivedFrom)) {
        throw new SchemaError(`${e.name}.${f.name}: @derivedFrom(field: "${f.derivedFrom}") but ${f.type.name} has no such field`);
      }
    }
  }
  return { source, document, entities, enums, interfaces, fulltexts, aggregations };
}

export function loadSchema(file: string): SubgraphSchema {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SchemaError(`cannot read schema ${file}: ${(err as Error).message}`);
  }
  try {
    return parseSchema(source);
  } catch (err) {
    throw new SchemaError(`${file}: ${(err as Error).message}`);
  }
}
