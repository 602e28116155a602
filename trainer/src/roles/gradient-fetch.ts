// Fetches gradient content off the evaluator's sequential path: every revealed gradient is
// fetched as soon as it is seen, a few at a time, each attempt bounded by a timeout and retried
// with backoff. The evaluation queue only asks where a fetch stands, so content that does not
// resolve (slow IPFS, or spam) never holds up the gradients behind it.
import { HessianError } from '@hessian/common/errors';

/** content that is wrong (the verdict is Rejected), as opposed to content not fetched yet */
export class BadGradient extends HessianError {
  override name = 'BadGradient';
  constructor(message: string) {
    super(message, { kind: 'user' });
  }
}

export type FetchState<T> =
  | { kind: 'ready'; value: T }
  | { kind: 'bad'; reason: string }
  /** attempts: failed attempts so far; since: ms timestamp of the first failure; busy: an attempt is running */
  | { kind: 'waiting'; attempts: number; since?: number; lastError?: string; busy: boolean };

export interface FetcherOptions {
  /** ms one attempt may take (default 15 s) */
  timeoutMs?: number;
  /** attempts running at once (default 4) */
  concurrency?: number;
  /** ms before the first retry; doubles up to maxBackoffMs (default 1 s, 30 s) */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** aborts every attempt when the daemon stops */
  signal?: AbortSignal;
  onRetry?: (key: string, attempt: number, err: Error) => void;
}

interface Entry<T> {
  state: FetchState<T>;
  load: (signal: AbortSignal) => Promise<T>;
  retryAt: number;
}

export class GradientFetcher<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly queue: string[] = [];
  private running = 0;
  private readonly opts: Required<Omit<FetcherOptions, 'signal' | 'onRetry'>> & Pick<FetcherOptions, 'signal' | 'onRetry'>;

  constructor(opts: FetcherOptions = {}) {
    this.opts = { timeoutMs: 15_000, concurrency: 4, backoffMs: 1000, maxBackoffMs: 30_000, ...opts };
  }

  /** starts fetching `key` unless it is known; `load` throws BadGradient for wrong content */
  request(key: string, load: (signal: AbortSignal) => Promise<T>): FetchState<T> {
    let e = this.entries.get(key);
    if (!e) {
      e = { state: { kind: 'waiting', attempts: 0, busy: false }, load, retryAt: 0 };
      this.entries.set(key, e);
      this.enqueue(key);
    } else if (e.state.kind === 'waiting' && !e.state.busy && Date.now() >= e.retryAt && !this.queue.includes(key)) {
      this.enqueue(key);
    }
    return e.state;
  }

  state(key: string): FetchState<T> | undefined {
    return this.entries.get(key)?.state;
  }

  /** forgets a key (decided, or its model's context rebuilt) */
  forget(key: string): void {
    this.entries.delete(key);
  }

  /** resolves once `key` has finished at least one attempt, or after `ms` */
  async settled(key: string, ms: number): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      const s = this.entries.get(key)?.state;
      if (!s || s.kind !== 'waiting' || (!s.busy && s.attempts > 0) || Date.now() >= until) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private enqueue(key: string): void {
    this.queue.push(key);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.opts.concurrency && this.queue.length) {
      const key = this.queue.shift()!;
      const e = this.entries.get(key);
      if (!e || e.state.kind !== 'waiting' || e.state.busy) continue;
      this.running++;
      void this.attempt(key, e).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async attempt(key: string, e: Entry<T>): Promise<void> {
    const prev = e.state as Extract<FetchState<T>, { kind: 'waiting' }>;
    e.state = { ...prev, busy: true };
    const signal = AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs), ...(this.opts.signal ? [this.opts.signal] : [])]);
    try {
      e.state = { kind: 'ready', value: await e.load(signal) };
    } catch (err) {
      if (err instanceof BadGradient) {
        e.state = { kind: 'bad', reason: err.message };
        return;
      }
      const attempts = prev.attempts + 1;
      // the attempt cut off by its timeout (or the daemon stopping) rejects with the signal's reason
      const message = signal.aborted && err === signal.reason ? `no answer within ${this.opts.timeoutMs} ms` : (err as Error).message;
      e.state = { kind: 'waiting', attempts, since: prev.since ?? Date.now(), lastError: message, busy: false };
      e.retryAt = Date.now() + Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** (attempts - 1));
      this.opts.onRetry?.(key, attempts, new Error(message));
    }
  }
}
