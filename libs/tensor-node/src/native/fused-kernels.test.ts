// The native fused element-wise kernels (native/elementwise.cc via fused-kernels.ts): their exp/sigmoid against
// float64, each kernel through the public op functions against the plain tfjs path (values and gradients, sizes
// that leave vector tails), the dispatch switch, and the argument checks.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addRmsNormForward, applyRope, attentionBackward, attentionForward, installWasmGemm, rmsNorm, rmsNormBackward, rmsNormForward,
  ropeBackward, ropeForward, ropeTables, swigluBackward, swigluForward, swigluSplit,
} from '@trm/tensor-core';
import { initBackend } from '../backend.ts';
import { randomArray } from '../testing/test-util.ts';
import { nativeAddon } from './addon.ts';
import { fusedElementwiseActive, nativeFusedKernels, setFusedElementwise, setSwigluEpilogue } from './fused-kernels.ts';

const { softmax: fusedSoftmax, swigluBackward: fusedSwigluBackward } = nativeFusedKernels;

/** float32 ulp at |x| (x a normal float). */
const ulp = (x: number): number => 2 ** (Math.floor(Math.log2(Math.abs(Math.fround(x)))) - 23);

function addon() {
  const a = nativeAddon();
  if (!a) throw new Error('the native addon did not load on this machine (see stderr)');
  return a;
}

/** Run f with the fused kernels on, then off; both results as host arrays. */
function both(f: () => tf.Tensor[]): [Float32Array[], Float32Array[]] {
  const run = (on: boolean) => {
    setFusedElementwise(on);
    try {
      return tf.tidy(f).map((t) => {
        const d = t.dataSync() as Float32Array;
        t.dispose();
        return d;
      });
    } finally {
      setFusedElementwise(true);
    }
  };
  return [run(true), run(false)];
}

/** max |a - b| / (max |b|): the error relative to the tensor's scale (for outputs of products and row sums). */
function scaledError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    expect(Number.isFinite(a[i])).toBe(true);
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

const t2 = (rows: number, cols: number, seed: number, scale = 1) => tf.tensor2d(randomArray(rows * cols, seed, scale), [rows, cols]);

beforeAll(async () => {
  await initBackend('wasm');
  expect(installWasmGemm('native')).toBe('native');
});
afterAll(() => setFusedElementwise(true));

describe('exp and sigmoid of the fused kernels', () => {
  // A dense grid over the whole normal range of exp's result; exact values in float64.
  const grid = Float32Array.from({ length: 200_001 }, (_, i) => -87 + (i * 175) / 200_000);

  it('exp is within ~1 ulp of the exact value', () => {
    const x = grid.slice();
    addon().expInPlace(x);
    let worst = 0;
    grid.forEach((v, i) => (worst = Math.max(worst, Math.abs(x[i] - Math.exp(v)) / ulp(Math.exp(v)))));
    // measured worst 1.002 ulp (in units of the exact value's binade: at a power of two the result rounds up into
    // the next binade); a polynomial or reduction slip shows as several ulp
    expect(worst).toBeLessThan(1.5);
  });

  it('sigmoid is within 3 ulp of the exact value, saturates and keeps NaN', () => {
    const xs = Float32Array.from({ length: 100_001 }, (_, i) => -80 + (i * 160) / 100_000);
    const s = xs.slice();
    addon().sigmoidInPlace(s);
    let worst = 0;
    xs.forEach((v, i) => {
      const e = 1 / (1 + Math.exp(-v));
      worst = Math.max(worst, Math.abs(s[i] - e) / ulp(e));
    });
    // 1 + exp(-x) and the division each round once on top of exp's error
    expect(worst).toBeLessThanOrEqual(3);
    const edge = Float32Array.from([-1000, -100, 100, 1000, -Infinity, Infinity, Number.NaN, 0]);
    addon().sigmoidInPlace(edge);
    expect(Array.from(edge)).toEqual([0, 0, 1, 1, 0, 1, Number.NaN, 0.5]);
  });
});

