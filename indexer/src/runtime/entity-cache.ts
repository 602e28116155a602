// One block's entity writes, with graph-node's EntityCache semantics
// (graph/src/components/store/entity_cache.rs): `set` merges into the existing entity (a Null
// value removes the field), `get` sees this block's writes over the store, `get_in_block` sees
// only this block's writes, and the block's result holds only entities that actually changed.
// Writes are validated against the schema as graph-node's host exports and store do.
import { HessianError } from '@hessian/common/errors';
import type { EntityChange, EntityData, EntityReader, Value } from '../types.ts';
import type { EntityDef, FieldDef, SubgraphSchema } from '../schema.ts';
import { HostError } from './errors.ts';
import { hexlify } from 'ethers';

type Op =
  | { type: 'remove' }
  | { type: 'update'; data: Slots }
  | { type: 'overwrite'; data: Slots };

/**
 * An entity inside the cache: its values by the field's position in the type's Shape (undefined:
 * absent). Positional, not a Map or an object: entities have dozens of fields and are merged,
 * checked and compared on every write, and an array slot costs no hash lookup.
 */
export type Slots = (Value | undefined)[];

/** An entity type's fields in name order (the order graph-node hands entities to mappings). */
export interface Shape {
  def: EntityDef;
  names: readonly string[];
  index: ReadonlyMap<string, number>;
  checks: readonly FieldCheck[];
  /** positions of the non-nullable, non-derived fields */
  required: readonly number[];
  id: number;
  /** the `timestamp` field's position (-1: none) */
  timestamp: number;
}

/** what a mapping passed to `store.set`: its values by position, and fields the schema lacks */
export interface Incoming {
  slots: Slots;
  unknown: string[] | null;
}

/** Reading the store failed: not the mapping's fault, so never a deterministic error. */
export class StoreReadError extends HessianError {
  override name = 'StoreReadError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { kind: 'fatal', ...options });
  }
}

function keyOf(entityType: string, id: string): string {
  return `${entityType}\u0000${id}`;
}

export function emptySlots(shape: Shape): Slots {
  return new Array<Value | undefined>(shape.names.length).fill(undefined);
}

/** A stored entity as the cache keeps it: without Null fields. */
function storedSlots(shape: Shape, data: EntityData): Slots {
  const out = emptySlots(shape);
  for (const k in data) {
    const v = data[k]!;
    const i = shape.index.get(k);
    if (i !== undefined && v.kind !== 'Null') out[i] = v;
  }
  return out;
}

/** graph-node's merge_remove_null_fields: updates win, a Null removes the field */
function merged(base: Slots, updates: Slots): Slots {
  const out = base.slice();
  for (let i = 0; i < updates.length; i++) {
    const v = updates[i];
    if (v !== undefined) out[i] = v.kind === 'Null' ? undefined : v;
  }
  return out;
}

function toData(shape: Shape, slots: Slots): EntityData {
  const out: EntityData = {};
  for (let i = 0; i < slots.length; i++) {
    const v = slots[i];
    if (v !== undefined && v.kind !== 'Null') out[shape.names[i]!] = v;
  }
  return out;
}

/** a stored entity (no Null fields) against the block's view of it (a Null is an absent field) */
function sameSlots(stored: Slots, view: Slots): boolean {
  for (let i = 0; i < stored.length; i++) {
    const a = stored[i];
    let b = view[i];
    if (b !== undefined && b.kind === 'Null') b = undefined;
    if (a === b) continue;
    if (a === undefined || b === undefined || !valuesEqual(a, b)) return false;
  }
  return true;
}

export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'Null':
      return true;
    case 'Bytes': {
      const x = a.value;
      const y = (b as typeof a).value;
      return x.length === y.length && x.every((byte, i) => byte === y[i]);
    }
    case 'List': {
      const y = (b as typeof a).value;
      return a.value.length === y.length && a.value.every((item, i) => valuesEqual(item, y[i]!));
    }
    default:
      return a.value === (b as typeof a).value;
  }
}

export function entitiesEqual(a: EntityData, b: EntityData): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => k in b && valuesEqual(a[k]!, b[k]!));
}

