import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@trm/tensor-node';
import { attention } from './attention.ts';
import { embedding } from './embedding.ts';
import { linear } from './linear.ts';
import { rmsNorm } from './norm.ts';
import { applyRope, ropeTables, ropeTablesHost } from './rope.ts';
import { swiglu, swigluInner } from './swiglu.ts';
import { expectClose, randomArray } from './test-util.ts';

beforeAll(async () => {
  await initBackend();
});

/** y[n, o] = sum_i x[n, i] * w[o, i] */
function linearRef(x: Float32Array, w: Float32Array, n: number, inF: number, out: number): Float64Array {
  const y = new Float64Array(n * out);
  for (let r = 0; r < n; r++) for (let o = 0; o < out; o++) {
    let acc = 0;
    for (let i = 0; i < inF; i++) acc += x[r * inF + i] * w[o * inF + i];
    y[r * out + o] = acc;
  }
  return y;
}

describe('linear', () => {
  it('matches x W^T + b over leading axes', () => {
    const x = randomArray(2 * 3 * 5, 1);
    const w = randomArray(4 * 5, 2);
    const b = randomArray(4, 3);
    const y = linear(tf.tensor3d(x, [2, 3, 5]), tf.tensor2d(w, [4, 5]), tf.tensor1d(b));
    expect(y.shape).toEqual([2, 3, 4]);
    const ref = linearRef(x, w, 6, 5, 4).map((v, i) => v + b[i % 4]);
    expectClose(y.dataSync(), ref);
  });
  it('rejects a mismatched input width', () => {
    expect(() => linear(tf.zeros([2, 3]), tf.zeros([4, 5]) as tf.Tensor2D)).toThrow(/does not match weight/);
  });
});

describe('rmsNorm', () => {
  it('normalises over the last axis and over a given axis', () => {
    const x = randomArray(2 * 3 * 4, 4, 3);
    const t = tf.tensor3d(x, [2, 3, 4]);
    const last = rmsNorm(t, 1e-5).dataSync();
    const mid = rmsNorm(t, 1e-5, 1).dataSync();
    const refLast = new Float64Array(24);
    const refMid = new Float64Array(24);
    for (let a = 0; a < 2; a++) {
      for (let b = 0; b < 3; b++) {
        let ms = 0;
        for (let c = 0; c < 4; c++) ms += x[a * 12 + b * 4 + c] ** 2 / 4;
        for (let c = 0; c < 4; c++) refLast[a * 12 + b * 4 + c] = x[a * 12 + b * 4 + c] / Math.sqrt(ms + 1e-5);
      }
      for (let c = 0; c < 4; c++) {
        let ms = 0;
        for (let b = 0; b < 3; b++) ms += x[a * 12 + b * 4 + c] ** 2 / 3;
        for (let b = 0; b < 3; b++) refMid[a * 12 + b * 4 + c] = x[a * 12 + b * 4 + c] / Math.sqrt(ms + 1e-5);
      }
    }
    expectClose(last, refLast);
    expectClose(mid, refMid);
  });
});

describe('rope', () => {
  it('builds cos/sin of pos * theta^(-2i/d), repeated twice', () => {
    const { cos, sin } = ropeTablesHost(4, 3, 10000);
    // position 2, i = 1: angle = 2 * 10000^(-0.5) = 0.02
    expect(cos[2 * 4 + 1]).toBeCloseTo(Math.cos(0.02), 6);
    expect(cos[2 * 4 + 3]).toBeCloseTo(Math.cos(0.02), 6);
    expect(sin[2 * 4 + 0]).toBeCloseTo(Math.sin(2), 6);
    expect(sin[0]).toBe(0);
  });
  it('applies x cos + rotate_half(x) sin per head, with gradient -rotate_half(dy) sin + dy cos', () => {
    const [B, H, S, d] = [2, 2, 3, 4];
    const x = randomArray(B * H * S * d, 5);
    const tables = ropeTables(d, S, 10000);
    const xt = tf.tensor4d(x, [B, H, S, d]);
    const y = applyRope(xt, tables).dataSync();
    const { cos, sin } = ropeTablesHost(d, S, 10000);
    const ref = new Float64Array(x.length);
    const gref = new Float64Array(x.length);
    for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let s = 0; s < S; s++) {
      const o = ((b * H + h) * S + s) * d;
      for (let i = 0; i < d; i++) {
        const rot = i < d / 2 ? -x[o + i + d / 2] : x[o + i - d / 2];
        ref[o + i] = x[o + i] * cos[s * d + i] + rot * sin[s * d + i];
        // d/dx of sum(y): cos[i] + (coefficient of x[i] in rot terms of its partner)
        const partner = i < d / 2 ? i + d / 2 : i - d / 2;
        gref[o + i] = cos[s * d + i] + (i < d / 2 ? sin[s * d + partner] : -sin[s * d + partner]);
      }
    }
    expectClose(y, ref);
    expectClose(tf.grad((t: tf.Tensor) => tf.sum(applyRope(t as tf.Tensor4D, tables)))(xt).dataSync(), gref);
  });
});

