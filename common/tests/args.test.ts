import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFlags, FlagError } from '../src/args.ts';
import type { FlagSpec } from '../src/args.ts';

const specs: Record<string, FlagSpec> = {
  rpc: { type: 'string', env: 'T_RPC', default: 'http://default' },
  port: { type: 'string', short: 'p', env: 'T_PORT' },
  name: { type: 'string' },
  verbose: { type: 'boolean', env: 'T_VERBOSE' },
  quiet: { type: 'boolean' },
};

test('a flag wins over its environment variable, which wins over the default', () => {
  assert.deepEqual(readFlags(specs, ['--rpc', 'http://flag', '-p', '9'], { env: { T_RPC: 'http://env', T_PORT: '8' } }), {
    rpc: 'http://flag', port: '9', name: undefined, verbose: false, quiet: false,
  });
  assert.equal(readFlags(specs, [], { env: { T_RPC: 'http://env' } })!.rpc, 'http://env');
  // an empty variable counts as unset
  assert.equal(readFlags(specs, [], { env: { T_RPC: '' } })!.rpc, 'http://default');
});

test('boolean variables accept the usual spellings and reject anything else by name', () => {
  for (const raw of ['1', 'true', 'YES', 'on']) assert.equal(readFlags(specs, [], { env: { T_VERBOSE: raw } })!.verbose, true, raw);
  for (const raw of ['0', 'false', 'no', 'Off', '']) assert.equal(readFlags(specs, [], { env: { T_VERBOSE: raw } })!.verbose, false, raw);
  assert.equal(readFlags(specs, ['--verbose'], { env: { T_VERBOSE: '0' } })!.verbose, true);
  assert.throws(() => readFlags(specs, [], { env: { T_VERBOSE: 'maybe' } }), (e: Error) => e instanceof FlagError && e.message === 'T_VERBOSE: expected true or false, got "maybe"');
});

test('help returns undefined, even with a bad variable; bad flags throw with the usage', () => {
  assert.equal(readFlags(specs, ['-h'], { env: { T_VERBOSE: 'maybe' } }), undefined);
  assert.equal(readFlags(specs, ['--help']), undefined);
  assert.throws(() => readFlags(specs, ['--nope'], { usage: () => 'Usage: x' }), (e: Error) => e instanceof FlagError && /Unknown option '--nope'/.test(e.message) && e.message.endsWith('\n\nUsage: x'));
  assert.throws(() => readFlags(specs, ['--name']), /argument missing/);
  assert.throws(() => readFlags(specs, ['stray']), /positional/);
});
