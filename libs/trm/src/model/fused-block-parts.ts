// Forward and backward of the three parts of a TRM block, each on row-major 2-D activations, for the fused block
// (fused-block.ts), whose backward chains them. A forward returns its output and the tensors its backward needs
// (`saved`, in the order the backward destructures them); nothing else outlives it.
import * as tf from '@tensorflow/tfjs-core';
import {
  addRmsNormForward,
  bf16Round,
  attentionBackward,
  attentionForward,
  linear,
  linearBackward,
  rmsNormBackward,
  ropeBackward,
  ropeForward,
  swigluBackward,
  swigluForward,
  swigluValue,
} from '@trm/tensor-core';
import type { RopeTables, SwigluGradSums } from '@trm/tensor-core';

export interface PartForward {
  /** [N, width] */
  y: tf.Tensor2D;
  saved: tf.Tensor[];
}

/** Block shape: batch, positions S', hidden D, heads. */
export interface BlockShape {
  B: number;
  S: number;
  D: number;
  heads: number;
}

/** SwiGLU weights [gate [inner, w], up [inner, w], down [w, inner]]. */
export type SwigluWeights = [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];

/**
 * A part's weight gradients so far, in the order of its weights (undefined: none yet): a backward returns each of its
 * weight gradients added to this (the weights are used in every block call and recursion round).
 */
export type GradSums = (tf.Tensor2D | undefined)[];

/**
 * y = rmsNorm(x + SwiGLU(x)) over the last axis. x: [N, w] -> [N, w]; saves [x, g, u, y, r], or nothing when
 * `backward` is false (no backward follows: the SwiGLU's activations are not even written).
 */
export function mlpResidualForward(x: tf.Tensor2D, w: SwigluWeights, eps: number, backward = true): PartForward {
  return tf.tidy(() => {
    if (!backward) return { y: addRmsNormForward(x, swigluValue(x, ...w), eps, -1).y as tf.Tensor2D, saved: [] };
    const { y: o, g, u } = swigluForward(x, ...w); // [N, w], g and u [N, inner]
    const { y, r } = addRmsNormForward(x, o, eps, -1); // norm of the residual sum x + o
    return { y: y as tf.Tensor2D, saved: [x, g, u, y, r] };
  });
}

/** dy [N, w] -> [dx, dgate, dup, ddown] (the weight gradients added to `sums`). */
export function mlpResidualBackward(dy: tf.Tensor2D, saved: tf.Tensor[], w: SwigluWeights, sums: GradSums = []): tf.Tensor2D[] {
  const [x, g, u, y, r] = saved as tf.Tensor2D[];
  return tf.tidy(() => {
    const ds = rmsNormBackward(dy, y, r, -1) as tf.Tensor2D; // [N, w]
    const [dx, dGate, dUp, dDown] = swigluBackward(ds, x, g, u, ...w, [sums[0], sums[1], sums[2]] as SwigluGradSums);
    return [bf16Round(tf.add(ds, dx) as tf.Tensor2D), dGate, dUp, dDown]; // a bfloat16 sum in bf16
  });
}

/**
 * Token mixing (mlp_t): the SwiGLU and its norm run over the position axis.
 * h [B*S', D] -> [B*S', D]; saves [t, g, u, n, r] with t = h transposed to [B*D, S'] (nothing without `backward`).
 */
export function tokenMixerForward(h: tf.Tensor2D, w: SwigluWeights, eps: number, s: BlockShape, backward = true): PartForward {
  return tf.tidy(() => {
    const t = tf.reshape(tf.transpose(tf.reshape(h, [s.B, s.S, s.D]), [0, 2, 1]), [s.B * s.D, s.S]) as tf.Tensor2D; // [B*D, S']
    const { y: n, saved } = mlpResidualForward(t, w, eps, backward);
    const y = tf.reshape(tf.transpose(tf.reshape(n, [s.B, s.D, s.S]), [0, 2, 1]), [s.B * s.S, s.D]) as tf.Tensor2D; // [B*S', D]
    return { y, saved };
  });
}

