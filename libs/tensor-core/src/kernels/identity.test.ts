// The buffer-sharing 'Identity' kernel of the wasm backend: clones hold the same values as their source, outlive
// it, and custom gradients that save tensors give the same gradients.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@trm/tensor-node';
import { wasmIdentityInstalled } from './identity.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('buffer-sharing Identity (wasm)', () => {
  it('is installed by initBackend', () => {
    expect(wasmIdentityInstalled()).toBe(true);
  });

  it('a clone has the values, shape and dtype of its source, for float32, int32 and bool', () => {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const x = tf.tensor([1, 0, 3, 0, 5, 1], [2, 3], dtype);
      const y = tf.clone(x);
      expect(y.shape).toEqual([2, 3]);
      expect(y.dtype).toBe(dtype);
      expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
      tf.dispose([x, y]);
    }
  });

  it('shares the buffer: no new bytes on the heap; the clone outlives its source; the last one frees it', () => {
    const before = tf.memory().numDataBuffers;
    const x = tf.tensor1d([1.5, -2, 3]);
    const y = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(before + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1.5, -2, 3]);
    const z = tf.add(y, 1); // other kernels read it as before
    expect(Array.from(z.dataSync())).toEqual([2.5, -1, 4]);
    tf.dispose([y, z]);
    expect(tf.memory().numDataBuffers).toBe(before);
  });

  it('a variable made from a clone keeps its value when the source is disposed and after assign', () => {
    const x = tf.tensor1d([1, 2]);
    const v = tf.variable(tf.clone(x), false);
    x.dispose();
    expect(Array.from(v.dataSync())).toEqual([1, 2]);
    v.assign(tf.tensor1d([7, 8]));
    expect(Array.from(v.dataSync())).toEqual([7, 8]);
    v.dispose();
  });

  it('a custom gradient that saves its inputs (the engine clones them) gives the analytic gradient', () => {
    const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [a, b] = args as tf.Tensor[];
      (args[2] as tf.GradSaveFunc)([a, b]);
      return { value: tf.sum(tf.mul(a, b)), gradFunc: (dy: tf.Tensor, [sa, sb]: tf.Tensor[]) => [tf.mul(dy, sb), tf.mul(dy, sa)] };
    });
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.tensor1d([4, -5, 6]);
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => f(p, q) as tf.Scalar)([a, b]);
    expect(Array.from(ga.dataSync())).toEqual([4, -5, 6]);
    expect(Array.from(gb.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(a.dataSync())).toEqual([1, 2, 3]); // the inputs live on after the saved clones are freed
    tf.dispose([a, b, ga, gb]);
  });
});
