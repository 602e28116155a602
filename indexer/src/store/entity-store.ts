// Versioned entity store: every row is one version of an entity, valid over the block range
// [__from, __to) as graph-node keeps them, so the latest state, any past block's state and a
// rollback are each one indexed query. State is a projection of the event log: it can be rebuilt.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db.ts';
import type { SubgraphSchema } from '../schema.ts';
import type { BlockPtr, EntityChange, EntityData, EntityReader, Value } from '../types.ts';
import { Aggregator, aggregationDdl, dropAggregations } from './aggregation.ts';
import { bytesToHex } from './encoding.ts';
import { dropFulltext, fulltextDdl } from './fulltext.ts';
import {
  attributeIndexes,
  buildLayout,
  idFromSql,
  idToSql,
  OPEN,
  quoteIdent,
  sqlToValue,
  StoreError,
  tableDdl,
  valueToSql,
  type Column,
  type Layout,
  type Table,
} from './layout.ts';

export interface IndexingFailure {
  message: string;
  block: BlockPtr | number;
  handler?: string;
}

export interface StoredFailure {
  message: string;
  blockNumber: number;
  blockHash: string | null;
  handler: string | null;
}

export interface DumpRow {
  entityType: string;
  id: string;
  blockStart: number;
  /** null while the version is current */
  blockEnd: number | null;
  /** field values as plain JSON (BigInt/Int8/Timestamp as decimal strings, Bytes as 0x-hex) */
  data: Record<string, unknown>;
}

export interface EntityStoreOptions {
  /** drop every entity version, indexed block, cursor and failure (a `--rebuild`) */
  reset?: boolean;
  /**
   * a reader over a database another EntityStore (connection) writes: no tables are created and
   * nothing is written; see `EntityStore.reader`
   */
  readOnly?: boolean;
}

type CommitListener = (cursor: BlockPtr | null) => void;

type BlockRow = { number: number; hash: string; parent_hash: string; timestamp: number };

/** An entity's current version as this store last wrote or read it. */
interface Latest {
  vid: bigint | number;
  from: number;
  /** the INSERT's parameters ([block, ...columns]) until first read */
  params: unknown[] | null;
  /** the entity as `get` returns it, decoded on first read */
  data: EntityData | null;
  /** the version is still in the write buffer (not yet in SQLite) */
  row: PendingRow | null;
}

/**
 * A version written in the current transaction but not yet inserted. Most entity changes close
 * a version the same batch wrote (a counter bumped every block): buffering lets that close be a
 * field set here instead of an UPDATE, and the rows go in with multi-row INSERTs at commit.
 */
interface PendingRow {
  latest: Latest;
  vid: number;
  to: number;
  /** [block, ...columns], as Latest.params */
  params: unknown[];
  /** written over in its own block: never inserted */
  dead: boolean;
}

/** rows per multi-row INSERT (bound parameters stay far below SQLite's 32,766) */
const INSERT_CHUNK = 32;

/** current versions kept in memory; beyond this the oldest are forgotten */
const LATEST_LIMIT = 20_000;

/** store_meta key present while the query-only indexes are deferred */
const DEFERRED_KEY = 'attribute_indexes_deferred';

/** Bumped whenever tables or indexes change shape: older files must be rebuilt. */
const LAYOUT_VERSION = '2';

export function valueToPlain(v: Value): unknown {
  switch (v.kind) {
    case 'Null':
      return null;
    case 'Int8':
    case 'Timestamp':
    case 'BigInt':
      return v.value.toString();
    case 'Bytes':
      return bytesToHex(v.value);
    case 'List':
      return v.value.map(valueToPlain);
    default:
      return v.value;
  }
}

