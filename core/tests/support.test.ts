// The daemons' support modules: log redaction, the crash-safe journal, wallets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { createLogger, parseLogLevel } from '../src/log.ts';
import { Journal, recordsJournal } from '../src/journal/journal.ts';
import { loadWallet, writeKeystore, walletSourceFromEnv } from '../src/chain/wallet.ts';

function sink() {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => (lines.push(s), true) } };
}

test('log: JSON lines with level filtering and child fields', () => {
  const s = sink();
  const log = createLogger({ stream: s.stream, level: 'info', name: 'owner' });
  log.debug('hidden');
  log.child({ modelId: 3 }).info('submitted', { gradientId: 7, stake: 10n });
  assert.equal(s.lines.length, 1);
  const rec = JSON.parse(s.lines[0]!);
  assert.equal(rec.level, 'info');
  assert.equal(rec.name, 'owner');
  assert.equal(rec.msg, 'submitted');
  assert.equal(rec.modelId, 3);
  assert.equal(rec.gradientId, 7);
  assert.equal(rec.stake, '10');
  assert.throws(() => parseLogLevel('loud'), /invalid log level "loud"/);
});

test('log: secret-named fields, registered secrets and byte arrays never reach the sink', () => {
  const s = sink();
  const log = createLogger({ stream: s.stream });
  const pk = Wallet.createRandom().privateKey;
  const secretBytes = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
  log.addSecret(pk);
  log.addSecret(secretBytes);
  log.info(`key is ${pk}`, {
    privateKey: pk,
    nested: { secretKey: 'abc', note: `upper ${pk.toUpperCase().replace('0X', '0x')}` },
    err: new Error(`boom ${pk.slice(2)}`),
    blob: secretBytes,
    hex: Buffer.from(secretBytes).toString('hex'),
    b64: Buffer.from(secretBytes).toString('base64'),
  });
  const text = s.lines.join('');
  assert.ok(!text.toLowerCase().includes(pk.slice(2).toLowerCase()), 'private key leaked');
  assert.ok(!text.includes(Buffer.from(secretBytes).toString('hex')), 'secret hex leaked');
  assert.ok(!text.includes(Buffer.from(secretBytes).subarray(0, 48).toString('base64')), 'secret base64 leaked');
  const rec = JSON.parse(text);
  assert.equal(rec.privateKey, '[redacted]');
  assert.equal(rec.nested.secretKey, '[redacted]');
  assert.equal(rec.blob, '[64 bytes]');
  assert.match(rec.msg, /key is \[redacted\]/);
});

test('log: a fragment of a long registered secret (a serialized key) is scrubbed too', () => {
  const s = sink();
  const log = createLogger({ stream: s.stream });
  const key = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) & 0xff)).toString('base64');
  log.addSecret(key);
  const fragment = key.slice(1234, 1234 + 130);
  log.error('loading failed', { detail: `bad bytes near ${fragment} in file` });
  assert.ok(!s.lines.join('').includes(fragment.slice(0, 64)) && !s.lines.join('').includes(fragment.slice(-64)), 'no 64-char run of the fragment survives');
  assert.match(s.lines[0]!, /\[redacted\]/);
});

