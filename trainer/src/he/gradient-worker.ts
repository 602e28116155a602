// Worker thread of GradientPool: its own SEAL instance computes gradient parts. Keys and
// weights are cached by the ids the pool assigns, so they cross the thread boundary once.
import { parentPort } from 'node:worker_threads';
import type { Ciphertext, GaloisKeys, RelinKeys } from 'node-seal';
import { HeContext, type CkksParams, type HeTask, encryptedGradient, loadGaloisKeys, loadRelinKeys, loadWeights } from '@hessian/core/he';

export interface WorkerJob {
  id: number;
  params: CkksParams;
  task: HeTask;
  keysId: number;
  relinKeys?: Uint8Array;
  galoisKeys?: Uint8Array;
  galoisSteps: number[];
  weightsId: number;
  weights?: Uint8Array[];
  /** rows flattened row-major, d per row */
  rows: Float64Array;
  d: number;
  y: Float64Array;
  meanOver: number;
  noise?: Float64Array;
}

export type WorkerReply =
  | { id: number; kind: 'progress'; rowsDone: number }
  | { id: number; kind: 'done'; gradient: Uint8Array }
  | { id: number; kind: 'error'; message: string };

let he: HeContext | undefined;
let heKey = '';
let keys: { id: number; relin?: RelinKeys; galois?: GaloisKeys } | undefined;
let weights: { id: number; cts: Ciphertext[] } | undefined;

function dropKeys(): void {
  keys?.relin?.delete();
  keys?.galois?.delete();
  keys = undefined;
}

function dropWeights(): void {
  for (const c of weights?.cts ?? []) c.delete();
  weights = undefined;
}

async function run(job: WorkerJob): Promise<Uint8Array> {
  const key = JSON.stringify(job.params);
  if (!he || heKey !== key) {
    dropKeys(); dropWeights(); he?.delete();
    he = await HeContext.create(job.params, job.task);
    heKey = key;
  }
  if (!keys || keys.id !== job.keysId) {
    dropKeys();
    if (job.relinKeys === undefined && job.galoisKeys === undefined && job.task === 'logistic') throw new Error('worker has no keys for this job');
    keys = {
      id: job.keysId,
      relin: job.relinKeys ? loadRelinKeys(he, job.relinKeys) : undefined,
      galois: job.galoisKeys ? loadGaloisKeys(he, job.galoisKeys, job.galoisSteps) : undefined,
    };
  }
  if (!weights || weights.id !== job.weightsId) {
    dropWeights();
    if (!job.weights) throw new Error('worker has no weights for this job');
    weights = { id: job.weightsId, cts: loadWeights(he, job.weights) };
  }
  const x: Float64Array[] = [];
  for (let i = 0; i < job.y.length; i++) x.push(job.rows.subarray(i * job.d, (i + 1) * job.d));
  return encryptedGradient(he, {
    task: job.task, weights: weights.cts, x, y: job.y, relinKeys: keys.relin, galoisKeys: keys.galois,
    noise: job.noise, meanOver: job.meanOver,
    onProgress: (rowsDone) => parentPort!.postMessage({ id: job.id, kind: 'progress', rowsDone } satisfies WorkerReply),
  });
}

parentPort!.on('message', (job: WorkerJob) => {
  run(job).then(
    (gradient) => parentPort!.postMessage({ id: job.id, kind: 'done', gradient } satisfies WorkerReply, [gradient.buffer as ArrayBuffer]),
    (e: unknown) => parentPort!.postMessage({ id: job.id, kind: 'error', message: e instanceof Error ? e.message : String(e) } satisfies WorkerReply),
  );
});
