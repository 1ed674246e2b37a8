import * as tf from '@tensorflow/tfjs-core';
import { addMatMul } from '../kernels/matmul-add.ts';

/**
 * y = x W^T (+ b), W in torch layout [out, in]. x: [..., in] -> [..., out]. tfjs differentiates it (BatchMatMul's
 * gradient: dx = dy W, dW = dy^T x, as linearBackward).
 */
export function linear(x: tf.Tensor, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  const [out, inF] = weight.shape;
  const lead = x.shape.slice(0, -1);
  if (x.shape[x.shape.length - 1] !== inF) {
    throw new Error(`linear: input last dim ${x.shape[x.shape.length - 1]} does not match weight [${out}, ${inF}]`);
  }
  const flat = tf.reshape(x, [-1, inF]); // [N, in]
  let y: tf.Tensor = tf.matMul(flat, weight, false, true); // [N, out]
  if (bias) y = tf.add(y, bias);
  return tf.reshape(y, [...lead, out]);
}

/**
 * Gradients of y = x W^T (no bias): [dx [N, in], dW [out, in]] for dy [N, out], x [N, in], W [out, in]. With
 * `dWSum` (an earlier gradient of W: a weight used many times), dW is returned added to it: dWSum + dy^T x.
 */
export function linearBackward(dy: tf.Tensor2D, x: tf.Tensor2D, weight: tf.Tensor2D, dWSum?: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  return tf.tidy(() => [tf.matMul(dy, weight), addMatMul(dWSum, dy, x, true, false)] as [tf.Tensor2D, tf.Tensor2D]); // [N, in], [out, in]
}
