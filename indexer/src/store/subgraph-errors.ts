// Non-fatal handler errors (`features: [nonFatalErrors]`), kept as graph-node keeps them in its
// subgraph_error table: written with the block they happened in (same transaction), dropped when
// a reorg reverts that block. Queries at or after the first one's block see `indexing_error`
// (graph-node's DeploymentState::has_deterministic_errors); the status API lists them.
import type Database from 'better-sqlite3';

export interface NonFatalError {
  message: string;
  blockNumber: number;
  blockHash: string;
  /** `DataSource.handler` */
  handler: string;
}

const TABLE = `CREATE TABLE IF NOT EXISTS subgraph_errors (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  block_number INTEGER NOT NULL,
  block_hash TEXT NOT NULL,
  handler TEXT NOT NULL,
  message TEXT NOT NULL
)`;

export class SubgraphErrorStore {
  private readonly insert: Database.Statement;
  private readonly revert: Database.Statement;
  private readonly clearAll: Database.Statement;

  constructor(db: Database.Database) {
    db.exec(TABLE);
    this.insert = db.prepare('INSERT INTO subgraph_errors (block_number, block_hash, handler, message) VALUES (?, ?, ?, ?)');
    this.revert = db.prepare('DELETE FROM subgraph_errors WHERE block_number > ?');
    this.clearAll = db.prepare('DELETE FROM subgraph_errors');
  }

  /** Call inside the transaction that commits the block. */
  add(errors: readonly NonFatalError[]): void {
    for (const e of errors) this.insert.run(e.blockNumber, e.blockHash, e.handler, e.message);
  }

  /** Forget errors of blocks after `block` (null: all); call inside the reverting transaction. */
  revertTo(block: number | null): void {
    if (block === null) this.clearAll.run();
    else this.revert.run(block);
  }
}

const reads = new WeakMap<Database.Database, { first: Database.Statement; all: Database.Statement } | null>();

function readers(db: Database.Database) {
  let r = reads.get(db);
  if (r === undefined) {
    // a store written by an indexer without this table (or not written yet) has no errors
    const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'subgraph_errors'`).get();
    r = exists
      ? {
          first: db.prepare('SELECT min(block_number) AS n FROM subgraph_errors'),
          all: db.prepare('SELECT block_number, block_hash, handler, message FROM subgraph_errors ORDER BY seq'),
        }
      : null;
    if (r) reads.set(db, r);
  }
  return r;
}

/** The block of the first non-fatal error, or null. */
export function firstErrorBlock(db: Database.Database): number | null {
  const n = (readers(db)?.first.get() as { n: number | null } | undefined)?.n;
  return n ?? null;
}

export function nonFatalErrors(db: Database.Database): NonFatalError[] {
  const rows = (readers(db)?.all.all() ?? []) as { block_number: number; block_hash: string; handler: string; message: string }[];
  return rows.map((r) => ({ blockNumber: r.block_number, blockHash: r.block_hash, handler: r.handler, message: r.message }));
}