interface TableStatements {
  current: Statement<unknown[]>;
  latest: Statement<unknown[]>;
  at: Statement<unknown[]>;
  /** multi-row INSERTs with explicit __vid and __to, by row count (prepared on first use) */
  insertRows: Map<number, Statement<unknown[]>>;
  maxVid: Statement<unknown[]>;
  /** where the id sits in a version's parameters ([block, ...columns]) */
  idParam: number;
  close: Statement<unknown[]>;
  deleteVid: Statement<unknown[]>;
  revertDelete: Statement<unknown[]>;
  revertReopen: Statement<unknown[]>;
  dump: Statement<unknown[]>;
}

/**
 * How long a read of data_version holds: until this synchronous run's microtasks drain, or a
 * transaction of any store in this process begins or ends. Another process's commit meanwhile is
 * one this process cannot have heard of yet (no I/O callback ran), so reads outside transactions
 * may order before it; a transaction reads it again at its first read, and its snapshot cannot
 * move until it ends (transactions are synchronous).
 */
let versionEpoch = 0;
let epochEnding = false;
function currentEpoch(): number {
  if (!epochEnding) {
    epochEnding = true;
    queueMicrotask(() => {
      versionEpoch++;
      epochEnding = false;
    });
  }
  return versionEpoch;
}

export class EntityStore implements EntityReader {
  readonly db: Db;
  readonly schema: SubgraphSchema;
  readonly layout: Layout;
  /** `@aggregation` rollups (store/aggregation.ts); inactive without aggregations */
  readonly aggregator: Aggregator;
  #stmts = new Map<string, TableStatements>();
  /**
   * The latest state of entities this store wrote or read (null: known absent), so a mapping's
   * loads and the next block's writes skip SQLite. Dropped when another connection committed
   * (SQLite's data_version moved), on a revert, and on any failed transaction (SQLite rolled the
   * writes back).
   */
  #latest = new Map<string, Latest | null>();
  #dataVersion;
  #seenVersion: unknown = null;
  /** `versionEpoch` when data_version was last read */
  #checkedEpoch = -1;
  #listeners = new Set<CommitListener>();
  #depth = 0;
  #dirty = false;
  /** buffered versions by entity type, inserted when the outermost transaction ends */
  #buffer = new Map<string, PendingRow[]>();
  #buffered = 0;
  /** bumped by every change to the buffer or flush: a failed nested call that moved it cannot be undone */
  #edits = 0;
  /** a nested call failed after changing the buffer: the outermost transaction must not commit */
  #poisoned = false;
  /** next __vid per entity type, valid within the current outermost transaction */
  #nextVid = new Map<string, number>();
  #getMeta: Statement<[string], { value: string }>;
  #setMeta: Statement<unknown[]>;
  #deleteMeta: Statement<unknown[]>;
  #insertBlock: Statement<unknown[]>;
  #blockByNumber: Statement<[number], BlockRow>;
  #blockByHash: Statement<[string], BlockRow>;

