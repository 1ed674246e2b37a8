// Copies of backend tensors as backend-free HostTensors (the TensorDict currency of checkpoints).
import * as tf from '@tensorflow/tfjs-core';
import type { HostTensor } from '../tensor-dict.ts';

/** Download a float32/int32 tensor (synchronous; the data is a fresh copy). */
export function toHostTensor(t: tf.Tensor): HostTensor {
  if (t.dtype === 'float32') return { dtype: 'float32', shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) };
  if (t.dtype === 'int32') return { dtype: 'int32', shape: [...t.shape], data: Int32Array.from(t.dataSync() as Int32Array) };
  throw new Error(`toHostTensor: unsupported dtype ${t.dtype} (float32 or int32 expected)`);
}

