// One writer per journal file. Each writer holds its journal in memory and writes it whole, so
// a second writer would put back its own stale copy (and, in a daemon, repeat on-chain work).
// The lock is proper-lockfile's: mkdir of `<journal>.lock` (atomic on one filesystem, including
// a volume several containers mount), kept fresh by an mtime heartbeat, and taken over only
// once that heartbeat is older than the stale timeout. No pid is consulted: containers all run
// as pid 1, so a pid says nothing about another container's process. A small holder record
// beside it (`<journal>.holder`: pid, hostname, since, a random token) names the holder in the
// refusal, and lets a writer check before each write that the lock is still its own.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { constants, hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { HessianError } from '@hessian/common/errors';

// proper-lockfile removes its locks at exit through signal-exit 3, which also listens to SIGINT,
// SIGTERM, ... and re-raises the signal when its listener finds no other one left: a host that
// handles Ctrl-C with process.once (the demo) was killed before its own shutdown finished. Its
// signal listeners are taken off again here; the exit hook stays (normal exit, process.exit),
// and a daemon killed by a signal it does not handle leaves its lock to the stale timeout.
const { lockSync } = (() => {
  const signals = Object.keys(constants.signals) as NodeJS.Signals[];
  const before = new Map(signals.map((sig) => [sig, new Set(process.listeners(sig))]));
  const mod = createRequire(import.meta.url)('proper-lockfile') as typeof import('proper-lockfile');
  for (const sig of signals) for (const l of process.listeners(sig)) if (!before.get(sig)!.has(l)) process.off(sig, l as NodeJS.SignalsListener);
  return mod;
})();

export const DEFAULT_LOCK_STALE_MS = 30_000;
/** proper-lockfile refuses anything shorter */
const MIN_STALE_MS = 2_000;

export interface LockHolder {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken */
  since: string;
  token: string;
  /** the holder's stale timeout: a contender configured shorter waits this long anyway */
  staleMs: number;
}

/** the stale timeout: `staleMs`, else HESSIAN_LOCK_STALE_MS, else 30 s */
export function lockStaleMs(staleMs?: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = staleMs ?? (env.HESSIAN_LOCK_STALE_MS !== undefined && env.HESSIAN_LOCK_STALE_MS !== '' ? Number(env.HESSIAN_LOCK_STALE_MS) : DEFAULT_LOCK_STALE_MS);
  if (!Number.isInteger(raw) || raw < MIN_STALE_MS) throw new Error(`journal lock stale timeout must be an integer of at least ${MIN_STALE_MS} ms (HESSIAN_LOCK_STALE_MS), got ${staleMs ?? env.HESSIAN_LOCK_STALE_MS}`);
  return raw;
}

/** another writer holds the journal: free again once it stops (or its lock goes stale) */
export class JournalLockedError extends HessianError {
  override name = 'JournalLockedError';
  readonly file: string;
  readonly holder: LockHolder | undefined;
  constructor(file: string, message: string, holder: LockHolder | undefined) {
    super(message, { kind: 'retryable' });
    this.file = file;
    this.holder = holder;
  }
}

/** this writer's lock was taken over (its heartbeat stalled past the stale timeout) or removed */
export class JournalLockLostError extends HessianError {
  override name = 'JournalLockLostError';
  readonly file: string;
  constructor(file: string, why: string) {
    super(`journal ${file}: this process no longer holds its write lock (${why}); it stops writing so the new holder's records are not overwritten`, { kind: 'fatal' });
    this.file = file;
  }
}

/** writable journals this process holds, by canonical path: a second one is refused without touching the disk */
const held = new Map<string, WriterLock>();

// proper-lockfile removes its lock directories on exit; the holder records go with them
process.once('exit', () => {
  for (const lock of held.values()) fs.rmSync(lock.holderFile, { force: true });
});

export class WriterLock {
  readonly file: string;
  readonly lockDir: string;
  readonly holderFile: string;
  readonly staleMs: number;
  private readonly holder: LockHolder;
  private releaseLock: (() => void) | undefined;
  private lostError: JournalLockLostError | undefined;
  private readonly lostListeners: ((err: JournalLockLostError) => void)[] = [];

