// Entry of a data-parallel worker thread: its own tfjs backend (one wasm instance per thread) and, once loaded,
// its own model replica. The main thread drives it through `WorkerPool` requests.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients'; // bundled (GRADIENT_MODULE): no @tensorflow/tfjs here
import { getHeapStatistics } from 'node:v8';
import { threadId } from 'node:worker_threads';
import type { Precision } from '@trm/tensor-core';
import { initBackend, type BackendName } from '@trm/tensor-node';
import { createOptimizerShard, type OptimizerShard } from './optimizer-shard.ts';
import type { OptimizerShardArgs, ReplicaArgs, ShardPart, ShardState, StepArgs, ThreadMemory, UpdateArgs } from './protocol.ts';
import { createReplica, type Replica } from './replica.ts';
import { serveRequests, workerContext } from './rpc.ts';

export interface InitArgs {
  backend: BackendName;
  precision: Precision;
}

export interface InitInfo {
  backend: string;
  threadId: number;
}

/** This thread's memory: its wasm heap (grows, never shrinks), live tfjs bytes and its V8 heap. */
function threadMemory(): ThreadMemory {
  const started = Boolean(tf.getBackend()); // (no backend before init)
  const heap = started ? (tf.backend() as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8 : undefined;
  const v8 = getHeapStatistics();
  return { wasmHeapBytes: heap?.byteLength ?? null, tensorBytes: started ? tf.memory().numBytes : 0, v8HeapUsedBytes: v8.used_heap_size, v8HeapTotalBytes: v8.total_heap_size };
}

const { rank } = workerContext<null>();
let replica: Replica | null = null;
let optimizer: OptimizerShard | null = null;

function shard(): OptimizerShard {
  if (!optimizer) throw new Error('optimizer request before "optimizer" (no optimizer attached)');
  return optimizer;
}

serveRequests({
  async init({ backend, precision }: InitArgs) {
    const info = await initBackend(backend, { precision });
    return { value: { backend: info.name, threadId } satisfies InitInfo };
  },
  replica(args: ReplicaArgs) {
    replica?.dispose();
    replica = createReplica(args);
    return { value: null };
  },
  step(args: StepArgs) {
    if (!replica) throw new Error('step before replica');
    // the previous step's deferred optimizer update; a worker whose update fails still runs the step (its peers
    // wait for it in the all-reduce), then reports the failure
    let failure: unknown = null;
    try {
      if (args.update) shard().updateBeforeStep(args.update);
    } catch (err) {
      failure = err;
    }
    const value = replica.step(args, rank);
    if (failure) throw failure;
    return { value };
  },
  optimizer(args: OptimizerShardArgs) {
    optimizer = createOptimizerShard(args, rank);
    return { value: null };
  },
  update(args: UpdateArgs) {
    shard().update(args);
    return { value: null };
  },
  optimizerState({ parts }: { parts: ShardPart[] }) {
    const state = shard().state(parts);
    const buffers = Object.values(state).flatMap((a) => (a ? [a.buffer as ArrayBuffer] : []));
    return { value: state, transfer: buffers };
  },
  loadOptimizerState(state: ShardState) {
    shard().load(state);
    return { value: null };
  },
  numTensors() {
    return { value: tf.memory().numTensors };
  },
  memory() {
    return { value: threadMemory() };
  },
  gc() {
    // a full collection of this thread's JS heap, when Node runs with --expose-gc (memory benchmarks)
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    return { value: gc !== undefined };
  },
});
