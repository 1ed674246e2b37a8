import * as tf from '@tensorflow/tfjs-core';
import { linear } from './linear.ts';

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Inner width of a SwiGLU of width `width`: round(e*w*2/3) rounded up to a multiple of 256. */
export function swigluInner(width: number, expansion: number): number {
  return Math.ceil(roundHalfEven((expansion * width * 2) / 3) / 256) * 256;
}

/** silu(x) = x * sigmoid(x) */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/** down(silu(gate) * up) with [gate | up] = gateUp(x). x: [..., w] -> [..., w]. */
export function swiglu(x: tf.Tensor, gateUp: tf.Tensor2D, down: tf.Tensor2D): tf.Tensor {
  const inner = down.shape[1];
  const gu = linear(x, gateUp); // [..., 2*inner]
  const [gate, up] = tf.split(gu, [inner, inner], -1);
  return linear(tf.mul(silu(gate), up), down); // [..., w]
}
