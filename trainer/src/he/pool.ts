import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { HeContext, type CkksParams, type HeTask, gradientPacking, sumGradientParts } from '@hessian/core/he';
import type { WorkerJob, WorkerReply } from './gradient-worker.ts';

export interface PoolGradientInput {
  params: CkksParams;
  task: HeTask;
  /** serialized weight ciphertexts (one per feature), as published */
  weights: readonly Uint8Array[];
  relinKeys?: Uint8Array;
  galoisKeys?: Uint8Array;
  x: readonly Float64Array[];
  y: Float64Array;
  noise?: Float64Array;
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
}

interface WorkerState {
  worker: Worker;
  keysId: number;
  weightsId: number;
  pending: Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void; progress: (rows: number) => void }>;
}

/**
 * Computes encrypted gradients in worker threads, each with its own SEAL instance (the wasm is
 * single-threaded). A batch larger than one ciphertext of rows is split on chunk boundaries
 * across workers and the parts' ciphertexts are added; a one-chunk batch runs in one worker,
 * which still keeps the daemon's event loop free. Keys and weights are sent to a worker once
 * and cached there by identity of the byte arrays.
 */
export class GradientPool {
  readonly size: number;
  private workers: (WorkerState | undefined)[] = [];
  private nextJob = 1;
  private ids = new WeakMap<object, number>();
  private nextId = 1;
  private combiner: HeContext | undefined;
  private closed = false;

  constructor(size = Math.max(1, Math.min(4, availableParallelism()))) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`pool size must be a positive integer, got ${size}`);
    this.size = size;
  }

  private idOf(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) { id = this.nextId++; this.ids.set(o, id); }
    return id;
  }

  private spawn(k: number): WorkerState {
    const worker = new Worker(new URL('./gradient-worker.ts', import.meta.url));
    const state: WorkerState = { worker, keysId: 0, weightsId: 0, pending: new Map() };
    worker.on('message', (m: WorkerReply) => {
      const p = state.pending.get(m.id);
      if (!p) return;
      if (m.kind === 'progress') p.progress(m.rowsDone);
      else {
        state.pending.delete(m.id);
        if (m.kind === 'done') p.resolve(m.gradient);
        else p.reject(new Error(m.message));
      }
    });
    const fail = (e: Error): void => {
      for (const p of state.pending.values()) p.reject(new Error(`gradient worker failed: ${e.message}`));
      state.pending.clear();
      if (this.workers[k] === state) this.workers[k] = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => { if (code !== 0) fail(new Error(`exited with code ${code}`)); });
    this.workers[k] = state;
    return state;
  }

  private worker(k: number): WorkerState {
    return this.workers[k] ?? this.spawn(k);
  }

  async gradient(input: PoolGradientInput): Promise<Uint8Array> {
    if (this.closed) throw new Error('gradient pool is closed');
    const d = input.weights.length;
    const n = input.x.length;
    if (n === 0) throw new Error('no rows to compute a gradient on');
    if (n !== input.y.length) throw new Error(`${n} rows but ${input.y.length} labels`);
    const p = gradientPacking(input.task, input.params, d);
    // linear regression costs the same for any row count: never worth splitting
    const chunks = input.task === 'linear' ? 1 : Math.ceil(n / p.slots);
    const parts = Math.min(this.size, chunks);
    const chunksPerPart = Math.ceil(chunks / parts);
    const keysId = this.idOf(input.galoisKeys ?? input.relinKeys ?? input.weights);
    const weightsId = this.idOf(input.weights);
    const done = new Array<number>(parts).fill(0);
    const jobs: Promise<Uint8Array>[] = [];
    for (let k = 0; k < parts; k++) {
      const from = k * chunksPerPart * p.slots;
      const to = Math.min(n, (k + 1) * chunksPerPart * p.slots);
      if (from >= to) break;
      const m = to - from;
      const rows = new Float64Array(m * d);
      const y = input.y.slice(from, to);
      for (let i = 0; i < m; i++) {
        const r = input.x[from + i];
        if (r.length !== d) throw new Error(`row ${from + i} has ${r.length} features but the model has ${d} weights`);
        rows.set(r, i * d);
      }
      const st = this.worker(k);
      const job: WorkerJob = {
        id: this.nextJob++, params: input.params, task: input.task, keysId, galoisSteps: p.galoisSteps, weightsId,
        rows, d, y, meanOver: n, noise: k === 0 ? input.noise : undefined,
        ...(st.keysId === keysId ? {} : { relinKeys: input.relinKeys, galoisKeys: input.galoisKeys }),
        ...(st.weightsId === weightsId ? {} : { weights: [...input.weights] }),
      };
      st.keysId = keysId;
      st.weightsId = weightsId;
      jobs.push(new Promise<Uint8Array>((resolve, reject) => {
        st.pending.set(job.id, {
          resolve, reject,
          progress: (rowsDone) => { done[k] = rowsDone; input.onProgress?.(done.reduce((a, b) => a + b, 0), n); },
        });
        st.worker.postMessage(job, [rows.buffer, y.buffer]);
      }).catch((e: Error) => {
        // the worker's caches are unknown after a failure: resend everything next time
        st.keysId = 0; st.weightsId = 0;
        throw e;
      }));
    }
    const results = await Promise.all(jobs);
    if (results.length === 1) return results[0];
    this.combiner ??= await HeContext.create(input.params, input.task);
    if (JSON.stringify(this.combiner.params) !== JSON.stringify(input.params)) {
      this.combiner.delete();
      this.combiner = await HeContext.create(input.params, input.task);
    }
    return sumGradientParts(this.combiner, results);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w?.worker.terminate()));
    this.workers = [];
    this.combiner?.delete();
    this.combiner = undefined;
  }
}
