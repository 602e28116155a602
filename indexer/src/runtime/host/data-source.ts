// Dynamic data sources: the dataSource.* host functions and the registry of data sources created
// from templates, with graph-node's rules (runtime/wasm/src/host_exports.rs data_source_create,
// chain/ethereum/src/data_source.rs from_template_info and is_duplicate_of, core's
// add_dynamic_data_source): a data source created in block N is indexed from block N on, a
// duplicate (same template, address and context) of one that exists is not created again, and
// data sources keep their creation order, which is the order their handlers run in.
import type { DataSourceDef } from '../../manifest-types.ts';
import type { EntityData, Value } from '../../types.ts';
import { HostError } from '../errors.ts';
import { readEntity, writeEntity } from '../store-values.ts';
import type { HostContext, HostFns } from './context.ts';

/** A data source created from a template by a handler. */
export interface DynamicDataSource {
  /** creation order, 0-based across the subgraph; handlers of older data sources run first */
  seq: number;
  template: string;
  /** lowercase 0x-hex */
  address: string;
  /** null for `create` (dataSource.context() is then empty), the entries for `createWithContext` */
  context: EntityData | null;
  creationBlock: number;
}

/** What a handler asked for; checked and deduplicated once its handler succeeded. */
export interface CreateRequest {
  template: string;
  params: string[];
  context: EntityData | null;
}

/** Where the host functions record creations: the runtime's per-trigger state. */
export interface DataSourceCreator {
  /** template names of the manifest, in manifest order */
  readonly templateNames: readonly string[];
  requestCreate(request: CreateRequest): void;
}

export function dataSourceHost(ctx: HostContext, creator: DataSourceCreator): HostFns {
  const create = (namePtr: number, paramsPtr: number, context: EntityData | null) => {
    const heap = ctx.heap;
    const name = heap.readString(namePtr);
    const params = heap.readPtrArray(paramsPtr).map((p) => heap.readString(p));
    if (!creator.templateNames.includes(name)) {
      // graph-node's message (host_exports.rs data_source_create)
      throw new HostError(
        `Failed to create data source from name \`${name}\`: No template with this name in parent data source \`${ctx.dataSource.name}\`. ` +
          `Available names: ${creator.templateNames.join(', ')}.`,
      );
    }
    ctx.log('info', `Create data source, name: ${name}, params: ${params.join(',')}`);
    creator.requestCreate({ template: name, params, context });
  };
  return {
    'dataSource.address': () => ctx.heap.writeBytes(ctx.dataSource.address),
    'dataSource.network': () => ctx.heap.writeString(ctx.dataSource.network),
    'dataSource.context': () => writeEntity(ctx.heap, ctx.dataSource.context ?? {}),
    'dataSource.create': (name: number, params: number) => create(name, params, null),
    'dataSource.createWithContext': (name: number, params: number, context: number) => {
      const entries = readEntity(ctx.heap, context);
      create(name, params, Object.fromEntries(entries));
    },
  };
}

/**
 * The address a template's data source watches, from the `params` of dataSource.create: graph-node
 * takes the first one, strips `0x` and parses 20 bytes. Its failures are not deterministic handler
 * errors there (the subgraph fails and is retried), so they are plain Errors here: they stop indexing.
 */
export function templateAddress(template: string, params: string[]): string {
  const first = params[0];
  if (first === undefined) throw new Error(`Failed to create data source from template \`${template}\`: address parameter is missing`);
  const hex = first.replace(/^(0x)+/, '');
  if (!/^[0-9a-fA-F]{40}$/.test(hex)) throw new Error(`Failed to create data source from template \`${template}\`, invalid address provided`);
  return '0x' + hex.toLowerCase();
}

/** The data sources created so far, in creation order; persisted by the indexer (store/dynamic-sources.ts). */
export class DynamicDataSources {
  private readonly list: DynamicDataSource[] = [];
  private readonly keys = new Set<string>();
  private readonly templates: Map<string, DataSourceDef>;
  private readonly onAdd: (ds: DynamicDataSource, template: DataSourceDef) => void;
  private readonly onReset: () => void;

  constructor(templates: DataSourceDef[], hooks: { onAdd: (ds: DynamicDataSource, template: DataSourceDef) => void; onReset: () => void }) {
    this.templates = new Map(templates.map((t) => [t.name, t]));
    this.onAdd = hooks.onAdd;
    this.onReset = hooks.onReset;
  }

  get size(): number {
    return this.list.length;
  }