/** graph-node's Value Display, for error messages. */
export function displayValue(v: Value): string {
  switch (v.kind) {
    case 'Null':
      return 'null';
    case 'Bytes':
      return hexlify(v.value);
    case 'List':
      return `[${v.value.map(displayValue).join(', ')}]`;
    default:
      return String(v.value);
  }
}

function typeName(v: Value): string {
  return v.kind === 'Bool' ? 'Boolean' : v.kind;
}

function fieldTypeText(f: FieldDef): string {
  const inner = `${f.type.name}${f.list && f.itemNonNull ? '!' : ''}`;
  return `${f.list ? `[${inner}]` : inner}${f.nonNull ? '!' : ''}`;
}

const HEX = /^[0-9a-fA-F]*$/;

/** An id as the cache keys it (what `parseId` gives as `canonical`), without building its Value. */
export function canonicalId(def: EntityDef, id: string): string {
  if (def.idType === 'ID' || def.idType === 'String') return id;
  if (def.idType === 'Bytes') {
    // the common spelling (lowercase 0x-hex, as bytesToHex writes it) is checked without copies
    const hex = id.startsWith('0x') ? id.slice(2) : id;
    if (hex.length % 2 !== 0 || !HEX.test(hex)) throw new HostError(`Entity ${def.name}: id \`${id}\` is not valid hex for a Bytes id`);
    return id.length === hex.length + 2 && hex === hex.toLowerCase() ? id : `0x${hex.toLowerCase()}`;
  }
  return parseId(def, id).canonical;
}

/** Entity ids: ID/String as is, Bytes as lowercase 0x-hex, Int8 in decimal. */
export function parseId(def: EntityDef, id: string): { canonical: string; value: Value } {
  switch (def.idType) {
    case 'ID':
    case 'String':
      return { canonical: id, value: { kind: 'String', value: id } };
    case 'Bytes': {
      const hex = id.startsWith('0x') ? id.slice(2) : id;
      if (hex.length % 2 !== 0 || !HEX.test(hex)) {
        throw new HostError(`Entity ${def.name}: id \`${id}\` is not valid hex for a Bytes id`);
      }
      const canonical = `0x${hex.toLowerCase()}`;
      return { canonical, value: { kind: 'Bytes', value: Uint8Array.from(Buffer.from(hex, 'hex')) } };
    }
    case 'Int8': {
      if (!/^-?[0-9]+$/.test(id)) throw new HostError(`Entity ${def.name}: id \`${id}\` is not an Int8`);
      const n = BigInt(id);
      if (n < -(2n ** 63n) || n >= 2n ** 63n) throw new HostError(`Entity ${def.name}: id \`${id}\` is out of Int8 range`);
      return { canonical: n.toString(), value: { kind: 'Int8', value: n } };
    }
  }
}

/** What `set` checks of a field, derived from the schema once. */
interface FieldCheck {
  field: FieldDef;
  /** the Value kind it takes (a list field: its items') */
  kind: Value['kind'];
  /** an enum's values */
  enumValues: ReadonlySet<string> | null;
}

const shapeOf = new WeakMap<EntityDef, Shape>();

interface UpdateEntry {
  entityType: string;
  shape: Shape;
  id: string;
  op: Op;
  view: Slots | null;
}

export class EntityCache {
  /** entities as the store has them (null: absent), read once per block */
  private readonly current = new Map<string, Slots | null>();
  /**
   * The block's writes. `view` is the entity as `get` sees it (the op applied to what is stored),
   * kept current on every write because handlers reload what others just saved.
   */
  private readonly updates = new Map<string, UpdateEntry>();
  /**
   * While a handler runs with non-fatal errors on (graph-node's enter_handler): each entry as it
   * was before the handler first touched it (null: it had none), so a failed handler's writes can
   * be discarded and the block's other handlers' kept.
   */
  private journal: Map<string, UpdateEntry | null> | null = null;
  private readonly schema: SubgraphSchema;
  private readonly reader: EntityReader;
  /** the block number, for error messages and generated ids */
  private readonly block: number;
  private idSeq = 0;
  /** the block's timestamp in µs: what graph-node writes into a timeseries' `timestamp` */
  private readonly blockTime: bigint;

