// The in-heap 'Slice' kernel of the wasm backend against slices computed on the host, for contiguous and strided
// slices of ranks 1-5 and the dtypes it handles.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@trm/tensor-node';
import { wasmSliceInstalled } from './slice.ts';

/** x[begin : begin + size] of a row-major host array of `shape`. */
function hostSlice(x: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
  const out: number[] = [];
  const walk = (axis: number, flat: number) => {
    if (axis === shape.length) return void out.push(x[flat]);
    for (let i = 0; i < size[axis]; i++) walk(axis + 1, flat + (begin[axis] + i) * strides[axis]);
  };
  walk(0, 0);
  return out;
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('in-heap Slice (wasm)', () => {
  it('is installed by initBackend', () => {
    expect(wasmSliceInstalled()).toBe(true);
  });

  const cases: [string, number[], number[], number[]][] = [
    ['rank 1', [11], [3], [5]],
    ['rows of a matrix (contiguous)', [6, 7], [2, 0], [3, 7]],
    ['columns of a matrix (strided)', [6, 7], [1, 2], [4, 3]],
    ['rank 3 middle axis', [3, 5, 4], [0, 1, 0], [3, 3, 4]],
    ['rank 4 mixed', [2, 3, 4, 5], [1, 1, 2, 1], [1, 2, 2, 3]],
    ['rank 5 strided', [2, 3, 2, 3, 4], [0, 1, 0, 1, 1], [2, 2, 2, 2, 2]],
    ['empty', [4, 4], [1, 1], [0, 3]],
  ];
  for (const [name, shape, begin, size] of cases) {
    it(`${name}: float32, int32 and bool equal the host slice`, () => {
      const n = shape.reduce((p, d) => p * d, 1);
      const values = Array.from({ length: n }, (_, i) => i * 3 - 7);
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const data = dtype === 'bool' ? values.map((v) => (v % 2 === 0 ? 1 : 0)) : values;
        const x = tf.tensor(data, shape, dtype);
        const y = tf.slice(x, begin, size);
        expect(y.shape).toEqual(size);
        expect(y.dtype).toBe(dtype);
        expect(Array.from(y.dataSync())).toEqual(hostSlice(data, shape, begin, size));
        tf.dispose([x, y]);
      }
    });
  }

  it('size -1 runs to the end and gradients flow through it', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    expect(Array.from(tf.slice(x, [1, 0], [-1, 1]).dataSync())).toEqual([3, 5]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.slice(t, [1, 1], [2, 1]), 2)))(x);
    expect(Array.from(g.dataSync())).toEqual([0, 0, 0, 2, 0, 2]);
  });

  it('SplitV (tf.split) equals host slices along each axis, and the concat gradient splits through it', () => {
    const shape = [3, 5, 4];
    const values = Array.from({ length: 60 }, (_, i) => i * 2 - 9);
    const x = tf.tensor(values, shape);
    for (const [axis, sizes] of [[0, [1, 2]], [1, [2, 3]], [2, [1, 1, 2]]] as [number, number[]][]) {
      const parts = tf.split(x, sizes, axis);
      let at = 0;
      parts.forEach((p, i) => {
        const begin = [0, 0, 0], size = [...shape];
        begin[axis] = at;
        size[axis] = sizes[i];
        expect(p.shape).toEqual(size);
        expect(Array.from(p.dataSync())).toEqual(hostSlice(values, shape, begin, size));
        at += sizes[i];
      });
      tf.dispose(parts);
    }
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]), b = tf.tensor2d([5, 6], [2, 1]);
    const w = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.concat([p, q], 1), w)))([a, b]);
    expect(Array.from(ga.dataSync())).toEqual([1, 2, 4, 5]);
    expect(Array.from(gb.dataSync())).toEqual([3, 6]);
    tf.dispose([x, a, b, w, ga, gb]);
  });

  it('copies correctly after the heap has grown', () => {
    const x = tf.tensor2d(Float32Array.from({ length: 64 * 9 }, (_, i) => i), [64, 9]);
    const big = tf.zeros([64 << 20 >> 2]); // 64 MB: more than the heap has free, so it grows
    const y = tf.slice(x, [60, 2], [3, 4]);
    expect(Array.from(y.dataSync())).toEqual(hostSlice(x.dataSync(), [64, 9], [60, 2], [3, 4]));
    tf.dispose([x, big, y]);
  });
});