test('journal: atomic updates survive a reopen; a torn temp file is ignored; bad JSON is a clear error', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-journal-'));
  try {
    const file = path.join(dir, 'sub', 'owner.json');
    const j = new Journal<{ n: number; items: string[] }>({ file, initial: () => ({ n: 0, items: [] }) });
    j.update((d) => {
      d.n = 1;
      d.items.push('a');
    });
    assert.throws(() =>
      j.update((d) => {
        d.n = 2;
        throw new Error('crash inside a change');
      }),
    );
    assert.equal(j.value.n, 1, 'a failed change leaves the document as it was');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    j.close();
    writeFileSync(`${file}.tmp`, '{"n": 99, "ite');
    const again = new Journal<{ n: number; items: string[] }>({ file, initial: () => ({ n: 0, items: [] }) });
    assert.deepEqual(again.value, { n: 1, items: ['a'] });
    assert.ok(!existsSync(`${file}.tmp`));
    again.close();
    writeFileSync(file, '{not json');
    assert.throws(() => new Journal({ file, initial: () => ({}) }), /journal .*owner\.json is not valid JSON/);
    writeFileSync(file, '{"n": "x"}');
    assert.throws(
      () =>
        new Journal({
          file,
          initial: () => ({ n: 0 }),
          validate: (d) => {
            if (typeof (d as { n: unknown }).n !== 'number') throw new Error('field n must be a number');
            return d as { n: number };
          },
        }),
      /owner\.json is invalid: field n must be a number/,
    );
    assert.match(readFileSync(file, 'utf8'), /"x"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('journal: a read-only reader sees the document, leaves the writer\'s temp file alone and cannot update', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-journal-'));
  try {
    const file = path.join(dir, 'lender.json');
    const writer = new Journal<{ n: number }>({ file, initial: () => ({ n: 0 }) });
    writer.update((d) => void (d.n = 1));
    // the writer's next update, written but not yet renamed over the document
    writeFileSync(`${file}.tmp`, '{"n": 2}');
    const reader = new Journal<{ n: number }>({ file, initial: () => ({ n: 0 }), readOnly: true });
    assert.equal(reader.value.n, 1);
    assert.ok(existsSync(`${file}.tmp`), 'the in-flight update survives a reader opening the journal');
    assert.throws(() => reader.update((d) => void (d.n = 3)), /lender\.json was opened read-only/);
    assert.equal(new Journal<{ n: number }>({ file, initial: () => ({ n: 0 }), readOnly: true }).value.n, 1);
    assert.equal(new Journal<{ n: number }>({ file: path.join(dir, 'none', 'x.json'), initial: () => ({ n: 5 }), readOnly: true }).value.n, 5);
    assert.ok(!existsSync(path.join(dir, 'none')), 'a reader creates no directory');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('recordsJournal: starts as version 1 with empty maps, keeps records across a reopen, refuses a document missing a map', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-journal-'));
  try {
    type Doc = { version: 1; quotes: Record<string, { n: number }>; loans: Record<string, { n: number }> };
    const file = path.join(dir, 'svc.json');
    const j = recordsJournal<Doc>(file, ['quotes', 'loans']);
    assert.deepEqual(j.value, { version: 1, quotes: {}, loans: {} });
    j.update((d) => {
      d.loans['7'] = { n: 7 };
    });
    j.close();
    assert.deepEqual(recordsJournal<Doc>(file, ['quotes', 'loans'], { readOnly: true }).value.loans, { '7': { n: 7 } });
    writeFileSync(file, '{"version": 1, "quotes": {}}');
    assert.throws(() => recordsJournal<Doc>(file, ['quotes', 'loans']), /svc\.json is invalid: expected \{version: 1, quotes, loans\}/);
    writeFileSync(file, '{"version": 2, "quotes": {}, "loans": {}}');
    assert.throws(() => recordsJournal<Doc>(file, ['quotes', 'loans']), /expected \{version: 1, quotes, loans\}/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wallet: keystore round trip (mode 0600), env private key, clear errors', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-wallet-'));
  try {
    const w = Wallet.createRandom();
    const file = path.join(dir, 'key.json');
    // an existing world-readable file is made 0600 (the mode argument alone applies on creation only)
    writeFileSync(file, 'old', { mode: 0o644 });
    chmodSync(file, 0o644);
    const password = 'correct horse battery staple';
    const addr = await writeKeystore(file, w.privateKey, password);
    assert.equal(addr, w.address);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const s = sink();
    const log = createLogger({ stream: s.stream });
    const loaded = await loadWallet({ keystore: file, password }, undefined, log);
    assert.equal(loaded.address, w.address);
    log.info('loaded', { detail: `pk ${w.privateKey}`, note: `password was ${password}` });
    assert.ok(!s.lines.join('').includes(w.privateKey.slice(2)));
    assert.ok(!s.lines.join('').includes(password), 'the keystore password is redacted');
    await assert.rejects(loadWallet({ keystore: file, password: 'wrong' }), /cannot decrypt keystore .*key\.json/);
    await assert.rejects(loadWallet({ keystore: file }), /needs a password/);
    await assert.rejects(loadWallet({ keystore: path.join(dir, 'missing.json'), password: 'pw' }), /cannot read keystore/);
    const fromEnv = await loadWallet(walletSourceFromEnv({ HESSIAN_PRIVATE_KEY: w.privateKey.slice(2) }));
    assert.equal(fromEnv.address, w.address);
    await assert.rejects(loadWallet({ privateKey: '0x1234' }), /private key must be 32 bytes of hex/);
    await assert.rejects(loadWallet({}), /no Ethereum account/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
