// The main thread's side of the workers' model replicas: one step of the ACT model split across `world` worker
// threads. For every step
//   1. the global batch is cut into contiguous row ranges, one per worker; each worker gets its rows (with the
//      puzzle-embedding rows they use, remapped to a small local table) and its slice of the ACT exploration stream,
//   2. each worker loads the weights from the shared weight vector (what publishWeights wrote, or what the workers'
//      optimizer shards updated), runs its rows and keeps its slice of the carry,
//   3. in training the workers all-reduce their gradients in shared memory (fixed order: deterministic for a given
//      worker count), where they stay (`gradients`),
//   4. the per-row outputs are joined in row order and the metrics summed.
// Results equal a single model's up to the order of floating-point sums.
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@trm/augment';
import { assignFrom, createBarrierState, createReduceBuffers, precision, readInto, type Precision, type ReduceBuffers } from '@trm/tensor-core';
import type { BackendName } from '@trm/tensor-node';
import { archDims, concat, rowRanges, sumMetrics, type ArchConfig, type Batch, type Carry, type StepOutput } from '@trm/trm';
import { carryTensor } from './carry-tensor.ts';
import { paramLayout, type ParamLayout } from './layout.ts';
import { resolveWorkerCount, WorkerPool } from './pool.ts';
import type { ReplicaArgs, StepArgs, StepReply, ThreadMemory, UpdateArgs } from './protocol.ts';
import { effectiveIds, localIds, type LocalIds } from './puzzle-rows.ts';
import { advanceRng, splitRngStarts } from './rng-split.ts';

export interface ReplicaOptions {
  /** worker threads (>= 1); default one per core */
  workers?: number;
  /** backend of every worker (default: $TRM_BACKEND, then auto) */
  backend?: BackendName;
  /** precision of every worker's model math (default: this thread's, as initBackend set it) */
  precision?: Precision;
  /** each worker runs its rows in chunks of at most this many (createMicroBatchedModel); 0 or absent = at once */
  microBatch?: number;
}

export interface StepRequest {
  mode: 'train' | 'eval';
  carry: Carry;
  batch: Batch;
  rng: Rng;
  lossScale: number;
  /** forward's training flag (halting mode) */
  training: boolean;
  /** return the logits */
  logits: boolean;
  /** the table whose rows the workers use for the puzzle embedding (the main model's), or null */
  puzzleEmb: tf.Tensor | null;
  /** an optimizer update deferred to this request (ZeRO-1): every worker applies it to its shard, waits for the
   *  others, then loads the weights */
  update: UpdateArgs | null;
}

export interface StepResult {
  out: StepOutput;
  /** train mode: the puzzle-embedding gradient rows (global ids, [rows, puzzle_emb_ndim]) */
  puzzleGrad: { ids: Int32Array; grad: Float32Array } | null;
}

/** What the workers measure, for benchmarks and leak checks. */
export interface ReplicaDiagnostics {
  /**
   * timing of the last step (ms): the whole call; each worker's model call and all-reduce (computeMs), and its model
   * call alone (modelMs: the spread across workers is their load imbalance)
   */
  readonly lastTimings: { totalMs: number; computeMs: number[]; modelMs: number[] } | null;
  /** live tfjs tensors in each worker */
  tensorCounts(): number[];
  /** each worker's wasm heap, live tensor bytes and V8 heap */
  memory(): ThreadMemory[];
  /** a full GC in every worker; false when Node runs without --expose-gc */
  collectGarbage(): boolean;
}

export interface ReplicaGroup {
  readonly world: number;
  readonly layout: ParamLayout;
  readonly pool: WorkerPool;
  /** the shared weight vector every replica loads at each step */
  readonly weights: Float32Array;
  /** the summed gradients of the last train step (shared memory; valid until the next step) */
  readonly gradients: Float32Array;
  readonly barrier: Int32Array;
  /** copy params into the shared weight vector (no JS intermediates: on wasm straight from the heap) */
  publishWeights(params: Map<string, tf.Tensor>): void;
  /** copy the shared weight vector into params */
  readWeights(params: Map<string, tf.Variable>): void;
  /** rebuild the replicas before the next step (new H_init / L_init) */
  rebuild(hInit: Float32Array, lInit: Float32Array): void;
  step(req: StepRequest): StepResult;
  readonly diagnostics: ReplicaDiagnostics;
  close(): Promise<void>;
}

function rowsOf(batch: Batch, [a, b]: [number, number], S: number, ids: Int32Array): Batch {
  return { inputs: batch.inputs.slice(a * S, b * S), labels: batch.labels.slice(a * S, b * S), puzzleIdentifiers: ids };
}

