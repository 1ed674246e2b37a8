import * as tf from '@tensorflow/tfjs-core';
import { matmulWeightT, matmulWeightTBackward } from './matmul.ts';

/** y = x W^T (+ b), W in torch layout [out, in]. x: [..., in] -> [..., out]. */
export function linear(x: tf.Tensor, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  const [out, inF] = weight.shape;
  const lead = x.shape.slice(0, -1);
  if (x.shape[x.shape.length - 1] !== inF) {
    throw new Error(`linear: input last dim ${x.shape[x.shape.length - 1]} does not match weight [${out}, ${inF}]`);
  }
  const flat = tf.reshape(x, [-1, inF]); // [N, in]
  let y: tf.Tensor = matmulWeightT(flat as tf.Tensor2D, weight); // [N, out]
  if (bias) y = tf.add(y, bias);
  return tf.reshape(y, [...lead, out]);
}

/** Gradients of y = x W^T (no bias): [dx, dW] for dy [N, out], x [N, in], W [out, in]; see matmulWeightTBackward. */
export const linearBackward = matmulWeightTBackward;
