import * as tf from '@tensorflow/tfjs-core';
import { fusedKernels } from '../kernels/fused.ts';
import { bf16Round } from '../kernels/precision.ts';

export interface RopeTables {
  /** [len, dim] */
  cos: tf.Tensor2D;
  /** [len, dim] */
  sin: tf.Tensor2D;
}

/**
 * Rotary tables as the reference builds them in float32: inv_freq = 1/theta^(2i/dim), angle = pos * inv_freq,
 * and the half-width table repeated twice along the last axis.
 */
export function ropeTablesHost(dim: number, len: number, theta: number): { cos: Float32Array; sin: Float32Array } {
  if (dim % 2 !== 0) throw new Error(`rope: head dim must be even, got ${dim}`);
  const half = dim / 2;
  const f = Math.fround;
  const invFreq = new Float32Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = f(1 / f(Math.pow(theta, f(f(2 * i) / dim))));
  const cos = new Float32Array(len * dim);
  const sin = new Float32Array(len * dim);
  for (let p = 0; p < len; p++) {
    for (let i = 0; i < half; i++) {
      const angle = f(p * invFreq[i]);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[p * dim + i] = c;
      cos[p * dim + half + i] = c;
      sin[p * dim + i] = s;
      sin[p * dim + half + i] = s;
    }
  }
  return { cos, sin };
}

export function ropeTables(dim: number, len: number, theta: number): RopeTables {
  const { cos, sin } = ropeTablesHost(dim, len, theta);
  return { cos: tf.tensor2d(cos, [len, dim]), sin: tf.tensor2d(sin, [len, dim]) };
}

/** rotate_half([a, b]) = [-b, a] over the last axis (a = its first half). */
function rotateHalf(x: tf.Tensor): tf.Tensor {
  const [a, b] = tf.split(x, 2, -1);
  return tf.concat([tf.neg(b), a], -1);
}

interface RopeKernels {
  /** x * cos + rotate_half(x) * sin */
  forward(x: tf.Tensor, t: RopeTables): tf.Tensor;
  /** its gradient: dy * cos - rotate_half(dy * sin) */
  backward(dy: tf.Tensor, t: RopeTables): tf.Tensor;
}

/** In tfjs ops; in bf16 the output and the gradient rounded to bfloat16 (bf16Round), as the fused kernels do. */
const tfjsKernels: RopeKernels = {
  forward: (x, t) => tf.tidy(() => bf16Round(tf.add(tf.mul(x, t.cos), tf.mul(rotateHalf(x), t.sin)))),
  backward: (dy, t) => tf.tidy(() => bf16Round(tf.sub(tf.mul(dy, t.cos), rotateHalf(tf.mul(dy, t.sin))))),
};

/**
 * The kernels for x [..., S, hd]: the registered fused ones (one native pass) for float32 x with tables of exactly
 * [S, hd], else tfjs ops. This file's one dispatch.
 */
function kernels(x: tf.Tensor, t: RopeTables): RopeKernels {
  const fits = x.dtype === 'float32' && x.rank >= 2 && t.cos.shape[0] === x.shape[x.rank - 2] && t.cos.shape[1] === x.shape[x.rank - 1];
  const fused = fits ? fusedKernels() : null;
  if (!fused) return tfjsKernels;
  return { forward: (x2, t2) => fused.rope(x2, t2.cos, t2.sin), backward: (dy, t2) => fused.ropeBackward(dy, t2.cos, t2.sin) };
}

/** x * cos + rotate_half(x) * sin, without gradient. x: [..., S, hd]; tables [S, hd]. */
export function ropeForward(x: tf.Tensor, tables: RopeTables): tf.Tensor {
  return kernels(x, tables).forward(x, tables);
}

/** The gradient of ropeForward: dy * cos - rotate_half(dy * sin). */
export function ropeBackward(dy: tf.Tensor, tables: RopeTables): tf.Tensor {
  return kernels(dy, tables).backward(dy, tables);
}

/**
 * x * cos + rotate_half(x) * sin. x: [B, H, S, hd] (heads first, as attention wants them); tables [S, hd].
 * Hand-written gradient (ropeBackward): nothing is saved but the tables.
 */
export function applyRope(x: tf.Tensor4D, tables: RopeTables): tf.Tensor4D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args[0] as tf.Tensor;
    return { value: ropeForward(xs, tables), gradFunc: (dy: tf.Tensor) => ropeBackward(dy, tables) };
  });
  return op(x) as tf.Tensor4D;
}
