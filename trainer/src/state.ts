// A crash-safe journal per role: one JSON document, replaced atomically (write a temp file,
// fsync it, rename over the old one, fsync the directory). A crash leaves either the old or the
// new document, never a torn one. Daemons record intent here before any on-chain action and
// reconcile it with the chain on restart, so they never double-submit or evaluate twice.
// A writable journal is locked for its writer's life (journal-lock.ts): one writer per file.
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { WriterLock } from './journal-lock.ts';
import type { JournalLockLostError } from './journal-lock.ts';

export interface JournalOptions<T> {
  /** the journal's file; its directory is created if missing */
  file: string;
  /** the document when the file does not exist yet */
  initial: () => T;
  /** checks a document read from disk; throw with a message naming what is wrong */
  validate?: (doc: unknown) => T;
  /**
   * a reader of a journal another process writes (the evaluator and loan service read the
   * lender's): it must leave the temp file alone, which may be the writer's update in flight
   */
  readOnly?: boolean;
  /**
   * a writer's lock is taken over by another process once its heartbeat is this old (default
   * HESSIAN_LOCK_STALE_MS, else 30 s; at least 2 s)
   */
  lockStaleMs?: number;
}

export class Journal<T> {
  readonly file: string;
  private doc: T;
  private readonly readOnly: boolean;
  private readonly lock: WriterLock | undefined;

  /** a writable journal is refused (JournalLockedError) while another writer holds the file */
  constructor(opts: JournalOptions<T>) {
    this.file = path.resolve(opts.file);
    this.readOnly = opts.readOnly ?? false;
    if (!this.readOnly) {
      mkdirSync(path.dirname(this.file), { recursive: true });
      // before anything is read: the temp file may be the holder's update in flight
      this.lock = new WriterLock(this.file, opts.lockStaleMs === undefined ? {} : { staleMs: opts.lockStaleMs });
      try {
        rmSync(this.tmpFile, { force: true });
        this.doc = this.load(opts);
      } catch (err) {
        this.lock.release();
        throw err;
      }
    } else {
      this.doc = this.load(opts);
    }
  }

  private load(opts: JournalOptions<T>): T {
    let raw: string | undefined;
    try {
      raw = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (raw === undefined) return opts.initial();
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      throw new Error(`journal ${this.file} is not valid JSON: ${(err as Error).message}`);
    }
    try {
      return opts.validate ? opts.validate(parsed) : (parsed as T);
    } catch (err) {
      throw new Error(`journal ${this.file} is invalid: ${(err as Error).message}`);
    }
  }

  private get tmpFile(): string {
    return `${this.file}.tmp`;
  }

  /** the current document; mutate it only through update() */
  get value(): Readonly<T> {
    return this.doc;
  }

  /**
   * releases a writer's lock (idempotent): daemons call it when they stop, one-shot commands when
   * they finish. The document stays readable; update() is refused from then on.
   */
  close(): void {
    this.lock?.release();
  }

  /** a writer whose lock was taken over: called once, so a daemon stops instead of carrying on */
  onLockLost(listener: (err: JournalLockLostError) => void): void {
    this.lock?.onLost(listener);
  }

  /** applies a change and makes it durable before returning */
  update(change: (doc: T) => void): void {
    if (this.readOnly) throw new Error(`journal ${this.file} was opened read-only`);
    // refuses a closed journal, and a lost lock (even after close()) says so rather than "closed"
    this.lock!.assertHeld();
    const next = structuredClone(this.doc);
    change(next);
    const bytes = Buffer.from(JSON.stringify(next, null, 1) + '\n');
    const fd = openSync(this.tmpFile, 'w', 0o600);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(this.tmpFile, this.file);
    syncDir(path.dirname(this.file));
    this.doc = next;
  }
}

/** a one-shot command's work with its journal: the lock is given back however it ends */
export async function closing<R>(journal: { close(): void }, work: () => Promise<R>): Promise<R> {
  try {
    return await work();
  } finally {
    journal.close();
  }
}

/** a start-up's steps after its journal is open: if they fail, the journal's lock is given back */
export async function closeOnError<R>(journal: { close(): void }, steps: () => R | Promise<R>): Promise<R> {
  try {
    return await steps();
  } catch (err) {
    journal.close();
    throw err;
  }
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic there
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** a version-1 journal whose document holds id-keyed record maps (`maps`), all empty at first */
export function recordsJournal<T extends { version: 1 }>(file: string, maps: readonly (keyof T & string)[], opts: { readOnly?: boolean; lockStaleMs?: number } = {}): Journal<T> {
  return new Journal<T>({
    file,
    ...opts,
    initial: () => ({ version: 1, ...Object.fromEntries(maps.map((k) => [k, {}])) }) as T,
    validate: (d) => {
      const doc = d as Record<string, unknown> | null;
      if (doc?.version !== 1 || maps.some((k) => typeof doc[k] !== 'object')) throw new Error(`expected {version: 1, ${maps.join(', ')}}`);
      return doc as T;
    },
  });
}