  constructor(schema: SubgraphSchema, reader: EntityReader, block: number, blockTimestampSecs = 0) {
    this.schema = schema;
    this.reader = reader;
    this.block = block;
    this.blockTime = BigInt(blockTimestampSecs) * 1_000_000n;
  }

  private entityDef(entityType: string, op: string): EntityDef {
    const def = this.schema.entities.get(entityType);
    if (def) return def;
    if (this.schema.interfaces.has(entityType)) {
      throw new HostError(`Cannot ${op} entity of type \`${entityType}\`. The type must be an @entity type`);
    }
    throw new HostError(`Entity type \`${entityType}\` is not defined in the schema`);
  }

  /** The entity type's Shape; `op` names the host call in the error for a type that is none. */
  shape(entityType: string, op: string): Shape {
    const def = this.entityDef(entityType, op);
    let shape = shapeOf.get(def);
    if (!shape) {
      const fields = [...def.fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const names = fields.map((f) => f.name);
      const index = new Map(names.map((n, i) => [n, i] as const));
      const checks = fields.map((field) => {
        const t = field.type;
        const enumValues = t.kind === 'enum' ? new Set(this.schema.enums.get(t.name) ?? []) : null;
        return { field, kind: this.computeExpectedKind(field), enumValues };
      });
      const required = fields.flatMap((f, i) => (f.nonNull && f.derivedFrom === undefined ? [i] : []));
      shape = { def, names, index, checks, required, id: index.get('id') ?? -1, timestamp: index.get('timestamp') ?? -1 };
      shapeOf.set(def, shape);
    }
    return shape;
  }

  private stored(shape: Shape, id: string, key: string): Slots | null {
    const cached = this.current.get(key);
    if (cached !== undefined) return cached;
    let data: Slots | null;
    try {
      const found = this.reader.get(shape.def.name, id);
      data = found === null ? null : storedSlots(shape, found);
    } catch (err) {
      throw new StoreReadError(`reading ${shape.def.name}[${id}] from the store failed: ${(err as Error).message}`, { cause: err });
    }
    this.current.set(key, data);
    return data;
  }

  /**
   * `store.get` (inBlock false) or `store.get_in_block` (inBlock true): the entity's values by
   * `shape`'s positions, or null. The caller reads them and must not keep or change them.
   */
  get(shape: Shape, rawId: string, inBlock: boolean): Slots | null {
    const canonical = canonicalId(shape.def, rawId);
    const key = keyOf(shape.def.name, canonical);
    const entry = this.updates.get(key);
    if (inBlock) return entry === undefined || entry.op.type === 'remove' ? null : entry.op.data;
    if (entry !== undefined) return entry.view;
    return this.stored(shape, canonical, key);
  }

  /**
   * `store.set`. The incoming slots become the cache's own. `rejectUndefinedFields`
   * (apiVersion >= 0.0.8): setting a field the schema does not define is an error; older
   * mappings have such fields dropped.
   */
  set(shape: Shape, rawId: string, incoming: Incoming, rejectUndefinedFields: boolean): void {
    const def = shape.def;
    const entityType = def.name;
    const data = incoming.slots;
    // graph-node generates the id of every timeseries data point, whatever the mapping passed,
    // and sets its timestamp to the block's (host_exports.rs store_set)
    if (rawId === 'auto' || def.timeseries) {
      rawId = this.autoId(def);
      data[shape.id] = undefined;
    }
    if (def.timeseries && shape.timestamp >= 0) data[shape.timestamp] = { kind: 'Timestamp', value: this.blockTime };
    const { canonical, value: idValue } = parseId(def, rawId);
    const key = keyOf(entityType, canonical);

    const given = data[shape.id];
    if (given === undefined) {
      data[shape.id] = idValue;
    } else if (!valuesEqual(given, idValue)) {
      if (given.kind !== idValue.kind) {
        throw new HostError(`Attribute \`${entityType}.id\` has wrong type: expected ${def.idType} but got ${typeName(given)}`);
      }
      throw new HostError(
        `Value of ${entityType} attribute 'id' conflicts with ID passed to \`store.set()\`: ${displayValue(given)} != ${canonical}`,
      );
    }

    if (this.journal) this.touch(key);
    const existing = this.updates.get(key);
    // a field holding the very value the mapping loaded was checked when it got there
    const seen = existing !== undefined ? existing.view : this.current.get(key);
    const checks = shape.checks;
    for (let i = 0; i < data.length; i++) {
      const value = data[i];
      if (value === undefined || (seen != null && seen[i] === value)) continue;
      this.checkField(def, canonical, checks[i]!, value);
    }
    const undefinedFields = incoming.unknown;
    if (undefinedFields && rejectUndefinedFields) {
      throw new HostError(
        `Attempted to set undefined fields [${[...new Set(undefinedFields)].sort().join(', ')}] for the entity type \`${entityType}\`. ` +
          'Make sure those fields are defined in the schema.',
      );
    }

    if (def.immutable && existing === undefined && this.stored(shape, canonical, key) !== null) {
      throw new HostError(
        `entity ${entityType}[${canonical}] is immutable; inserting it at block ${this.block} is not possible as it was already inserted in an earlier block`,
      );
    }
    let op: Op;
    let base: Slots | null;
    if (!existing) {
      op = { type: 'update', data };
      base = this.stored(shape, canonical, key);
      this.updates.set(key, { entityType, shape, id: canonical, op, view: base === null ? data : merged(base, data) });
    } else if (existing.op.type === 'remove') {
      op = { type: 'overwrite', data };
      base = null;
      this.updates.set(key, { entityType, shape, id: canonical, op, view: data });
    } else {
      // the cache owns op data: merge in place rather than copying the entity on every set
      op = existing.op;
      const into = op.data;
      const view = existing.view!;
      const separate = view !== into;
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (v === undefined) continue;
        into[i] = v;
        if (separate) view[i] = v.kind === 'Null' ? undefined : v;
      }
      base = op.type === 'update' ? this.stored(shape, canonical, key) : null;
    }

    // required fields are checked on the entity as it now stands (the partial update merged
    // into what exists), as graph-node's EntityCache::set does
    const now = op.data;
    for (const i of shape.required) {
      const set = now[i];
      // merged onto a stored entity, a Null removes the field; on its own it stays (graph-node)
      const present = base === null ? set !== undefined : set === undefined ? base[i] !== undefined : set.kind !== 'Null';
      if (!present) throw new HostError(`Entity ${def.name}[${canonical}]: missing value for non-nullable field \`${shape.names[i]}\``);
    }
  }

