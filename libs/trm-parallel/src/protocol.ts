// The messages of a data-parallel step between the main thread and a replica worker.
import type { ReduceBuffers } from '@trm/tensor-core';
import type { ArchConfig, Batch, StepMetrics } from '@trm/trm';
import type { ParamLayout } from './layout.ts';
import type { RngState } from './rng-split.ts';

export interface ReplicaArgs {
  arch: ArchConfig;
  seed: number;
  layout: ParamLayout;
  /** main-thread weights, written by the main thread before every step */
  weights: Float32Array;
  /** gradient slots and their sum */
  reduce: ReduceBuffers;
  /** H_init and L_init of the main model (every worker uses the same) */
  hInit: Float32Array;
  lInit: Float32Array;
  /** rows per forward/backward chunk in the worker (0 = all its rows at once) */
  microBatch: number;
}

export interface StepArgs {
  mode: 'train' | 'eval';
  /** forward's `training` flag (eval mode) */
  training: boolean;
  /** return the logits */
  logits: boolean;
  lossScale: number;
  rng: RngState;
  /** this worker's rows [start, end) of the global batch */
  range: [number, number];
  /** the global carry's z tensors, [B, L, D] each; rows of this worker are read when `loadCarry`, always written */
  zH: Float32Array;
  zL: Float32Array;
  /** true: take z from zH/zL; false: keep the worker's own carry of the previous step */
  loadCarry: boolean;
  /** the carry's host part for these rows, puzzle ids already local */
  steps: Int32Array;
  halted: Uint8Array;
  carried: Batch;
  /** the incoming batch's rows, puzzle ids local */
  batch: Batch;
  /** [U, puzzle_emb_ndim] rows of the puzzle-embedding table, local slot order (empty without puzzle embeddings) */
  puzzleRows: Float32Array;
  /** the optimizer update of the previous step, deferred to this request (one round trip per step, not two): every
   *  worker applies it to its shard, then waits for the others, before its replica loads the weights */
  update: UpdateArgs | null;
}

export interface StepReply {
  lossTotal: number;
  metrics: StepMetrics;
  preds: Int32Array;
  qHalt: Float32Array;
  qContinue: Float32Array;
  /** only when the step asked for them */
  logits?: Float32Array;
  steps: Int32Array;
  halted: Uint8Array;
  /** the new carry's example data, puzzle ids local */
  data: Batch;
  /** train mode: local ids and [rows, puzzle_emb_ndim] gradient rows */
  puzzleGrad: { ids: Int32Array; grad: Float32Array } | null;
  rng: RngState;
  /** time this worker spent in the model call and its gradient export, the all-reduce included (ms) */
  computeMs: number;
  /** the model call alone (forward, or forward and backward), before the all-reduce (ms) */
  modelMs: number;
}

/** Start a worker's optimizer shard: AdamATan2 (+ EMA) on its chunk of the flat parameter vector. */
export interface OptimizerShardArgs {
  /** the shared weights (the workers' authoritative copy once an optimizer is attached) */
  weights: Float32Array;
  /** the summed gradients of the last step (ReduceBuffers.sum) */
  sum: Float32Array;
  /** the all-reduce's barrier (ReduceBuffers.barrier): a deferred update waits on it for the other shards */
  barrier: Int32Array;
  world: number;
  betas: [number, number];
  weightDecay: number;
  /** EMA rate, null = no EMA */
  emaRate: number | null;
}

export interface UpdateArgs {
  lr: number;
  /** update number (1-based), AdamATan2's bias correction */
  t: number;
}

/** One worker's shard of the optimizer state: AdamATan2 moments and the EMA shadow (null without EMA). */
export interface ShardState {
  expAvg: Float32Array;
  expAvgSq: Float32Array;
  ema: Float32Array | null;
}

/** The parts of a shard's state one `optimizerState` request copies out (a checkpoint wants the moments and the
 *  shadow, evaluation weights only the shadow): copies of the others would be garbage of the size of the model. */
export type ShardPart = keyof ShardState;

/** A worker thread's memory (the `memory` request). */
export interface ThreadMemory {
  /** the tfjs-wasm heap (null on another backend) */
  wasmHeapBytes: number | null;
  /** bytes of live tfjs tensors */
  tensorBytes: number;
  v8HeapUsedBytes: number;
  v8HeapTotalBytes: number;
}
