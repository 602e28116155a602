import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HessianError, UsageError, errorKind, isFatal, isRetryable, isUserError } from '../src/errors.ts';

test('the kind, not the class name, says what to do with an error', () => {
  const busy = new HessianError('node busy', { kind: 'retryable' });
  const broken = new HessianError('invariant broken', { kind: 'fatal' });
  const typo = new UsageError('--port must be an integer');
  assert.deepEqual([busy, broken, typo].map(errorKind), ['retryable', 'fatal', 'user']);
  assert.deepEqual([isRetryable(busy), isFatal(broken), isUserError(typo)], [true, true, true]);
  assert.deepEqual([isRetryable(typo), isUserError(busy), isFatal(typo)], [false, false, false]);
  // a plain error, or a look-alike that only copies the name, has no kind
  const lookAlike = Object.assign(new Error('x'), { name: 'UsageError', kind: 'user' });
  for (const e of [new Error('x'), lookAlike, 'a string', undefined]) {
    assert.equal(errorKind(e), undefined);
    assert.equal(isUserError(e) || isRetryable(e) || isFatal(e), false);
  }
});

test('a subclass keeps its own name and the cause it explains', () => {
  class LockBusy extends HessianError {
    override name = 'LockBusy';
    constructor(cause: unknown) {
      super('the journal is locked by another process', { kind: 'retryable', cause });
    }
  }
  const cause = new Error('EEXIST');
  const e = new LockBusy(cause);
  assert.equal(e.name, 'LockBusy');
  assert.equal(e.cause, cause);
  assert.ok(isRetryable(e) && e instanceof Error);
  assert.equal(new UsageError('x').cause, undefined);
  assert.equal(new UsageError('x').name, 'UsageError');
});