/** dy [B*S', D] -> [dh, dgate, dup, ddown] (the weight gradients added to `sums`). */
export function tokenMixerBackward(dy: tf.Tensor2D, saved: tf.Tensor[], w: SwigluWeights, s: BlockShape, sums: GradSums = []): tf.Tensor2D[] {
  return tf.tidy(() => {
    const dn = tf.reshape(tf.transpose(tf.reshape(dy, [s.B, s.S, s.D]), [0, 2, 1]), [s.B * s.D, s.S]) as tf.Tensor2D; // [B*D, S']
    const [dt, ...dw] = mlpResidualBackward(dn, saved, w, sums);
    const dh = tf.reshape(tf.transpose(tf.reshape(dt, [s.B, s.D, s.S]), [0, 2, 1]), [s.B * s.S, s.D]) as tf.Tensor2D; // [B*S', D]
    return [dh, ...dw];
  });
}

/** Attention weights [q [D, D], k [D, D], v [D, D], o_proj [D, D]] (q/k/v are row slices of qkv_proj). */
export type AttentionWeights = [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];

/** [B*S', D] -> [B, H, S', hd] */
function splitHeads(x: tf.Tensor, s: BlockShape): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [s.B, s.S, s.heads, s.D / s.heads]), [0, 2, 1, 3]) as tf.Tensor4D;
}

/** [B, H, S', hd] -> [B*S', D] */
function mergeHeads(x: tf.Tensor, s: BlockShape): tf.Tensor2D {
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [s.B * s.S, s.D]) as tf.Tensor2D;
}

/**
 * y = rmsNorm(h + o_proj(attention(rope(q), rope(k), v))). h [B*S', D] -> [B*S', D];
 * saves [h, q, k, v, merged, y, r] (q and k after RoPE, merged = the attention output as o_proj's input); the
 * attention probabilities [B, H, S', S'] are not saved but recomputed by the backward from q and k.
 */
export function attentionMixerForward(h: tf.Tensor2D, w: AttentionWeights, rope: RopeTables | null, eps: number, s: BlockShape): PartForward {
  return tf.tidy(() => {
    const [wq, wk, wv, wo] = w;
    const rotate = (x: tf.Tensor4D) => (rope ? (ropeForward(x, rope) as tf.Tensor4D) : x);
    const q = rotate(splitHeads(linear(h, wq), s)); // [B, H, S', hd]
    const k = rotate(splitHeads(linear(h, wk), s));
    const v = splitHeads(linear(h, wv), s);
    const merged = mergeHeads(attentionForward(q, k, v), s); // [B, H, S', hd] -> [B*S', D]
    const { y, r } = addRmsNormForward(h, linear(merged, wo), eps, -1); // norm of the residual sum
    return { y: y as tf.Tensor2D, saved: [h, q, k, v, merged, y, r] };
  });
}

/** dy [B*S', D] -> [dh, dq_w, dk_w, dv_w, do_w] (the weight gradients added to `sums`, in the order of w). */
export function attentionMixerBackward(dy: tf.Tensor2D, saved: tf.Tensor[], w: AttentionWeights, rope: RopeTables | null, s: BlockShape, sums: GradSums = []): tf.Tensor2D[] {
  const [h, merged, y, r] = [saved[0], saved[4], saved[5], saved[6]] as tf.Tensor2D[];
  const [q, k, v] = saved.slice(1, 4) as tf.Tensor4D[];
  return tf.tidy(() => {
    const [wq, wk, wv, wo] = w;
    const ds = rmsNormBackward(dy, y, r, -1) as tf.Tensor2D; // [B*S', D]
    const [dMerged, dWo] = linearBackward(ds, merged, wo, sums[3]);
    const [dq, dk, dv] = attentionBackward(splitHeads(dMerged, s), q, k, v); // [B, H, S', hd]
    const unrotate = (d: tf.Tensor) => (rope ? ropeBackward(d, rope) : d);
    const [dhq, dWq] = linearBackward(mergeHeads(unrotate(dq), s), h, wq, sums[0]);
    const [dhk, dWk] = linearBackward(mergeHeads(unrotate(dk), s), h, wk, sums[1]);
    const [dhv, dWv] = linearBackward(mergeHeads(dv, s), h, wv, sums[2]);
    const dh = bf16Round(tf.addN([ds, dhq, dhk, dhv]) as tf.Tensor2D); // a bfloat16 sum in bf16
    return [dh, dWq, dWk, dWv, dWo];
  });
}