/** Start `opts.workers` threads with a replica each, of the model whose params and H_init/L_init are given. */
export async function createReplicaGroup(arch: ArchConfig, seed: number, params: Map<string, tf.Tensor>, init: { hInit: Float32Array; lInit: Float32Array }, opts: ReplicaOptions = {}): Promise<ReplicaGroup> {
  const world = resolveWorkerCount(opts.workers);
  const microBatch = opts.microBatch ?? 0;
  if (!Number.isInteger(microBatch) || microBatch < 0) throw new Error(`microBatch: expected an integer >= 0 (0 = no micro-batches), got ${microBatch}`);
  const layout = paramLayout(params);
  const weights = new Float32Array(new SharedArrayBuffer(layout.length * Float32Array.BYTES_PER_ELEMENT));
  const reduce: ReduceBuffers = createReduceBuffers(layout.length, world, createBarrierState());
  const replicaArgs = (hInit: Float32Array, lInit: Float32Array): ReplicaArgs => ({ arch, seed, layout, weights, reduce, microBatch, hInit, lInit });
  const pool = await WorkerPool.start(new URL('./worker.ts', import.meta.url), world, () => null);
  try {
    await pool.all('init', () => ({ backend: opts.backend ?? process.env.TRM_BACKEND ?? 'auto', precision: opts.precision ?? precision() }));
    const args = replicaArgs(init.hInit, init.lInit);
    await pool.all('replica', () => args);
  } catch (err) {
    await pool.close();
    throw err;
  }
  const S = arch.seq_len;
  const D = arch.hidden_size;
  const L = archDims(arch).totalLen;

  /** the carry the workers hold (the last one a step returned) */
  let workerCarry: Carry | null = null;
  let z: { zH: Float32Array; zL: Float32Array } | null = null;
  /** replicas to rebuild before the next step */
  let pendingReplicas: ReplicaArgs | null = null;
  let lastTimings: ReplicaDiagnostics['lastTimings'] = null;

  const sharedZ = (B: number) => {
    if (!z || z.zH.length !== B * L * D) {
      const make = () => new Float32Array(new SharedArrayBuffer(B * L * D * Float32Array.BYTES_PER_ELEMENT));
      z = { zH: make(), zL: make() };
    }
    return z;
  };

  /** [U, ndim] current rows of the table for the given global ids */
  const puzzleRows = (table: tf.Tensor | null, unique: Int32Array): Float32Array => {
    if (!table || unique.length === 0) return new Float32Array(0);
    return tf.tidy(() => tf.gather(table, tf.tensor1d(unique, 'int32')).dataSync() as Float32Array).slice();
  };

  const checkIds = (ids: Int32Array) => {
    for (let b = 0; b < ids.length; b++) {
      if (!(ids[b] >= 0 && ids[b] < arch.num_puzzle_identifiers)) {
        throw new Error(`puzzleIdentifiers[${b}] = ${ids[b]} outside [0, ${arch.num_puzzle_identifiers}) (arch.num_puzzle_identifiers)`);
      }
    }
  };

  const step = (req: StepRequest): StepResult => {
    const started = performance.now();
    const { carry, batch } = req;
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
    const effective = effectiveIds(carry.halted, carry.data.puzzleIdentifiers, batch.puzzleIdentifiers);
    checkIds(effective);
    const locals: LocalIds[] = ranges.map(([a, b]) => localIds(effective.subarray(a, b)));
    const starts = splitRngStarts(req.rng, ranges);
    const args = (k: number): StepArgs => {
      const [a, b] = ranges[k];
      const ids = locals[k].local;
      return {
        mode: req.mode,
        training: req.training,
        logits: req.logits,
        lossScale: req.lossScale,
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
        puzzleRows: puzzleRows(req.puzzleEmb, locals[k].unique),
        update: req.update,
      };
    };
    const replies = pool.allSync<StepReply>('step', args);
    advanceRng(req.rng, starts, replies.map((r) => r.rng), ranges);
    const toGlobal = (ids: Int32Array, k: number) => Int32Array.from(ids, (i) => locals[k].unique[i]);
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
      metrics: sumMetrics(replies.map((r) => r.metrics)),
      preds: concat(replies.map((r) => r.preds), (n) => new Int32Array(n)),
      qHalt: concat(replies.map((r) => r.qHalt), (n) => new Float32Array(n)),
      qContinue: concat(replies.map((r) => r.qContinue), (n) => new Float32Array(n)),
      allHalted: halted.every((h) => h === 1),
      ...(req.logits ? { logits: concat(replies.map((r) => r.logits!), (n) => new Float32Array(n)) } : {}),
    };
    let puzzleGrad: StepResult['puzzleGrad'] = null;
    if (req.mode === 'train' && req.puzzleEmb) {
      const parts = replies.map((r, k) => (r.puzzleGrad ? { ids: toGlobal(r.puzzleGrad.ids, k), grad: r.puzzleGrad.grad } : null));
      const ids = concat(parts.map((p) => p?.ids ?? new Int32Array(0)), (n) => new Int32Array(n));
      if (ids.length > 0) puzzleGrad = { ids, grad: concat(parts.map((p) => p?.grad ?? new Float32Array(0)), (n) => new Float32Array(n)) };
    }
    lastTimings = { totalMs: performance.now() - started, computeMs: replies.map((r) => r.computeMs), modelMs: replies.map((r) => r.modelMs) };
    return { out, puzzleGrad };
  };

  return {
    world,
    layout,
    pool,
    weights,
    gradients: reduce.sum,
    barrier: reduce.barrier,
    publishWeights(params) {
      for (const slot of layout.slots) readInto(params.get(slot.name)!, weights, slot.offset);
    },
    readWeights(params) {
      for (const slot of layout.slots) assignFrom(params.get(slot.name)!, weights.subarray(slot.offset, slot.offset + slot.size));
    },
    rebuild(hInit, lInit) {
      pendingReplicas = replicaArgs(hInit, lInit);
    },
    step,
    diagnostics: {
      get lastTimings() {
        return lastTimings;
      },
      tensorCounts: () => pool.allSync<number>('numTensors', () => null),
      memory: () => pool.allSync<ThreadMemory>('memory', () => null),
      collectGarbage: () => pool.allSync<boolean>('gc', () => null).every(Boolean),
    },
    async close() {
      workerCarry = null;
      await pool.close();
    },
  };
}
