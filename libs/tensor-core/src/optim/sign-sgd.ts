// Sparse sign-SGD with decoupled weight decay for the puzzle-embedding table (the reference's
// CastedSparseEmbeddingSignSGD_Distributed): gradients of repeated ids are summed, then only the touched rows move:
//   row *= 1 - lr*wd;  row -= lr * sign(sum of its gradients)
// The per-id sums are small ([batch, width]) and computed on the host (the wasm backend has no segment-sum kernel).
import * as tf from '@tensorflow/tfjs-core';

/** sign of the per-id summed gradient rows; ids sorted ascending */
export function summedGradSigns(ids: Int32Array, grad: Float32Array, width: number): { ids: Int32Array; signs: Float32Array } {
  const unique = Int32Array.from(new Set(ids)).sort();
  const slot = new Map<number, number>();
  unique.forEach((id, i) => slot.set(id, i));
  const sums = new Float32Array(unique.length * width);
  for (let r = 0; r < ids.length; r++) {
    const base = slot.get(ids[r])! * width;
    for (let c = 0; c < width; c++) sums[base + c] += grad[r * width + c];
  }
  return { ids: unique, signs: sums.map(Math.sign) };
}

export function sparseSignSgdStep(table: tf.Variable, ids: Int32Array, grad: tf.Tensor2D, lr: number, weightDecay: number): void {
  const [rows, width] = table.shape as [number, number];
  if (grad.shape[0] !== ids.length || grad.shape[1] !== width) {
    throw new Error(`sparseSignSgdStep: gradient [${grad.shape}] does not match ${ids.length} ids x width ${width}`);
  }
  for (const id of ids) {
    if (!(id >= 0 && id < rows)) throw new Error(`sparseSignSgdStep: puzzle id ${id} outside the table of ${rows} rows`);
  }
  const { ids: unique, signs } = summedGradSigns(ids, grad.dataSync() as Float32Array, width);
  tf.tidy(() => {
    const idx = tf.tensor1d(unique, 'int32');
    const current = tf.gather(table, idx); // [U, width]
    const step = tf.tensor2d(signs, [unique.length, width]);
    const updated = tf.sub(tf.mul(current, 1 - lr * weightDecay), tf.mul(step, lr));
    table.assign(tf.tensorScatterUpdate(table, tf.reshape(idx, [unique.length, 1]), updated));
  });
}
