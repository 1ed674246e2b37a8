// A TrmModel that runs forwardBackward/forward data-parallel on worker threads. The main thread keeps the
// authoritative weights (the trainer's optimizers update `params` and `puzzleEmb` as usual); every call
//   1. copies the params into shared memory, which each worker loads into its replica,
//   2. cuts the global batch into contiguous row ranges, one per worker, and sends each worker its rows (with
//      the puzzle-embedding rows they use, remapped to a small local table) and its slice of the ACT exploration
//      stream,
//   3. each worker runs the model on its rows, keeps its slice of the carry, writes its gradients into its slot
//      and the workers all-reduce them in shared memory (fixed slot order: deterministic for a given count),
//   4. the main thread returns the summed gradients, the concatenated per-row outputs and the summed metrics.
// Results equal a single model's up to the order of floating-point sums.
// With an optimizer attached (attachOptimizer, what createParallelTrainer does), the weights live in the workers
// instead: after the all-reduce each worker updates its own shard of the shared weight vector (AdamATan2 + EMA,
// optimizer state sharded), so step 1 publishes nothing and step 4 builds no gradient tensors; `params` and
// stateDict() copy the shared weights back into the main model only when read. The optimizer's step is deferred:
// it travels with the next forward/forwardBackward request (each worker updates its shard, then waits for the
// others, then loads the weights), or goes out on its own when anything reads the weights or the optimizer state
// first; either way the same arithmetic on the same values.
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@trm/augment';
import { assignFrom, createBarrierState, createReduceBuffers, readInto, type ReduceBuffers, type TensorDict } from '@trm/tensor-core';
import type { BackendName } from '@trm/tensor-node';
import { archDims, H_INIT, L_INIT } from '@trm/trm';
import { createModel } from '@trm/trm';
import type { ArchConfig, Batch, Carry, StepOutput, TrainOutput, TrmModel } from '@trm/trm';
import { paramLayout, type ParamLayout } from './layout.ts';
import { resolveWorkerCount, WorkerPool } from './pool.ts';
import type { ReplicaArgs, StepArgs, StepReply, ThreadMemory, UpdateArgs } from './protocol.ts';
import { effectiveIds, localIds, type LocalIds } from './puzzle-rows.ts';
import { createShardedOptimizer, type OptimizerSettings, type ShardedOptimizer } from './sharded-optimizer.ts';
import { advanceRng, splitRngStarts } from './rng-split.ts';
import { concat, rowRanges, sumMetrics } from '@trm/trm';
import { carryTensor } from './carry-tensor.ts';

export interface DataParallelOptions {
  /** worker threads (>= 1); default one per core */
  workers?: number;
  /** backend of every worker (default: $TRM_BACKEND, then auto) */
  backend?: BackendName;
  /** each worker runs its rows in chunks of at most this many (createMicroBatchedModel); 0 or absent = at once */
  microBatch?: number;
}

export interface DataParallelModel extends TrmModel {
  readonly workers: number;
  /**
   * timing of the last forward/forwardBackward (ms): the whole call; each worker's model call and all-reduce
   * (computeMs), and its model call alone (modelMs: the spread across workers is their load imbalance)
   */
  readonly lastTimings: { totalMs: number; computeMs: number[]; modelMs: number[] } | null;
  /** live tfjs tensors in each worker (a leak check) */
  workerTensorCounts(): number[];
  /** each worker's wasm heap, live tensor bytes and V8 heap (memory measurements) */
  workerMemory(): ThreadMemory[];
  /** a full GC in every worker (memory measurements); false when Node runs without --expose-gc */
  collectWorkerGarbage(): boolean;
  /**
   * Run AdamATan2 (and the EMA) in the workers, each on its shard of the parameters; from then on the shared
   * weights are authoritative: forwardBackward returns no dense gradients (they stay in the workers for the
   * returned optimizer's step), and weights change only through that step or loadStateDict (`params` and
   * stateDict() read them back). The optimizer's step runs in the workers at the front of the next forward or
   * forwardBackward (no request of its own), or before anything reads the weights or the optimizer state. Not for
   * a micro-batched wrapper, which needs the gradients. Once per model.
   */
  attachOptimizer(settings: OptimizerSettings): ShardedOptimizer;
  /** dispose() and wait for the worker threads to exit */
  close(): Promise<void>;
}

