// Enum values as graph-node coerces them. graph-node runs without GraphQL validation by default
// and coerces argument values itself (graphql/src/values/coercion.rs, `coerce_enum`): wherever an
// enum is expected, a string naming a member is that member (`orderDirection: "desc"`,
// `interval: "hour"`, `where: { color: "Red" }`, a `$dir: String` variable), and anything else is
// `Invalid value provided for argument …`. graphql-js validation would refuse the strings, so our
// enum types take string literals (acceptStringEnums) and the checks below decide membership with
// graph-node's words, in graph-node's order: variables first (Query::new's coerce_variables), then
// the arguments of each field after validation (Transform::coerce_argument_values).
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  typeFromAST,
  valueFromASTUntyped,
  type DirectiveNode,
  type FragmentDefinitionNode,
  type GraphQLArgument,
  type GraphQLEnumType,
  type GraphQLInputType,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type SourceLocation,
  type ValueNode,
} from 'graphql';

export interface CoercionError {
  message: string;
  locations: SourceLocation[];
}

const patched = new WeakSet<GraphQLEnumType>();

/**
 * Lets every enum of the API take any literal in validation: membership is checked by
 * `coerceVariables` and `argumentEnumErrors` as graph-node checks it, before any resolver runs
 * (a field graph-node skips with `@skip`/`@include` is not checked, as there).
 */
export function acceptStringEnums(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isEnumType(type) || type.name.startsWith('__') || patched.has(type)) continue;
    patched.add(type);
    type.parseLiteral = (node) => {
      if (node.kind === Kind.STRING || node.kind === Kind.ENUM) return type.getValue(node.value)?.value ?? node.value;
      return valueFromASTUntyped(node);
    };
  }
}

// graph-node's query values (r::Value), which keep a string apart from an enum name
type Value =
  | { k: 'null' }
  | { k: 'int'; v: number }
  | { k: 'float'; v: number }
  | { k: 'string'; v: string }
  | { k: 'boolean'; v: boolean }
  | { k: 'enum'; v: string }
  | { k: 'list'; v: Value[] }
  | { k: 'object'; v: Map<string, Value> };

const NULL: Value = { k: 'null' };

/** a JSON variable as graph-node deserializes it (graph/src/data/query/query.rs: an i32 is an Int, any other number a Float) */
function fromJson(json: unknown): Value {
  if (json === null || json === undefined) return NULL;
  if (typeof json === 'string') return { k: 'string', v: json };
  if (typeof json === 'boolean') return { k: 'boolean', v: json };
  if (typeof json === 'number') return Number.isInteger(json) && json >= -(2 ** 31) && json < 2 ** 31 ? { k: 'int', v: json } : { k: 'float', v: json };
  if (Array.isArray(json)) return { k: 'list', v: json.map(fromJson) };
  if (typeof json === 'object') return { k: 'object', v: new Map(Object.entries(json as Record<string, unknown>).map(([k, v]) => [k, fromJson(v)])) };
  return NULL;
}

/** a literal with its variables in place (Transform::interpolate_value: an undefined variable is null) */
function fromAst(node: ValueNode, variables: ReadonlyMap<string, Value>): Value {
  switch (node.kind) {
    case Kind.VARIABLE:
      return variables.get(node.name.value) ?? NULL;
    case Kind.INT:
      return { k: 'int', v: Number(node.value) };
    case Kind.FLOAT:
      return { k: 'float', v: Number(node.value) };
    case Kind.STRING:
      return { k: 'string', v: node.value };
    case Kind.BOOLEAN:
      return { k: 'boolean', v: node.value };
    case Kind.NULL:
      return NULL;
    case Kind.ENUM:
      return { k: 'enum', v: node.value };
    case Kind.LIST:
      return { k: 'list', v: node.values.map((n) => fromAst(n, variables)) };
    case Kind.OBJECT:
      return { k: 'object', v: new Map(node.fields.map((f) => [f.name.value, fromAst(f.value, variables)])) };
  }
}

