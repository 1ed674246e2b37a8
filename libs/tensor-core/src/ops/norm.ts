import * as tf from '@tensorflow/tfjs-core';

/**
 * RMSNorm without a learned scale: y = x * r, r = rsqrt(mean(x^2, axis) + eps), float32. Shape unchanged.
 * Hand-written gradient dx = r * (dy - y * mean(dy * y, axis)), keeping only y and r for the backward pass.
 */
export function rmsNorm(x: tf.Tensor, eps = 1e-5, axis = -1): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const [y, r] = tf.tidy(() => {
      const r = tf.rsqrt(tf.add(tf.mean(tf.square(xs), axis, true), eps));
      return [tf.mul(xs, r), r];
    });
    save([y, r]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [ys, rs] = saved;
          return tf.mul(rs, tf.sub(dy, tf.mul(ys, tf.mean(tf.mul(dy, ys), axis, true))));
        }),
    };
  });
  return op(x);
}
