// A fixed set of worker threads running the same TypeScript entry, addressed by rank 0..size-1.
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Transferable, type Worker } from 'node:worker_threads';
import type { PoolWorkerData, Reply } from './rpc.ts';
import { spawnWorker, workerEntry, type WorkerEntry } from './spawn.ts';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** Worker threads to use: `workers` if given (an integer >= 1), else one per core. */
export function resolveWorkerCount(workers: number | undefined): number {
  if (workers === undefined) return availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) {
    throw new Error(`workers must be an integer >= 1 (or left out for one per core), got ${workers}; train in-process with createTrainer instead of 0 workers`);
  }
  return workers;
}

function replyValue<T>(rank: number, reply: Reply): T {
  if (reply.ok) return reply.value as T;
  const err = new Error(`worker ${rank}: ${reply.error.message}`);
  if (reply.error.stack) err.stack = `${err.message}\n(worker stack) ${reply.error.stack}`;
  throw err;
}

export class WorkerPool {
  private readonly workers: Worker[];
  private readonly pending: Map<number, Pending>[];
  private readonly syncPorts: MessagePort[] = [];
  private readonly signal: Int32Array;
  private nextId = 1;
  private failure: Error | null = null;
  private closed = false;

  /** `size` workers running the TypeScript module `entry` (bundled first, see spawn.ts). */
  static async start(entry: URL, size: number, workerData: (rank: number) => unknown): Promise<WorkerPool> {
    return new WorkerPool(await workerEntry(entry), size, workerData);
  }

  private constructor(entry: WorkerEntry, size: number, workerData: (rank: number) => unknown) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`WorkerPool: size must be a positive integer, got ${size}`);
    this.pending = Array.from({ length: size }, () => new Map<number, Pending>());
    this.signal = new Int32Array(new SharedArrayBuffer(size * Int32Array.BYTES_PER_ELEMENT));
    this.workers = Array.from({ length: size }, (_, rank) => {
      const channel = new MessageChannel();
      this.syncPorts.push(channel.port1);
      const data: PoolWorkerData = { rank, port: channel.port2, signal: this.signal, data: workerData(rank) };
      const worker = spawnWorker(entry, data, [channel.port2]);
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

  /**
   * Send `op` to every worker and block this thread until all have answered (answers in rank order). The
   * workers run concurrently; `transfer(rank)` lists buffers to move rather than copy.
   */
  allSync<T>(op: string, args: (rank: number) => unknown, transfer: (rank: number) => Transferable[] = () => [], timeoutMs = 3_600_000): T[] {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error(`WorkerPool: "${op}" after close()`);
    const ids = this.workers.map((_, rank) => {
      const id = this.nextId++;
      Atomics.store(this.signal, rank, 0);
      this.syncPorts[rank].postMessage({ id, op, args: args(rank) }, transfer(rank));
      return id;
    });
    const replies = ids.map((id, rank) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = receiveMessageOnPort(this.syncPorts[rank]);
        if (got) {
          const reply = got.message as Reply;
          if (reply.id !== id) throw new Error(`WorkerPool: worker ${rank} answered request ${reply.id}, expected ${id}`);
          return reply;
        }
        if (Atomics.load(this.signal, rank) === 2) throw new Error(`WorkerPool: worker ${rank} exited while running "${op}"`);
        // Wake up now and then: a failure reported through events, or the overall deadline.
        if (Atomics.wait(this.signal, rank, 0, 1000) === 'timed-out') {
          if (this.failure) throw this.failure;
          if (Date.now() > deadline) throw new Error(`WorkerPool: worker ${rank} did not answer "${op}" within ${timeoutMs} ms`);
        }
        Atomics.compareExchange(this.signal, rank, 1, 0);
      }
    });
    return replies.map((reply, rank) => replyValue<T>(rank, reply));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const port of this.syncPorts) port.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private settle(rank: number, reply: Reply): void {
    const p = this.pending[rank].get(reply.id);
    if (!p) return;
    this.pending[rank].delete(reply.id);
    try {
      p.resolve(replyValue(rank, reply));
    } catch (err) {
      p.reject(err as Error);
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
