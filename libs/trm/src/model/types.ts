// Public types of the TRM model (spec sections 2-4). Names follow the reference config and state dict.
import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@trm/augment';
import type { TensorDict } from '@trm/tensor-core';
import type { ArchConfig } from '@trm/trm-config';

export type { ArchConfig } from '@trm/trm-config';

/** One batch as the model consumes it. */
export interface Batch {
  /** [B*S] token ids */
  inputs: Int32Array;
  /** [B*S] token ids, IGNORE_LABEL (-100) = no label */
  labels: Int32Array;
  /** [B] */
  puzzleIdentifiers: Int32Array;
}

/**
 * The ACT carry. It owns zH and zL: whoever receives a carry from `forward`/`forwardBackward` must dispose the
 * previous carry's tensors (the model never disposes a carry passed in) — use `disposeCarry`.
 */
export interface Carry {
  /** [B, S+P0, D] */
  zH: tf.Tensor3D;
  /** [B, S+P0, D] */
  zL: tf.Tensor3D;
  /** [B] supervision steps taken by the current example */
  steps: Int32Array;
  /** [B] 1 = halted (reset and take the next example on the next call) */
  halted: Uint8Array;
  /** the example each row is working on */
  data: Batch;
}

/** Metrics of one call, as SUMS over rows halted this call with at least one label (as the reference). */
export interface StepMetrics {
  count: number;
  accuracy: number;
  exact_accuracy: number;
  q_halt_accuracy: number;
  steps: number;
  lm_loss: number;
  q_halt_loss: number;
}

export interface StepOutput {
  /** the new carry (owns new tensors) */
  carry: Carry;
  /** lm_loss + 0.5 * q_halt_loss (float64) */
  lossTotal: number;
  metrics: StepMetrics;
  /** [B*S] argmax of the logits */
  preds: Int32Array;
  /** [B] */
  qHalt: Float32Array;
  /** [B] */
  qContinue: Float32Array;
  allHalted: boolean;
  /** [B*S*V] logits (float32), only when the call asked for them (`logits: true`, the reference's return_keys) */
  logits?: Float32Array;
}

export interface TrainOutput extends StepOutput {
  /** gradient of lossScale*lossTotal for every name of `params`; the caller disposes them */
  grads: Map<string, tf.Tensor>;
  /** gradient w.r.t. the rows of puzzle_emb.weights used by the batch (one row per batch row, ids may repeat); caller disposes */
  puzzleEmbGrad: { ids: Int32Array; grad: tf.Tensor2D } | null;
}

export interface TrmModel {
  readonly arch: ArchConfig;
  /** trained by AdamATan2; full reference state-dict names, e.g. `model.inner.lm_head.weight` */
  readonly params: Map<string, tf.Variable>;
  /** model.inner.puzzle_emb.weights [num_puzzle_identifiers, puzzle_emb_ndim], trained by sparse sign-SGD */
  readonly puzzleEmb: tf.Variable | null;
  /** every row halted; z filled with H_init/L_init */
  initialCarry(batchSize: number): Carry;
  /** one ACT step without gradients (act.ts); `logits: true` also returns the logits */
  forward(carry: Carry, batch: Batch, opts: { training: boolean; rng: Rng; logits?: boolean }): StepOutput;
  /**
   * `forward` with its reads of device memory awaited (act.ts's actStepAsync), for backends whose synchronous reads
   * fail (WebGPU in some browsers); the same results. createModel's models have it; wrappers (data-parallel,
   * micro-batched) may not.
   */
  forwardAsync?(carry: Carry, batch: Batch, opts: { training: boolean; rng: Rng; logits?: boolean }): Promise<StepOutput>;
  /**
   * One ACT step with gradients of lossScale*lossTotal: training mode unless `training: false` (eval-mode halting,
   * no puzzle-embedding gradient; used by the parity test). Only the last H cycle is differentiated.
   */
  forwardBackward(carry: Carry, batch: Batch, opts: { rng: Rng; lossScale: number; training?: boolean; logits?: boolean }): TrainOutput;
  /** reference names, including H_init, L_init and puzzle_emb.weights */
  stateDict(): TensorDict;
  /** accepts reference names with or without the `_orig_mod.` prefix; checks shapes */
  loadStateDict(dict: TensorDict): void;
  parameterCount(): { model: number; puzzleEmb: number };
  dispose(): void;
}
