import * as tf from '@tensorflow/tfjs-core';

/** RMSNorm without a learned scale: x * rsqrt(mean(x^2, axis) + eps), float32. Shape unchanged. */
export function rmsNorm(x: tf.Tensor, eps = 1e-5, axis = -1): tf.Tensor {
  const variance = tf.mean(tf.square(x), axis, true);
  return tf.mul(x, tf.rsqrt(tf.add(variance, eps)));
}