  /**
   * graph-node's generated ids (`store.set(type, "auto", ...)`): the block number in the upper 32
   * bits and a per-block sequence in the lower ones; Bytes ids as those 8 bytes big-endian.
   */
  private autoId(def: EntityDef): string {
    const seq = this.idSeq++;
    if (def.idType === 'Int8') return ((BigInt(this.block) << 32n) + BigInt(seq)).toString();
    if (def.idType === 'Bytes') {
      const bytes = Buffer.alloc(8);
      bytes.writeUInt32BE(this.block, 0);
      bytes.writeUInt32BE(seq, 4);
      return `0x${bytes.toString('hex')}`;
    }
    throw new HostError(`${def.idType} does not support generating ids (entity type ${def.name} asked for an "auto" id)`);
  }

  remove(entityType: string, rawId: string): void {
    const shape = this.shape(entityType, 'remove');
    const def = shape.def;
    const canonical = canonicalId(def, rawId);
    const key = keyOf(entityType, canonical);
    if (def.immutable && this.stored(shape, canonical, key) !== null) {
      throw new HostError(`immutable entity type ${entityType} only allows inserts, not removing ${entityType}[${canonical}]`);
    }
    if (this.journal) this.touch(key);
    // a removal replaces whatever this block did to the entity before
    this.updates.set(key, { entityType, shape, id: canonical, op: { type: 'remove' }, view: null });
  }

