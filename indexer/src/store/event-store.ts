// The event store: the raw logs, block headers and receipts sync fetched, kept as the node
// returned them. Entity state is a projection of it, so a changed subgraph is re-indexed from
// here without the RPC (`--rebuild`), and a reorg deletes the orphaned rows. Lives in the same
// SQLite file as the entity store so one transaction commits both.
import type Database from 'better-sqlite3';
import { blockPtrOf, type BlockPtr, type RpcBlock, type RpcLog, type RpcReceipt } from '../types.ts';

export interface SyncedBlock {
  /** transactions: only those that emitted a matching log (full objects when fetched) */
  block: RpcBlock;
  ptr: BlockPtr;
  /** this block's matching logs, by logIndex */
  logs: RpcLog[];
  receipts?: Map<string, RpcReceipt>;
}

/** What one sync step fetched: everything in (previous head, to]. */
export interface SyncBatch {
  /** blocks with matching logs, ascending */
  blocks: SyncedBlock[];
  /** headers of other blocks kept for reorg detection near the head */
  headers: BlockPtr[];
  /** the new head; its header was fetched, with or without logs */
  to: BlockPtr;
}

interface BlockRow {
  number: number;
  hash: string;
  parent_hash: string;
  timestamp: number;
  raw: string | null;
}

/** blocks read per query when re-indexing */
const BLOCK_PAGE = 100;

export class EventStore {
  private readonly db: Database.Database;
  // Prepared once: better-sqlite3 statements finalised by the GC can abort Node 24 (env cleanup
  // hook assertion), and re-preparing per call is slower anyway.
  private readonly stmts = new Map<string, Database.Statement>();

  private sql(text: string): Database.Statement {
    let st = this.stmts.get(text);
    if (!st) this.stmts.set(text, (st = this.db.prepare(text)));
    return st;
  }

