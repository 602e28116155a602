// JSON-RPC over HTTP with batching, per-request timeouts and retries. Written over fetch rather
// than ethers' JsonRpcProvider because sync must tell apart what the provider said (a log range
// it refuses, a method it lacks) from what the transport did (timeouts, truncated bodies, 5xx),
// and must keep raw results byte-for-byte as the node returned them for the event store.
import { HessianError, isRetryable } from '@hessian/common/errors';
import type { IndexerMetrics } from '../metrics.ts';
import type { Logger } from '../log.ts';

export interface RpcCall {
  method: string;
  params: unknown[];
}

/** An error object the node returned for one call. */
export class RpcError extends HessianError {
  override name = 'RpcError';
  readonly code: number;
  readonly data: unknown;
  readonly method: string;
  /** the node's message without our prefix, for matching provider-specific texts */
  readonly rpcMessage: string;
  constructor(method: string, code: number, message: string, data?: unknown) {
    // a malformed request or a missing method fails the same way again; other node errors may pass
    super(`${method}: ${message} (code ${code})`, { kind: PERMANENT_CODES.has(code) ? 'fatal' : 'retryable' });
    this.method = method;
    this.code = code;
    this.data = data;
    this.rpcMessage = message;
  }
}

export type TransportErrorKind = 'http' | 'timeout' | 'network' | 'invalid-response';

/** The request never produced a usable JSON-RPC answer. Always worth retrying. */
export class TransportError extends HessianError {
  override name = 'TransportError';
  /** what went wrong on the way (the error's `kind` is `retryable`) */
  readonly transport: TransportErrorKind;
  constructor(transport: TransportErrorKind, message: string) {
    super(message, { kind: 'retryable' });
    this.transport = transport;
  }
}

/** stop() was called: not retried, and not a failure of the subgraph either */
export class AbortedError extends HessianError {
  override name = 'AbortedError';
  constructor() {
    super('stopped', { kind: 'fatal' });
  }
}

export interface RpcClientOptions {
  url: string;
  /** per HTTP request */
  timeoutMs?: number;
  /** calls per HTTP request */
  maxBatchSize?: number;
  /** attempts after the first for transient failures; then the last error is thrown */
  retries?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  metrics?: IndexerMetrics;
  logger?: Logger;
  signal?: AbortSignal;
}

export type CallOutcome = { ok: true; result: unknown } | { ok: false; error: RpcError };

// Codes a node uses for malformed requests or missing methods: asking again cannot help.
const PERMANENT_CODES = new Set([-32600, -32601, -32602]);

