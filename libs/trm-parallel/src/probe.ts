// A compute probe for the scaling benchmark: every worker multiplies two n x n float32 matrices `reps` times at
// the same moment; the aggregate rate shows how well the worker threads use the cores.
import type { BackendName } from '@trm/tensor-node';
import { resolveWorkerCount, WorkerPool } from './pool.ts';

export interface MatmulThroughput {
  workers: number;
  backend: string;
  /** wall time of the slowest worker's timed part */
  seconds: number;
  /** all workers' matmul FLOPs / wall seconds / 1e9 */
  gflops: number;
}

export async function matmulThroughput(opts: { workers?: number; n: number; reps: number; backend?: BackendName }): Promise<MatmulThroughput> {
  const workers = resolveWorkerCount(opts.workers);
  const pool = await WorkerPool.start(new URL('./worker.ts', import.meta.url), workers, () => null);
  try {
    const infos = await pool.all<{ backend: string }>('init', () => ({ backend: opts.backend ?? process.env.TRM_BACKEND ?? 'auto' }));
    const seconds = Math.max(...(await pool.all<number>('matmul', () => ({ n: opts.n, reps: opts.reps }))));
    const flops = workers * opts.reps * 2 * opts.n ** 3;
    return { workers, backend: infos[0].backend, seconds, gflops: flops / seconds / 1e9 };
  } finally {
    await pool.close();
  }
}