describe('fused kernels through the op functions, against the plain tfjs path', () => {
  // 37 rows, widths 29 and 51: every vector loop has a tail (the addon's vectors are 4, 8 or 16 floats)
  const [N, w, inner] = [37, 29, 51];

  it('the switch and the GEMM engine decide which path runs', async () => {
    const g = t2(N, inner, 1), u = t2(N, inner, 2), gate = t2(inner, w, 3), up = t2(inner, w, 4), down = t2(w, inner, 5), x = t2(N, w, 6);
    const kernels = async () => (await tf.profile(() => tf.dispose(Object.values(swigluForward(x, gate, up, down))))).kernelNames;
    expect(fusedElementwiseActive()).toBe(true);
    expect(await kernels()).toContain('TrmGemmSwiglu'); // the projections and the gating in one kernel
    setSwigluEpilogue(false);
    expect(await kernels()).toContain('TrmSwigluForward');
    expect(await kernels()).not.toContain('TrmGemmSwiglu');
    setSwigluEpilogue(true);
    setFusedElementwise(false);
    expect(fusedElementwiseActive()).toBe(false);
    expect(await kernels()).not.toContain('TrmSwigluForward');
    expect(await kernels()).toContain('Sigmoid');
    setFusedElementwise(true);
    installWasmGemm('trm');
    expect(fusedElementwiseActive()).toBe(false);
    installWasmGemm('native');
    expect(fusedElementwiseActive()).toBe(true);
    tf.dispose([g, u, gate, up, down, x]);
  });

  it('SwiGLU gating forward: values within 4 ulp of float64, and of the tfjs path', () => {
    const gd = randomArray(N * inner, 7, 6), ud = randomArray(N * inner, 8, 2);
    const x = t2(N, w, 9), gate = t2(inner, w, 10), up = t2(inner, w, 11), down = t2(w, inner, 12);
    // g and u as the products give them; check a = silu(g) * u through the activations the op returns
    const [fused, plain] = both(() => {
      const { y, g, u } = swigluForward(x, gate, up, down);
      return [y, g, u];
    });
    expect(scaledError(fused[0], plain[0])).toBeLessThan(2e-6); // y: a sum of 51 products of a per element
    expect(fused[1]).toEqual(plain[1]); // g and u: the same GEMM on both paths
    // the gating alone, on inputs spanning the sigmoid's range: against float64
    const [a] = tf.tidy(() => fusedSwigluBackward(tf.onesLike(tf.tensor1d(gd)), tf.tensor1d(gd), tf.tensor1d(ud))).map((t) => t.dataSync() as Float32Array);
    let worst = 0;
    gd.forEach((gv, i) => {
      const e = (gv / (1 + Math.exp(-gv))) * ud[i];
      if (Math.abs(e) > 1e-30) worst = Math.max(worst, Math.abs(a[i] - e) / ulp(e));
    });
    expect(worst).toBeLessThanOrEqual(4);
    tf.dispose([x, gate, up, down]);
  });

  it('SwiGLU backward: dx and the three weight gradients match the tfjs path', () => {
    const x = t2(N, w, 13), gate = t2(inner, w, 14, 0.5), up = t2(inner, w, 15, 0.5), down = t2(w, inner, 16, 0.5), dy = t2(N, w, 17);
    const [fused, plain] = both(() => {
      const { g, u } = swigluForward(x, gate, up, down);
      return swigluBackward(dy as tf.Tensor2D, x, g, u, gate, up, down);
    });
    // outputs are sums of N or inner products of element-wise terms that agree to a few ulp (the sigmoids differ
    // in their last bits, 1 + g (1 - sg) is one FMA natively): relative to the tensor's scale, 1e-5 is ~100 ulp
    for (let i = 0; i < 4; i++) expect(scaledError(fused[i], plain[i])).toBeLessThan(1e-5);
    tf.dispose([x, gate, up, down, dy]);
  });

  it('RMSNorm forward and backward (rank 3, last axis) match the tfjs path', () => {
    const x = tf.tensor3d(randomArray(3 * 13 * w, 18, 3), [3, 13, w]), dy = tf.tensor3d(randomArray(3 * 13 * w, 19), [3, 13, w]);
    const [fused, plain] = both(() => {
      const { y, r } = rmsNormForward(x, 1e-5, -1);
      expect(r.shape).toEqual([3, 13, 1]);
      return [y, r, rmsNormBackward(dy, y, r, -1)];
    });
    // a row sum of 29 squares / products in another order: a few ulp
    expect(scaledError(fused[0], plain[0])).toBeLessThan(1e-6);
    expect(scaledError(fused[1], plain[1])).toBeLessThan(1e-6);
    expect(scaledError(fused[2], plain[2])).toBeLessThan(2e-6);
    tf.dispose([x, dy]);
  });

  it('RMSNorm of a residual sum: the fused pass equals the fused norm of tf.add bit for bit, and the tfjs path', async () => {
    const x = tf.tensor3d(randomArray(3 * 13 * w, 26, 3), [3, 13, w]), o = tf.tensor3d(randomArray(3 * 13 * w, 27, 2), [3, 13, w]);
    const [fused, plain] = both(() => {
      const { y, r } = addRmsNormForward(x, o, 1e-5, -1);
      expect(r.shape).toEqual([3, 13, 1]);
      const separate = rmsNormForward(tf.add(x, o), 1e-5, -1); // the sum stored, then the norm kernel
      return [y, r, separate.y, separate.r];
    });
    expect(fused[0]).toEqual(fused[2]);
    expect(fused[1]).toEqual(fused[3]);
    expect(scaledError(fused[0], plain[0])).toBeLessThan(1e-6);
    expect(scaledError(fused[1], plain[1])).toBeLessThan(1e-6);
    const names = (await tf.profile(() => tf.dispose(Object.values(addRmsNormForward(x, o, 1e-5, -1))))).kernelNames;
    expect(names).toEqual(['TrmAddRmsNormForward']); // no Add kernel: the sum is never stored
    expect(() => addRmsNormForward(x, tf.zeros([3, 13, w + 1]), 1e-5, -1)).toThrow(/addRmsNormForward: o has shape \[3,13,30\]/);
    tf.dispose([x, o]);
  });

  it('attention (softmax forward and backward) matches the tfjs path, and the softmax rows sum to 1', async () => {
    const shape: [number, number, number, number] = [2, 3, 37, 16]; // S = 37: the softmax rows have a vector tail
    const t4 = (seed: number, scale = 1) => tf.tensor4d(randomArray(shape.reduce((a, b) => a * b), seed, scale), shape);
    const [q, k, v, dy] = [31, 32, 33, 34].map((seed) => t4(seed, 3));
    const [fused, plain] = both(() => [attentionForward(q, k, v), ...attentionBackward(dy, q, k, v)]);
    for (let i = 0; i < 4; i++) expect(scaledError(fused[i], plain[i])).toBeLessThan(2e-6);
    const names = (await tf.profile(() => tf.dispose(attentionBackward(dy, q, k, v)))).kernelNames;
    expect(names).toContain('TrmSoftmax');
    expect(names).toContain('TrmSoftmaxBackward');
    expect(names).not.toContain('Softmax');
    expect(names).not.toContain('Multiply'); // the scale is applied inside the native passes
    // above hd = 16 (the scale 1/4 is a power of two, exact wherever it is applied); hd = 12 has a scale that is not
    const s12: [number, number, number, number] = [1, 2, 37, 12];
    const [q2, k2, v2, dy2] = [41, 42, 43, 44].map((seed) => tf.tensor4d(randomArray(s12.reduce((a, b) => a * b), seed, 3), s12));
    const [f12, p12] = both(() => [attentionForward(q2, k2, v2), ...attentionBackward(dy2, q2, k2, v2)]);
    for (let i = 0; i < 4; i++) expect(scaledError(f12[i], p12[i])).toBeLessThan(2e-6);
    tf.dispose([q2, k2, v2, dy2]);
    const x = tf.tensor2d(randomArray(5 * 37, 35, 30), [5, 37]); // scores up to +-30: exp spans 26 decades
    const p = fusedSoftmax(x, 1).dataSync() as Float32Array;
    const ref = tf.softmax(x).dataSync() as Float32Array;
    for (let r = 0; r < 5; r++) expect(Math.abs(p.slice(r * 37, r * 37 + 37).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
    expect(scaledError(p, ref)).toBeLessThan(1e-6);
    tf.dispose([q, k, v, dy, x]);
  });

  it('RoPE forward, backward and gradients through applyRope match the tfjs path', async () => {
    const [S, hd] = [13, 40]; // half 20: a vector tail in each half
    const tables = ropeTables(hd, S, 10000);
    const x = tf.tensor4d(randomArray(2 * 3 * S * hd, 36, 2), [2, 3, S, hd]), dy = tf.tensor4d(randomArray(2 * 3 * S * hd, 37), [2, 3, S, hd]);
    const [fused, plain] = both(() => [ropeForward(x, tables), ropeBackward(dy, tables), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(applyRope(t as tf.Tensor4D, tables), dy)))(x)]);
    // one product and one sum per element (fused into an FMA natively): ~1 ulp of the result's scale
    for (let i = 0; i < 3; i++) expect(scaledError(fused[i], plain[i])).toBeLessThan(5e-7);
    const names = (await tf.profile(() => tf.dispose([ropeForward(x, tables), ropeBackward(dy, tables)]))).kernelNames;
    expect(names).toEqual(['TrmRope', 'TrmRopeBackward']);
    const other = ropeTables(hd, S + 1, 10000); // tables of another length: not the fused path, and tfjs's broadcast refuses them
    expect(() => ropeForward(x, other)).toThrow();
    tf.dispose([x, dy, tables.cos, tables.sin, other.cos, other.sin]);
  });

  it('RMSNorm over another axis keeps the tfjs path', async () => {
    const x = t2(N, w, 20);
    const names = (await tf.profile(() => tf.dispose(Object.values(rmsNormForward(x, 1e-5, 0))))).kernelNames;
    expect(names).not.toContain('TrmRmsNormForward');
    expect(names).toContain('Mean');
    x.dispose();
  });

  it('gradients through swigluSplit and rmsNorm (tf.grads) match the tfjs path', () => {
    const x = tf.tensor3d(randomArray(2 * 19 * w, 21), [2, 19, w]), gate = t2(inner, w, 22, 0.5), up = t2(inner, w, 23, 0.5), down = t2(w, inner, 24, 0.5);
    const weight = tf.tensor3d(randomArray(2 * 19 * w, 25), [2, 19, w]);
    const [fused, plain] = both(() => {
      const f = (xs: tf.Tensor, gs: tf.Tensor, us: tf.Tensor, ds: tf.Tensor) => tf.sum(tf.mul(rmsNorm(tf.add(xs, swigluSplit(xs, gs as tf.Tensor2D, us as tf.Tensor2D, ds as tf.Tensor2D))), weight));
      return tf.grads(f)([x, gate, up, down]);
    });
    for (let i = 0; i < 4; i++) expect(scaledError(fused[i], plain[i])).toBeLessThan(1e-5);
    tf.dispose([x, gate, up, down, weight]);
  });
});