/** a failed request worth asking again (the kinds RpcError and TransportError give themselves) */
export function isTransient(err: unknown): boolean {
  return (err instanceof TransportError || err instanceof RpcError) && isRetryable(err);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortedError());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function describeUrl(url: string): string {
  // credentials or API keys in the URL's user info or query must not reach the logs
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

export class JsonRpcClient {
  readonly url: string;
  readonly displayUrl: string;
  private readonly timeoutMs: number;
  private readonly maxBatchSize: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly metrics?: IndexerMetrics;
  private readonly logger?: Logger;
  private readonly signal?: AbortSignal;
  private nextId = 1;

  constructor(opts: RpcClientOptions) {
    try {
      const u = new URL(opts.url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      throw new Error(`invalid RPC URL "${opts.url}": expected an http:// or https:// URL`);
    }
    this.url = opts.url;
    this.displayUrl = describeUrl(opts.url);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxBatchSize = opts.maxBatchSize ?? 50;
    this.retries = opts.retries ?? 8;
    this.backoffMs = opts.backoffMs ?? 200;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.metrics = opts.metrics;
    this.logger = opts.logger;
    this.signal = opts.signal;
  }

  backoff(attempt: number): number {
    const base = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** attempt);
    return base / 2 + Math.random() * (base / 2);
  }

  /** One call; transient failures retried, the node's error thrown as RpcError. */
  async call<T>(method: string, params: unknown[], opts: { retries?: number } = {}): Promise<T> {
    const [r] = await this.batchResults<T>([{ method, params }], opts);
    return r!;
  }

  /**
   * Many calls, sent in batches; transient failures (transport and node errors alike) are retried
   * for the calls that hit them only. The first permanent error, or a transient one that
   * outlasted the retries, is thrown.
   */
  async batchResults<T>(calls: RpcCall[], opts: { retries?: number } = {}): Promise<T[]> {
    const outcomes = await this.batch(calls, { ...opts, retryRpcErrors: true });
    return outcomes.map((o) => {
      if (!o.ok) throw o.error;
      return o.result as T;
    });
  }

  /**
   * Calls in batches with transport failures retried. Node errors come back per call (retried
   * first when `retryRpcErrors` and transient), so a caller can react to them (log ranges).
   */
  async batch(calls: RpcCall[], opts: { retries?: number; retryRpcErrors?: boolean } = {}): Promise<CallOutcome[]> {
    const out: CallOutcome[] = new Array(calls.length);
    const chunks: number[][] = [];
    for (let i = 0; i < calls.length; i += this.maxBatchSize) {
      chunks.push(Array.from({ length: Math.min(this.maxBatchSize, calls.length - i) }, (_, k) => i + k));
    }
    await Promise.all(chunks.map((idx) => this.runChunk(calls, idx, out, opts)));
    return out;
  }

  private async runChunk(
    calls: RpcCall[],
    indices: number[],
    out: CallOutcome[],
    opts: { retries?: number; retryRpcErrors?: boolean },
  ): Promise<void> {
    const retries = opts.retries ?? this.retries;
    let pending = indices;
    for (let attempt = 0; ; attempt++) {
      let failure: Error | undefined;
      try {
        const res = await this.send(pending.map((i) => calls[i]!));
        const again: number[] = [];
        res.forEach((o, k) => {
          const i = pending[k]!;
          if (!o.ok && opts.retryRpcErrors && isTransient(o.error) && attempt < retries) {
            again.push(i);
            failure = o.error;
          } else out[i] = o;
        });
        pending = again;
      } catch (err) {
        if (!(err instanceof TransportError) || attempt >= retries) throw err;
        failure = err;
      }
      if (pending.length === 0) return;
      const wait = this.backoff(attempt);
      this.logger?.debug('rpc retry', { attempt: attempt + 1, calls: pending.length, error: failure?.message, waitMs: Math.round(wait) });
      await sleep(wait, this.signal);
    }
  }

  /** One HTTP request carrying `calls` as a JSON-RPC batch (or a single call). */
  private async send(calls: RpcCall[]): Promise<CallOutcome[]> {
    if (this.signal?.aborted) throw new AbortedError();
    const ids = calls.map(() => this.nextId++);
    const body = calls.map((c, k) => ({ jsonrpc: '2.0', id: ids[k], method: c.method, params: c.params }));
    for (const c of calls) this.metrics?.rpcRequests.inc({ method: c.method });
    const label = calls.length === 1 ? calls[0]!.method : 'batch';
    const fail = (kind: TransportErrorKind, message: string) => {
      for (const c of calls) this.metrics?.rpcErrors.inc({ method: c.method, kind });
      return new TransportError(kind, `${label} to ${this.displayUrl}: ${message}`);
    };
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = this.signal ? AbortSignal.any([timeout, this.signal]) : timeout;
    let text: string;
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(calls.length === 1 ? body[0] : body),
        signal,
      });
      text = await res.text();
      if (!res.ok) {
        // some providers answer rate limits and range errors with a JSON-RPC body and a 4xx/5xx
        const parsed = tryParse(text);
        if (!parsed || !(Array.isArray(parsed) || (typeof parsed === 'object' && 'error' in parsed))) {
          throw fail('http', `HTTP ${res.status} ${res.statusText}`);
        }
      }
    } catch (err) {
      if (err instanceof TransportError) throw err;
      if (this.signal?.aborted) throw new AbortedError();
      if (timeout.aborted) throw fail('timeout', `no answer within ${this.timeoutMs} ms`);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw fail('network', cause?.code ?? cause?.message ?? (err as Error).message);
    }
    const parsed = tryParse(text);
    if (parsed === undefined) throw fail('invalid-response', `response is not valid JSON (${text.length} bytes)`);
    const items = Array.isArray(parsed) ? parsed : [parsed];
    if (calls.length > 1 && !Array.isArray(parsed)) {
      // a batch answered with one object: the node rejected the batch as a whole
      const e = (parsed as { error?: { code?: number; message?: string } }).error;
      throw fail('invalid-response', `batch rejected: ${e?.message ?? 'unexpected single response'}`);
    }
    const byId = new Map<number, { result?: unknown; error?: { code: number; message: string; data?: unknown } }>();
    for (const it of items) {
      if (it && typeof it === 'object' && typeof (it as { id?: unknown }).id === 'number') byId.set((it as { id: number }).id, it);
    }
    return calls.map((c, k) => {
      const it = byId.get(ids[k]!);
      if (!it || (!('result' in it) && !it.error)) throw fail('invalid-response', `no answer for ${c.method} in the response`);
      if (it.error) {
        const kind = 'rpc';
        this.metrics?.rpcErrors.inc({ method: c.method, kind });
        return { ok: false, error: new RpcError(c.method, Number(it.error.code), String(it.error.message), it.error.data) };
      }
      return { ok: true, result: it.result };
    });
  }
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
