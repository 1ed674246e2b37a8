// Start a worker thread on a TypeScript entry. The entry runs as a plain-JS bundle (bundleWorkerEntry), not through
// tsx hooks in the worker: those cost ~100 MB of RSS per worker thread.
import { Worker, type Transferable } from 'node:worker_threads';
import { bundleWorkerEntry } from '@trm/tensor-node';

/** What spawnWorker starts: a bundled worker entry. */
export interface WorkerEntry {
  /** the TypeScript entry */
  source: URL;
  /** its bundle */
  bundle: URL;
}

export async function workerEntry(source: URL): Promise<WorkerEntry> {
  return { source, bundle: await bundleWorkerEntry(source) };
}

/**
 * V8's young generation of a worker (MB). The default (~48 MB, sized for allocation-heavy JS) stays mostly
 * committed in every thread; a worker's JS allocates little (its tensors live in the wasm heap). Measured on
 * config e, 2 workers: peak RSS 1413-1431 MB by default, 1377-1394 MB with 3, 6 or 12 MB, CPU per step unchanged.
 */
const WORKER_YOUNG_GENERATION_MB = 8;

export function spawnWorker(entry: WorkerEntry, workerData: unknown, transferList: Transferable[] = []): Worker {
  return new Worker(entry.bundle, { workerData, transferList: transferList as never, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
}
