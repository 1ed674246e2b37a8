// Copies between backend tensors and backend-free HostTensors (the TensorDict currency of checkpoints).
import * as tf from '@tensorflow/tfjs-core';
import type { HostTensor } from '../tensor-dict.ts';

/** Download a float32/int32 tensor (synchronous; the data is a fresh copy). */
export function toHostTensor(t: tf.Tensor): HostTensor {
  if (t.dtype === 'float32') return { dtype: 'float32', shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) };
  if (t.dtype === 'int32') return { dtype: 'int32', shape: [...t.shape], data: Int32Array.from(t.dataSync() as Int32Array) };
  throw new Error(`toHostTensor: unsupported dtype ${t.dtype} (float32 or int32 expected)`);
}

/** Upload a float32/int32 HostTensor (float64 is cast to float32). */
export function fromHostTensor(h: HostTensor, name = 'tensor'): tf.Tensor {
  if (h.dtype === 'float32') return tf.tensor(h.data as Float32Array, h.shape, 'float32');
  if (h.dtype === 'float64') return tf.tensor(Float32Array.from(h.data as Float64Array), h.shape, 'float32');
  if (h.dtype === 'int32') return tf.tensor(h.data as Int32Array, h.shape, 'int32');
  throw new Error(`fromHostTensor: "${name}" has dtype ${h.dtype}; only float32, float64 and int32 can be uploaded`);
}