describe('fused kernel argument checks', () => {
  it('shape mismatches name the operand', () => {
    const g = tf.zeros([4, 5]), u = tf.zeros([4, 6]);
    expect(() => fusedSwigluBackward(g, g, u)).toThrow(/swigluBackward: u has shape \[4,6\], expected \[4,5\]/);
    tf.dispose([g, u]);
  });

  it('the addon refuses ranges outside the buffer', () => {
    const buffer = new ArrayBuffer(64);
    expect(() => addon().swigluForward(buffer, 0, 16, 40, 8)).toThrow(/a: bytes \[40, 72\) exceed the buffer of 64 bytes/);
    expect(() => addon().rmsNormForward(buffer, 0, 0, 2, 1, 4, 1e-5)).toThrow(/multiples of 4/);
    expect(() => addon().rmsNormBackward(buffer, 0, 0, 0, 0, -1, 4)).toThrow(/rows must be a non-negative integer/);
    expect(() => addon().ropeForward(buffer, 0, 0, 0, 0, 1, 1, 3)).toThrow(/hd must be even/);
    expect(() => addon().softmaxBackward(buffer, 0, 0, 32, 2, 5, 1)).toThrow(/ds: bytes \[32, 72\) exceed/);
    expect(() => addon().addRmsNormForward(buffer, 0, 32, 48, 0, 2, 4, 1e-5)).toThrow(/y: bytes \[48, 80\) exceed the buffer of 64 bytes/);
  });
});