describe('attention', () => {
  it('is softmax(q k^T / sqrt(d)) v without a mask', () => {
    const [B, H, S, d] = [1, 2, 3, 4];
    const q = randomArray(B * H * S * d, 6);
    const k = randomArray(B * H * S * d, 7);
    const v = randomArray(B * H * S * d, 8);
    const out = attention(tf.tensor4d(q, [B, H, S, d]), tf.tensor4d(k, [B, H, S, d]), tf.tensor4d(v, [B, H, S, d])).dataSync();
    const ref = new Float64Array(out.length);
    for (let h = 0; h < H; h++) for (let i = 0; i < S; i++) {
      const scores = [];
      for (let j = 0; j < S; j++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += q[(h * S + i) * d + c] * k[(h * S + j) * d + c];
        scores.push(dot / Math.sqrt(d));
      }
      const m = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let c = 0; c < d; c++) {
        let acc = 0;
        for (let j = 0; j < S; j++) acc += (e[j] / z) * v[(h * S + j) * d + c];
        ref[(h * S + i) * d + c] = acc;
      }
    }
    expectClose(out, ref);
  });
});

describe('swiglu', () => {
  it('rounds the inner width like the reference', () => {
    expect(swigluInner(32, 2)).toBe(256); // round(42.7) = 43 -> 256
    expect(swigluInner(18, 2)).toBe(256);
    expect(swigluInner(128, 4)).toBe(512); // 341 -> 512
    expect(swigluInner(512, 4)).toBe(1536); // 1365 -> 1536
    expect(swigluInner(96, 4)).toBe(256); // 256 exactly
    expect(swigluInner(513, 0.75)).toBe(256); // round(256.5) = 256 (Python rounds halves to even)
  });
  it('is down(silu(gate) * up) with gate the first half', () => {
    const [N, w, inner] = [3, 4, 5];
    const x = randomArray(N * w, 9);
    const gu = randomArray(2 * inner * w, 10);
    const dn = randomArray(w * inner, 11);
    const y = swiglu(tf.tensor2d(x, [N, w]), tf.tensor2d(gu, [2 * inner, w]), tf.tensor2d(dn, [w, inner])).dataSync();
    const h = linearRef(x, gu, N, w, 2 * inner);
    const act = new Float32Array(N * inner);
    for (let n = 0; n < N; n++) for (let i = 0; i < inner; i++) {
      const g = h[n * 2 * inner + i];
      act[n * inner + i] = (g / (1 + Math.exp(-g))) * h[n * 2 * inner + inner + i];
    }
    expectClose(y, linearRef(act, dn, N, inner, w));
  });
});

describe('embedding', () => {
  it('gathers rows and accumulates gradients of repeated ids', () => {
    const w = randomArray(4 * 3, 12);
    const ids = new Int32Array([2, 0, 2, 3]);
    const dyData = randomArray(4 * 3, 13);
    const f = (t: tf.Tensor) => tf.sum(tf.mul(embedding(t as tf.Tensor2D, ids), tf.tensor2d(dyData, [4, 3])));
    const out = embedding(tf.tensor2d(w, [4, 3]), ids).dataSync();
    const ref = new Float32Array(12);
    ids.forEach((id, i) => ref.set(w.subarray(id * 3, id * 3 + 3), i * 3));
    expectClose(out, ref);
    const g = tf.grad(f)(tf.tensor2d(w, [4, 3])).dataSync();
    const gref = new Float64Array(12);
    ids.forEach((id, i) => { for (let c = 0; c < 3; c++) gref[id * 3 + c] += dyData[i * 3 + c]; });
    expectClose(g, gref);
  });
  it('rejects out-of-range ids', () => {
    expect(() => embedding(tf.zeros([4, 3]) as tf.Tensor2D, new Int32Array([4]))).toThrow(/outside \[0, 4\)/);
  });
});