/** Rust's `{:?}` of a string */
function rustString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c === 0) out += '\\0';
    else if (c < 0x20 || c === 0x7f) out += `\\u{${c.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}

/** Rust's `{:?}` of an f64: always a fraction or an exponent */
function rustFloat(f: number): string {
  if (!Number.isFinite(f)) return Number.isNaN(f) ? 'NaN' : f > 0 ? 'inf' : '-inf';
  const a = Math.abs(f);
  if (a !== 0 && (a >= 1e16 || a < 1e-4)) return f.toExponential().replace('e+', 'e');
  return Number.isInteger(f) ? f.toFixed(1) : String(f);
}

/** `{:?}` of the graphql-parser value graph-node puts in InvalidArgumentError (From<r::Value> for q::Value) */
function debug(v: Value): string {
  switch (v.k) {
    case 'null':
      return 'Null';
    case 'int':
      // the conversion truncates to i32
      return `Int(Number(${v.v | 0}))`;
    case 'float':
      return `Float(${rustFloat(v.v)})`;
    case 'string':
      return `String(${rustString(v.v)})`;
    case 'boolean':
      return `Boolean(${v.v})`;
    case 'enum':
      return `Enum(${rustString(v.v)})`;
    case 'list':
      return `List([${v.v.map(debug).join(', ')}])`;
    case 'object': {
      // a BTreeMap: keys in order
      const keys = [...v.v.keys()].sort();
      return `Object({${keys.map((k) => `${rustString(k)}: ${debug(v.v.get(k)!)}`).join(', ')}})`;
    }
  }
}

/**
 * graph-node's `coerce_value`. A failure carries the value graph-node names (a list names its
 * failing item, an input object itself) and whether an enum refused it: only those are answered
 * here, everything else stays graphql-js's to report.
 */
type Coerced = { ok: Value } | { bad: Value; enumFault: boolean };

function coerce(value: Value, type: GraphQLInputType): Coerced {
  if (isNonNullType(type)) return value.k === 'null' ? { bad: value, enumFault: false } : coerce(value, type.ofType);
  if (value.k === 'null') return { ok: value };
  if (isListType(type)) {
    // graph-node does not wrap a single value into a list
    if (value.k !== 'list') return { bad: value, enumFault: false };
    const items: Value[] = [];
    for (const item of value.v) {
      const c = coerce(item, type.ofType);
      if (!('ok' in c)) return c;
      items.push(c.ok);
    }
    return { ok: { k: 'list', v: items } };
  }
  if (isEnumType(type)) {
    if ((value.k === 'string' || value.k === 'enum') && type.getValue(value.v)) return { ok: { k: 'enum', v: value.v } };
    return { bad: value, enumFault: true };
  }
  if (isInputObjectType(type)) {
    if (value.k !== 'object') return { bad: value, enumFault: false };
    const fields = type.getFields();
    const out = new Map<string, Value>();
    let enumFault = false;
    let otherFault = false;
    for (const [name, v] of value.v) {
      const def = fields[name];
      const c = def ? coerce(v, def.type) : { bad: v, enumFault: false };
      if ('ok' in c) out.set(name, c.ok);
      else if (c.enumFault) enumFault = true;
      else otherFault = true;
    }
    return enumFault || otherFault ? { bad: value, enumFault: enumFault && !otherFault } : { ok: { k: 'object', v: out } };
  }
  // scalars: graph-node turns integers into strings for these; their other checks stay graphql-js's
  if (value.k === 'int' && ['ID', 'BigInt', 'BigDecimal', 'Int8'].includes(type.name)) return { ok: { k: 'string', v: String(value.v) } };
  return { ok: value };
}

function invalid(name: string, value: Value, locations: SourceLocation[]): CoercionError {
  return { message: `Invalid value provided for argument \`${name}\`: ${debug(value)}`, locations };
}

/** graph-node's `Pos::default()`: the API schema's argument definitions have no position */
const NO_POSITION: SourceLocation[] = [{ line: 0, column: 0 }];

