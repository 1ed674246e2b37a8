import * as tf from '@tensorflow/tfjs-core';

/**
 * Non-causal scaled dot-product attention. q, k, v: [B, H, S, hd] -> [B, H, S, hd].
 */
export function attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D {
  const hd = q.shape[3];
  const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)); // [B, H, S, S]
  const probs = tf.softmax(scores, -1);
  return tf.matMul(probs, v) as tf.Tensor4D; // [B, H, S, hd]
}
