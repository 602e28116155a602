// One writing SQLite connection per indexer process, shared by the entity store and sync's event
// store (tables prefixed `chain_`), so a batch of blocks and its cursor commit in one transaction;
// GraphQL reads through a second, read-only connection (`{ readonly: true }`, EntityStore.reader).
import Database from 'better-sqlite3';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  readonly?: boolean;
}

export function openDatabase(file: string, opts: OpenDatabaseOptions = {}): Db {
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false });
  } catch (err) {
    throw new Error(`cannot open database ${file}: ${(err as Error).message}`);
  }
  if (file !== ':memory:' && !opts.readonly) db.pragma('journal_mode = WAL');
  // FULL: a committed batch (entity versions + cursor) survives power loss, not only kill -9;
  // the cost is one extra fsync per batch, and sync commits batches of blocks, not single rows.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = OFF');
  // readers (GraphQL) and the writer (sync) share the file; wait instead of failing on a lock
  db.pragma('busy_timeout = 5000');
  return db;
}
