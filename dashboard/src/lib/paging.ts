// Whole collections past graph-node's `first` ceiling (1,000). A collection field marked `@paged`
// in a page's document is fetched in full: the first page comes with the page's one round trip,
// and while a page comes back full the next is asked for with a keyset cursor (graph-node's
// advice: never `skip`, which is slow and shifts when rows are added), pinned to the block the
// first answer was read at so that live data cannot tear the list between pages.
//
// The cursor follows the collection's own order, so an ordered list stays in order across pages:
// `orderBy: id` (or none) pages with `id_gt`/`id_lt`, `orderBy: F` with
// `or: [{ F_gt: last.F }, { F: last.F, id_gt: last.id }]` (graph-node and the indexer order ties by
// id in the same direction). `@paged` is the dashboard's own marker: it never reaches the server.
import { Kind, OperationTypeNode, type ArgumentNode, type DocumentNode, type FieldNode, type ObjectFieldNode, type OperationDefinitionNode, type SelectionSetNode, type ValueNode, type VariableDefinitionNode } from 'graphql';
import type { OperationVariables } from '@apollo/client';

export const PAGED_DIRECTIVE = 'paged';

/** One page query; the same contract as client.ts's runQuery. */
export type RunQuery = <T>(document: DocumentNode, variables: OperationVariables) => Promise<{ data: T; indexingError: boolean }>;

interface PagedCollection {
  /** response keys from the root down to the collection */
  keys: string[];
  /** the fields (as sent) from the root down to the collection */
  chain: FieldNode[];
  first: number;
  orderBy: string;
  desc: boolean;
}

interface PagedDocument {
  /** what is sent: `@paged` removed, `id` and the ordering field selected in every paged list */
  document: DocumentNode;
  operation: OperationDefinitionNode;
  collections: PagedCollection[];
}

const analysed = new WeakMap<DocumentNode, PagedDocument>();

/** The document to send for `document`, and its `@paged` collections (memoised per document). */
export function pagedDocument(document: DocumentNode): PagedDocument {
  let p = analysed.get(document);
  if (!p) {
    p = analyse(document);
    analysed.set(document, p);
  }
  return p;
}

function analyse(document: DocumentNode): PagedDocument {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1 || document.definitions.length !== 1) {
    if (containsPaged(document)) throw new Error('@paged: a paged document must hold exactly one operation and no fragments');
    return { document, operation: operations[0]!, collections: [] };
  }
  const op = operations[0]!;
  const collections: PagedCollection[] = [];
  const selectionSet = rewrite(op.selectionSet, [], [], collections);
  if (collections.length && !selectsMetaBlockNumber(op.selectionSet)) {
    throw new Error(`@paged: ${op.name?.value ?? 'the query'} must select _meta { block { number } } so that later pages read the same block`);
  }
  const operation: OperationDefinitionNode = { ...op, selectionSet };
  return { document: { ...document, definitions: [operation] }, operation, collections };
}

function containsPaged(document: DocumentNode): boolean {
  return JSON.stringify(document).includes(`"value":"${PAGED_DIRECTIVE}"`);
}

function rewrite(set: SelectionSetNode, keys: string[], chain: FieldNode[], out: PagedCollection[]): SelectionSetNode {
  const selections = set.selections.map((s) => {
    if (s.kind !== Kind.FIELD) {
      if (JSON.stringify(s).includes(`"value":"${PAGED_DIRECTIVE}"`)) throw new Error('@paged: paged fields must not sit in fragments');
      return s;
    }
    const paged = s.directives?.some((d) => d.name.value === PAGED_DIRECTIVE) ?? false;
    const key = s.alias?.value ?? s.name.value;
    let field: FieldNode = paged ? { ...s, directives: s.directives!.filter((d) => d.name.value !== PAGED_DIRECTIVE) } : s;
    let collection: PagedCollection | undefined;
    if (paged) {
      const where = argument(field, 'where');
      if (where && where.kind !== Kind.OBJECT) throw new Error(`@paged ${key}: \`where\` must be written out, not a variable`);
      const first = argument(field, 'first');
      if (first?.kind !== Kind.INT) throw new Error(`@paged ${key}: needs a literal \`first\` (the page size)`);
      const orderBy = argument(field, 'orderBy');
      if (orderBy && orderBy.kind !== Kind.ENUM) throw new Error(`@paged ${key}: \`orderBy\` must be written out, not a variable`);
      const dir = argument(field, 'orderDirection');
      if (dir && dir.kind !== Kind.ENUM) throw new Error(`@paged ${key}: \`orderDirection\` must be written out, not a variable`);
      const by = orderBy?.value ?? 'id';
      if (by.includes('__')) throw new Error(`@paged ${key}: cannot page in the order of a child's field (${by})`);
      field = { ...field, selectionSet: withFields(field.selectionSet, ['id', by]) };
      collection = { keys: [...keys, key], chain: [], first: Number(first.value), orderBy: by, desc: dir?.value === 'desc' };
    }
    if (field.selectionSet) {
      const inner: PagedCollection[] = [];
      const sel = rewrite(field.selectionSet, [...keys, key], [...chain, field], inner);
      if (sel !== field.selectionSet) field = { ...field, selectionSet: sel };
      // children were recorded with the field as it was before its own selection was rewritten:
      // give them the final one (a child under a paged list cannot be paged, see fetchAllPages)
      for (const c of inner) c.chain[chain.length] = field;
      out.push(...inner);
    }
    if (collection) {
      collection.chain = [...chain, field];
      out.push(collection);
    }
    return field;
  });
  return selections.every((s, i) => s === set.selections[i]) ? set : { ...set, selections };
}

