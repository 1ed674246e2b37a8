// How many worker threads a stage runs on: `runtime.workers`, capped at the rows one model call gets (a worker
// without a row of its own would only add start-up time and memory). 0 = the main thread.
import { availableParallelism } from 'node:os';

export interface WorkerPlan {
  /** threads to start (0 = run in the main thread) */
  workers: number;
  /** what the log should say besides the count: the cap, more threads than cores */
  notes: string[];
}

/**
 * `rows` = rows of one model call, `rowsKey` = the config key that sets them (named in the log), `backend` = the
 * initialised backend (tensorflow already spreads one call over every core).
 */
export function planWorkers(configured: number, rows: number, rowsKey: string, backend: string, cores = availableParallelism()): WorkerPlan {
  if (!Number.isInteger(configured) || configured < 0) throw new Error(`runtime.workers = ${JSON.stringify(configured)}: expected an integer >= 0`);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`${rowsKey} = ${JSON.stringify(rows)}: expected an integer >= 1`);
  const workers = Math.min(configured, rows);
  const notes: string[] = [];
  if (workers < configured) notes.push(`runtime.workers = ${configured} capped at ${rows}: ${rowsKey} gives one call of the model only ${rows} row${rows === 1 ? '' : 's'}`);
  if (workers > cores) notes.push(`${workers} threads on ${cores} cores: they share the cores`);
  if (workers > 0 && backend === 'tensorflow') notes.push('the tensorflow backend already uses every core in one thread; runtime.workers = 0 may be faster');
  return { workers, notes };
}

/** `2 worker threads` or `the main thread (runtime.workers = 0)`. */
export function describeWorkers(plan: WorkerPlan): string {
  if (plan.workers === 0) return 'the main thread (runtime.workers = 0)';
  return `${plan.workers} worker thread${plan.workers === 1 ? '' : 's'}`;
}
