import * as tf from '@tensorflow/tfjs-core';
import { fusedKernels, type FusedKernels } from '../kernels/fused.ts';

/** The fused kernels, when there are any, for a float32 norm over the last axis; else null. */
const fused = (x: tf.Tensor, axis: number): FusedKernels | null => (x.dtype === 'float32' && (axis === -1 || axis === x.rank - 1) ? fusedKernels() : null);

/**
 * RMSNorm forward without a learned scale: y = x * r, r = rsqrt(mean(x^2, axis) + eps) (r keeps `axis` as size 1).
 * One native pass per row when the fused kernels are active.
 */
export function rmsNormForward(x: tf.Tensor, eps: number, axis: number): { y: tf.Tensor; r: tf.Tensor } {
  const k = fused(x, axis);
  if (k) return k.rmsNormForward(x, eps);
  return tf.tidy(() => {
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(x), axis, true), eps));
    return { y: tf.mul(x, r), r };
  });
}

/**
 * rmsNormForward of the residual sum x + o (same shapes). With the fused kernels active, over the last axis, the
 * sum is formed inside the norm's native pass and never stored (same bits as the norm of tf.add(x, o)).
 */
export function addRmsNormForward(x: tf.Tensor, o: tf.Tensor, eps: number, axis: number): { y: tf.Tensor; r: tf.Tensor } {
  const k = fused(x, axis);
  if (k && o.dtype === 'float32') return k.addRmsNormForward(x, o, eps);
  return tf.tidy(() => rmsNormForward(tf.add(x, o), eps, axis));
}

/** RMSNorm backward from its output y and scale r: dx = r * (dy - y * mean(dy * y, axis)). */
export function rmsNormBackward(dy: tf.Tensor, y: tf.Tensor, r: tf.Tensor, axis: number): tf.Tensor {
  const k = fused(y, axis);
  if (k && dy.dtype === 'float32') return k.rmsNormBackward(dy, y, r);
  return tf.tidy(() => tf.mul(r, tf.sub(dy, tf.mul(y, tf.mean(tf.mul(dy, y), axis, true)))));
}

/**
 * RMSNorm without a learned scale, float32. Shape unchanged.
 * Hand-written gradient (rmsNormBackward), keeping only y and r for the backward pass.
 */
export function rmsNorm(x: tf.Tensor, eps = 1e-5, axis = -1): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const { y, r } = rmsNormForward(xs, eps, axis);
    save([y, r]);
    return { value: y, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => rmsNormBackward(dy, saved[0], saved[1], axis) };
  });
  return op(x);
}
