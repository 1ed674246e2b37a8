// The in-heap 'GatherV2' kernel of the wasm backend against gathers computed on the host, for several axes, ranks
// and index shapes and the dtypes it handles.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@trm/tensor-node';
import { wasmGatherInstalled } from './gather.ts';

/** gather(x, ids, axis) of a row-major host array of `shape` (ids flattened; their shape replaces `axis`). */
function hostGather(x: ArrayLike<number>, shape: number[], ids: number[], axis: number): number[] {
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const id of ids) for (let k = 0; k < inner; k++) out.push(x[(o * shape[axis] + id) * inner + k]);
  }
  return out;
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('in-heap GatherV2 (wasm)', () => {
  it('is installed by initBackend', () => {
    expect(wasmGatherInstalled()).toBe(true);
  });

  const cases: [string, number[], number[], number[], number][] = [
    ['embedding rows', [11, 8], [5], [3, 0, 10, 3, 7], 0],
    ['rows, 2-D indices', [6, 4], [2, 3], [5, 1, 1, 0, 2, 5], 0],
    ['middle axis', [3, 5, 4], [4], [4, 0, 2, 2], 1],
    ['last axis', [4, 6], [3], [5, 0, 5], 1],
    ['rank 1', [9], [4], [8, 1, 1, 0], 0],
    ['no indices', [5, 3], [0], [], 0],
  ];
  for (const [name, shape, idShape, ids, axis] of cases) {
    it(`${name}: float32, int32 and bool equal the host gather`, () => {
      const n = shape.reduce((p, d) => p * d, 1);
      const values = Array.from({ length: n }, (_, i) => i * 3 - 7.5);
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const data = dtype === 'bool' ? values.map((v) => (Math.floor(v) % 2 === 0 ? 1 : 0)) : dtype === 'int32' ? values.map(Math.floor) : values;
        const x = tf.tensor(data, shape, dtype);
        const idx = tf.tensor(ids, idShape, 'int32');
        const y = tf.gather(x, idx, axis);
        expect(y.shape).toEqual([...shape.slice(0, axis), ...idShape, ...shape.slice(axis + 1)]);
        expect(y.dtype).toBe(dtype);
        expect(Array.from(y.dataSync())).toEqual(hostGather(data, shape, ids, axis));
        tf.dispose([x, idx, y]);
      }
    });
  }

  it('a negative axis counts from the end', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(Array.from(tf.gather(x, tf.tensor1d([2, 0], 'int32'), -1).dataSync())).toEqual([3, 1, 6, 4]);
  });

  it('throws on an index outside the axis', () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    expect(() => tf.gather(x, tf.tensor1d([0, 2], 'int32'))).toThrow(/index value 2 is not in \[0, 1\]/);
    expect(() => tf.gather(x, tf.tensor1d([-1], 'int32'))).toThrow(/index value -1/);
  });

  it('batchDims > 0 still gathers (tfjs kernel)', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.gather(x, tf.tensor2d([2, 0, 1, 1], [2, 2], 'int32'), 1, 1);
    expect(Array.from(y.dataSync())).toEqual([3, 1, 5, 5]);
  });

  it('gathers correctly after the heap has grown', () => {
    const x = tf.tensor2d(Float32Array.from({ length: 64 * 9 }, (_, i) => i), [64, 9]);
    const idx = tf.tensor1d([63, 5, 0], 'int32');
    const big = tf.zeros([64 << 20 >> 2]); // 64 MB: more than the heap has free, so it grows
    const y = tf.gather(x, idx);
    expect(Array.from(y.dataSync())).toEqual(hostGather(x.dataSync(), [64, 9], [63, 5, 0], 0));
    tf.dispose([x, idx, big, y]);
  });
});