  /**
   * A store that only reads, on its own connection (`db`, e.g. `openDatabase(file, { readonly:
   * true })`), over the file `writer` keeps: GraphQL reads there, so a query never waits for
   * the writer's connection nor reads inside its transaction (WAL: each read sees the last
   * commit). The writer's commits are passed on to this store's `onCommit` listeners.
   */
  static reader(db: Db, writer: EntityStore): EntityStore {
    const reader = new EntityStore(db, writer.schema, { readOnly: true });
    writer.onCommit(() => reader.#notify());
    return reader;
  }

  constructor(db: Db, schema: SubgraphSchema, opts: EntityStoreOptions = {}) {
    this.db = db;
    this.schema = schema;
    this.layout = buildLayout(schema);
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    if (opts.readOnly) {
      this.#getMeta = db.prepare<[string], { value: string }>(`SELECT value FROM store_meta WHERE key = ?`);
      this.#blockByNumber = db.prepare<[number], BlockRow>(`SELECT number, hash, parent_hash, timestamp FROM indexed_blocks WHERE number = ?`);
      this.#blockByHash = db.prepare<[string], BlockRow>(`SELECT number, hash, parent_hash, timestamp FROM indexed_blocks WHERE hash = ?`);
      const refuse = () => {
        throw new StoreError('this store only reads (EntityStore.reader): write through the indexer\'s store');
      };
      this.#setMeta = this.#deleteMeta = this.#insertBlock = { run: refuse } as unknown as Statement<unknown[]>;
      for (const t of this.layout.tables.values()) this.#stmts.set(t.entity.name, this.#prepare(t, true));
      this.aggregator = new Aggregator(db, this.layout, true);
      return;
    }
    db.exec(`CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    db.exec(
      `CREATE TABLE IF NOT EXISTS indexed_blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL, parent_hash TEXT NOT NULL, timestamp INTEGER NOT NULL)`,
    );
    db.exec(`CREATE INDEX IF NOT EXISTS indexed_blocks_hash ON indexed_blocks (hash)`);
    this.#getMeta = db.prepare<[string], { value: string }>(`SELECT value FROM store_meta WHERE key = ?`);
    this.#setMeta = db.prepare<unknown[]>(`INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
    this.#deleteMeta = db.prepare<unknown[]>(`DELETE FROM store_meta WHERE key = ?`);
    this.#insertBlock = db.prepare<unknown[]>(`INSERT OR REPLACE INTO indexed_blocks (number, hash, parent_hash, timestamp) VALUES (?, ?, ?, ?)`);
    this.#blockByNumber = db.prepare<[number], BlockRow>(`SELECT number, hash, parent_hash, timestamp FROM indexed_blocks WHERE number = ?`);
    this.#blockByHash = db.prepare<[string], BlockRow>(`SELECT number, hash, parent_hash, timestamp FROM indexed_blocks WHERE hash = ?`);

    db.transaction(() => {
      const stored = this.#getMeta.get('schema')?.value;
      const layout = this.#getMeta.get('layout')?.value;
      if (opts.reset) this.#dropAll();
      else if (stored !== undefined && stored !== schema.source) {
        throw new StoreError('the database was indexed with a different schema.graphql: re-index from scratch (hessian index --rebuild)', { kind: 'user' });
      } else if (stored !== undefined && layout !== LAYOUT_VERSION) {
        throw new StoreError(`the database was written by an older entity store (layout ${layout ?? 1}, now ${LAYOUT_VERSION}): re-index from scratch (hessian index --rebuild)`, { kind: 'user' });
      }
      // a backfill that left the query-only indexes out builds them when it ends, not here
      const attributes = opts.reset || this.#getMeta.get(DEFERRED_KEY) === undefined;
      for (const t of this.layout.tables.values()) for (const sql of tableDdl(t, { attributes })) db.exec(sql);
      // @fulltext indexes and @aggregation tables (store/fulltext.ts, store/aggregation.ts)
      for (const sql of [...fulltextDdl(this.layout), ...aggregationDdl(this.layout)]) db.exec(sql);
      this.#setMeta.run('schema', schema.source);
      this.#setMeta.run('layout', LAYOUT_VERSION);
    })();
    for (const t of this.layout.tables.values()) this.#stmts.set(t.entity.name, this.#prepare(t));
    this.aggregator = new Aggregator(db, this.layout);
  }

  /**
   * Leaves the query-only indexes (`attributeIndexes` in layout.ts) out until
   * `createAttributeIndexes`: a backfill then updates 3 indexes per version instead of 3 to 8,
   * and the indexes are built in one sorted pass at the end. Queries stay correct meanwhile,
   * only slower. Persisted: a store reopened before the indexes were built keeps leaving them
   * out. Drops those that exist, so call it on an empty store (the backfill from scratch).
   */
  deferAttributeIndexes(): void {
    this.transaction(() => {
      for (const t of this.layout.tables.values()) {
        for (const i of attributeIndexes(t)) this.db.exec(`DROP INDEX IF EXISTS ${quoteIdent(i.name)}`);
      }
      this.#setMeta.run(DEFERRED_KEY, '1');
    });
  }

  /** `deferAttributeIndexes` is in effect: the query-only indexes are still to be built. */
  attributeIndexesDeferred(): boolean {
    return this.#getMeta.get(DEFERRED_KEY) !== undefined;
  }

  /** Builds the indexes `deferAttributeIndexes` left out, in one transaction; how many (0: none were deferred). */
  createAttributeIndexes(): number {
    return this.transaction(() => {
      if (!this.attributeIndexesDeferred()) return 0;
      let n = 0;
      for (const t of this.layout.tables.values()) {
        for (const i of attributeIndexes(t)) {
          this.db.exec(i.create);
          n++;
        }
      }
      this.#deleteMeta.run(DEFERRED_KEY);
      return n;
    });
  }

  #dropAll(): void {
    dropFulltext(this.db);
    dropAggregations(this.db);
    const rows = this.db
      .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'e\\_%' ESCAPE '\\'`)
      .all();
    for (const r of rows) this.db.exec(`DROP TABLE "${r.name.replace(/"/g, '""')}"`);
    this.db.exec(`DELETE FROM indexed_blocks`);
    this.db.exec(`DELETE FROM store_meta`);
  }

  #prepare(t: Table, readOnly = false): TableStatements {
    const cols = t.columns.map((c) => c.sql);
    // a read-only connection cannot prepare writes
    const s = (sql: string) =>
      readOnly && !sql.startsWith('SELECT') ? ({ run: () => this.#setMeta.run() } as unknown as Statement<unknown[]>) : this.db.prepare<unknown[]>(sql).safeIntegers(true);
    return {
      current: s(`SELECT __vid, __from FROM ${t.sql} WHERE id = ? AND __to = ${OPEN}`),
      // latest: the (__to, id) index finds the current version directly, however many versions
      // an entity has; at a block: the newest version started at or before it, if still valid
      latest: s(`SELECT * FROM ${t.sql} WHERE __to = ${OPEN} AND id = ?`),
      at: s(`SELECT * FROM (SELECT * FROM ${t.sql} WHERE id = ? AND __from <= ? ORDER BY __from DESC LIMIT 1) WHERE __to > ?`),
      insertRows: new Map(),
      idParam: 1 + t.columns.findIndex((c) => c.field.name === 'id'),
      maxVid: s(`SELECT coalesce(max(__vid), 0) FROM ${t.sql}`).pluck(),
      close: s(`UPDATE ${t.sql} SET __to = ? WHERE __vid = ?`),
      deleteVid: s(`DELETE FROM ${t.sql} WHERE __vid = ?`),
      revertDelete: s(`DELETE FROM ${t.sql} WHERE __from > ?`),
      revertReopen: s(`UPDATE ${t.sql} SET __to = ${OPEN} WHERE __to > ? AND __to <> ${OPEN}`),
      dump: s(`SELECT * FROM ${t.sql} ORDER BY id, __from`),
    };
  }

  #table(entityType: string): Table {
    const t = this.layout.tables.get(entityType);
    if (!t) throw new StoreError(`unknown entity type ${JSON.stringify(entityType)} (not in schema.graphql)`);
    return t;
  }

  #stmt(entityType: string): TableStatements {
    return this.#stmts.get(entityType)!;
  }

  rowToEntity(t: Table, row: Record<string, unknown>): EntityData {
    return columnsToEntity(t, (c) => row[c.field.name]);
  }

  /** What reading back a row inserted with `params` ([block, ...columns]) gives. */
  #paramsToEntity(t: Table, params: unknown[]): EntityData {
    return columnsToEntity(t, (_, i) => params[i + 1]);
  }

  /** Forget the remembered latest state if another connection has committed since it was read (once per epoch). */
  #checkVersion(): void {
    const epoch = currentEpoch();
    if (this.#checkedEpoch === epoch) return;
    this.#checkedEpoch = epoch;
    const version = this.#dataVersion.get();
    if (version !== this.#seenVersion) {
      this.#latest.clear();
      this.#seenVersion = version;
    }
  }

  #remember(key: string, latest: Latest | null): void {
    // re-inserted at the end: the entities forgotten first are the ones written or first read
    // longest ago (a hit does not move an entry: a forgotten one costs one read to get back)
    this.#latest.delete(key);
    this.#latest.set(key, latest);
    if (this.#latest.size > LATEST_LIMIT) {
      const oldest = this.#latest.keys().next().value!;
      // a buffered version must stay findable: put it in SQLite before forgetting it
      if (this.#latest.get(oldest)?.row) this.#flush();
      this.#latest.delete(oldest);
    }
  }

  /**
   * The entity as of `block` (default: the latest indexed state); null if absent. The latest
   * state may be shared with other callers: it is frozen.
   */
  get(entityType: string, id: string, block?: number): EntityData | null {
    const t = this.#table(entityType);
    const st = this.#stmt(entityType);
    if (block !== undefined) {
      this.#flush();
      const row = st.at.get(idToSql(t, id), block, block) as Record<string, unknown> | undefined;
      return row ? this.rowToEntity(t, row) : null;
    }
    const sqlId = idToSql(t, id);
    const key = latestKey(t, sqlId);
    this.#checkVersion();
    const cached = this.#latest.get(key);
    if (cached === null) return null;
    if (cached !== undefined) {
      if (cached.data === null) {
        cached.data = Object.freeze(this.#paramsToEntity(t, cached.params!));
        cached.params = null;
      }
      return cached.data;
    }
    const row = st.latest.get(sqlId) as Record<string, unknown> | undefined;
    if (!row) {
      this.#remember(key, null);
      return null;
    }
    const data = Object.freeze(this.rowToEntity(t, row));
    this.#remember(key, { vid: row.__vid as bigint, from: Number(row.__from), params: null, data, row: null });
    return data;
  }

  /** Runs `fn` in one SQLite transaction (nested calls join it); commit listeners fire after the outermost. */
  transaction<T>(fn: () => T): T {
    const outer = ++this.#depth === 1;
    // the transaction's snapshot may be newer than the last read of data_version: read it again
    if (outer) versionEpoch++;
    const edits = this.#edits;
    let ok = false;
    try {
      const result = this.db.transaction(() => {
        const r = fn();
        if (outer) this.#flush();
        return r;
      })();
      ok = true;
      return result;
    } finally {
      this.#depth--;
      if (outer) {
        versionEpoch++;
        this.#nextVid.clear();
      }
      if (!ok) {
        // SQLite rolled back (to the savepoint of a nested call): what was remembered may be gone
        if (outer) {
          this.#discardBuffer();
          this.#latest.clear();
          this.#dirty = false;
        } else if (this.#edits !== edits) {
          // the buffer holds writes of the rolled-back call that cannot be told apart any more
          this.#poisoned = true;
        } else {
          // the buffer is the outer calls' alone: keep it in SQLite, forget the rest
          this.#flush();
          this.#latest.clear();
        }
      } else if (outer && this.#dirty) {
        this.#dirty = false;
        this.#notify();
      }
    }
  }

  #discardBuffer(): void {
    this.#buffer.clear();
    this.#buffered = 0;
    this.#poisoned = false;
  }

  /** Inserts the buffered versions (multi-row INSERTs, per entity type in write order). */
  #flush(): void {
    if (this.#poisoned) {
      throw new StoreError('a nested store transaction failed after buffering writes: the outer transaction cannot commit');
    }
    if (this.#buffered === 0) return;
    this.#edits++;
    for (const [name, rows] of this.#buffer) {
      const t = this.layout.tables.get(name)!;
      const st = this.#stmt(name);
      const live = rows.filter((r) => !r.dead);
      for (let i = 0; i < live.length; i += INSERT_CHUNK) {
        const chunk = live.slice(i, i + INSERT_CHUNK);
        const params: unknown[] = [];
        for (const r of chunk) {
          params.push(r.vid, r.params[0], r.to);
          for (let j = 1; j < r.params.length; j++) params.push(r.params[j]);
        }
        this.#insertStatement(t, st, chunk.length).run(params);
      }
      for (const r of rows) if (r.latest.row === r) r.latest.row = null;
    }
    this.#buffer.clear();
    this.#buffered = 0;
  }

  #insertStatement(t: Table, st: TableStatements, n: number): Statement<unknown[]> {
    let stmt = st.insertRows.get(n);
    if (!stmt) {
      const one = `(${['?', '?', '?', ...t.columns.map(() => '?')].join(', ')})`;
      const cols = t.columns.map((c) => c.sql).join(', ');
      stmt = this.db.prepare<unknown[]>(`INSERT INTO ${t.sql} (__vid, __from, __to, ${cols}) VALUES ${Array(n).fill(one).join(', ')}`).safeIntegers(true);
      st.insertRows.set(n, stmt);
    }
    return stmt;
  }

  /** explicit ids, so a buffered version has its __vid before it is inserted */
  #allocVid(t: Table, st: TableStatements): number {
    const next = this.#nextVid.get(t.entity.name) ?? Number(st.maxVid.get()) + 1;
    this.#nextVid.set(t.entity.name, next + 1);
    return next;
  }

  onCommit(listener: CommitListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    const cursor = this.getCursor();
    for (const l of this.#listeners) {
      try {
        l(cursor);
      } catch {
        // a listener's failure must not break indexing
      }
    }
  }

  /** The cursor `ptr` follows. */
  #checkAdvance(ptr: BlockPtr): BlockPtr | null {
    if (!Number.isInteger(ptr.number) || ptr.number < 0) throw new StoreError(`invalid block number ${ptr.number}`);
    const cursor = this.getCursor();
    if (cursor && ptr.number <= cursor.number) {
      throw new StoreError(`block ${ptr.number} is not after the store's cursor (block ${cursor.number}); revert first`);
    }
    return cursor;
  }

  #recordBlock(ptr: BlockPtr): void {
    this.#insertBlock.run(ptr.number, ptr.hash.toLowerCase(), ptr.parentHash.toLowerCase(), ptr.timestamp);
    this.#setMeta.run('cursor', JSON.stringify({ ...ptr, hash: ptr.hash.toLowerCase(), parentHash: ptr.parentHash.toLowerCase() }));
    this.#dirty = true;
  }

  /** Writes one block's entity changes as new versions and moves the cursor to `ptr`. */
  applyBlock(ptr: BlockPtr, changes: EntityChange[]): void {
    this.transaction(() => {
      const prev = this.#checkAdvance(ptr);
      const n = ptr.number;
      // every change is checked before any is written: a refused block leaves the buffer as it was
      const params = changes.map((change) => this.#check(n, change));
      for (let i = 0; i < changes.length; i++) this.#write(n, changes[i]!, params[i]!);
      this.aggregator.rollup(prev, ptr, () => this.#flush());
      this.#recordBlock(ptr);
    });
  }

  /** The entity's current version: buffered, remembered, or read from SQLite. */
  #current(t: Table, st: TableStatements, id: unknown, key: string): { vid: bigint | number; from: number; row: PendingRow | null } | undefined {
    this.#checkVersion();
    const latest = this.#latest.get(key);
    if (latest === null) return undefined;
    if (latest !== undefined) return latest;
    const found = st.current.get(id) as { __vid: bigint; __from: bigint } | undefined;
    return found ? { vid: found.__vid, from: Number(found.__from), row: null } : undefined;
  }

  /** Validates a change; the INSERT's parameters ([block, ...columns]) or null for a removal. */
  #check(n: number, change: EntityChange): unknown[] | null {
    const t = this.#table(change.entityType);
    const where = `${change.entityType} ${change.id} at block ${n}`;
    const id = idToSql(t, change.id);
    if (t.entity.immutable) {
      const current = this.#current(t, this.#stmt(change.entityType), id, latestKey(t, id));
      if (current && current.from !== n) {
        throw new StoreError(
          `${where}: ${change.entityType} is immutable and was already written at block ${current.from}; it cannot be ${change.data ? 'updated' : 'removed'}`,
        );
      }
    }
    if (change.data === null) return null;
    const data = change.data;
    for (const key of Object.keys(data)) {
      const f = t.entity.fieldMap.get(key);
      if (!f) throw new StoreError(`${where}: ${change.entityType} has no field ${JSON.stringify(key)}`);
      if (f.derivedFrom) throw new StoreError(`${where}: field ${key} is derived (@derivedFrom) and cannot be set`);
    }
    const idValue = data.id;
    if (idValue && idValue.kind !== 'Null' && idString(idValue) !== change.id) {
      throw new StoreError(`${where}: the entity's id field (${idString(idValue)}) differs from its key`);
    }
    const params: unknown[] = [n];
    for (const c of t.columns) {
      if (c.field.name === 'id') {
        params.push(id);
        continue;
      }
      params.push(valueToSql(where, c, data[c.field.name] ?? { kind: 'Null' }));
    }
    return params;
  }

  #write(n: number, change: EntityChange, params: unknown[] | null): void {
    const t = this.#table(change.entityType);
    const st = this.#stmt(change.entityType);
    const id = params ? params[st.idParam] : idToSql(t, change.id);
    const key = latestKey(t, id);
    const current = this.#current(t, st, id, key);
    this.#edits++;
    if (current) {
      if (current.row) {
        if (current.from === n) current.row.dead = true;
        else current.row.to = n;
      } else if (current.from === n) st.deleteVid.run(current.vid);
      else st.close.run(n, current.vid);
    }
    if (params === null) {
      this.#remember(key, null);
      return;
    }
    const latest: Latest = { vid: 0, from: n, params, data: null, row: null };
    const row: PendingRow = { latest, vid: this.#allocVid(t, st), to: OPEN, params, dead: false };
    latest.vid = row.vid;
    latest.row = row;
    let rows = this.#buffer.get(t.entity.name);
    if (!rows) this.#buffer.set(t.entity.name, (rows = []));
    rows.push(row);
    this.#buffered++;
    this.#remember(key, latest);
  }

  /** Moves the cursor over a block that changed no entity. */
  advanceCursor(ptr: BlockPtr): void {
    this.transaction(() => {
      const prev = this.#checkAdvance(ptr);
      this.aggregator.rollup(prev, ptr, () => this.#flush());
      this.#recordBlock(ptr);
    });
  }

  /**
   * Rolls the store back to the state right after `ptr` (null: before any block): versions started
   * after it are deleted, versions closed after it reopened, later indexed blocks forgotten, and a
   * failure recorded at a later block cleared (its block is gone from the canonical chain).
   */
  revertTo(ptr: BlockPtr | null): void {
    this.transaction(() => {
      this.#flush();
      this.#latest.clear();
      this.#nextVid.clear();
      const n = ptr ? ptr.number : -1;
      for (const t of this.layout.tables.values()) {
        const st = this.#stmt(t.entity.name);
        st.revertDelete.run(n);
        st.revertReopen.run(n);
      }
      this.aggregator.revert(n);
      this.db.prepare(`DELETE FROM indexed_blocks WHERE number > ?`).run(n);
      const failed = this.getFailed();
      if (failed && failed.blockNumber > n) this.#deleteMeta.run('failed');
      if (ptr) this.#recordBlock(ptr);
      else {
        this.#deleteMeta.run('cursor');
        this.#dirty = true;
      }
    });
  }

  /**
   * Read from the database each time (a prepared point read): another connection or process may
   * be the writer, and a rolled-back batch must not leave a stale value behind.
   */
  getCursor(): BlockPtr | null {
    const raw = this.#getMeta.get('cursor')?.value;
    return raw ? (JSON.parse(raw) as BlockPtr) : null;
  }

  /** Marks the subgraph failed (a deterministic handler error), as graph-node's `fatalError`. */
  setFailed(failure: IndexingFailure): void {
    const block = failure.block;
    const stored: StoredFailure = {
      message: failure.message,
      blockNumber: typeof block === 'number' ? block : block.number,
      blockHash: typeof block === 'number' ? null : block.hash.toLowerCase(),
      handler: failure.handler ?? null,
    };
    this.transaction(() => {
      this.#setMeta.run('failed', JSON.stringify(stored));
      this.#dirty = true;
    });
  }

  getFailed(): StoredFailure | null {
    const raw = this.#getMeta.get('failed')?.value;
    return raw ? (JSON.parse(raw) as StoredFailure) : null;
  }

  clearFailed(): void {
    this.transaction(() => {
      this.#deleteMeta.run('failed');
      this.#dirty = true;
    });
  }

  /** A block this store indexed (or moved its cursor over), by number. */
  blockByNumber(number: number): BlockPtr | null {
    const row = this.#blockByNumber.get(number);
    return row ? { number: row.number, hash: row.hash, parentHash: row.parent_hash, timestamp: row.timestamp } : null;
  }

  blockByHash(hash: string): BlockPtr | null {
    const row = this.#blockByHash.get(hash.toLowerCase());
    return row ? { number: row.number, hash: row.hash, parentHash: row.parent_hash, timestamp: row.timestamp } : null;
  }

  /** Every version of every entity, in a canonical order (type name, id, block): for comparing stores. */
  dump(): DumpRow[] {
    this.#flush();
    const out: DumpRow[] = [];
    const names = [...this.layout.tables.keys()].sort();
    for (const name of names) {
      const t = this.layout.tables.get(name)!;
      const rows = this.#stmt(name).dump.all() as Record<string, unknown>[];
      const decorated = rows.map((row) => {
        const entity = this.rowToEntity(t, row);
        const data: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(entity)) data[k] = valueToPlain(v);
        const to = Number(row.__to);
        return {
          entityType: name,
          id: idFromSql(t, row.id),
          blockStart: Number(row.__from),
          blockEnd: to === OPEN ? null : to,
          data,
        };
      });
      out.push(...decorated);
    }
    // rollups, as `<Aggregation>_<interval>` (graph-node's names for these tables' types)
    for (const [name, tables] of [...this.layout.aggregations].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const [interval, t] of tables) {
        const rows = this.db.prepare(`SELECT * FROM ${t.sql} ORDER BY id, __from`).safeIntegers(true).all() as Record<string, unknown>[];
        for (const row of rows) {
          const data: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(this.rowToEntity(t, row))) data[k] = valueToPlain(v);
          out.push({ entityType: `${name}_${interval}`, id: idFromSql(t, row.id), blockStart: Number(row.__from), blockEnd: null, data });
        }
      }
    }
    return out;
  }
}

