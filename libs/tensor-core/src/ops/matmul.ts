// Matrix products with their own gradients, two paths:
// - tensor-core's wasm GEMM active (ops/gemm, the wasm default): it reads either operand transposed in place and
//   runs batched products in one call, so every product is one tf.matMul with transpose flags.
// - otherwise (TRM_GEMM=tfjs, or tfjs's own wasm kernel): only plain (non-transposed) products, because there a
//   transposed operand is 6-35x slower than an explicit Transpose followed by a plain matmul (measured:
//   [512x97]x[97x512] 15 ms plain, 88 ms transposeB, 167 ms transposeA), and batched products run per slice.
import * as tf from '@tensorflow/tfjs-core';
import { gemmActive } from '../kernels/matmul.ts';

/** Swap the last two axes. */
export function transposeLast2(x: tf.Tensor): tf.Tensor {
  const r = x.shape.length;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

/**
 * Plain a @ b. For batched operands on wasm, whose BatchMatMul has no XNNPACK path for batch > 1 (measured
 * 0.4-0.6 GFLOP/s for [128,97,64]x[128,64,97] against 5-10 GFLOP/s for 2-D products), the batch is run as
 * separate 2-D products on host-copied slices (copies through the wasm heap are cheap; Slice on inner axes is not).
 */
export function plainMatMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.shape.length === 2 || tf.getBackend() !== 'wasm' || gemmActive()) return tf.matMul(a, b);
  const lead = a.shape.slice(0, -2);
  const [M, K] = a.shape.slice(-2);
  const N = b.shape[b.shape.length - 1];
  const batch = lead.reduce((x, y) => x * y, 1);
  const ad = a.dataSync() as Float32Array;
  const bd = b.dataSync() as Float32Array;
  const out = new Float32Array(batch * M * N);
  for (let i = 0; i < batch; i++) {
    const c = tf.tidy(() => tf.matMul(tf.tensor2d(ad.subarray(i * M * K, (i + 1) * M * K), [M, K]), tf.tensor2d(bd.subarray(i * K * N, (i + 1) * K * N), [K, N])));
    out.set(c.dataSync() as Float32Array, i * M * N);
    c.dispose();
  }
  return tf.tensor(out, [...lead, M, N]);
}

/** a @ b for rank 2-4 tensors with equal batch axes: [..., M, K] x [..., K, N] -> [..., M, N]. */
export function matmul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.shape.length !== b.shape.length || a.shape.slice(0, -2).some((n, i) => n !== b.shape[i]) || a.shape[a.shape.length - 1] !== b.shape[b.shape.length - 2]) {
    throw new Error(`matmul: shapes [${a.shape}] and [${b.shape}] do not fit`);
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, y] = args as [tf.Tensor, tf.Tensor];
    const save = args[2] as tf.GradSaveFunc;
    save([x, y]);
    return {
      value: plainMatMul(x, y),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() =>
          gemmActive()
            ? [tf.matMul(dy, saved[1], false, true), tf.matMul(saved[0], dy, true, false)]
            : [plainMatMul(dy, transposeLast2(saved[1])), plainMatMul(transposeLast2(saved[0]), dy)],
        ),
    };
  });
  return op(a, b);
}

/**
 * Gradients of y = x W^T for rows x [N, in], W [out, in] and dy [N, out]: [dx [N, in], dW [out, in]].
 * With tensor-core's GEMM dW = dy^T x reads dy transposed in place; otherwise plain products only (tfjs's wasm
 * kernel is slow on transposed operands) and dW transposes whichever operand is narrower.
 */
export function matmulWeightTBackward(dy: tf.Tensor2D, x: tf.Tensor2D, weight: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  return tf.tidy(() => {
    const dx = tf.matMul(dy, weight); // [N, in]
    if (gemmActive()) return [dx, tf.matMul(dy, x, true, false)] as [tf.Tensor2D, tf.Tensor2D]; // dW [out, in]
    const [out, inF] = weight.shape;
    const dw = out <= inF ? tf.matMul(tf.transpose(dy) as tf.Tensor2D, x) : (tf.transpose(tf.matMul(tf.transpose(x) as tf.Tensor2D, dy)) as tf.Tensor2D);
    return [dx, dw] as [tf.Tensor2D, tf.Tensor2D];
  });
}

/** x W^T for x [N, in], W [out, in] (torch layout) -> [N, out]. */
export function matmulWeightT(x: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, w] = args as [tf.Tensor2D, tf.Tensor2D];
    const save = args[2] as tf.GradSaveFunc;
    save([xs, w]);
    return {
      value: gemmActive() ? tf.matMul(xs, w, false, true) : tf.matMul(xs, tf.transpose(w)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => matmulWeightTBackward(dy as tf.Tensor2D, saved[0] as tf.Tensor2D, saved[1] as tf.Tensor2D),
    };
  });
  return op(x, weight) as tf.Tensor2D;
}
