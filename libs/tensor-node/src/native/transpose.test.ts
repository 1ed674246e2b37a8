// The native-backed wasm 'Transpose': the permutations it takes over (swapForm) and its results against the host.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { installWasmGemm } from '@trm/tensor-core';
import { initBackend } from '../backend.ts';
import { nativeAddon } from './addon.ts';
import { setFusedElementwise } from './fused-kernels.ts';
import { swapForm, wasmTransposeInstalled } from './transpose.ts';

/** x transposed by perm, on the host. */
function hostTranspose(x: ArrayLike<number>, shape: number[], perm: number[]): number[] {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
  const outShape = perm.map((p) => shape[p]);
  const out: number[] = [];
  const walk = (axis: number, flat: number) => {
    if (axis === outShape.length) return void out.push(x[flat]);
    for (let i = 0; i < outShape[axis]; i++) walk(axis + 1, flat + i * strides[perm[axis]]);
  };
  walk(0, 0);
  return out;
}

beforeAll(async () => {
  await initBackend('wasm');
  expect(installWasmGemm('native')).toBe('native');
});
afterAll(() => setFusedElementwise(true));

describe('swapForm', () => {
  it('reduces permutations to [outer, A, B, inner] swaps', () => {
    expect(swapForm([6, 7], [1, 0])).toEqual([1, 6, 7, 1]);
    expect(swapForm([16, 97, 512], [0, 2, 1])).toEqual([16, 97, 512, 1]);
    expect(swapForm([2, 5, 3, 4], [0, 2, 1, 3])).toEqual([2, 5, 3, 4]);
    expect(swapForm([5, 3, 4], [1, 0, 2])).toEqual([1, 5, 3, 4]);
    expect(swapForm([2, 3, 4, 5], [0, 3, 1, 2])).toEqual([2, 12, 5, 1]); // axes 1,2 move together
    expect(swapForm([2, 1, 3], [1, 2, 0])).toEqual([1, 2, 3, 1]); // size-1 axes do not count
    expect(swapForm([2, 3, 4], [2, 0, 1])).toEqual([1, 6, 4, 1]);
    expect(swapForm([2, 3, 4], [0, 1, 2])).toBeNull(); // identity
    expect(swapForm([2, 3, 4], [2, 1, 0])).toBeNull(); // a reversal is not one swap
  });
});

describe('native Transpose (wasm)', () => {
  const cases: [number[], number[]][] = [
    [[6, 7], [1, 0]],
    [[3, 37, 29], [0, 2, 1]],
    [[2, 5, 3, 4], [0, 2, 1, 3]],
    [[2, 3, 4, 5], [0, 3, 1, 2]],
    [[2, 3, 4], [2, 1, 0]],
    [[4, 1, 3], [2, 1, 0]],
  ];
  for (const [shape, perm] of cases) {
    it(`[${shape}] by [${perm}] equals the host transpose, with the fused kernels on and off`, async () => {
      expect(wasmTransposeInstalled()).toBe(true);
      const n = shape.reduce((p, d) => p * d, 1);
      const data = Float32Array.from({ length: n }, (_, i) => i * 0.5 - 3);
      const x = tf.tensor(data, shape);
      const expected = hostTranspose(data, shape, perm);
      const spy = vi.spyOn(nativeAddon()!, 'transposeSwap');
      for (const on of [true, false]) {
        setFusedElementwise(on);
        spy.mockClear();
        const y = tf.transpose(x, perm);
        expect(spy).toHaveBeenCalledTimes(on && swapForm(shape, perm) ? 1 : 0); // the native kernel ran, or tfjs's
        expect(y.shape).toEqual(perm.map((p) => shape[p]));
        expect(Array.from(y.dataSync())).toEqual(expected);
        y.dispose();
      }
      setFusedElementwise(true);
      spy.mockRestore();
      x.dispose();
    });
  }

  it('int32 keeps tfjs kernel and its result', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    expect(Array.from(tf.transpose(x).dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('the addon refuses overlapping source and destination', () => {
    expect(() => nativeAddon()!.transposeSwap(new ArrayBuffer(256), 0, 16, 1, 4, 4, 1)).toThrow(/overlap/);
  });
});
