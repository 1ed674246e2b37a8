// The carry's z tensors from the shared [B, L, D] buffers through which the workers pass them.
import * as tf from '@tensorflow/tfjs-core';

/**
 * [B, L, D] tensor of a copy of `z` (shared memory the workers rewrite every call). wasm copies the values into its
 * heap at once; a backend that may keep the array it is given (cpu does) gets a JS copy. (A JS copy of a shared
 * buffer is slow: a fresh ArrayBuffer whose pages fault in, filled by V8's relaxed shared-memory copy; on config b
 * that was most of the main thread's CPU per step.)
 */
export function carryTensor(z: Float32Array, B: number, L: number, D: number): tf.Tensor3D {
  return tf.tensor3d(tf.getBackend() === 'wasm' ? z : z.slice(), [B, L, D]);
}
