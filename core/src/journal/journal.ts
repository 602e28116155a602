// A crash-safe journal per role: a snapshot document plus an append-only log of changes. An
// update appends one line holding the records it changed (fsync before returning), so its cost
// is that of the records, not of the whole document; once the log outgrows the snapshot (and when
// the writer opens or closes the journal) the document is compacted: written whole to a temp
// file, fsynced, renamed over the snapshot, and the log removed. A crash leaves a torn last log
// line at worst, which is ignored (it was never acknowledged) and cut off by the next writer; a
// crash between the snapshot's rename and the log's removal leaves a log whose header names the
// previous snapshot's hash, which readers recognise as already folded in. Daemons record intent
// here before any on-chain action and reconcile it with the chain on restart, so they never
// double-submit or evaluate twice. A writable journal is locked for its writer's life
// (journal-lock.ts): one writer per file.
import { createHash } from 'node:crypto';
import {
  mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync, rmSync, fstatSync, statSync,
} from 'node:fs';
import path from 'node:path';
import { WriterLock } from './lock.ts';
import type { JournalLockLostError } from './lock.ts';

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
  /** the log is compacted into the snapshot once it exceeds max(this, the snapshot's size) (default 64 KiB) */
  compactBytes?: number;
}

/**
 * One change: record `id` of the map at top-level key `k` set to `v` (or deleted, `d`), or,
 * without `id`, the top-level value `k` itself.
 */
interface Op {
  k: string;
  id?: string;
  v?: unknown;
  d?: 1;
}

const LOG_KIND = 'hessian/journal-log';

/** bytes written by this journal since it was opened: what the flood tests check stays linear */
export interface JournalStats {
  appends: number;
  appendedBytes: number;
  compactions: number;
  compactedBytes: number;
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** identifies one version of a file without reading it: a rename puts a new inode in place */
function fileIdentity(st: { ino: number; size: number; mtimeMs: number } | undefined): string {
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'absent';
}

function readIfExists(file: string): { bytes: Buffer; id: string } | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const id = fileIdentity(fstatSync(fd));
    return { bytes: readFileSync(fd), id };
  } finally {
    closeSync(fd);
  }
}

