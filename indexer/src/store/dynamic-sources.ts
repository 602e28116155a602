// Data sources created from templates, kept in the store's SQLite file next to the entities (as
// graph-node keeps them in its dynamic data source table): written in the transaction of the
// block that created them, so a restart after kill -9 loads exactly those of the committed
// blocks, and dropped with the blocks a reorg reverts.
import type Database from 'better-sqlite3';
import { decodeContext, encodeContext, type DynamicDataSource } from '../runtime/host/data-source.ts';

interface Row {
  seq: number;
  template: string;
  address: string;
  context: string | null;
  creation_block: number;
}

export class DynamicSourceStore {
  private readonly insert: Database.Statement;
  private readonly revert: Database.Statement;
  private readonly select: Database.Statement;
  private readonly clearAll: Database.Statement;

  constructor(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS dynamic_data_sources (
      seq INTEGER PRIMARY KEY,
      template TEXT NOT NULL,
      address TEXT NOT NULL,
      -- graph-node Value entries as JSON (data-source.ts encodeContext); NULL: created without context
      context TEXT,
      creation_block INTEGER NOT NULL
    )`);
    this.insert = db.prepare('INSERT INTO dynamic_data_sources (seq, template, address, context, creation_block) VALUES (?, ?, ?, ?, ?)');
    this.revert = db.prepare('DELETE FROM dynamic_data_sources WHERE creation_block > ?');
    this.select = db.prepare('SELECT seq, template, address, context, creation_block FROM dynamic_data_sources ORDER BY seq');
    this.clearAll = db.prepare('DELETE FROM dynamic_data_sources');
  }

  /** Call inside the transaction that commits the creating block. */
  add(sources: readonly DynamicDataSource[]): void {
    for (const d of sources) this.insert.run(d.seq, d.template, d.address, encodeContext(d.context), d.creationBlock);
  }

  /** Forget those created after `block` (null: all); call inside the reverting transaction. */
  revertTo(block: number | null): void {
    if (block === null) this.clearAll.run();
    else this.revert.run(block);
  }

  load(): DynamicDataSource[] {
    return (this.select.all() as Row[]).map((r) => ({
      seq: r.seq,
      template: r.template,
      address: r.address,
      context: decodeContext(r.context),
      creationBlock: r.creation_block,
    }));
  }
}
