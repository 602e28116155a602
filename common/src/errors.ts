// One error base for every package, so a caller decides what to do from the error's kind and
// never from its class name: retry it (a node that did not answer, a busy lock), stop (a bug, a
// broken invariant), or tell the user what to fix (a bad flag, a bad file). The CLI maps the kinds
// to exit codes: user → 2 with one line, anything else → 1.

export type ErrorKind = 'retryable' | 'fatal' | 'user';

export interface HessianErrorOptions {
  kind: ErrorKind;
  /** the lower-level error this one explains (kept for --verbose and logs) */
  cause?: unknown;
}

export class HessianError extends Error {
  override name = 'HessianError';
  readonly kind: ErrorKind;
  constructor(message: string, options: HessianErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options.kind;
  }
}

/** what the user typed or gave is wrong (a flag, a variable, a file): said in one line, exit 2 */
export class UsageError extends HessianError {
  override name = 'UsageError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { kind: 'user', ...options });
  }
}

export function errorKind(err: unknown): ErrorKind | undefined {
  return err instanceof HessianError ? err.kind : undefined;
}

export function isRetryable(err: unknown): boolean {
  return errorKind(err) === 'retryable';
}

export function isUserError(err: unknown): boolean {
  return errorKind(err) === 'user';
}

export function isFatal(err: unknown): boolean {
  return errorKind(err) === 'fatal';
}
