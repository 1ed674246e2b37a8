import * as tf from '@tensorflow/tfjs-core';
import { matmul, transposeLast2 } from './matmul.ts';

/**
 * Non-causal scaled dot-product attention. q, k, v: [B, H, S, hd] -> [B, H, S, hd].
 */
export function attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D {
  const hd = q.shape[3];
  const scores = tf.mul(matmul(q, transposeLast2(k)), 1 / Math.sqrt(hd)); // [B, H, S, S]
  const probs = tf.softmax(scores, -1);
  return matmul(probs, v) as tf.Tensor4D; // [B, H, S, hd]
}