function rowsOf(batch: Batch, [a, b]: [number, number], S: number, ids: Int32Array): Batch {
  return { inputs: batch.inputs.slice(a * S, b * S), labels: batch.labels.slice(a * S, b * S), puzzleIdentifiers: ids };
}

export async function createDataParallelModel(arch: ArchConfig, seed: number, opts: DataParallelOptions = {}): Promise<DataParallelModel> {
  const world = resolveWorkerCount(opts.workers);
  const microBatch = opts.microBatch ?? 0;
  if (!Number.isInteger(microBatch) || microBatch < 0) throw new Error(`microBatch: expected an integer >= 0 (0 = no micro-batches), got ${microBatch}`);
  const pool = await WorkerPool.start(new URL('./worker.ts', import.meta.url), world, () => null);
  const main = createModel(arch, seed);
  const layout: ParamLayout = paramLayout(main.params);
  const shared = new Float32Array(new SharedArrayBuffer(layout.length * Float32Array.BYTES_PER_ELEMENT));
  const reduce: ReduceBuffers = createReduceBuffers(layout.length, world, createBarrierState());
  const S = arch.seq_len;
  const D = arch.hidden_size;
  const L = archDims(arch).totalLen;
  const ndim = arch.puzzle_emb_ndim;

  /** what a replica is built from: H_init and L_init of the main model's state dict, the shared buffers */
  const replicaArgs = (dict: TensorDict): ReplicaArgs =>
    ({ arch, seed, layout, weights: shared, reduce, microBatch, hInit: dict[H_INIT].data as Float32Array, lInit: dict[L_INIT].data as Float32Array });
  try {
    await pool.all('init', () => ({ backend: opts.backend ?? process.env.TRM_BACKEND ?? 'auto' }));
    const args = replicaArgs(main.stateDict());
    await pool.all('replica', () => args);
  } catch (err) {
    await pool.close();
    main.dispose();
    throw err;
  }

  /** the carry the workers hold (the last one this model returned) */
  let workerCarry: Carry | null = null;
  let z: { zH: Float32Array; zL: Float32Array } | null = null;
  /** replicas to rebuild before the next call (after loadStateDict: new H_init/L_init) */
  let pendingReplicas: ReplicaArgs | null = null;

  const sharedZ = (B: number) => {
    if (!z || z.zH.length !== B * L * D) {
      const make = () => new Float32Array(new SharedArrayBuffer(B * L * D * Float32Array.BYTES_PER_ELEMENT));
      z = { zH: make(), zL: make() };
    }
    return z;
  };

  /** who holds the newest weights: the main model (published before every call) or, once an optimizer is
   *  attached, the shared vector the workers update (`mainStale`: the main model has not read them back yet) */
  let workersOwnWeights = false;
  let mainStale = false;
  /** the attached optimizer's update not yet sent (it goes with the next step request, see flushUpdate) */
  let pendingUpdate: UpdateArgs | null = null;
  let sendUpdate: ((u: UpdateArgs) => void) | null = null;

  /** the deferred update as a request of its own, before anything that reads the weights or optimizer state */
  const flushUpdate = () => {
    if (!pendingUpdate) return;
    const u = pendingUpdate;
    pendingUpdate = null;
    sendUpdate!(u);
  };

  // both copy without JS intermediates (on wasm: straight between the heap and shared memory)
  const publishWeights = () => {
    for (const slot of layout.slots) readInto(main.params.get(slot.name)!, shared, slot.offset);
  };

  const readBackWeights = () => {
    flushUpdate();
    if (!mainStale) return;
    for (const slot of layout.slots) assignFrom(main.params.get(slot.name)!, shared.subarray(slot.offset, slot.offset + slot.size));
    mainStale = false;
  };

  /** [U, ndim] current rows of the main table for the given global ids */
  const puzzleRows = (unique: Int32Array): Float32Array => {
    if (!main.puzzleEmb || unique.length === 0) return new Float32Array(0);
    return tf.tidy(() => tf.gather(main.puzzleEmb!, tf.tensor1d(unique, 'int32')).dataSync() as Float32Array).slice();
  };

  const checkIds = (ids: Int32Array, what: string) => {
    for (let b = 0; b < ids.length; b++) {
      if (!(ids[b] >= 0 && ids[b] < arch.num_puzzle_identifiers)) {
        throw new Error(`${what}[${b}] = ${ids[b]} outside [0, ${arch.num_puzzle_identifiers}) (arch.num_puzzle_identifiers)`);
      }
    }
  };

  let lastTimings: DataParallelModel['lastTimings'] = null;
  const run = (mode: 'train' | 'eval', carry: Carry, batch: Batch, rng: Rng, lossScale: number, training: boolean, logits: boolean) => {
    const started = performance.now();
    const B = carry.halted.length;
    if (batch.inputs.length !== B * S || batch.labels.length !== B * S || batch.puzzleIdentifiers.length !== B) {
      throw new Error(`batch: expected ${B} rows of ${S} tokens (the carry's batch size), got ${batch.inputs.length} tokens, ${batch.labels.length} labels, ${batch.puzzleIdentifiers.length} ids`);
    }
    if (pendingReplicas) {
      const args = pendingReplicas;
      pendingReplicas = null;
      pool.allSync('replica', () => args);
      workerCarry = null;
    }
    const ranges = rowRanges(B, world);
    const zs = sharedZ(B);
    const loadCarry = carry !== workerCarry;
    if (loadCarry) {
      zs.zH.set(carry.zH.dataSync() as Float32Array);
      zs.zL.set(carry.zL.dataSync() as Float32Array);
    }
    if (!workersOwnWeights) publishWeights();
    const effective = effectiveIds(carry.halted, carry.data.puzzleIdentifiers, batch.puzzleIdentifiers);
    checkIds(effective, 'puzzleIdentifiers');
    const locals: LocalIds[] = ranges.map(([a, b]) => localIds(effective.subarray(a, b)));
    const starts = splitRngStarts(rng, ranges);
    const update = pendingUpdate;
    pendingUpdate = null;
    const args = (k: number): StepArgs => {
      const [a, b] = ranges[k];
      const ids = locals[k].local;
      return {
        mode,
        training,
        logits,
        lossScale,
        rng: starts[k],
        range: ranges[k],
        zH: zs.zH,
        zL: zs.zL,
        loadCarry,
        steps: carry.steps.slice(a, b),
        halted: carry.halted.slice(a, b),
        // Both get the rows' effective local ids: a carried row keeps its example and ignores the batch row, so
        // the batch row's id only has to be a valid slot; a halted row takes the batch row and its id.
        carried: rowsOf(carry.data, ranges[k], S, ids),
        batch: rowsOf(batch, ranges[k], S, ids),
        puzzleRows: puzzleRows(locals[k].unique),
        update,
      };
    };
    const replies = pool.allSync<StepReply>('step', args);
    advanceRng(rng, starts, replies.map((r) => r.rng), ranges);
    const toGlobal = (ids: Int32Array, k: number) => Int32Array.from(ids, (i) => locals[k].unique[i]);
    const metrics = sumMetrics(replies.map((r) => r.metrics));
    const halted = concat(replies.map((r) => r.halted), (n) => new Uint8Array(n));
    const next: Carry = {
      zH: carryTensor(zs.zH, B, L, D),
      zL: carryTensor(zs.zL, B, L, D),
      steps: concat(replies.map((r) => r.steps), (n) => new Int32Array(n)),
      halted,
      data: {
        inputs: concat(replies.map((r) => r.data.inputs), (n) => new Int32Array(n)),
        labels: concat(replies.map((r) => r.data.labels), (n) => new Int32Array(n)),
        puzzleIdentifiers: concat(replies.map((r, k) => toGlobal(r.data.puzzleIdentifiers, k)), (n) => new Int32Array(n)),
      },
    };
    workerCarry = next;
    const out: StepOutput = {
      carry: next,
      lossTotal: replies.reduce((acc, r) => acc + r.lossTotal, 0),
      metrics,
      preds: concat(replies.map((r) => r.preds), (n) => new Int32Array(n)),
      qHalt: concat(replies.map((r) => r.qHalt), (n) => new Float32Array(n)),
      qContinue: concat(replies.map((r) => r.qContinue), (n) => new Float32Array(n)),
      allHalted: halted.every((h) => h === 1),
      ...(logits ? { logits: concat(replies.map((r) => r.logits!), (n) => new Float32Array(n)) } : {}),
    };
    lastTimings = { totalMs: performance.now() - started, computeMs: replies.map((r) => r.computeMs), modelMs: replies.map((r) => r.modelMs) };
    return { out, replies, toGlobal };
  };

  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    workerCarry = null;
    main.dispose();
    void pool.close();
  };

  let optimizer: ShardedOptimizer | null = null;
  const attachOptimizer = (settings: OptimizerSettings): ShardedOptimizer => {
    if (optimizer) throw new Error('attachOptimizer: this data-parallel model already has an optimizer');
    if (!workersOwnWeights) publishWeights(); // the shards (and the EMA shadow) start from the current weights
    pool.allSync('optimizer', () => ({ weights: shared, sum: reduce.sum, barrier: reduce.barrier, world, ...settings }));
    workersOwnWeights = true;
    const sharded = createShardedOptimizer(pool, layout, settings);
    sendUpdate = (u) => sharded.step(u.lr, u.t);
    optimizer = {
      step(lr, t) {
        flushUpdate(); // a second update before the next step request (the same gradients) goes out on its own
        pendingUpdate = { lr, t };
        mainStale = true;
      },
      optimizerState() {
        flushUpdate();
        return sharded.optimizerState();
      },
      emaState() {
        flushUpdate();
        return sharded.emaState();
      },
      loadState(optim, ema) {
        flushUpdate();
        sharded.loadState(optim, ema);
      },
    };
    return optimizer;
  };

  return {
    arch,
    get params() {
      readBackWeights();
      return main.params;
    },
    puzzleEmb: main.puzzleEmb,
    workers: world,
    get lastTimings() {
      return lastTimings;
    },
    workerTensorCounts: () => pool.allSync<number>('numTensors', () => null),
    workerMemory: () => pool.allSync<ThreadMemory>('memory', () => null),
    collectWorkerGarbage: () => pool.allSync<boolean>('gc', () => null).every(Boolean),
    initialCarry: (batchSize) => main.initialCarry(batchSize),
    forward(carry, batch, o) {
      return run('eval', carry, batch, o.rng, 1, o.training, o.logits ?? false).out;
    },
    forwardBackward(carry, batch, o): TrainOutput {
      const started = performance.now();
      const { out, replies, toGlobal } = run('train', carry, batch, o.rng, o.lossScale, true, o.logits ?? false);
      const grads = new Map<string, tf.Tensor>();
      if (!workersOwnWeights) {
        for (const slot of layout.slots) grads.set(slot.name, tf.tensor(reduce.sum.slice(slot.offset, slot.offset + slot.size), slot.shape, 'float32'));
      }
      let puzzleEmbGrad: TrainOutput['puzzleEmbGrad'] = null;
      if (main.puzzleEmb) {
        const parts = replies.map((r, k) => (r.puzzleGrad ? { ids: toGlobal(r.puzzleGrad.ids, k), grad: r.puzzleGrad.grad } : null));
        const ids = concat(parts.map((p) => p?.ids ?? new Int32Array(0)), (n) => new Int32Array(n));
        const rows = concat(parts.map((p) => p?.grad ?? new Float32Array(0)), (n) => new Float32Array(n));
        if (ids.length > 0) puzzleEmbGrad = { ids, grad: tf.tensor2d(rows, [ids.length, ndim]) };
      }
      lastTimings!.totalMs = performance.now() - started; // including the gradient tensors
      return { ...out, grads, puzzleEmbGrad };
    },
    stateDict() {
      readBackWeights();
      return main.stateDict();
    },
    loadStateDict(dict) {
      readBackWeights(); // a partial dict keeps the other weights
      main.loadStateDict(dict);
      if (workersOwnWeights) publishWeights();
      pendingReplicas = replicaArgs(main.stateDict());
    },
    attachOptimizer,
    parameterCount: () => main.parameterCount(),
    dispose,
    async close() {
      dispose();
      await pool.close();
    },
  };
}