/**
 * The operation's variables as graph-node coerces them before anything else, or the error of the
 * first variable an enum refuses (at the variable's definition).
 */
export function coerceVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  json: Readonly<Record<string, unknown>> | undefined,
): { variables: Map<string, Value> } | { error: CoercionError } {
  const variables = new Map<string, Value>();
  for (const def of operation.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    const given = json && Object.hasOwn(json, name) ? fromJson(json[name]) : def.defaultValue ? fromAst(def.defaultValue, new Map()) : undefined;
    const type = typeFromAST(schema, def.type) as GraphQLInputType | undefined;
    if (given === undefined || !type) continue;
    const c = coerce(given, type);
    if ('ok' in c) variables.set(name, c.ok);
    else if (c.enumFault) return { error: invalid(name, c.bad, def.loc ? [def.loc.startToken].map((t) => ({ line: t.line, column: t.column })) : NO_POSITION) };
    else variables.set(name, given);
  }
  return { variables };
}

/** graph-node's `Directive::skip` over interpolated values: only a literal `true`/`false` counts */
function skipped(directives: readonly DirectiveNode[] | undefined, variables: ReadonlyMap<string, Value>): boolean {
  for (const d of directives ?? []) {
    if (d.name.value !== 'skip' && d.name.value !== 'include') continue;
    const arg = d.arguments?.find((a) => a.name.value === 'if');
    const v = arg ? fromAst(arg.value, variables) : undefined;
    const cond = v === undefined ? true : v.k === 'boolean' && v.v;
    if (d.name.value === 'skip' ? cond : !cond) return true;
  }
  return false;
}

/**
 * The errors graph-node gives for the first field (in its expansion order: document order,
 * fragments in place) whose arguments an enum refuses, one per such argument in definition order;
 * empty when there is none. Run after validation, which has refused unknown fields and fragment cycles.
 */
export function argumentEnumErrors(schema: GraphQLSchema, operation: OperationDefinitionNode, fragmentDefs: readonly FragmentDefinitionNode[], variables: ReadonlyMap<string, Value>): CoercionError[] {
  const fragments = new Map(fragmentDefs.map((f) => [f.name.value, f]));
  const walk = (set: SelectionSetNode, parent: GraphQLObjectType | GraphQLInterfaceType): CoercionError[] => {
    const seen = new Set<string>();
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const field = parent.getFields()[sel.name.value];
        if (!field || skipped(sel.directives, variables)) continue;
        const errors = fieldErrors(field.args, sel.arguments ?? [], variables);
        if (errors.length > 0) return errors;
        const named = getNamedType(field.type);
        if (sel.selectionSet && (isObjectType(named) || isInterfaceType(named))) {
          const inner = walk(sel.selectionSet, named);
          if (inner.length > 0) return inner;
        }
        continue;
      }
      // graph-node reads the directives of a fragment's definition, not of its spread
      const frag = sel.kind === Kind.FRAGMENT_SPREAD ? fragments.get(sel.name.value) : sel;
      if (!frag || skipped(frag.directives, variables)) continue;
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        if (seen.has(sel.name.value)) continue;
        seen.add(sel.name.value);
      }
      const on = frag.typeCondition ? schema.getType(frag.typeCondition.name.value) : parent;
      if (!on || !(isObjectType(on) || isInterfaceType(on))) continue;
      const inner = walk(frag.selectionSet, on);
      if (inner.length > 0) return inner;
    }
    return [];
  };
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : null;
  return root ? walk(operation.selectionSet, root) : [];
}

function fieldErrors(defs: readonly GraphQLArgument[], given: readonly { name: { value: string }; value: ValueNode }[], variables: ReadonlyMap<string, Value>): CoercionError[] {
  const errors: CoercionError[] = [];
  for (const def of defs) {
    const arg = given.find((a) => a.name.value === def.name);
    if (!arg) continue;
    const c = coerce(fromAst(arg.value, variables), def.type);
    if (!('ok' in c) && c.enumFault) errors.push(invalid(def.name, c.bad, NO_POSITION));
  }
  return errors;
}
