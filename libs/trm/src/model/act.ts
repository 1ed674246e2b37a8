// The ACT carry: resetting halted rows and deciding who halts (spec section 4).
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@trm/augment';
import type { ArchConfig, Batch, Carry } from './types.ts';

export interface Prepared {
  /** [B, S', D], new tensors owned by the caller */
  zH: tf.Tensor3D;
  zL: tf.Tensor3D;
  /** steps before this call (0 for reset rows) */
  steps: Int32Array;
  data: Batch;
}

function checkBatch(batch: Batch, B: number, S: number, what: string): void {
  if (batch.inputs.length !== B * S) throw new Error(`${what}.inputs: expected ${B}*${S} = ${B * S} tokens, got ${batch.inputs.length}`);
  if (batch.labels.length !== B * S) throw new Error(`${what}.labels: expected ${B * S} labels, got ${batch.labels.length}`);
  if (batch.puzzleIdentifiers.length !== B) throw new Error(`${what}.puzzleIdentifiers: expected ${B} ids, got ${batch.puzzleIdentifiers.length}`);
}

/** Halted rows go back to H_init/L_init, step 0 and the batch's example; the others keep theirs. */
export function resetCarry(carry: Carry, batch: Batch, hInit: tf.Tensor1D, lInit: tf.Tensor1D, seqLen: number): Prepared {
  const B = carry.halted.length;
  checkBatch(batch, B, seqLen, 'batch');
  const S = seqLen;
  const data: Batch = {
    inputs: carry.data.inputs.slice(),
    labels: carry.data.labels.slice(),
    puzzleIdentifiers: carry.data.puzzleIdentifiers.slice(),
  };
  const steps = carry.steps.slice();
  for (let b = 0; b < B; b++) {
    if (!carry.halted[b]) continue;
    steps[b] = 0;
    data.inputs.set(batch.inputs.subarray(b * S, (b + 1) * S), b * S);
    data.labels.set(batch.labels.subarray(b * S, (b + 1) * S), b * S);
    data.puzzleIdentifiers[b] = batch.puzzleIdentifiers[b];
  }
  const [zH, zL] = tf.tidy(() => {
    const mask = tf.tensor3d(Float32Array.from(carry.halted), [B, 1, 1]); // 1 = reset
    const keep = tf.sub(1, mask);
    const reset = (z: tf.Tensor3D, init: tf.Tensor1D) => tf.add(tf.mul(z, keep), tf.mul(init, mask)) as tf.Tensor3D;
    return [reset(carry.zH, hInit), reset(carry.zL, lInit)];
  });
  return { zH, zL, steps, data };
}

/** steps += 1; halt at halt_max_steps; in training also on q_halt > 0, delayed by exploration. */
export function haltDecision(arch: ArchConfig, stepsBefore: Int32Array, qHalt: Float32Array, training: boolean, rng: Rng): { steps: Int32Array; halted: Uint8Array } {
  const B = stepsBefore.length;
  const steps = new Int32Array(B);
  const halted = new Uint8Array(B);
  for (let b = 0; b < B; b++) {
    steps[b] = stepsBefore[b] + 1;
    let halt = steps[b] >= arch.halt_max_steps;
    if (training && arch.halt_max_steps > 1) {
      halt = halt || qHalt[b] > 0;
      // exploration: with probability p, a minimum step count drawn uniformly from 2..halt_max_steps
      const explore = rng.next() < arch.halt_exploration_prob;
      const minSteps = 2 + rng.int(arch.halt_max_steps - 1);
      if (explore && steps[b] < minSteps) halt = false;
    }
    halted[b] = halt ? 1 : 0;
  }
  return { steps, halted };
}
