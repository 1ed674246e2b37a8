import * as tf from '@tensorflow/tfjs-core';
import { fusedKernels, type FusedKernels } from '../kernels/fused.ts';

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

/** The [d, d] matrix P with x @ P = rotate_half(x); P^T = -P. */
function rotateHalfMatrix(d: number): tf.Tensor2D {
  const p = new Float32Array(d * d);
  const h = d / 2;
  for (let i = 0; i < h; i++) {
    p[(i + h) * d + i] = -1; // out[i] = -x[i + h]
    p[i * d + i + h] = 1; // out[i + h] = x[i]
  }
  return tf.tensor2d(p, [d, d]);
}

/**
 * rotate_half([a, b]) = [-b, a] over the last axis (a = first half), as a product with a signed permutation:
 * a plain 2-D matmul is far faster on wasm than splitting the last axis (SplitV/Slice on an inner axis).
 * The gradient is -rotate_half(dy).
 */
export function rotateHalf(x: tf.Tensor): tf.Tensor {
  const d = x.shape[x.shape.length - 1];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args[0] as tf.Tensor;
    const rot = (t: tf.Tensor) => tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(t, [-1, d]), rotateHalfMatrix(d)), t.shape));
    return { value: rot(xs), gradFunc: (dy: tf.Tensor) => tf.tidy(() => tf.neg(rot(dy))) };
  });
  return op(x);
}

/** The fused kernels, when there are any, for float32 x [..., S, hd] with tables of exactly [S, hd]; else null. */
const fused = (x: tf.Tensor, t: RopeTables): FusedKernels | null =>
  x.dtype === 'float32' && x.rank >= 2 && t.cos.shape[0] === x.shape[x.rank - 2] && t.cos.shape[1] === x.shape[x.rank - 1] ? fusedKernels() : null;

/** x * cos + rotate_half(x) * sin, without gradient. x: [..., S, hd]; tables [S, hd]. One native pass when the fused kernels are active. */
export function ropeForward(x: tf.Tensor, tables: RopeTables): tf.Tensor {
  const k = fused(x, tables);
  if (k) return k.rope(x, tables.cos, tables.sin);
  return tf.tidy(() => tf.add(tf.mul(x, tables.cos), tf.mul(rotateHalf(x), tables.sin)));
}

/** The gradient of ropeForward: dy * cos - rotate_half(dy * sin). */
export function ropeBackward(dy: tf.Tensor, tables: RopeTables): tf.Tensor {
  const k = fused(dy, tables);
  if (k) return k.ropeBackward(dy, tables.cos, tables.sin);
  return tf.tidy(() => tf.sub(tf.mul(dy, tables.cos), rotateHalf(tf.mul(dy, tables.sin))));
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