  private checkField(def: EntityDef, id: string, check: FieldCheck, value: Value): void {
    const field = check.field;
    if (field.derivedFrom !== undefined) {
      throw new HostError(`Entity ${def.name}[${id}]: field \`${field.name}\` is derived and cannot be set`);
    }
    if (value.kind === 'Null') return;
    if (field.list) {
      if (value.kind !== 'List') {
        throw new HostError(
          `Entity ${def.name}[${id}]: the value \`${displayValue(value)}\` for field \`${field.name}\` must have type ${fieldTypeText(field)} but has type ${typeName(value)}`,
        );
      }
      value.value.forEach((item, index) => {
        if (!assignable(check, item) || (item.kind === 'Null' && field.itemNonNull)) {
          throw new HostError(
            `Entity ${def.name}[${id}]: field \`${field.name}\` is of type ${fieldTypeText(field)}, but the value \`${displayValue(value)}\` contains a ${typeName(item)} at index ${index}`,
          );
        }
      });
      return;
    }
    if (!assignable(check, value)) {
      throw new HostError(
        `Entity ${def.name}[${id}]: the value \`${displayValue(value)}\` for field \`${field.name}\` must have type ${fieldTypeText(field)} but has type ${typeName(value)}`,
      );
    }
  }

  private computeExpectedKind(field: FieldDef): Value['kind'] {
    const t = field.type;
    if (t.kind === 'enum') return 'String';
    if (t.kind === 'entity' || t.kind === 'interface') {
      const target =
        t.kind === 'entity'
          ? this.schema.entities.get(t.name)
          : this.schema.entities.get(this.schema.interfaces.get(t.name)?.implementedBy[0] ?? '');
      const idType = target?.idType ?? 'ID';
      return idType === 'Bytes' ? 'Bytes' : idType === 'Int8' ? 'Int8' : 'String';
    }
    switch (t.name) {
      case 'ID':
      case 'String':
        return 'String';
      case 'Boolean':
        return 'Bool';
      default:
        return t.name;
    }
  }

  /** Start recording what the next handler writes (to discard it if it fails). */
  enterHandler(): void {
    this.journal = new Map();
  }

  /** The handler succeeded: its writes are the block's. */
  exitHandler(): void {
    this.journal = null;
  }

  /** The handler failed: the block's writes are as they were before it (exit_handler_and_discard_changes). */
  discardHandler(): void {
    const journal = this.journal;
    this.journal = null;
    if (!journal) return;
    for (const [key, before] of journal) {
      if (before === null) this.updates.delete(key);
      else this.updates.set(key, before);
    }
  }

  private touch(key: string): void {
    if (this.journal!.has(key)) return;
    const e = this.updates.get(key);
    if (!e) {
      this.journal!.set(key, null);
      return;
    }
    // set() merges into an entry's slots in place: keep copies
    const data = e.op.type === 'remove' ? null : e.op.data.slice();
    const op: Op = e.op.type === 'remove' ? e.op : { type: e.op.type, data: data! };
    const view = e.view === null ? null : e.view === (e.op as { data?: Slots }).data ? data : e.view.slice();
    this.journal!.set(key, { entityType: e.entityType, shape: e.shape, id: e.id, op, view });
  }

  /**
   * The block's net changes against the store, one per entity that actually changed, in the order
   * the entities were first written. Throws HostError for an entity left without a required field.
   */
  changes(): EntityChange[] {
    const out: EntityChange[] = [];
    for (const [key, { entityType, shape, id, op, view }] of this.updates) {
      const current = this.stored(shape, id, key);
      if (op.type === 'remove') {
        if (current !== null) out.push({ entityType, id, data: null });
        continue;
      }
      // the view is the op applied to what is stored; a Null left in it means an absent field
      for (const i of shape.required) {
        const v = view![i];
        if (v === undefined || v.kind === 'Null') {
          throw new HostError(`Entity ${shape.def.name}[${id}]: missing value for non-nullable field \`${shape.names[i]}\``);
        }
      }
      if (current === null || !sameSlots(current, view!)) out.push({ entityType, id, data: toData(shape, view!) });
    }
    return out;
  }
}

/** Whether a (non-Null) value fits a field's type (list items: its item type). */
function assignable(check: FieldCheck, value: Value): boolean {
  if (value.kind === 'Null') return true;
  if (value.kind !== check.kind) return false;
  // graph-node stores enums in Postgres enum types, which reject unknown values
  if (check.enumValues !== null && value.kind === 'String') return check.enumValues.has(value.value);
  return true;
}