  constructor(db: Database.Database) {
    this.db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS chain_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS chain_blocks (
        number INTEGER PRIMARY KEY,
        hash TEXT NOT NULL,
        parent_hash TEXT NOT NULL,
        timestamp INTEGER NOT NULL,
        -- raw eth_getBlockByNumber JSON for blocks with logs; NULL for headers kept only for reorgs
        raw TEXT
      );
      -- a rowid table, not WITHOUT ROWID: a log's row (~1 KB of JSON) is past what an index
      -- b-tree page keeps inline, so each row spilled into a 4 KiB overflow page (4.7 KB per log)
      CREATE TABLE IF NOT EXISTS chain_logs (
        block_number INTEGER NOT NULL,
        log_index INTEGER NOT NULL,
        block_hash TEXT NOT NULL,
        transaction_hash TEXT NOT NULL,
        address TEXT NOT NULL,
        topic0 TEXT NOT NULL,
        raw TEXT NOT NULL,
        PRIMARY KEY (block_number, log_index)
      );
      CREATE TABLE IF NOT EXISTS chain_receipts (
        transaction_hash TEXT PRIMARY KEY,
        block_number INTEGER NOT NULL,
        raw TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS chain_receipts_block ON chain_receipts (block_number);
    `);
  }

  getMeta(key: string): string | undefined {
    const row = this.sql('SELECT value FROM chain_meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string | undefined): void {
    if (value === undefined) this.sql('DELETE FROM chain_meta WHERE key = ?').run(key);
    else this.sql('INSERT INTO chain_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** The last block whose whole range has been fetched and stored. */
  head(): BlockPtr | null {
    const v = this.getMeta('head');
    return v ? (JSON.parse(v) as BlockPtr) : null;
  }

  /** Writes a batch and moves the head; call inside the caller's transaction. */
  append(batch: SyncBatch): void {
    const insBlock = this.sql(
      `INSERT INTO chain_blocks (number, hash, parent_hash, timestamp, raw) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (number) DO UPDATE SET hash = excluded.hash, parent_hash = excluded.parent_hash,
         timestamp = excluded.timestamp, raw = COALESCE(excluded.raw, chain_blocks.raw)`,
    );
    const insLog = this.sql(
      'INSERT INTO chain_logs (block_number, log_index, block_hash, transaction_hash, address, topic0, raw) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const insReceipt = this.sql('INSERT OR REPLACE INTO chain_receipts (transaction_hash, block_number, raw) VALUES (?, ?, ?)');
    for (const h of batch.headers) insBlock.run(h.number, h.hash, h.parentHash, h.timestamp, null);
    for (const b of batch.blocks) {
      insBlock.run(b.ptr.number, b.ptr.hash, b.ptr.parentHash, b.ptr.timestamp, JSON.stringify(b.block));
      for (const log of b.logs) {
        insLog.run(
          b.ptr.number,
          Number(BigInt(log.logIndex)),
          log.blockHash.toLowerCase(),
          log.transactionHash.toLowerCase(),
          log.address.toLowerCase(),
          String(log.topics[0]).toLowerCase(),
          JSON.stringify(log),
        );
      }
      for (const [hash, r] of b.receipts ?? []) insReceipt.run(hash.toLowerCase(), b.ptr.number, JSON.stringify(r));
    }
    const to = batch.to;
    insBlock.run(to.number, to.hash, to.parentHash, to.timestamp, null);
    this.setMeta('head', JSON.stringify(to));
  }

  /** Drops everything after `ptr` (orphaned by a reorg); call inside the caller's transaction. */
  revertTo(ptr: BlockPtr | null): void {
    const n = ptr?.number ?? -1;
    this.sql('DELETE FROM chain_logs WHERE block_number > ?').run(n);
    this.sql('DELETE FROM chain_receipts WHERE block_number > ?').run(n);
    this.sql('DELETE FROM chain_blocks WHERE number > ?').run(n);
    if (ptr) this.sql('INSERT OR IGNORE INTO chain_blocks (number, hash, parent_hash, timestamp, raw) VALUES (?, ?, ?, ?, NULL)').run(ptr.number, ptr.hash, ptr.parentHash, ptr.timestamp);
    this.setMeta('head', ptr ? JSON.stringify(ptr) : undefined);
  }

  /** Stored block hashes in [from, to], newest first (sparse below the unfinalised window). */
  hashesBetween(from: number, to: number): BlockPtr[] {
    const rows = this.sql('SELECT number, hash, parent_hash, timestamp FROM chain_blocks WHERE number BETWEEN ? AND ? ORDER BY number DESC')
      .all(from, to) as BlockRow[];
    return rows.map(toPtr);
  }

  /** Headers kept only for reorg detection are dropped once they are final. */
  prune(belowNumber: number): void {
    const head = this.head();
    this.sql('DELETE FROM chain_blocks WHERE raw IS NULL AND number < ? AND number <> ?').run(belowNumber, head?.number ?? -1);
  }

  /**
   * Blocks with logs in [from, to], ascending, as sync delivered them: for re-indexing. Read a
   * page of blocks at a time (not one open cursor: the caller commits between blocks on this
   * connection), so memory holds one page's raw JSON, not the whole range's.
   */
  *blocksWithLogs(from: number, to: number): Generator<SyncedBlock> {
    const page = this.sql(
      `SELECT number, hash, parent_hash, timestamp, raw FROM chain_blocks WHERE raw IS NOT NULL AND number BETWEEN ? AND ? ORDER BY number LIMIT ${BLOCK_PAGE}`,
    );
    let next = from;
    for (;;) {
      const blocks = page.all(next, to) as BlockRow[];
      yield* this.withLogs(blocks);
      if (blocks.length < BLOCK_PAGE) return;
      next = blocks.at(-1)!.number + 1;
    }
  }

  private *withLogs(blocks: BlockRow[]): Generator<SyncedBlock> {
    const logsOf = this.sql('SELECT raw FROM chain_logs WHERE block_number = ? ORDER BY log_index');
    const receiptsOf = this.sql('SELECT transaction_hash, raw FROM chain_receipts WHERE block_number = ?');
    for (const row of blocks) {
      const logs = (logsOf.all(row.number) as { raw: string }[]).map((r) => JSON.parse(r.raw) as RpcLog);
      const receiptRows = receiptsOf.all(row.number) as { transaction_hash: string; raw: string }[];
      const block = JSON.parse(row.raw!) as RpcBlock;
      yield {
        block,
        ptr: blockPtrOf(block),
        logs,
        ...(receiptRows.length ? { receipts: new Map(receiptRows.map((r) => [r.transaction_hash, JSON.parse(r.raw) as RpcReceipt])) } : {}),
      };
    }
  }

  counts(): { blocks: number; logs: number; receipts: number } {
    const one = (sql: string) => (this.sql(sql).get() as { n: number }).n;
    return {
      blocks: one('SELECT count(*) AS n FROM chain_blocks WHERE raw IS NOT NULL'),
      logs: one('SELECT count(*) AS n FROM chain_logs'),
      receipts: one('SELECT count(*) AS n FROM chain_receipts'),
    };
  }

  /** Every stored row in a canonical order (tests compare two stores with it). */
  dump(): { blocks: unknown[]; logs: unknown[]; receipts: unknown[] } {
    return {
      blocks: this.sql('SELECT number, hash, parent_hash, timestamp, raw FROM chain_blocks WHERE raw IS NOT NULL ORDER BY number').all(),
      logs: this.sql('SELECT * FROM chain_logs ORDER BY block_number, log_index').all(),
      receipts: this.sql('SELECT * FROM chain_receipts ORDER BY block_number, transaction_hash').all(),
    };
  }

  clear(): void {
    this.db.exec('DELETE FROM chain_logs; DELETE FROM chain_receipts; DELETE FROM chain_blocks;');
    this.setMeta('head', undefined);
  }
}

function toPtr(r: BlockRow): BlockPtr {
  return { number: r.number, hash: r.hash, parentHash: r.parent_hash, timestamp: r.timestamp };
}
