// The worker behind BlockingRpc: it owns an ordinary JsonRpcClient and answers each request on the
// shared port, then wakes the main thread, which is blocked in Atomics.wait until then.
import { workerData, type MessagePort } from 'node:worker_threads';
import { JsonRpcClient, TransportError } from './rpc.ts';

const { url, timeoutMs, retries, flag, port } = workerData as { url: string; timeoutMs: number; retries: number; flag: SharedArrayBuffer; port: MessagePort };
const signal = new Int32Array(flag);
const client = new JsonRpcClient({ url, timeoutMs, retries, maxBatchSize: 1 });

port.on('message', async (req: { id: number; method: string; params: unknown[] }) => {
  let answer: unknown;
  try {
    // node errors (a revert among them) come back at once; only the transport is retried
    const [outcome] = await client.batch([{ method: req.method, params: req.params }], { retryRpcErrors: false });
    answer = outcome!.ok
      ? { id: req.id, ok: true, result: outcome!.result }
      : { id: req.id, ok: false, rpc: { code: outcome!.error.code, message: outcome!.error.rpcMessage, data: outcome!.error.data } };
  } catch (err) {
    const kind = err instanceof TransportError ? err.transport : 'network';
    answer = { id: req.id, ok: false, transport: { kind, message: (err as Error).message } };
  }
  port.postMessage(answer);
  Atomics.store(signal, 0, req.id);
  Atomics.notify(signal, 0);
});