/** by the id as stored, so every spelling of a Bytes or Int8 id finds the same entry */
function latestKey(t: Table, sqlId: unknown): string {
  return `${t.entity.name}\u0000${t.idKind === 'string' ? (sqlId as string) : idFromSql(t, sqlId)}`;
}

/** An entity from its columns' storage forms (`raw` gives each column's), null fields left out. */
function columnsToEntity(t: Table, raw: (c: Column, i: number) => unknown): EntityData {
  const data: EntityData = {};
  for (let i = 0; i < t.columns.length; i++) {
    const c = t.columns[i]!;
    if (c.field.name === 'id') {
      data.id = idValue(t, raw(c, i));
      continue;
    }
    const value = sqlToValue(c, raw(c, i));
    if (value) data[c.field.name] = value;
  }
  return data;
}

function idValue(t: Table, raw: unknown): Value {
  if (t.idKind === 'bytes') return { kind: 'Bytes', value: new Uint8Array(raw as Buffer) };
  if (t.idKind === 'int8') return { kind: 'Int8', value: BigInt(raw as bigint) };
  return { kind: 'String', value: String(raw) };
}

function idString(v: Value): string {
  if (v.kind === 'Bytes') return bytesToHex(v.value);
  if (v.kind === 'Int8' || v.kind === 'BigInt' || v.kind === 'Int') return v.value.toString();
  if (v.kind === 'String') return v.value;
  return '';
}
