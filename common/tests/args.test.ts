import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFlags, helpText, numberFlag } from '../src/args.ts';
import { UsageError, isUserError } from '../src/errors.ts';
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
  assert.throws(() => readFlags(specs, [], { env: { T_VERBOSE: 'maybe' } }), (e: Error) => e instanceof UsageError && e.message === 'T_VERBOSE: expected true or false, got "maybe"');
});

test('help returns undefined, even with a bad variable; bad flags throw with the usage', () => {
  assert.equal(readFlags(specs, ['-h'], { env: { T_VERBOSE: 'maybe' } }), undefined);
  assert.equal(readFlags(specs, ['--help']), undefined);
  assert.throws(() => readFlags(specs, ['--nope'], { usage: () => 'Usage: x' }), (e: Error) => e instanceof UsageError && /Unknown option '--nope'/.test(e.message) && e.message.endsWith('\n\nUsage: x'));
  assert.throws(() => readFlags(specs, ['--name']), /argument missing/);
  assert.throws(() => readFlags(specs, ['stray']), /positional/);
});

test('a bad flag is a user error (exit 2 in the CLI), not a crash', () => {
  assert.throws(() => readFlags(specs, ['--nope']), (e: unknown) => isUserError(e));
});

test('numberFlag names the flag, the rule and the value it refuses', () => {
  assert.equal(numberFlag('port', undefined), undefined);
  assert.equal(numberFlag('port', '8545', { int: true, min: 0 }), 8545);
  assert.equal(numberFlag('target', '0.7'), 0.7);
  const refuses = (value: string, rule: Parameters<typeof numberFlag>[2], message: string) =>
    assert.throws(() => numberFlag('x', value, rule), (e: unknown) => e instanceof UsageError && e.message === message, value);
  refuses('eighty', { int: true, min: 0 }, "--x must be an integer >= 0, got 'eighty'");
  refuses('1.5', { int: true }, "--x must be an integer, got '1.5'");
  refuses('', {}, "--x must be a number, got ''");
  refuses('  ', { int: true, min: 0 }, "--x must be an integer >= 0, got '  '");
  refuses('-1', { min: 0 }, "--x must be a number >= 0, got '-1'");
  refuses('Infinity', {}, "--x must be a number, got 'Infinity'");
  refuses('9999999', { int: true, min: 0, max: 1_000_000 }, "--x must be an integer >= 0 and <= 1000000, got '9999999'");
});

test('help shows every flag with its value name, variable and default', () => {
  const text = helpText({
    usage: 'hessian x [options]',
    summary: 'Does x.',
    specs: {
      rpc: { type: 'string', env: 'T_RPC', default: 'http://default', description: 'the node' },
      port: { type: 'string', arg: 'N', default: '8000', description: 'HTTP port' },
      json: { type: 'boolean', description: 'one JSON line' },
    },
    footer: ['More.'],
  });
  assert.match(text, /^Usage: hessian x \[options\]\n\nDoes x\.\n/);
  assert.match(text, /\n {2}--rpc <value> +the node \(env T_RPC, default http:\/\/default\)\n/);
  assert.match(text, /\n {2}--port N +HTTP port \(default 8000\)\n/);
  assert.match(text, /\n {2}--json +one JSON line\n/);
  assert.match(text, /-h, --help +show this help\n\nMore\.$/);
});
