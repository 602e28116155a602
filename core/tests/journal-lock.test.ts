// One writer per journal, with real processes and real files: a second writer process is
// refused with a message naming the file and the holder; the lock comes back when the holder
// stops, and after a SIGKILL once its heartbeat is older than the stale timeout; an in-process
// double open is refused; readers are not locked out; a writer whose heartbeat stalled past the
// timeout and whose lock was taken over stops writing and leaves the new holder's lock alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal } from '../src/journal/journal.ts';
import { JournalLockedError, JournalLockLostError, lockStaleMs } from '../src/journal/lock.ts';
import { runLoop } from '../src/daemon/loop.ts';
import { silentLogger } from '../src/log.ts';

const holderScript = fileURLToPath(new URL('./helpers/journal-holder.ts', import.meta.url));
const STALE_MS = 4_000;

interface Holder {
  child: ChildProcess;
  /** the {"held": pid, "n"} line, once the lock is taken */
  held: Promise<{ held: number; n: number }>;
  exit: Promise<number | null>;
  stderr: () => string;
}

function holder(file: string, opts: { wait?: boolean; staleMs?: number } = {}): Holder {
  const child = spawn(process.execPath, [holderScript, file, ...(opts.wait ? ['--wait'] : [])], {
    env: { ...process.env, HESSIAN_LOCK_STALE_MS: String(opts.staleMs ?? STALE_MS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const held = new Promise<{ held: number; n: number }>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as { held: number; n: number });
    });
    void exit.then((code) => reject(new Error(`holder exited ${code} before taking the lock: ${err}`)));
  });
  held.catch(() => {});
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return { child, held, exit, stderr: () => err };
}

function tempJournal(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'state', 'owner-0xabc.json');
}

function refusal(fn: () => unknown): JournalLockedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof JournalLockedError) return err;
    throw err;
  }
  assert.fail('expected a JournalLockedError');
}

const open = (file: string, readOnly = false) => new Journal<{ n: number }>({ file, initial: () => ({ n: 0 }), readOnly, lockStaleMs: STALE_MS });

test('a second writer process is refused with the file, the holder and what to do; the lock is free once the holder stops', { timeout: 60_000 }, async (t) => {
  const file = tempJournal(t);
  const first = holder(file);
  const { held: pid } = await first.held;
  try {
    // another process (this one) and a third one both refused while the first holds it
    const err = refusal(() => open(file));
    assert.equal(err.holder?.pid, pid);
    for (const part of [file, `pid ${pid} on host ${hostname()}`, 'since 20', 'last heartbeat', 'Only one process may write a journal', 'stop the other daemon', `once its heartbeat is ${STALE_MS / 1000} s old`]) {
      assert.ok(err.message.includes(part), `the message names ${part}: ${err.message}`);
    }
    const second = holder(file);
    assert.equal(await second.exit, 3, 'the second process is refused at once');
    assert.match(second.stderr(), new RegExp(`owner-0xabc\\.json is locked by another writer \\(pid ${pid} `));

    // a reader is not a writer: it reads beside the holder
    assert.equal(open(file, true).value.n, 1);
  } finally {
    first.child.kill('SIGTERM');
  }
  assert.equal(await first.exit, 0);
  assert.ok(!existsSync(`${file}.lock`) && !existsSync(`${file}.holder`), 'a clean stop removes the lock and its holder record');
  const next = holder(file);
  try {
    assert.equal((await next.held).n, 2, 'the next writer starts from the first one\'s record');
  } finally {
    next.child.kill('SIGTERM');
    await next.exit;
  }
});

