// RMSNorm without a learned scale (the reference's rms_norm), with its backward.
import * as tf from '@tensorflow/tfjs-core';
import { fusedKernels } from '../kernels/fused.ts';
import { bf16Round } from '../kernels/precision.ts';

interface NormKernels {
  /** y = x * r, r = rsqrt(mean(x^2, axis) + eps) (r keeps `axis` as size 1) */
  forward(x: tf.Tensor, eps: number, axis: number): { y: tf.Tensor; r: tf.Tensor };
  /** forward of x + o */
  addForward(x: tf.Tensor, o: tf.Tensor, eps: number, axis: number): { y: tf.Tensor; r: tf.Tensor };
  /** dx = r * (dy - y * mean(dy * y, axis)) */
  backward(dy: tf.Tensor, y: tf.Tensor, r: tf.Tensor, axis: number): tf.Tensor;
}

/**
 * In tfjs ops, over any axis. In bf16 (bf16Round: the identity in fp32) the reference's roundings, as the fused
 * kernels make them: y and dx rounded to bfloat16, r kept float32, the residual sum rounded before the norm.
 */
const tfjsKernels: NormKernels = {
  forward: (x, eps, axis) =>
    tf.tidy(() => {
      const r = tf.rsqrt(tf.add(tf.mean(tf.square(x), axis, true), eps));
      return { y: bf16Round(tf.mul(x, r)), r };
    }),
  addForward: (x, o, eps, axis) => tf.tidy(() => tfjsKernels.forward(bf16Round(tf.add(x, o)), eps, axis)),
  backward: (dy, y, r, axis) => tf.tidy(() => bf16Round(tf.mul(r, tf.sub(dy, tf.mul(y, tf.mean(tf.mul(dy, y), axis, true)))))),
};

/**
 * The kernels for a norm of x over `axis`: the registered fused ones (one native pass per row; the residual sum
 * of addForward formed inside it, never stored; the same bits as of tf.add) for float32 over the last axis, else
 * tfjs ops. This file's one dispatch.
 */
function kernels(x: tf.Tensor, axis: number): NormKernels {
  const fused = x.dtype === 'float32' && (axis === -1 || axis === x.rank - 1) ? fusedKernels() : null;
  if (!fused) return tfjsKernels;
  return {
    forward: (x2, eps) => fused.rmsNormForward(x2, eps),
    addForward: (x2, o, eps) => fused.addRmsNormForward(x2, o, eps),
    backward: (dy, y, r) => fused.rmsNormBackward(dy, y, r),
  };
}

/** RMSNorm forward: y = x * r, r = rsqrt(mean(x^2, axis) + eps), r with `axis` kept as size 1. */
export function rmsNormForward(x: tf.Tensor, eps: number, axis: number): { y: tf.Tensor; r: tf.Tensor } {
  return kernels(x, axis).forward(x, eps, axis);
}

/** rmsNormForward of the residual sum x + o (same shapes). */
export function addRmsNormForward(x: tf.Tensor, o: tf.Tensor, eps: number, axis: number): { y: tf.Tensor; r: tf.Tensor } {
  return kernels(x, axis).addForward(x, o, eps, axis);
}

/** RMSNorm backward from its output y and scale r: dx = r * (dy - y * mean(dy * y, axis)). */
export function rmsNormBackward(dy: tf.Tensor, y: tf.Tensor, r: tf.Tensor, axis: number): tf.Tensor {
  return kernels(y, axis).backward(dy, y, r, axis);
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
