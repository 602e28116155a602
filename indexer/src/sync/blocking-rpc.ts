// Synchronous JSON-RPC for host functions. Mapping handlers run synchronously inside WASM, so
// `ethereum.call` cannot await: the request goes to a worker thread and the main thread blocks in
// Atomics.wait until the worker has posted the answer, which it then takes off the port with
// receiveMessageOnPort. Only cache misses get here (declared calls are prefetched, results are
// cached per block), and failures are bounded: after the worker's retries the caller gets a
// TransportError and the sync step is retried asynchronously, without blocking the event loop.
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { RpcError, TransportError, type TransportErrorKind } from './rpc.ts';

export interface BlockingRpcOptions {
  url: string;
  timeoutMs?: number;
  /** transport retries inside the worker before the caller sees a TransportError */
  retries?: number;
}

type Answer =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; rpc: { code: number; message: string; data?: unknown } }
  | { id: number; ok: false; transport: { kind: TransportErrorKind; message: string } };

export class BlockingRpc {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal: Int32Array;
  private readonly waitMs: number;
  private nextId = 1;
  /** requests sent (metrics and tests: how many calls were not served from a cache) */
  requests = 0;

  constructor(opts: BlockingRpcOptions) {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const retries = opts.retries ?? 2;
    // the worker's retries back off by at most ~10 s each; past that something is stuck
    this.waitMs = (timeoutMs + 10_000) * (retries + 1);
    const flag = new SharedArrayBuffer(4);
    this.signal = new Int32Array(flag);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./blocking-rpc-worker.ts', import.meta.url), {
      workerData: { url: opts.url, timeoutMs, retries, flag, port: port2 },
      transferList: [port2],
    });
    this.worker.unref();
    this.port.unref();
  }

  /** The call's result; a node error as RpcError, a failed transport as TransportError. */
  call<T>(method: string, params: unknown[]): T {
    const id = this.nextId++;
    this.requests++;
    this.port.postMessage({ id, method, params });
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      if (seen === id) break;
      const left = deadline - Date.now();
      if (left <= 0) throw new TransportError('timeout', `${method}: no answer within ${this.waitMs} ms`);
      Atomics.wait(this.signal, 0, seen, left);
    }
    // answers to requests given up on earlier arrive first: skip them
    for (;;) {
      const msg = receiveMessageOnPort(this.port)?.message as Answer | undefined;
      if (!msg) throw new TransportError('invalid-response', `${method}: the worker signalled an answer it did not post`);
      if (msg.id !== id) continue;
      if (msg.ok) return msg.result as T;
      if ('rpc' in msg) throw new RpcError(method, msg.rpc.code, msg.rpc.message, msg.rpc.data);
      throw new TransportError(msg.transport.kind, msg.transport.message);
    }
  }

  async close(): Promise<void> {
    this.port.close();
    await this.worker.terminate();
  }
}
