// A compute probe for the scaling benchmark: `workers` threads (each with its own backend, started as the
// data-parallel workers are: a bundled entry) multiply two n x n float32 matrices `reps` times at the same moment;
// the aggregate rate shows how well worker threads use the cores.
import { Worker } from 'node:worker_threads';
import { bundleWorkerEntry, type BackendName } from '@trm/tensor-node';

export interface MatmulThroughput {
  workers: number;
  backend: string;
  /** wall time of the slowest worker's timed part */
  seconds: number;
  /** all workers' matmul FLOPs / wall seconds / 1e9 */
  gflops: number;
}

const message = <T>(w: Worker): Promise<T> => new Promise((resolve, reject) => {
  w.once('message', resolve);
  w.once('error', reject);
});

export async function matmulThroughput(opts: { workers: number; n: number; reps: number; backend?: BackendName }): Promise<MatmulThroughput> {
  const entry = await bundleWorkerEntry(new URL('./matmul-worker.ts', import.meta.url));
  const backend = opts.backend ?? process.env.TRM_BACKEND ?? 'auto';
  const workers = Array.from({ length: opts.workers }, () => new Worker(entry, { workerData: { backend, n: opts.n, reps: opts.reps } }));
  try {
    const ready = await Promise.all(workers.map((w) => message<{ ready: string }>(w)));
    const done = workers.map((w) => message<{ seconds: number }>(w));
    for (const w of workers) w.postMessage('go'); // every worker starts its timed products at the same moment
    const seconds = Math.max(...(await Promise.all(done)).map((r) => r.seconds));
    const flops = opts.workers * opts.reps * 2 * opts.n ** 3;
    return { workers: opts.workers, backend: ready[0].ready, seconds, gflops: flops / seconds / 1e9 };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
