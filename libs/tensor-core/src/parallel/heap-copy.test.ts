import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '@trm/tensor-node';
import { assignFrom, readInto } from './heap-copy.ts';

describe.each(['wasm', 'cpu'] as const)('readInto / assignFrom on %s', (backend) => {
  const previous = tf.getBackend();
  afterAll(async () => {
    if (previous) await tf.setBackend(previous);
  });

  it('copies a tensor (also a reshaped one and one among others on the heap) at the offset', async () => {
    await initBackend(backend);
    expect(tf.getBackend()).toBe(backend);
    const before = tf.tensor1d([9, 9, 9]);
    const t = tf.tensor2d([1.5, -2, 3, 4.25, 5, 6], [2, 3]);
    const r = tf.reshape(t, [3, 2]);
    const out = new Float32Array(10).fill(-1);
    readInto(r, out, 2);
    expect(Array.from(out)).toEqual([-1, -1, 1.5, -2, 3, 4.25, 5, 6, -1, -1]);
    readInto(before, out);
    expect(Array.from(out.subarray(0, 3))).toEqual([9, 9, 9]);
    tf.dispose([before, t, r]);
  });

  it('rejects a non-float32 tensor and an array too short, naming the problem', async () => {
    await initBackend(backend);
    const i = tf.tensor1d([1, 2], 'int32');
    const f = tf.tensor1d([1, 2, 3]);
    const v = tf.variable(tf.zeros([2, 2]), true, 'w');
    expect(() => readInto(i, new Float32Array(2))).toThrow(/expected a float32 tensor, got int32/);
    expect(() => readInto(f, new Float32Array(4), 2)).toThrow(/3 values at offset 2 do not fit an array of 4/);
    expect(() => assignFrom(v, new Float32Array(3))).toThrow(/3 values for variable "w" of 4 \[2,2\]/);
    tf.dispose([i, f, v]);
  });

  it('assignFrom sets a variable (the caller may reuse its array) and leaves other tensors alone', async () => {
    await initBackend(backend);
    const neighbour = tf.tensor1d([7, 7]);
    const v = tf.variable(tf.zeros([2, 2]));
    const tensors = tf.memory().numTensors;
    const values = new Float32Array([1, 2, 3, 4]);
    assignFrom(v, values);
    values.fill(0); // the variable must not keep the caller's array
    expect(Array.from(v.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(neighbour.dataSync())).toEqual([7, 7]);
    expect(tf.memory().numTensors).toBe(tensors);
    const out = new Float32Array(4);
    readInto(v, out);
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
    tf.dispose([neighbour, v]);
  });

  it('assignFrom leaves a clone and a reshape of the variable their old values, and writes in place when it can', async () => {
    await initBackend(backend);
    const v = tf.tidy(() => tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2])));
    const alone = v.dataId;
    assignFrom(v, new Float32Array([5, 6, 7, 8]));
    if (backend === 'wasm') expect(v.dataId).toBe(alone); // sole owner: the heap memory is overwritten in place
    const clone = tf.clone(v); // the wasm Identity shares the buffer
    const flat = tf.reshape(v, [4]);
    assignFrom(v, new Float32Array([9, 10, 11, 12]));
    expect(Array.from(v.dataSync())).toEqual([9, 10, 11, 12]);
    expect(Array.from(clone.dataSync())).toEqual([5, 6, 7, 8]);
    expect(Array.from(flat.dataSync())).toEqual([5, 6, 7, 8]);
    tf.dispose([v, clone, flat]);
  });
});
