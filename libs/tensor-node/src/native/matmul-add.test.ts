// tensor-core's addMatMul (c + op(a) op(b), a weight gradient added to its running sum) on the native GEMM with an
// addend against its plain composition tf.add(c, tf.matMul(a, b)): the same bits in float32 and in bfloat16, the
// fused kernel really run (and tfjs's Add not), and the plain composition where the engine has no addend.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMatMul, installWasmGemm, setGemmAddend } from '@trm/tensor-core';
import { initBackend } from '../backend.ts';
import { randomArray } from '../testing/test-util.ts';
import { nativeAddon } from './addon.ts';

const skip = nativeAddon() ? null : 'the native addon does not load here';
if (skip) console.log(`addMatMul tests skipped: ${skip}`);

const tensor = (shape: number[], seed: number, scale = 1) => tf.tensor(randomArray(shape.reduce((x, y) => x * y, 1), seed, scale), shape);

/** The float32 bits of a tensor's values. */
const bitsOf = (t: tf.Tensor): Uint32Array<ArrayBufferLike> => new Uint32Array(Float32Array.from(t.dataSync()).buffer);

/** The kernels tfjs ran for f, by name, and f's result as bits. */
async function profiled(f: () => tf.Tensor): Promise<{ kernels: string[]; bits: Uint32Array<ArrayBufferLike> }> {
  let bits: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  const info = await tf.profile(() => {
    const t = f();
    bits = bitsOf(t);
    return t;
  });
  return { kernels: info.kernels.map((k) => k.name), bits };
}

// [c shape, a shape, b shape, transA, transB]: a weight gradient dy^T x (transA) at odd sizes, K across the GEMM's
// 512-wide k blocks, K = 1, the plain and transposed layouts, a batch with b broadcast
const cases: [number[], number[], number[], boolean, boolean][] = [
  [[13, 7], [29, 13], [29, 7], true, false],
  [[64, 96], [600, 64], [600, 96], true, false],
  [[5, 33], [1, 5], [1, 33], true, false],
  [[17, 19], [17, 40], [40, 19], false, false],
  [[17, 19], [40, 17], [19, 40], true, true],
  [[3, 6, 11], [3, 6, 9], [11, 9], false, true],
];

describe.skipIf(skip !== null)('addMatMul: a product added to a running sum', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    expect(installWasmGemm('native')).toBe('native');
  });
  afterAll(async () => {
    setGemmAddend(true);
    await initBackend('wasm');
  });

  for (const precision of ['fp32', 'bf16'] as const) {
    it(`${precision}: one fused GEMM with the bits of tf.add(c, tf.matMul(a, b))`, async () => {
      await initBackend('wasm', { precision });
      for (const [[cs, as, bs, tA, tB], i] of cases.map((c, i) => [c, i] as const)) {
        const c = tensor(cs, 3 * i + 1, 4), a = tensor(as, 3 * i + 2), b = tensor(bs, 3 * i + 3);
        const plain = await profiled(() => tf.add(c, tf.matMul(a, b, tA, tB)));
        const fused = await profiled(() => addMatMul(c, a, b, tA, tB));
        setGemmAddend(false);
        const off = await profiled(() => addMatMul(c, a, b, tA, tB));
        setGemmAddend(true);
        const shape = `[${cs}] + [${as}]${tA ? '^T' : ''} [${bs}]${tB ? '^T' : ''}`;
        expect(fused.kernels, shape).toEqual(['TrmMatMulAdd']);
        expect(off.kernels, shape).toEqual(['BatchMatMul', 'Add']);
        expect(Array.from(fused.bits), shape).toEqual(Array.from(plain.bits));
        expect(Array.from(off.bits), shape).toEqual(Array.from(plain.bits));
        // the sum really holds the product: not c itself
        expect(Array.from(fused.bits), shape).not.toEqual(Array.from(bitsOf(c)));
        tf.dispose([c, a, b]);
      }
    });
  }

  it('without a running sum: the product alone (tf.matMul)', async () => {
    await initBackend('wasm');
    const a = tensor([9, 4], 1), b = tensor([9, 6], 2);
    const got = await profiled(() => addMatMul(undefined, a, b, true, false));
    expect(got.kernels).toEqual(['BatchMatMul']);
    expect(Array.from(got.bits)).toEqual(Array.from(bitsOf(tf.matMul(a, b, true, false))));
  });

  it('the plain composition where the GEMM engine has no addend (the WebAssembly GEMM) or c does not fit', async () => {
    await initBackend('wasm');
    const c = tensor([4, 6], 1), a = tensor([9, 4], 2), b = tensor([9, 6], 3);
    const want = bitsOf(tf.add(c, tf.matMul(a, b, true, false)));
    // c broadcast along the rows: tf.add's broadcast, not the fused kernel's
    const row = tensor([1, 6], 4);
    const broadcast = await profiled(() => addMatMul(row, a, b, true, false));
    expect(broadcast.kernels).toEqual(['BatchMatMul', 'Add']);
    expect(Array.from(broadcast.bits)).toEqual(Array.from(bitsOf(tf.add(row, tf.matMul(a, b, true, false)))));
    expect(installWasmGemm('trm')).toBe('trm');
    try {
      const wasmGemm = await profiled(() => addMatMul(c, a, b, true, false));
      expect(wasmGemm.kernels).toEqual(['BatchMatMul', 'Add']);
      // the WebAssembly GEMM sums in another order than the native one: close, not necessarily the same bits
      const close = Array.from(new Float32Array(wasmGemm.bits.buffer)).every((v, i) => Math.abs(v - new Float32Array(want.buffer)[i]) < 1e-5);
      expect(close).toBe(true);
    } finally {
      installWasmGemm('native');
    }
  });
});
