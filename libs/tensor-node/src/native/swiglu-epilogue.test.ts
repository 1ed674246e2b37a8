// The SwiGLU projections with the gating in the GEMM's epilogue (TrmGemmSwiglu: the addon's gemmSwiglu) against the
// plain composition beside it (two products on the wasm BatchMatMul, then the gating pass TrmSwigluForward): the same
// bits for a, g, u and the block's output y, in float32 and bfloat16, where gemmSwiglu runs and where it declines
// (K above one k block, inner not a multiple of half a tile's columns: the kernel then runs the composition itself);
// and swigluValue (no backward follows): y with the same bits, only a written.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { swigluForward, swigluValue } from '@trm/tensor-core';
import { initBackend } from '../backend.ts';
import { randomArray } from '../testing/test-util.ts';
import { nativeAddon } from './addon.ts';
import { nativeFusedKernels, setSwigluEpilogue } from './fused-kernels.ts';

const skip = nativeAddon() ? null : 'the native addon does not load here';
if (skip) console.log(`SwiGLU epilogue tests skipped: ${skip}`);

const t2 = (rows: number, cols: number, seed: number, scale = 1) => tf.tensor2d(randomArray(rows * cols, seed, scale), [rows, cols]);
const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));

// [rows, K, inner]: partial row tiles, K = 512 (one full k block), inner across the 2048-column block, one row;
// then two shapes gemmSwiglu declines: K = 600, inner = 51
const shapes: [number, number, number][] = [[37, 29, 64], [100, 512, 256], [13, 40, 1536], [1, 8, 16], [37, 600, 64], [37, 29, 51]];

describe.skipIf(skip !== null)('SwiGLU gating in the GEMM epilogue', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    setSwigluEpilogue(true);
    await initBackend('wasm');
  });

  for (const precision of ['fp32', 'bf16'] as const) {
    it(`${precision}: a, g, u and y have the bits of the two products and the gating pass`, async () => {
      const info = await initBackend('wasm', { precision });
      expect(info.gemm).toBe('native');
      for (const [[rows, K, inner], i] of shapes.map((s, i) => [s, i] as const)) {
        const at = `[${rows}, ${K}, ${inner}]`;
        const x = t2(rows, K, 4 * i + 1, 2), gate = t2(inner, K, 4 * i + 2, 0.3), up = t2(inner, K, 4 * i + 3, 0.3), down = t2(K, inner, 4 * i + 4, 0.3);
        // the kernel itself against the composition
        const fused = nativeFusedKernels.swigluProjections(x, gate, up)!;
        expect(fused, at).not.toBeNull();
        const g = tf.matMul(x, gate, false, true), u = tf.matMul(x, up, false, true);
        const a = nativeFusedKernels.swigluForward(g, u);
        expect(bits(fused.g), `g ${at}`).toEqual(bits(g));
        expect(bits(fused.u), `u ${at}`).toEqual(bits(u));
        expect(bits(fused.a), `a ${at}`).toEqual(bits(a));
        expect(bits(fused.a), `a ${at}`).not.toEqual(bits(fused.g)); // the gating ran
        // through the op, on and off
        let on: number[][] = [];
        const profile = await tf.profile(() => {
          const r = swigluForward(x, gate, up, down);
          on = [r.y, r.g, r.u].map(bits);
          return [r.y, r.g, r.u];
        });
        expect(profile.kernelNames, at).toContain('TrmGemmSwiglu');
        expect(profile.kernelNames, at).not.toContain('TrmSwigluForward');
        setSwigluEpilogue(false);
        const off = tf.tidy(() => {
          const r = swigluForward(x, gate, up, down);
          return [r.y, r.g, r.u].map(bits);
        });
        setSwigluEpilogue(true);
        expect(on, at).toEqual(off);
        // without a backward (swigluValue): y alone, the same bits, one output written (no g and u)
        const value = await tf.profile(() => {
          const y = swigluValue(x, gate, up, down);
          expect(bits(y), `value ${at}`).toEqual(on[0]);
          return y;
        });
        const gating = value.kernels.filter((k) => k.name === 'TrmGemmSwiglu');
        expect(gating.length, at).toBe(1);
        expect(gating[0].outputShapes, at).toEqual([[rows, inner]]);
        tf.dispose([x, gate, up, down, g, u, a, fused.a, fused.g, fused.u]);
      }
    });
  }

  it('off, or inside withUnroundedProducts in bf16, it is not used (null: the caller composes)', async () => {
    await initBackend('wasm');
    const x = t2(4, 8, 1), w = t2(16, 8, 2);
    setSwigluEpilogue(false);
    expect(nativeFusedKernels.swigluProjections(x, w, w)).toBeNull();
    setSwigluEpilogue(true);
    const { withUnroundedProducts } = await import('@trm/tensor-core');
    await initBackend('wasm', { precision: 'bf16' });
    expect(withUnroundedProducts(() => nativeFusedKernels.swigluProjections(x, w, w))).toBeNull();
    expect(() => nativeFusedKernels.swigluProjections(x, t2(16, 9, 3), t2(16, 9, 3))).toThrow(/swigluProjections: x has shape \[4,8\], expected \[rows, 9\]/);
    tf.dispose([x, w]);
  });
});
