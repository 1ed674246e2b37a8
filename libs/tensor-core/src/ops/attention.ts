import * as tf from '@tensorflow/tfjs-core';
import { fusedKernels } from '../kernels/fused.ts';
import { gemmActive } from '../kernels/matmul.ts';
import { plainMatMul, transposeLast2 } from './matmul.ts';

/**
 * op(a) @ op(b) over the batch axes, op = transpose of the last two axes when asked. With the in-heap GEMM
 * (gemmActive) tf.matMul takes the flags and batches as they are: no [B, H, S, S] transposed copy, no host copies.
 */
function product(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  if (gemmActive()) return tf.matMul(a, b, transposeA, transposeB);
  return tf.tidy(() => plainMatMul(transposeA ? transposeLast2(a) : a, transposeB ? transposeLast2(b) : b));
}

/**
 * softmax(q k^T / sqrt(hd)). q, k: [B, H, S, hd] -> [B, H, S, S]. On the tfjs path the scale is applied to q
 * ([.., S, hd]) rather than to the scores, so one [B, H, S, S] temporary fewer exists; the native softmax applies it
 * to the scores as it reads them (the same bits when sqrt(hd) is a power of two: hd = 16, 64, 256). The same inputs
 * give the same bits, so the backward's recomputation equals the forward's probabilities exactly.
 */
function attentionProbs(q: tf.Tensor4D, k: tf.Tensor4D): tf.Tensor4D {
  const scale = 1 / Math.sqrt(q.shape[3]);
  const fused = fusedKernels();
  return tf.tidy(() => {
    if (fused) return fused.softmax(product(q, k, false, true), scale) as tf.Tensor4D; // [B, H, S, S]
    const scores = tf.tidy(() => product(tf.mul(q, scale), k, false, true)); // [B, H, S, S]
    const probs = tf.softmax(scores, -1) as tf.Tensor4D;
    scores.dispose();
    return probs;
  });
}

/**
 * [dq, dk] from the probabilities' gradient dp and the probabilities [B, H, S, S]: through the softmax's backward
 * ds = probs * (dp - sum(dp * probs)) over the last axis and the scaled product. The native kernel scales ds in the
 * same pass; the tfjs path scales dq and dk ([.., S, hd], smaller than ds) instead. Frees dp and probs.
 */
function scoreGradients(dp: tf.Tensor, probs: tf.Tensor, q: tf.Tensor4D, k: tf.Tensor4D, scale: number): [tf.Tensor, tf.Tensor] {
  const fused = fusedKernels();
  if (fused) {
    const ds = fused.softmaxBackward(dp, probs, scale); // [B, H, S, S]
    tf.dispose([dp, probs]);
    return [product(ds, k, false, false), product(ds, q, true, false)];
  }
  const ds = tf.tidy(() => tf.mul(probs, tf.sub(dp, tf.sum(tf.mul(dp, probs), -1, true)))); // unscaled
  tf.dispose([dp, probs]);
  return [tf.tidy(() => tf.mul(product(ds, k, false, false), scale)), tf.tidy(() => tf.mul(product(ds, q, true, false), scale))];
}

/**
 * softmax(q k^T / sqrt(hd)) v. q, k, v: [B, H, S, hd] -> [B, H, S, hd]. The probabilities are not kept: the
 * backward recomputes them from q and k (one more [S, hd] x [hd, S] product per head) so a training step holds no
 * [B, H, S, S] tensor between its forward and backward passes.
 */
export function attentionForward(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const probs = attentionProbs(q, k); // [B, H, S, S]
    const out = product(probs, v, false, false) as tf.Tensor4D; // [B, H, S, hd]
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
  return tf.tidy(() => {
    const probs = attentionProbs(q, k); // [B, H, S, S]
    const dv = product(probs, dy, true, false); // [B, H, S, hd]
    const dp = product(dy, v, false, true); // [B, H, S, S]
    const [dq, dk] = scoreGradients(dp, probs, q, k, scale);
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
