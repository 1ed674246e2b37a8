import * as tf from '@tensorflow/tfjs-core';
import { plainMatMul, transposeLast2 } from './matmul.ts';

/**
 * Non-causal scaled dot-product attention. q, k, v: [B, H, S, hd] -> [B, H, S, hd].
 * One op with a hand-written gradient that keeps only q, k, v and the probabilities for the backward pass.
 */
export function attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D {
  const scale = 1 / Math.sqrt(q.shape[3]);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qs, ks, vs] = args.slice(0, 3) as tf.Tensor4D[];
    const save = args[3] as tf.GradSaveFunc;
    const [probs, out] = tf.tidy(() => {
      const probs = tf.softmax(tf.mul(plainMatMul(qs, transposeLast2(ks)), scale), -1); // [B, H, S, S]
      return [probs, plainMatMul(probs, vs)]; // [B, H, S, hd]
    });
    save([qs, ks, vs, probs]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [q2, k2, v2, p] = saved;
          const dp = plainMatMul(dy, transposeLast2(v2)); // [B, H, S, S]
          const dv = plainMatMul(transposeLast2(p), dy); // [B, H, S, hd]
          const ds = tf.mul(tf.mul(p, tf.sub(dp, tf.sum(tf.mul(dp, p), -1, true))), scale); // softmax backward
          return [plainMatMul(ds, k2), plainMatMul(transposeLast2(ds), q2), dv];
        }),
    };
  });
  return op(q, k, v) as tf.Tensor4D;
}
