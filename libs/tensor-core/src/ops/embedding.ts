import * as tf from '@tensorflow/tfjs-core';

/**
 * Embedding lookup: weight [V, D], ids [N] -> [N, D]. Forward is a gather; the gradient is a one-hot matmul
 * (oneHot(ids)^T @ dy), because gather's own gradient needs UnsortedSegmentSum, which the wasm backend lacks.
 */
export function embedding(weight: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
  const [vocab] = weight.shape;
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < 0 || ids[i] >= vocab) throw new Error(`embedding: id ${ids[i]} at position ${i} outside [0, ${vocab})`);
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const w = args[0] as tf.Tensor;
    return {
      value: tf.gather(w, tf.tensor1d(ids, 'int32')),
      gradFunc: (dy: tf.Tensor) => {
        // one-hot built on the host (the wasm OneHot kernel writes int bits into float32 outputs), already as
        // oneHot^T [V, N], so the product takes it as it is
        const hotT = new Float32Array(vocab * ids.length);
        for (let i = 0; i < ids.length; i++) hotT[ids[i] * ids.length + i] = 1;
        return tf.matMul(tf.tensor2d(hotT, [vocab, ids.length]), dy as tf.Tensor2D); // [V, D]
      },
    };
  });
  return op(weight) as tf.Tensor2D;
}
