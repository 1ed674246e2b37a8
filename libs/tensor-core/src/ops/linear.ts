import * as tf from '@tensorflow/tfjs-core';
import { gemmActive } from './gemm/index.ts';
import { matmulWeightT } from './matmul.ts';

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

/**
 * Gradients of y = x W^T for rows x [N, in], W [out, in] and dy [N, out]: [dx [N, in], dW [out, in]].
 * With tensor-core's GEMM dW = dy^T x reads dy transposed in place; otherwise plain products only (tfjs's wasm
 * kernel is slow on transposed operands) and dW transposes whichever operand is narrower.
 */
export function linearBackward(dy: tf.Tensor2D, x: tf.Tensor2D, weight: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  return tf.tidy(() => {
    const dx = tf.matMul(dy, weight); // [N, in]
    if (gemmActive()) return [dx, tf.matMul(dy, x, true, false)] as [tf.Tensor2D, tf.Tensor2D]; // dW [out, in]
    const [out, inF] = weight.shape;
    const dw = out <= inF ? tf.matMul(tf.transpose(dy) as tf.Tensor2D, x) : (tf.transpose(tf.matMul(tf.transpose(x) as tf.Tensor2D, dy)) as tf.Tensor2D);
    return [dx, dw] as [tf.Tensor2D, tf.Tensor2D];
  });
}