function statIdentity(file: string): string {
  try {
    return fileIdentity(statSync(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
}

function isRecordMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function applyOp(doc: Record<string, unknown>, op: Op): void {
  if (op.id === undefined) {
    if (op.d) delete doc[op.k];
    else doc[op.k] = op.v;
    return;
  }
  const map = isRecordMap(doc[op.k]) ? (doc[op.k] as Record<string, unknown>) : (doc[op.k] = {});
  if (op.d) delete map[op.id];
  else map[op.id] = op.v;
}

/** what a log file holds: the snapshot it extends, its complete change lines, and where they end */
interface ParsedLog {
  base: string | undefined;
  updates: Op[][];
  /** bytes up to the end of the last complete line (a torn tail after it is cut off by the writer) */
  validBytes: number;
}

function parseLog(file: string, raw: Buffer): ParsedLog {
  const text = raw.toString('utf8');
  const lines = text.split('\n');
  // the last element is '' after a final newline, or a torn line that was never acknowledged
  const complete = lines.slice(0, -1);
  let base: string | undefined;
  try {
    const header = JSON.parse(complete[0] ?? '') as { kind?: string; base?: string };
    if (header.kind === LOG_KIND && typeof header.base === 'string') base = header.base;
  } catch {
    // no usable header: nothing in this log can be placed, so it is treated as stale
  }
  const updates: Op[][] = [];
  let validBytes = complete.length > 0 ? Buffer.byteLength(complete[0]!) + 1 : 0;
  for (let i = 1; i < complete.length; i++) {
    let ops: Op[];
    try {
      ops = (JSON.parse(complete[i]!) as { ops: Op[] }).ops;
      if (!Array.isArray(ops)) throw new Error('no ops array');
    } catch (err) {
      // only the last line can be torn by a crash; one in the middle means the file was damaged
      if (i === complete.length - 1 && lines.at(-1) === '') break;
      throw new Error(`journal log ${file} line ${i + 1} is damaged: ${(err as Error).message}`);
    }
    updates.push(ops);
    validBytes += Buffer.byteLength(complete[i]!) + 1;
  }
  return { base, updates, validBytes };
}

/**
 * Change tracking for update(): the mutator works on a copy-on-write draft (the root and each
 * touched record map copied shallowly, each touched record cloned), so the previous document's
 * objects, which callers may still hold, never change, and the records touched are known.
 */
class Draft {
  readonly root: Record<string, unknown>;
  private readonly base: Record<string, unknown>;
  private readonly wholeKeys = new Set<string>();
  private readonly copiedMaps = new Map<string, Record<string, unknown>>();
  private readonly mapProxies = new Map<string, Record<string, unknown>>();
  private readonly touched = new Map<string, Set<string>>();
  private readonly targets = new WeakMap<object, object>();
  readonly proxy: Record<string, unknown>;

  constructor(base: Record<string, unknown>) {
    this.base = base;
    this.root = { ...base };
    this.proxy = this.track(new Proxy(this.root, {
      get: (t, key, recv) => {
        if (typeof key !== 'string' || this.wholeKeys.has(key)) return Reflect.get(t, key, recv);
        const v = t[key];
        if (isRecordMap(v)) return this.mapProxy(key);
        if (typeof v === 'object' && v !== null) {
          // an array or other object held whole: it is written whole if touched
          t[key] = structuredClone(v);
          this.wholeKeys.add(key);
          return t[key];
        }
        return v;
      },
      set: (t, key, value) => {
        if (typeof key !== 'string') return Reflect.set(t, key, value);
        t[key] = this.unwrap(value);
        this.wholeKeys.add(key);
        return true;
      },
      deleteProperty: (t, key) => {
        if (typeof key === 'string') this.wholeKeys.add(key);
        return Reflect.deleteProperty(t, key);
      },
    }), this.root);
  }

  private track<P extends object>(proxy: P, target: object): P {
    this.targets.set(proxy, target);
    return proxy;
  }

  private unwrap(v: unknown): unknown {
    return typeof v === 'object' && v !== null ? (this.targets.get(v) ?? v) : v;
  }

  private mapProxy(key: string): Record<string, unknown> {
    let p = this.mapProxies.get(key);
    if (p) return p;
    const copy = { ...(this.root[key] as Record<string, unknown>) };
    this.root[key] = copy;
    this.copiedMaps.set(key, copy);
    const ids = new Set<string>();
    this.touched.set(key, ids);
    p = this.track(new Proxy(copy, {
      get: (m, id, recv) => {
        if (typeof id !== 'string') return Reflect.get(m, id, recv);
        const r = m[id];
        if (typeof r === 'object' && r !== null && !ids.has(id)) {
          m[id] = structuredClone(r);
          ids.add(id);
        }
        return m[id];
      },
      set: (m, id, value) => {
        if (typeof id !== 'string') return Reflect.set(m, id, value);
        m[id] = this.unwrap(value);
        ids.add(id);
        return true;
      },
      deleteProperty: (m, id) => {
        if (typeof id === 'string') ids.add(id);
        return Reflect.deleteProperty(m, id);
      },
    }), copy);
    this.mapProxies.set(key, p);
    return p;
  }

  /** the changes, records compared with their previous JSON so that a read alone writes nothing */
  ops(): Op[] {
    const ops: Op[] = [];
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    for (const k of this.wholeKeys) {
      if (!(k in this.root)) {
        if (k in this.base) ops.push({ k, d: 1 });
      } else if (!(k in this.base) || !same(this.root[k], this.base[k])) {
        ops.push({ k, v: this.root[k] });
      }
    }
    for (const [k, ids] of this.touched) {
      if (this.wholeKeys.has(k)) continue;
      const now = this.copiedMaps.get(k)!;
      const before = this.base[k] as Record<string, unknown>;
      for (const id of ids) {
        if (!Object.hasOwn(now, id)) {
          if (Object.hasOwn(before, id)) ops.push({ k, id, d: 1 });
        } else if (!Object.hasOwn(before, id) || !same(now[id], before[id])) {
          ops.push({ k, id, v: now[id] });
        }
      }
    }
    return ops;
  }
}

export class Journal<T> {
  readonly file: string;
  private doc: T;
  private readonly readOnly: boolean;
  private readonly lock: WriterLock | undefined;
  private readonly validate: ((doc: unknown) => T) | undefined;
  private readonly compactBytes: number;
  /** the log's descriptor once this writer has appended since the last compaction */
  private logFd: number | undefined;
  private logBytes = 0;
  private snapshotBytes = 0;
  private snapshotHash = sha256('');
  private readonly counters: JournalStats = { appends: 0, appendedBytes: 0, compactions: 0, compactedBytes: 0 };

  /** a writable journal is refused (JournalLockedError) while another writer holds the file */
  constructor(opts: JournalOptions<T>) {
    this.file = path.resolve(opts.file);
    this.readOnly = opts.readOnly ?? false;
    this.validate = opts.validate;
    this.compactBytes = opts.compactBytes ?? 64 * 1024;
    if (!this.readOnly) {
      mkdirSync(path.dirname(this.file), { recursive: true });
      // before anything is read: the temp file may be the holder's update in flight
      this.lock = new WriterLock(this.file, opts.lockStaleMs === undefined ? {} : { staleMs: opts.lockStaleMs });
      try {
        rmSync(this.tmpFile, { force: true });
        rmSync(this.logTmpFile, { force: true });
        const loaded = this.load(opts);
        this.doc = loaded.doc;
        this.snapshotBytes = loaded.snapshotBytes;
        this.snapshotHash = loaded.snapshotHash;
        // a writer starts from one plain document: the log (even a stale or torn one) is folded in
        if (loaded.hadLog) this.compact();
      } catch (err) {
        this.lock.release();
        throw err;
      }
    } else {
      this.doc = this.load(opts).doc;
    }
  }

  /**
   * The snapshot plus the log that extends it. A writer may compact between this reader's two
   * reads: the snapshot's identity is checked again after the log is read, and the reading
   * repeated if it changed, so the pair is always one the writer left on disk together.
   */
  private load(opts: JournalOptions<T>): { doc: T; snapshotBytes: number; snapshotHash: string; hadLog: boolean } {
    for (let attempt = 0; attempt < 20; attempt++) {
      const snap = readIfExists(this.file);
      const log = readIfExists(this.logFile);
      if (statIdentity(this.file) !== (snap?.id ?? 'absent')) continue;
      const hash = sha256(snap?.bytes ?? '');
      let doc: unknown;
      if (snap === undefined) {
        doc = opts.initial();
      } else {
        try {
          doc = JSON.parse(snap.bytes.toString('utf8'));
        } catch (err) {
          throw new Error(`journal ${this.file} is not valid JSON: ${(err as Error).message}`);
        }
      }
      if (log) {
        const parsed = parseLog(this.logFile, log.bytes);
        // a log naming another snapshot was folded into this one by a compaction cut short
        if (parsed.base === hash) {
          if (!isRecordMap(doc)) throw new Error(`journal ${this.file} is invalid: a log extends it but it is not an object`);
          for (const ops of parsed.updates) for (const op of ops) applyOp(doc, op);
        }
      }
      let checked: T;
      try {
        checked = opts.validate ? opts.validate(doc) : (doc as T);
      } catch (err) {
        throw new Error(`journal ${this.file} is invalid: ${(err as Error).message}`);
      }
      return { doc: checked, snapshotBytes: snap?.bytes.length ?? 0, snapshotHash: hash, hadLog: log !== undefined };
    }
    throw new Error(`journal ${this.file} kept changing while it was read (20 attempts)`);
  }

  private get tmpFile(): string {
    return `${this.file}.tmp`;
  }

  private get logFile(): string {
    return `${this.file}.log`;
  }

  private get logTmpFile(): string {
    return `${this.file}.log.tmp`;
  }

  /** the current document; mutate it only through update() */
  get value(): Readonly<T> {
    return this.doc;
  }

  /** bytes this writer has written since it opened the journal */
  stats(): Readonly<JournalStats> {
    return { ...this.counters };
  }

  /**
   * releases a writer's lock (idempotent): daemons call it when they stop, one-shot commands when
   * they finish. The document stays readable; update() is refused from then on. A writer that
   * still holds its lock first folds its log into the snapshot, leaving one plain document.
   */
  close(): void {
    if (this.logFd !== undefined) {
      try {
        this.lock?.assertHeld();
        this.compact();
      } catch {
        // the log is still valid: the next writer folds it in
      }
      this.closeLog();
    }
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
    if (!isRecordMap(this.doc)) throw new Error(`journal ${this.file}: the document must be an object`);
    const draft = new Draft(this.doc);
    change(draft.proxy as T);
    const ops = draft.ops();
    if (ops.length === 0) return;
    const next = draft.root as T;
    if (this.snapshotBytes === 0 && this.logFd === undefined) {
      // the first write of a new journal: the document itself, so the file exists from now on
      this.writeSnapshot(next);
    } else {
      this.append(ops);
    }
    this.doc = next;
    if (this.logFd !== undefined && this.logBytes > Math.max(this.compactBytes, this.snapshotBytes)) {
      try {
        this.compact();
      } catch {
        // the change is durable in the log; compaction is tried again at the next update
      }
    }
  }

  private append(ops: Op[]): void {
    const line = Buffer.from(JSON.stringify({ ops }) + '\n');
    if (this.logFd === undefined) this.openLog();
    writeSync(this.logFd!, line);
    fsyncSync(this.logFd!);
    this.logBytes += line.length;
    this.counters.appends++;
    this.counters.appendedBytes += line.length;
  }

  /** a new log, its header naming the snapshot it extends, put in place whole (temp, fsync, rename) */
  private openLog(): void {
    const header = Buffer.from(JSON.stringify({ kind: LOG_KIND, version: 1, base: this.snapshotHash }) + '\n');
    const fd = openSync(this.logTmpFile, 'w', 0o600);
    try {
      writeSync(fd, header);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(this.logTmpFile, this.logFile);
    syncDir(path.dirname(this.file));
    this.logFd = openSync(this.logFile, 'a', 0o600);
    this.logBytes = header.length;
    this.counters.appendedBytes += header.length;
  }

  private closeLog(): void {
    if (this.logFd !== undefined) closeSync(this.logFd);
    this.logFd = undefined;
    this.logBytes = 0;
  }

  /** the whole document as the snapshot, then the log removed (see the header comment for crashes) */
  private compact(): void {
    this.writeSnapshot(this.doc);
    this.closeLog();
    rmSync(this.logFile, { force: true });
    syncDir(path.dirname(this.file));
    this.counters.compactions++;
  }

  private writeSnapshot(doc: T): void {
    const bytes = Buffer.from(JSON.stringify(doc, null, 1) + '\n');
    const fd = openSync(this.tmpFile, 'w', 0o600);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(this.tmpFile, this.file);
    syncDir(path.dirname(this.file));
    this.snapshotBytes = bytes.length;
    this.snapshotHash = sha256(bytes);
    this.counters.compactedBytes += bytes.length;
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
