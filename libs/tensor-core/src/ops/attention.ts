// Non-causal scaled dot-product attention (the reference's scaled_dot_product_attention), with a hand-written
// backward that recomputes the probabilities instead of keeping them.
import * as tf from '@tensorflow/tfjs-core';
import { fusedKernels } from '../kernels/fused.ts';
import { bf16Round } from '../kernels/precision.ts';

interface SoftmaxKernels {
  /** softmax(q k^T * scale) over the last axis: [B, H, S, S] */
  probs(q: tf.Tensor4D, k: tf.Tensor4D, scale: number): tf.Tensor4D;
  /**
   * [dq, dk] from the probabilities' gradient dp and the probabilities [B, H, S, S] (both freed): through the
   * softmax's backward ds = probs * (dp - sum(dp * probs)) over the last axis, then the scaled product.
   */
  scoreGradients(dp: tf.Tensor, probs: tf.Tensor, q: tf.Tensor4D, k: tf.Tensor4D, scale: number): [tf.Tensor, tf.Tensor];
}

/**
 * In tfjs ops. The scale is applied to q ([.., S, hd]) rather than to the scores, so one [B, H, S, S] temporary
 * fewer exists; the backward scales dq and dk ([.., S, hd], smaller than ds) instead of ds.
 */
const tfjsKernels: SoftmaxKernels = {
  probs: (q, k, scale) =>
    tf.tidy(() => {
      const scores = tf.tidy(() => tf.matMul(tf.mul(q, scale), k, false, true)); // [B, H, S, S]
      const probs = bf16Round(tf.softmax(scores, -1) as tf.Tensor4D); // in bf16 a bfloat16 tensor, as the fused softmax's
      scores.dispose();
      return probs;
    }),
  scoreGradients(dp, probs, q, k, scale) {
    // unscaled; in bf16 the row sum and ds rounded to bfloat16, as the fused softmax backward does
    const ds = tf.tidy(() => bf16Round(tf.mul(probs, tf.sub(dp, bf16Round(tf.sum(tf.mul(dp, probs), -1, true))))));
    tf.dispose([dp, probs]);
    return [tf.tidy(() => tf.mul(tf.matMul(ds, k), scale)), tf.tidy(() => tf.mul(tf.matMul(ds, q, true, false), scale))];
  },
};

/**
 * The kernels: the registered fused softmax (its scale applied to the scores as they are read, and to ds in the same
 * pass as the backward; the same bits as tfjs's when sqrt(hd) is a power of two: hd = 16, 64, 256) or tfjs ops.
 * This file's one dispatch. The same inputs give the same bits either way, so the backward's recomputation equals
 * the forward's probabilities exactly.
 */
function kernels(): SoftmaxKernels {
  const fused = fusedKernels();
  if (!fused) return tfjsKernels;
  return {
    probs: (q, k, scale) => tf.tidy(() => fused.softmax(tf.matMul(q, k, false, true), scale) as tf.Tensor4D), // [B, H, S, S]
    scoreGradients(dp, probs, q, k, scale) {
      const ds = fused.softmaxBackward(dp, probs, scale); // [B, H, S, S]
      tf.dispose([dp, probs]);
      return [tf.matMul(ds, k), tf.matMul(ds, q, true, false)];
    },
  };
}

/**
 * softmax(q k^T / sqrt(hd)) v. q, k, v: [B, H, S, hd] -> [B, H, S, hd]. The probabilities are not kept: the
 * backward recomputes them from q and k (one more [S, hd] x [hd, S] product per head) so a training step holds no
 * [B, H, S, S] tensor between its forward and backward passes.
 */
export function attentionForward(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const probs = kernels().probs(q, k, 1 / Math.sqrt(q.shape[3])); // [B, H, S, S]
    const out = tf.matMul(probs, v) as tf.Tensor4D; // [B, H, S, hd]
    probs.dispose();
    return out;
  });
}

/**
 * Gradients [dq, dk, dv] of attention from dy [B, H, S, hd] and the inputs. The probabilities are recomputed
 * (bit-equal to the forward's) and every [B, H, S, S] temporary is freed as soon as it is used (at most four are
 * alive at once).
 */
export function attentionBackward(dy: tf.Tensor, q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const scale = 1 / Math.sqrt(q.shape[3]);
  const softmax = kernels();
  return tf.tidy(() => {
    const probs = softmax.probs(q, k, scale); // [B, H, S, S]
    const dv = tf.matMul(probs, dy, true, false); // [B, H, S, hd]
    const dp = tf.matMul(dy, v, false, true); // [B, H, S, S]
    const [dq, dk] = softmax.scoreGradients(dp, probs, q, k, scale);
    return [dq, dk, dv] as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  });
}

/**
 * Non-causal scaled dot-product attention. q, k, v: [B, H, S, hd] -> [B, H, S, hd].
 * One op with a hand-written gradient that keeps only q, k and v for the backward pass.
 */
export function attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qs, ks, vs] = args.slice(0, 3) as tf.Tensor4D[];
    const save = args[3] as tf.GradSaveFunc;
    save([qs, ks, vs]);
    return {
      value: attentionForward(qs, ks, vs),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [q2, k2, v2] = saved as tf.Tensor4D[];
        return attentionBackward(dy, q2, k2, v2);
      },
    };
  });
  return op(q, k, v) as tf.Tensor4D;
}
