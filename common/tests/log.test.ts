import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, parseLogLevel, silentLogger } from '../src/log.ts';

function sink() {
  const lines: string[] = [];
  return { lines, write: (l: string) => lines.push(l), records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('one JSON record per line with level, message, base and child fields; below-level records dropped', () => {
  const s = sink();
  const log = createLogger({ level: 'info', write: s.write, fields: { component: 'indexer' }, now: () => new Date(0) });
  log.debug('hidden');
  log.child({ block: 7 }).info('indexed', { events: 3n });
  log.error('boom', { err: new Error('bad thing') });
  assert.deepEqual(s.records(), [
    { time: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'indexed', component: 'indexer', block: 7, events: '3' },
    { time: '1970-01-01T00:00:00.000Z', level: 'error', msg: 'boom', component: 'indexer', err: { name: 'Error', message: 'bad thing' } },
  ]);
  assert.ok(s.lines.every((l) => !l.includes('\n')), 'write() gets lines without the newline');
});

test('a stream gets newline-terminated lines and the name', () => {
  const chunks: string[] = [];
  createLogger({ stream: { write: (c: string) => chunks.push(c) }, name: 'owner' }).warn('slow');
  assert.equal(chunks.length, 1);
  assert.ok(chunks[0]!.endsWith('\n'));
  assert.equal(JSON.parse(chunks[0]!).name, 'owner');
});

test('secrets never reach the sink: named fields, registered values (hex and base64), bytes', () => {
  const s = sink();
  const log = createLogger({ write: s.write });
  const key = '0x' + 'ab12'.repeat(16);
  const blob = new Uint8Array(48).map((_, i) => (i * 37) & 0xff);
  log.addSecret(key);
  log.addSecret(blob);
  log.info(`loaded ${key.toUpperCase().slice(2)}`, { privateKey: key, nested: { password: 'hunter2' }, raw: blob, b64: Buffer.from(blob).toString('base64') });
  const line = s.lines.join('\n');
  assert.doesNotMatch(line, /ab12ab12/i);
  assert.doesNotMatch(line, /hunter2/);
  assert.doesNotMatch(line, new RegExp(Buffer.from(blob).toString('base64').slice(0, 20).replace(/[+/]/g, '.')));
  const r = s.records()[0]!;
  assert.equal(r.privateKey, '[redacted]');
  assert.deepEqual(r.nested, { password: '[redacted]' });
  assert.equal(r.raw, '[48 bytes]');
  assert.match(String(r.msg), /loaded \[redacted\]/);
});

test('a long secret (a serialized key) is scrubbed whole as one mark, and any leaked run of 128 characters of it too', () => {
  const s = sink();
  const log = createLogger({ write: s.write });
  const key = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) & 0xff)).toString('base64');
  const hexKey = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 31 + 7) & 0xff)).toString('hex');
  log.addSecret(key);
  log.addSecret(hexKey);
  log.info(`whole ${key} end`, { hex: `x${hexKey.slice(101, 101 + 128).toUpperCase()}y` });
  for (const offset of [0, 1, 63, 1234, key.length - 130]) log.info('fragment', { detail: `near ${key.slice(offset, offset + 130)} in file` });
  const [whole, ...fragments] = s.records();
  assert.equal(whole!.msg, 'whole [redacted] end');
  assert.match(String(whole!.hex), /^x[0-9A-F]*\[redacted\][0-9A-F]*y$/);
  const text = s.lines.join('\n');
  for (let i = 0; i + 64 <= key.length; i += 16) assert.ok(!text.includes(key.slice(i, i + 64)), `64 characters of the key at ${i} leaked`);
  for (const r of fragments) assert.match(String(r.detail), /^near .*\[redacted\].* in file$/);
});

test('log levels parse with a fallback and refuse typos', () => {
  assert.equal(parseLogLevel(undefined), 'info');
  assert.equal(parseLogLevel('', 'warn'), 'warn');
  assert.equal(parseLogLevel('debug'), 'debug');
  assert.throws(() => parseLogLevel('verbose'), /invalid log level "verbose"/);
  for (const inherited of ['toString', 'constructor', '__proto__']) assert.throws(() => parseLogLevel(inherited), /invalid log level/, inherited);
  // the silent logger stays silent through children (and needs no sink)
  assert.equal(silentLogger.child({ a: 1 }), silentLogger);
  silentLogger.child({ a: 1 }).error('dropped');
});