  /** takes the lock at once or throws JournalLockedError; the journal's directory must exist */
  constructor(journalFile: string, opts: { staleMs?: number } = {}) {
    // one lock per file however it is spelled (symlinked state directories included)
    this.file = path.join(fs.realpathSync(path.dirname(journalFile)), path.basename(journalFile));
    this.lockDir = `${this.file}.lock`;
    this.holderFile = `${this.file}.holder`;
    this.staleMs = lockStaleMs(opts.staleMs);
    const mine = held.get(this.file);
    if (mine) {
      throw new JournalLockedError(
        this.file,
        `journal ${this.file} is already open for writing in this process (pid ${process.pid}, since ${mine.holder.since}): one writer per journal; close() the other Journal first, or open this one read-only`,
        mine.holder,
      );
    }
    this.holder = { pid: process.pid, hostname: hostname(), since: new Date().toISOString(), token: randomUUID(), staleMs: this.staleMs };
    // a holder started with a longer timeout beats less often than ours would assume
    const current = readHolder(this.holderFile);
    const takeOverAfter = Math.max(this.staleMs, current?.staleMs ?? 0);
    try {
      this.releaseLock = lockSync(this.file, {
        stale: takeOverAfter,
        // several heartbeats per stale period: a busy event loop (a CKKS computation on the main
        // thread) may delay some of them without the lock looking abandoned
        update: Math.max(1_000, Math.floor(this.staleMs / 6)),
        realpath: false,
        lockfilePath: this.lockDir,
        fs: this.guardedFs(),
        onCompromised: (err) => this.markLost(`its heartbeat found the lock changed: ${err.message}`),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOCKED') throw this.refusal(takeOverAfter);
      throw err;
    }
    try {
      writeHolder(this.holderFile, this.holder);
    } catch (err) {
      this.release();
      throw err;
    }
    held.set(this.file, this);
  }

  /** a lost lock's directory belongs to whoever took it over: never remove it (proper-lockfile would, at exit) */
  private guardedFs(): typeof fs {
    return {
      ...fs,
      rmdirSync: (p: fs.PathLike, o?: fs.RmDirOptions) => {
        if (!this.lostError) fs.rmdirSync(p, o);
      },
    };
  }

  private refusal(takeOverAfter: number): JournalLockedError {
    const holder = this.currentHolder();
    let beat = '';
    try {
      // proper-lockfile's first mtime may be up to a second ahead
      beat = `, last heartbeat ${(Math.max(0, Date.now() - fs.statSync(this.lockDir).mtimeMs) / 1000).toFixed(1)} s ago`;
    } catch {
      // released meanwhile
    }
    const who = holder ? `pid ${holder.pid} on host ${holder.hostname}, since ${holder.since}` : 'a writer that left no holder record';
    return new JournalLockedError(
      this.file,
      `journal ${this.file} is locked by another writer (${who}${beat}). Only one process may write a journal: ` +
        `stop the other daemon or command using this state directory, or give this one its own --state-dir. ` +
        `If that process is gone (killed, or its container or machine lost), its lock (${this.lockDir}) is taken over automatically ` +
        `once its heartbeat is ${takeOverAfter / 1000} s old (HESSIAN_LOCK_STALE_MS): retry then`,
      holder,
    );
  }

  /**
   * the record of the lock's holder: a holder that has just taken the lock writes it a moment
   * later (wait up to a second for it), and a record older than the lock is a previous holder's
   */
  private currentHolder(): LockHolder | undefined {
    const deadline = Date.now() + 1_000;
    for (;;) {
      const holder = readHolder(this.holderFile);
      let current = false;
      try {
        const born = fs.statSync(this.lockDir).birthtimeMs;
        current = holder !== undefined && (born === 0 || fs.statSync(this.holderFile).mtimeMs >= born - 5);
      } catch {
        // the lock or the record went away meanwhile
      }
      if (current) return holder;
      if (Date.now() >= deadline) return undefined;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }

  get lost(): boolean {
    return this.lostError !== undefined;
  }

  /** throws JournalLockLostError unless the lock is still this writer's (checked before each write) */
  assertHeld(): void {
    if (this.lostError) throw this.lostError;
    if (!this.releaseLock) throw new Error(`journal ${this.file} was closed`);
    if (!fs.existsSync(this.lockDir)) this.markLost(`${this.lockDir} was removed`);
    else if (readHolder(this.holderFile)?.token !== this.holder.token) this.markLost(`${this.holderFile} names another holder`);
    if (this.lostError) throw this.lostError;
  }

  /** called once if the lock is lost (at once if it already was) */
  onLost(listener: (err: JournalLockLostError) => void): void {
    if (this.lostError) listener(this.lostError);
    else this.lostListeners.push(listener);
  }

  private markLost(why: string): void {
    if (this.lostError) return;
    this.lostError = new JournalLockLostError(this.file, why);
    if (held.get(this.file) === this) held.delete(this.file);
    for (const l of this.lostListeners.splice(0)) l(this.lostError);
  }

  /** gives the lock back (idempotent); a lost lock is left to its new holder */
  release(): void {
    const releaseLock = this.releaseLock;
    if (!releaseLock) return;
    this.releaseLock = undefined;
    if (held.get(this.file) === this) held.delete(this.file);
    if (this.lostError) return;
    if (readHolder(this.holderFile)?.token === this.holder.token) fs.rmSync(this.holderFile, { force: true });
    try {
      releaseLock();
    } catch (err) {
      // compromised between the last heartbeat and now: nothing of ours left to remove
      if ((err as NodeJS.ErrnoException).code !== 'ERELEASED') throw err;
    }
  }
}

function writeHolder(file: string, holder: LockHolder): void {
  const tmp = `${file}.${holder.token}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(holder) + '\n', { mode: 0o644 });
  fs.renameSync(tmp, file);
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.hostname === 'string' && typeof h.since === 'string' && typeof h.token === 'string' && typeof h.staleMs === 'number') return h as LockHolder;
  } catch {
    // missing (being written, or the holder died before writing it) or torn: unknown holder
  }
  return undefined;
}