/** `set` with plain (unaliased) selections of `names` added where missing. */
function withFields(set: SelectionSetNode | undefined, names: string[]): SelectionSetNode {
  const selections = [...(set?.selections ?? [])];
  for (const name of new Set(names)) {
    if (!selections.some((s) => s.kind === Kind.FIELD && s.name.value === name && !s.alias)) {
      selections.push({ kind: Kind.FIELD, name: { kind: Kind.NAME, value: name } });
    }
  }
  return { kind: Kind.SELECTION_SET, selections };
}

function argument(field: FieldNode, name: string): ValueNode | undefined {
  return field.arguments?.find((a) => a.name.value === name)?.value;
}

function selectsMetaBlockNumber(set: SelectionSetNode): boolean {
  const meta = set.selections.find((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === '_meta' && !s.alias);
  const block = meta?.selectionSet?.selections.find((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === 'block' && !s.alias);
  return block?.selectionSet?.selections.some((s) => s.kind === Kind.FIELD && s.name.value === 'number' && !s.alias) ?? false;
}

type Row = Record<string, unknown>;

/**
 * The query after `last`: only the fields from the root down to the collection, the root's
 * `block` pinned to `blockNumber`, the collection's `where` narrowed to the rows after `last`.
 */
export function nextPageDocument(p: PagedDocument, c: PagedCollection, last: Row, blockNumber: number): DocumentNode {
  const cursor = cursorFilter(c, last);
  let inner: FieldNode = withArgument(c.chain.at(-1)!, 'where', mergeWhere(argument(c.chain.at(-1)!, 'where'), cursor));
  for (let i = c.chain.length - 2; i >= 0; i--) {
    inner = { ...c.chain[i]!, selectionSet: { kind: Kind.SELECTION_SET, selections: [inner] } };
  }
  inner = withArgument(inner, 'block', objectValue({ number: { kind: Kind.INT, value: String(blockNumber) } }));
  const selectionSet: SelectionSetNode = { kind: Kind.SELECTION_SET, selections: [inner] };
  const used = variablesUsed(selectionSet);
  const name = `${p.operation.name?.value ?? 'Query'}Page`;
  const operation: OperationDefinitionNode = {
    kind: Kind.OPERATION_DEFINITION,
    operation: OperationTypeNode.QUERY,
    name: { kind: Kind.NAME, value: name },
    variableDefinitions: (p.operation.variableDefinitions ?? []).filter((v: VariableDefinitionNode) => used.has(v.variable.name.value)),
    selectionSet,
  };
  return { kind: Kind.DOCUMENT, definitions: [operation] };
}

function cursorFilter(c: PagedCollection, last: Row): Record<string, ValueNode> | ValueNode {
  const after = c.desc ? '_lt' : '_gt';
  const id = literal(last.id, `${c.keys.join('.')}: a row without id`);
  if (c.orderBy === 'id') return { [`id${after}`]: id };
  const v = literal(last[c.orderBy], `${c.keys.join('.')}: cannot page past a row whose ${c.orderBy} is null`);
  return {
    kind: Kind.LIST,
    values: [objectValue({ [`${c.orderBy}${after}`]: v }), objectValue({ [c.orderBy]: v, [`id${after}`]: id })],
  };
}

/** The original filter AND the cursor (an `or` list must stand alone at its level in graph-node). */
function mergeWhere(original: ValueNode | undefined, cursor: Record<string, ValueNode> | ValueNode): ValueNode {
  const cursorObject = isValueNode(cursor) ? objectValue({ or: cursor }) : objectValue(cursor);
  const fields = original?.kind === Kind.OBJECT ? original.fields : [];
  if (fields.length === 0) return cursorObject;
  return objectValue({ and: { kind: Kind.LIST, values: [original!, cursorObject] } });
}

function isValueNode(v: Record<string, ValueNode> | ValueNode): v is ValueNode {
  return typeof (v as ValueNode).kind === 'string';
}

function objectValue(fields: Record<string, ValueNode>): ValueNode {
  return {
    kind: Kind.OBJECT,
    fields: Object.entries(fields).map(([name, value]): ObjectFieldNode => ({ kind: Kind.OBJECT_FIELD, name: { kind: Kind.NAME, value: name }, value })),
  };
}

function withArgument(field: FieldNode, name: string, value: ValueNode): FieldNode {
  const args: ArgumentNode[] = (field.arguments ?? []).filter((a) => a.name.value !== name);
  args.push({ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: name }, value });
  return { ...field, arguments: args };
}

/** A cursor value as a GraphQL literal: BigInt, Bytes and ID come back as strings, Int as numbers. */
function literal(v: unknown, missing: string): ValueNode {
  if (typeof v === 'string') return { kind: Kind.STRING, value: v };
  if (typeof v === 'number' && Number.isFinite(v)) return Number.isInteger(v) ? { kind: Kind.INT, value: String(v) } : { kind: Kind.FLOAT, value: String(v) };
  if (typeof v === 'boolean') return { kind: Kind.BOOLEAN, value: v };
  // ordered by a reference: the referenced entity's id
  if (typeof v === 'object' && v !== null && typeof (v as Row).id === 'string') return { kind: Kind.STRING, value: (v as Row).id as string };
  throw new Error(missing);
}

function variablesUsed(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const n of node) variablesUsed(n, out);
  } else if (typeof node === 'object' && node !== null) {
    const n = node as { kind?: string; name?: { value: string } };
    if (n.kind === Kind.VARIABLE && n.name) out.add(n.name.value);
    else for (const v of Object.values(node)) variablesUsed(v, out);
  }
  return out;
}

