// A fixed set of worker threads running the same TypeScript entry, addressed by rank 0..size-1.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Reply } from './rpc.ts';
import { spawnTsWorker } from './spawn.ts';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** `runtime.workers`: 0 (or undefined) means one worker per core. */
export function resolveWorkerCount(workers: number | undefined): number {
  if (workers === undefined || workers === 0) return availableParallelism();
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`runtime.workers must be a non-negative integer (0 = one per core), got ${workers}`);
  return workers;
}

export class WorkerPool {
  private readonly workers: Worker[];
  private readonly pending: Map<number, Pending>[];
  private nextId = 1;
  private failure: Error | null = null;
  private closed = false;

  constructor(entry: URL, size: number, workerData: (rank: number) => unknown) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`WorkerPool: size must be a positive integer, got ${size}`);
    this.pending = Array.from({ length: size }, () => new Map<number, Pending>());
    this.workers = Array.from({ length: size }, (_, rank) => {
      const worker = spawnTsWorker(entry, workerData(rank));
      worker.on('message', (reply: Reply) => this.settle(rank, reply));
      worker.on('error', (err) => this.fail(rank, err));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(rank, new Error(`exited with code ${code}`));
      });
      return worker;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Send one request to worker `rank`. */
  call<T>(rank: number, op: string, args: unknown = null): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error(`WorkerPool: "${op}" after close()`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending[rank].set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.workers[rank].postMessage({ id, op, args });
    });
  }

  /** Send `op` to every worker (args per rank) and wait for all answers, in rank order. */
  all<T>(op: string, args: (rank: number) => unknown = () => null): Promise<T[]> {
    return Promise.all(this.workers.map((_, rank) => this.call<T>(rank, op, args(rank))));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private settle(rank: number, reply: Reply): void {
    const p = this.pending[rank].get(reply.id);
    if (!p) return;
    this.pending[rank].delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else {
      const err = new Error(`worker ${rank}: ${reply.error.message}`);
      if (reply.error.stack) err.stack = `${err.message}\n(worker stack) ${reply.error.stack}`;
      p.reject(err);
    }
  }

  /** A crashed worker fails every outstanding and future request (the others may be blocked on a barrier). */
  private fail(rank: number, cause: Error): void {
    this.failure ??= new Error(`worker ${rank} failed: ${cause.message}`);
    for (const pending of this.pending) {
      for (const p of pending.values()) p.reject(this.failure);
      pending.clear();
    }
    void this.close(); // also frees peers blocked on a shared-memory barrier
  }
}
