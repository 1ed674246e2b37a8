import * as tf from '@tensorflow/tfjs-core';

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

/** rotate_half([a, b]) = [-b, a] over the last axis (a = first half). */
export function rotateHalf(x: tf.Tensor): tf.Tensor {
  const d = x.shape[x.shape.length - 1];
  const [a, b] = tf.split(x, [d / 2, d / 2], -1);
  return tf.concat([tf.neg(b), a], -1);
}

/** x * cos + rotate_half(x) * sin. x: [B, S, H, hd]; tables [S, hd] broadcast over heads. */
export function applyRope(x: tf.Tensor4D, tables: RopeTables): tf.Tensor4D {
  const [len, dim] = tables.cos.shape;
  const cos = tf.reshape(tables.cos, [len, 1, dim]);
  const sin = tf.reshape(tables.sin, [len, 1, dim]);
  return tf.add(tf.mul(x, cos), tf.mul(rotateHalf(x), sin)) as tf.Tensor4D;
}