  all(): readonly DynamicDataSource[] {
    return this.list;
  }

  template(name: string): DataSourceDef {
    const t = this.templates.get(name);
    if (!t) throw new Error(`no template named ${name} in the manifest`);
    return t;
  }

  /** The data sources created at `block`, in creation order. */
  createdIn(block: number): DynamicDataSource[] {
    const out: DynamicDataSource[] = [];
    for (let i = this.list.length - 1; i >= 0 && this.list[i]!.creationBlock >= block; i--) {
      if (this.list[i]!.creationBlock === block) out.unshift(this.list[i]!);
    }
    return out;
  }

  /**
   * Instantiate requests made at `block`; returns the new data sources (duplicates of existing
   * ones are skipped, as graph-node skips a host equal to one it has).
   */
  create(requests: CreateRequest[], block: number): DynamicDataSource[] {
    const added: DynamicDataSource[] = [];
    for (const r of requests) {
      const ds = this.add({ seq: this.list.length, template: r.template, address: templateAddress(r.template, r.params), context: r.context, creationBlock: block });
      if (ds) added.push(ds);
    }
    return added;
  }

  /** Stored data sources, at start (in their creation order). */
  restore(stored: DynamicDataSource[]): void {
    for (const ds of stored) this.add({ ...ds, seq: this.list.length });
  }

  /** Forget the data sources created after `block` (a reorg, a failed block): null forgets all. */
  revertTo(block: number | null): void {
    const n = block ?? -1;
    if (!this.list.some((d) => d.creationBlock > n)) return;
    const kept = this.list.filter((d) => d.creationBlock <= n);
    this.list.length = 0;
    this.keys.clear();
    this.onReset();
    for (const ds of kept) this.add(ds);
  }

  private add(ds: DynamicDataSource): DynamicDataSource | null {
    const template = this.template(ds.template);
    const key = `${ds.template}\0${ds.address}\0${ds.context === null ? 'null' : contextKey(ds.context)}`;
    if (this.keys.has(key)) return null;
    const last = this.list.at(-1);
    if (last && last.creationBlock > ds.creationBlock) throw new Error(`data source created at block ${ds.creationBlock} after one created at ${last.creationBlock}`);
    this.keys.add(key);
    this.list.push(ds);
    this.onAdd(ds, template);
    return ds;
  }
}

/** Order-independent identity of a context (graph-node compares contexts as maps). */
function contextKey(ctx: EntityData): string {
  return JSON.stringify(Object.keys(ctx).sort().map((k) => [k, encodeValue(ctx[k]!)]));
}

type EncodedValue = { kind: string; value?: unknown };

/** A context value as JSON (bigints as decimal strings, bytes as 0x-hex), for the store. */
export function encodeValue(v: Value): EncodedValue {
  switch (v.kind) {
    case 'Null':
      return { kind: 'Null' };
    case 'Int8':
    case 'BigInt':
    case 'Timestamp':
      return { kind: v.kind, value: v.value.toString() };
    case 'Bytes':
      return { kind: 'Bytes', value: '0x' + Buffer.from(v.value).toString('hex') };
    case 'List':
      return { kind: 'List', value: v.value.map(encodeValue) };
    default:
      return { kind: v.kind, value: v.value };
  }
}

export function decodeValue(e: EncodedValue): Value {
  switch (e.kind) {
    case 'Null':
      return { kind: 'Null' };
    case 'Int8':
    case 'BigInt':
    case 'Timestamp':
      return { kind: e.kind, value: BigInt(e.value as string) };
    case 'Bytes':
      return { kind: 'Bytes', value: Uint8Array.from(Buffer.from((e.value as string).slice(2), 'hex')) };
    case 'List':
      return { kind: 'List', value: (e.value as EncodedValue[]).map(decodeValue) };
    case 'String':
    case 'BigDecimal':
      return { kind: e.kind, value: e.value as string };
    case 'Int':
      return { kind: 'Int', value: e.value as number };
    case 'Bool':
      return { kind: 'Bool', value: e.value as boolean };
    default:
      throw new Error(`stored data source context: unknown value kind ${e.kind}`);
  }
}

export function encodeContext(ctx: EntityData | null): string | null {
  return ctx === null ? null : JSON.stringify(Object.fromEntries(Object.entries(ctx).map(([k, v]) => [k, encodeValue(v)])));
}

export function decodeContext(json: string | null): EntityData | null {
  if (json === null) return null;
  const raw = JSON.parse(json) as Record<string, EncodedValue>;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, decodeValue(v)]));
}
