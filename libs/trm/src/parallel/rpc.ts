// Request/response messages between the main thread and its workers. A request is {id, op, args}; the worker
// answers {id, ok: true, value} or {id, ok: false, error}. Requests to one worker run one after another.
import { parentPort, type Transferable } from 'node:worker_threads';

export interface Request {
  id: number;
  op: string;
  args: unknown;
}

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { message: string; stack?: string } };

/** A handler's result; `transfer` lists buffers moved (not copied) to the main thread. */
export interface Answer {
  value: unknown;
  transfer?: Transferable[];
}

export type Handlers = Record<string, (args: any) => Answer | Promise<Answer>>;

/** Worker side: serve `handlers` until the main thread terminates the worker. */
export function serveRequests(handlers: Handlers): void {
  const port = parentPort;
  if (!port) throw new Error('serveRequests: must run inside a worker thread');
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (request: Request) => {
    queue = queue.then(async () => {
      const handler = handlers[request.op];
      try {
        if (!handler) throw new Error(`unknown worker request "${request.op}" (known: ${Object.keys(handlers).join(', ')})`);
        const answer = await handler(request.args);
        port.postMessage({ id: request.id, ok: true, value: answer.value } satisfies Reply, answer.transfer ?? []);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        port.postMessage({ id: request.id, ok: false, error: { message: e.message, stack: e.stack } } satisfies Reply);
      }
    });
  });
}
