// Request/response messages between the main thread and its workers. A request is {id, op, args}; the worker
// answers {id, ok: true, value} or {id, ok: false, error}. Requests to one worker run one after another.
//
// Two channels reach each worker: the worker's own port (asynchronous, for start-up and benchmarks) and a
// MessageChannel for synchronous calls: the main thread posts a request, blocks on an Atomics cell until the
// worker raises it, and takes the reply with receiveMessageOnPort. That lets `TrmModel.forwardBackward` (a
// synchronous API) run on the workers.
import { parentPort, workerData, type MessagePort, type Transferable } from 'node:worker_threads';

export interface Request {
  id: number;
  op: string;
  args: unknown;
}

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { message: string; stack?: string } };

/** What every pool worker receives as workerData. */
export interface PoolWorkerData {
  rank: number;
  /** the synchronous channel: replies go to `port`, then `signal[rank]` is set to 1 (2 = the worker exited) */
  port: MessagePort;
  signal: Int32Array;
  /** the pool user's data */
  data: unknown;
}

/** A handler's result; `transfer` lists buffers moved (not copied) to the main thread. */
export interface Answer {
  value: unknown;
  transfer?: Transferable[];
}

export type Handlers = Record<string, (args: any) => Answer | Promise<Answer>>;

/** Worker side: this worker's rank and the pool user's data. */
export function workerContext<T>(): { rank: number; data: T } {
  const wd = workerData as PoolWorkerData | undefined;
  if (!parentPort || !wd) throw new Error('workerContext: must run inside a WorkerPool worker');
  return { rank: wd.rank, data: wd.data as T };
}

async function answer(handlers: Handlers, request: Request): Promise<{ reply: Reply; transfer: Transferable[] }> {
  const handler = handlers[request.op];
  try {
    if (!handler) throw new Error(`unknown worker request "${request.op}" (known: ${Object.keys(handlers).join(', ')})`);
    const out = await handler(request.args);
    return { reply: { id: request.id, ok: true, value: out.value }, transfer: out.transfer ?? [] };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { reply: { id: request.id, ok: false, error: { message: e.message, stack: e.stack } }, transfer: [] };
  }
}

/** Worker side: serve `handlers` on both channels until the main thread terminates the worker. */
export function serveRequests(handlers: Handlers): void {
  const wd = workerData as PoolWorkerData | undefined;
  const port = parentPort;
  if (!port || !wd) throw new Error('serveRequests: must run inside a WorkerPool worker');
  // A worker that dies (uncaught error, process.exit) marks its cell 2, so that a main thread blocked in a
  // synchronous call notices at once instead of waiting for an answer that will never come.
  process.on('exit', () => {
    Atomics.store(wd.signal, wd.rank, 2);
    Atomics.notify(wd.signal, wd.rank);
  });
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (request: Request) => {
    queue = queue.then(async () => {
      const { reply, transfer } = await answer(handlers, request);
      port.postMessage(reply, transfer);
    });
  });
  wd.port.on('message', (request: Request) => {
    queue = queue.then(async () => {
      const { reply, transfer } = await answer(handlers, request);
      wd.port.postMessage(reply, transfer);
      Atomics.store(wd.signal, wd.rank, 1);
      Atomics.notify(wd.signal, wd.rank);
    });
  });
}