test('a SIGKILLed holder blocks the next writer only until its heartbeat is older than the stale timeout', { timeout: 60_000 }, async (t) => {
  const file = tempJournal(t);
  const first = holder(file);
  await first.held;
  first.child.kill('SIGKILL');
  await first.exit;
  assert.ok(existsSync(`${file}.lock`), 'a killed holder leaves its lock behind');
  // its heartbeat (every second) is fresh: refused right after the kill
  assert.throws(() => open(file), JournalLockedError);
  const t0 = Date.now();
  let journal: Journal<{ n: number }> | undefined;
  while (!journal) {
    try {
      journal = open(file);
    } catch (err) {
      if (!(err instanceof JournalLockedError)) throw err;
      assert.ok(Date.now() - t0 < 30_000, 'taken over within the stale timeout (plus load slack)');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.equal(journal.value.n, 1, 'the killed writer\'s last record is there');
  journal.update((d) => void (d.n += 1));
  const holderRecord = JSON.parse(readFileSync(`${file}.holder`, 'utf8')) as { pid: number };
  assert.equal(holderRecord.pid, process.pid, 'the holder record names the new writer');
  journal.close();
  assert.ok(!existsSync(`${file}.lock`));
});

test('in one process: a second writable instance is refused, readers are allowed, close() frees the file', (t) => {
  const file = tempJournal(t);
  const a = open(file);
  a.update((d) => void (d.n = 7));
  assert.throws(() => open(file), (err: Error) => err instanceof JournalLockedError && /owner-0xabc\.json is already open for writing in this process \(pid \d+, since .*\): one writer per journal; close\(\) the other Journal first, or open this one read-only/.test(err.message));
  // however it is spelled
  assert.throws(() => open(path.join(path.dirname(file), '..', 'state', 'owner-0xabc.json')), JournalLockedError);
  assert.equal(open(file, true).value.n, 7);
  a.close();
  a.close();
  assert.throws(() => a.update((d) => void (d.n = 8)), /owner-0xabc\.json was closed/);
  assert.equal(a.value.n, 7, 'a closed journal is still readable');
  const b = open(file);
  assert.equal(b.value.n, 7);
  b.close();
  // a journal that fails to load gives its lock back
  const bad = path.join(path.dirname(file), 'bad.json');
  const validate = (d: unknown): { n: number } => {
    throw new Error(`not a counter: ${JSON.stringify(d)}`);
  };
  const first = open(bad);
  first.update((d) => void (d.n = 1));
  first.close();
  assert.throws(() => new Journal({ file: bad, initial: () => ({ n: 0 }), validate, lockStaleMs: STALE_MS }), /bad\.json is invalid: not a counter/);
  assert.ok(!existsSync(`${bad}.lock`), 'no lock left behind');
  open(bad).close();
});

test('a writer whose heartbeat stalled past the timeout loses its lock to the next writer: it stops writing and its loop ends with the error', { timeout: 60_000 }, async (t) => {
  const file = tempJournal(t);
  const a = new Journal<{ n: number }>({ file, initial: () => ({ n: 0 }), lockStaleMs: 2_000 });
  a.update((d) => void (d.n = 1));
  // the daemons' wiring: the loop aborts when its journal's lock is lost
  const loop = runLoop(async () => {}, { pollMs: 50, log: silentLogger, journal: a });
  const lost: Error[] = [];
  a.onLockLost((err) => lost.push(err));
  const b = holder(file, { wait: true, staleMs: 2_000 });
  try {
    // a long computation on the main thread (a CKKS gradient): no heartbeat meanwhile
    const until = Date.now() + 5_000;
    while (Date.now() < until);
    const { held } = await b.held;
    assert.equal(held, b.child.pid);
    assert.throws(() => a.update((d) => void (d.n = 99)), (err: Error) => err instanceof JournalLockLostError && /no longer holds its write lock/.test(err.message));
    assert.equal(lost.length, 1, 'the lost-lock listener ran once');
    await assert.rejects(loop.done, JournalLockLostError);
    await loop.stop();
    a.close();
    assert.throws(() => a.update((d) => void (d.n = 99)), JournalLockLostError, 'closed after losing its lock: still says the lock was lost');
    assert.ok(existsSync(`${file}.lock`), 'the new holder\'s lock is left alone');
    assert.equal((JSON.parse(readFileSync(`${file}.holder`, 'utf8')) as { pid: number }).pid, held);
    // read as a journal: the new holder's update may sit in the journal's append log
    assert.equal(new Journal<{ n: number }>({ file, readOnly: true, initial: () => ({ n: 0 }) }).value.n, 2, 'the stale writer wrote nothing after the takeover');
  } finally {
    b.child.kill('SIGTERM');
    await b.exit;
  }
  assert.ok(!existsSync(`${file}.lock`));
});

test('a daemon loop gives its journal back when it ends, even when its cleanup fails', async (t) => {
  const file = tempJournal(t);
  const a = open(file);
  const loop = runLoop(async () => 'done', {
    pollMs: 50,
    log: silentLogger,
    journal: a,
    cleanup: () => {
      throw new Error('worker pool would not close');
    },
  });
  await assert.rejects(loop.done, /worker pool would not close/);
  await assert.rejects(loop.stop(), /worker pool would not close/, 'a failed cleanup is not hidden by stop()');
  assert.ok(!existsSync(`${file}.lock`), 'the lock is released');
  open(file).close();
});

test('a holder record older than the lock (a previous holder\'s) is not shown as the holder', (t) => {
  const file = tempJournal(t);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.holder`, JSON.stringify({ pid: 424242, hostname: 'gone', since: '2020-01-01T00:00:00.000Z', token: 'old', staleMs: STALE_MS }));
  const past = new Date(Date.now() - 60_000);
  utimesSync(`${file}.holder`, past, past);
  // a holder that has made its lock directory but not yet written its record
  mkdirSync(`${file}.lock`);
  const err = refusal(() => open(file));
  assert.equal(err.holder, undefined);
  assert.match(err.message, /locked by another writer \(a writer that left no holder record, last heartbeat \d+\.\d s ago\)/);
  assert.ok(!err.message.includes('424242'));
});

test('a host that handles Ctrl-C itself (process.once, before loading the trainer) still shuts down cleanly: the lock library does not re-raise the signal', { timeout: 30_000 }, async (t) => {
  const file = tempJournal(t);
  const state = new URL('../src/journal/journal.ts', import.meta.url).href;
  const script = `
    process.once('SIGINT', () => setTimeout(() => { console.log('own shutdown done'); process.exit(0); }, 200));
    const { Journal } = await import(${JSON.stringify(state)});
    new Journal({ file: ${JSON.stringify(file)}, initial: () => ({}) }).update(() => {});
    console.log('held');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  while (!out.includes('held')) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGINT');
  assert.equal(await exit, 0, 'exited through its own handler, not killed by the signal');
  assert.match(out, /own shutdown done/);
  assert.ok(!existsSync(`${file}.lock`) && !existsSync(`${file}.holder`), 'process.exit removed the lock');
});

test('the stale timeout: HESSIAN_LOCK_STALE_MS, at least 2 s, default 30 s', () => {
  assert.equal(lockStaleMs(undefined, {}), 30_000);
  assert.equal(lockStaleMs(undefined, { HESSIAN_LOCK_STALE_MS: '5000' }), 5_000);
  assert.equal(lockStaleMs(2_500, { HESSIAN_LOCK_STALE_MS: '5000' }), 2_500);
  assert.throws(() => lockStaleMs(undefined, { HESSIAN_LOCK_STALE_MS: '500' }), /at least 2000 ms \(HESSIAN_LOCK_STALE_MS\), got 500/);
  assert.throws(() => lockStaleMs(undefined, { HESSIAN_LOCK_STALE_MS: 'soon' }), /got soon/);
});
