// What a trainer saves to resume bit-identically: tensors (model weights, EMA shadow, AdamATan2 moments, the ACT
// carry) and a JSON side (step, loader position, RNG state). The pipeline writes them as state.safetensors and
// state.json.
import * as tf from '@tensorflow/tfjs-core';
import type { HostTensor, TensorDict } from '@trm/tensor-core';
import type { Carry } from '../model/types.ts';
import type { LoaderPosition } from '../data/loader.ts';

export const STATE_KIND = 'trm.trainer-state';
export const EMA_PREFIX = 'ema.';
export const OPTIM_PREFIX = 'optim.';
export const CARRY_PREFIX = 'carry.';

export interface TrainerMeta {
  kind: typeof STATE_KIND;
  version: 1;
  /** optimizer updates taken */
  step: number;
  totalSteps: number;
  /** epoch of the last batch trained on */
  epoch: number;
  /** where the next batch comes from */
  loader: LoaderPosition;
  /** state of the ACT exploration RNG */
  rng: number[];
  seed: number;
  /** false before the first step (no carry yet) */
  hasCarry: boolean;
}

export interface TrainerState {
  /** model weights under reference names; `ema.<name>`, `optim.<name>.exp_avg|exp_avg_sq`, `carry.*` */
  tensors: TensorDict;
  meta: TrainerMeta;
}

export function carryToDict(carry: Carry): TensorDict {
  const [B, L, D] = carry.zH.shape;
  const S = carry.data.inputs.length / B;
  const host = (t: tf.Tensor3D): HostTensor => ({ dtype: 'float32', shape: [B, L, D], data: (t.dataSync() as Float32Array).slice() });
  return {
    [`${CARRY_PREFIX}z_H`]: host(carry.zH),
    [`${CARRY_PREFIX}z_L`]: host(carry.zL),
    [`${CARRY_PREFIX}steps`]: { dtype: 'int32', shape: [B], data: carry.steps.slice() },
    [`${CARRY_PREFIX}halted`]: { dtype: 'bool', shape: [B], data: carry.halted.slice() },
    [`${CARRY_PREFIX}inputs`]: { dtype: 'int32', shape: [B, S], data: carry.data.inputs.slice() },
    [`${CARRY_PREFIX}labels`]: { dtype: 'int32', shape: [B, S], data: carry.data.labels.slice() },
    [`${CARRY_PREFIX}puzzle_identifiers`]: { dtype: 'int32', shape: [B], data: carry.data.puzzleIdentifiers.slice() },
  };
}

export function carryFromDict(dict: TensorDict, expect: { batchSize: number; totalLen: number; hidden: number; seqLen: number }): Carry {
  const get = (name: string, dtype: string, shape: number[]): HostTensor => {
    const t = dict[CARRY_PREFIX + name];
    if (!t) throw new Error(`trainer state: missing tensor "${CARRY_PREFIX}${name}"`);
    if (t.dtype !== dtype || t.shape.join() !== shape.join()) {
      throw new Error(`trainer state: "${CARRY_PREFIX}${name}" is ${t.dtype} [${t.shape}], expected ${dtype} [${shape}] (different batch size or arch?)`);
    }
    return t;
  };
  const { batchSize: B, totalLen: L, hidden: D, seqLen: S } = expect;
  return {
    zH: tf.tensor3d(get('z_H', 'float32', [B, L, D]).data as Float32Array, [B, L, D]),
    zL: tf.tensor3d(get('z_L', 'float32', [B, L, D]).data as Float32Array, [B, L, D]),
    steps: Int32Array.from(get('steps', 'int32', [B]).data as Int32Array),
    halted: Uint8Array.from(get('halted', 'bool', [B]).data as Uint8Array),
    data: {
      inputs: Int32Array.from(get('inputs', 'int32', [B, S]).data as Int32Array),
      labels: Int32Array.from(get('labels', 'int32', [B, S]).data as Int32Array),
      puzzleIdentifiers: Int32Array.from(get('puzzle_identifiers', 'int32', [B]).data as Int32Array),
    },
  };
}

/** Entries of `dict` under `prefix`, with the prefix removed. */
export function withPrefix(dict: TensorDict, prefix: string): TensorDict {
  return Object.fromEntries(Object.entries(dict).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

/** Entries that are none of the trainer's own prefixes: the model's state dict. */
export function modelPart(dict: TensorDict): TensorDict {
  return Object.fromEntries(Object.entries(dict).filter(([k]) => ![EMA_PREFIX, OPTIM_PREFIX, CARRY_PREFIX].some((p) => k.startsWith(p))));
}
