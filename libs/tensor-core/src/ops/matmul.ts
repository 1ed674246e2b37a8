// Matrix products that only ever call the backend's plain (non-transposed) BatchMatMul.
// On the wasm backend a transposed operand is 6-35x slower than an explicit Transpose followed by a plain
// matmul (measured: [512x97]x[97x512] 15 ms plain, 88 ms transposeB, 167 ms transposeA), and tfjs's own
// BatchMatMul gradient uses transposed operands, so these ops carry their own gradients.
import * as tf from '@tensorflow/tfjs-core';

/** Swap the last two axes. */
export function transposeLast2(x: tf.Tensor): tf.Tensor {
  const r = x.shape.length;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

/** a @ b for rank 2-4 tensors with equal batch axes: [..., M, K] x [..., K, N] -> [..., M, N]. */
export function matmul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, y] = args as [tf.Tensor, tf.Tensor];
    const save = args[2] as tf.GradSaveFunc;
    save([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => [tf.matMul(dy, transposeLast2(saved[1])), tf.matMul(transposeLast2(saved[0]), dy)]),
    };
  });
  return op(a, b);
}

/** x W^T for x [N, in], W [out, in] (torch layout) -> [N, out]. */
export function matmulWeightT(x: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, w] = args as [tf.Tensor2D, tf.Tensor2D];
    const save = args[2] as tf.GradSaveFunc;
    save([xs, w]);
    return {
      value: tf.matMul(xs, tf.transpose(w)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [x2, w2] = saved as tf.Tensor2D[];
          const dx = tf.matMul(dy as tf.Tensor2D, w2); // [N, in]
          // dW = dy^T x [out, in]: transpose whichever activation is narrower
          const [out, inF] = w2.shape;
          const dw = out <= inF ? tf.matMul(tf.transpose(dy), x2) : tf.transpose(tf.matMul(tf.transpose(x2), dy as tf.Tensor2D));
          return [dx, dw];
        }),
    };
  });
  return op(x, weight) as tf.Tensor2D;
}
