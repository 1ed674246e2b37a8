// runtime.precision below the ops: initBackend's precision reaches the wasm BatchMatMul (the addon's bfloat16 GEMM,
// outputs rounded to bfloat16; with withUnroundedProducts not), bf16Round (and its gradient), the fused kernels'
// bf16 flag, and is refused, naming why, where it cannot run. fp32 stays the float32 GEMM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { bf16Round, precision, withUnroundedProducts } from '@trm/tensor-core';
import { initBackend } from './backend.ts';
import { nativeAddon } from './native/addon.ts';
import { fusedElementwiseActive, nativeFusedKernels } from './native/fused-kernels.ts';
import { randomArray } from './testing/test-util.ts';

const saved = process.env.TRM_GEMM;
const bits = new Uint32Array(1), f = new Float32Array(bits.buffer);
/** true when every value is a bfloat16 value (its low 16 bits zero) */
const allBf16 = (x: ArrayLike<number>): boolean => Array.from(x).every((v) => ((f[0] = v), (bits[0] & 0xffff) === 0));

const skip = nativeAddon() ? null : 'the native addon does not load here';
if (skip) console.log(`precision tests skipped: ${skip}`);

describe.skipIf(skip !== null)('runtime.precision', () => {
  beforeAll(() => { delete process.env.TRM_GEMM; });
  afterAll(async () => {
    if (saved === undefined) delete process.env.TRM_GEMM;
    else process.env.TRM_GEMM = saved;
    await initBackend('wasm');
  });

  const A = randomArray(7 * 33, 1), B = randomArray(33 * 5, 2);
  const operands = () => [tf.tensor2d(A, [7, 33]), tf.tensor2d(B, [33, 5])];

  it('bf16: the GEMM rounds its operands and output to bfloat16, with the kernel reported', async () => {
    const info = await initBackend('wasm', { precision: 'bf16' });
    expect(info).toMatchObject({ name: 'wasm', gemm: 'native', precision: 'bf16' });
    expect(info.bf16Kernel).toMatch(/^(avx512bf16|neon-bf16|fp32-fma)$/);
    expect(precision()).toBe('bf16');
    const [a, b] = operands();
    const c = tf.matMul(a, b).dataSync();
    expect(allBf16(c)).toBe(true);
    // inside withUnroundedProducts the same product, not rounded: c is it rounded to bfloat16 (half an ulp away)
    const unrounded = withUnroundedProducts(() => tf.matMul(a, b).dataSync());
    expect(allBf16(unrounded)).toBe(false);
    for (let i = 0; i < c.length; i++) expect(Math.abs(c[i] - unrounded[i])).toBeLessThanOrEqual(Math.abs(unrounded[i]) * 2 ** -8);
  });

  it('bf16: bf16Round rounds values and gradients; the fused kernels round their outputs', async () => {
    await initBackend('wasm', { precision: 'bf16' });
    const x = tf.tensor1d([1.00390625 + 2 ** -12, -3.1415927, 1e-3]);
    expect(Array.from(bf16Round(x).dataSync())).toEqual([1.0078125, -3.140625, 0.00099945068359375]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(bf16Round(t), tf.tensor1d([0.1, 0.2, 0.3]))))(x);
    expect(allBf16(g.dataSync())).toBe(true);
    expect(fusedElementwiseActive()).toBe(true);
    const [a] = operands();
    expect(allBf16(nativeFusedKernels.swigluForward(a, a).dataSync())).toBe(true);
  });

  it('fp32: the float32 GEMM and no rounding', async () => {
    const info = await initBackend('wasm');
    expect(info.precision).toBe('fp32');
    expect(info.bf16Kernel).toBeUndefined();
    const [a, b] = operands();
    expect(allBf16(tf.matMul(a, b).dataSync())).toBe(false);
    expect(allBf16(nativeFusedKernels.swigluForward(a, a).dataSync())).toBe(false);
    const x = tf.tensor1d([1 + 2 ** -12]);
    expect(bf16Round(x)).toBe(x);
  });

  it('bf16 is refused, saying why, where it cannot run', async () => {
    process.env.TRM_GEMM = 'trm';
    await expect(initBackend('wasm', { precision: 'bf16' })).rejects.toThrow(/runtime.precision = bf16 needs the native addon's GEMM .*the WebAssembly GEMM that replaces it has no bfloat16 arithmetic/);
    process.env.TRM_GEMM = 'tfjs';
    await expect(initBackend('wasm', { precision: 'bf16' })).rejects.toThrow(/TRM_GEMM=tfjs/);
    delete process.env.TRM_GEMM;
    await expect(initBackend('cpu', { precision: 'bf16' })).rejects.toThrow(/the backend is not wasm; use runtime.precision = fp32/);
  });
});