function valueAt(data: unknown, keys: readonly string[], what: string): unknown {
  let v = data;
  for (const k of keys) {
    if (v === null || v === undefined) return null;
    if (Array.isArray(v)) throw new Error(`@paged ${what}: a paged collection cannot sit inside a list`);
    v = (v as Row)[k];
  }
  return v;
}

/** `data` with the value at `keys` replaced, copying only the objects on the way down. */
function setAt(data: Row, keys: readonly string[], value: unknown): Row {
  const [k, ...rest] = keys;
  return { ...data, [k!]: rest.length ? setAt(data[k!] as Row, rest, value) : value };
}

/**
 * Runs `document` and then fetches every `@paged` collection to its end; the answer has the same
 * shape as one unlimited query would. Collections are followed in parallel, each page after the
 * previous one (its cursor is the previous page's last row).
 */
export async function fetchAllPages<T>(run: RunQuery, document: DocumentNode, variables: OperationVariables): Promise<{ data: T; indexingError: boolean }> {
  const p = pagedDocument(document);
  const first = await run<T>(p.document, variables);
  if (!p.collections.length) return first;
  const data = first.data as Row;
  const blockNumber = (data._meta as { block: { number: number } } | null)?.block.number;
  if (typeof blockNumber !== 'number') throw new Error('@paged: the answer has no _meta.block.number to pin later pages to');
  let indexingError = first.indexingError;
  const rests = await Promise.all(
    p.collections.map(async (c) => {
      const what = c.keys.join('.');
      const rows = valueAt(data, c.keys, what);
      if (!Array.isArray(rows) || rows.length < c.first) return null;
      const all: Row[] = [...(rows as Row[])];
      // a row seen twice means the endpoint ignored the cursor: stop rather than loop for ever
      const seen = new Set(all.map((r) => r.id));
      let page: Row[] = rows as Row[];
      while (page.length >= c.first) {
        const last = page.at(-1)!;
        const next = await run<Row>(nextPageDocument(p, c, last, blockNumber), variables);
        indexingError ||= next.indexingError;
        const got = valueAt(next.data, c.keys, what);
        if (!Array.isArray(got)) throw new Error(`@paged ${what}: a later page came back without the list`);
        page = got as Row[];
        for (const r of page) {
          if (seen.has(r.id)) throw new Error(`@paged ${what}: the endpoint ignored the cursor (row ${String(r.id)} came again)`);
          seen.add(r.id);
        }
        all.push(...page);
      }
      return { keys: c.keys, all };
    }),
  );
  let merged = data;
  for (const r of rests) if (r) merged = setAt(merged, r.keys, r.all);
  return { data: merged as T, indexingError };
}
