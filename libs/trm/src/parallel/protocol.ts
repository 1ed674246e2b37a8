// The messages of a data-parallel step between the main thread and a replica worker.
import type { ReduceBuffers } from '@trm/tensor-core';
import type { ArchConfig, Batch, StepMetrics } from '../model/types.ts';
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
}

export interface StepArgs {
  mode: 'train' | 'eval';
  /** forward's `training` flag (eval mode) */
  training: boolean;
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
}

export interface StepReply {
  lossTotal: number;
  metrics: StepMetrics;
  preds: Int32Array;
  qHalt: Float32Array;
  qContinue: Float32Array;
  logits: Float32Array;
  steps: Int32Array;
  halted: Uint8Array;
  /** the new carry's example data, puzzle ids local */
  data: Batch;
  /** train mode: local ids and [rows, puzzle_emb_ndim] gradient rows */
  puzzleGrad: { ids: Int32Array; grad: Float32Array } | null;
  rng: RngState;
  /** time this worker spent in the model call and its gradient export (ms) */
  computeMs: number;
}
