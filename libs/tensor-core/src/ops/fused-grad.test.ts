// The fused ops' hand-written gradients against tfjs autodiff of the plain compositions.
import { beforeAll, describe, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@trm/tensor-node';
import { rmsNorm } from './norm.ts';
import { swiglu } from './swiglu.ts';
import { expectClose, randomArray } from './test-util.ts';

beforeAll(async () => {
  await initBackend();
});

function plainSwiglu(x: tf.Tensor, gu: tf.Tensor2D, dn: tf.Tensor2D): tf.Tensor {
  const h = tf.matMul(x as tf.Tensor2D, gu, false, true);
  const [g, u] = tf.split(h, 2, -1);
  return tf.matMul(tf.mul(tf.mul(g, tf.sigmoid(g)), u) as tf.Tensor2D, dn, false, true);
}

function plainRms(x: tf.Tensor, axis: number): tf.Tensor {
  return tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), axis, true), 1e-5)));
}

describe('fused gradients', () => {
  it('rmsNorm matches autodiff over the last and a middle axis', () => {
    const x = tf.tensor3d(randomArray(2 * 3 * 4, 25, 2), [2, 3, 4]);
    const w = tf.tensor3d(randomArray(2 * 3 * 4, 26), [2, 3, 4]);
    for (const axis of [-1, 1]) {
      const ours = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(rmsNorm(a, 1e-5, axis), w)))(x);
      const ref = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(plainRms(a, axis), w)))(x);
      expectClose(ours.dataSync(), ref.dataSync(), 1e-5);
    }
  });
});

/** Run `body` with `kernel` as the wasm BatchMatMul (no-op on other backends), then restore the previous one. */
async function onKernel(kernel: 'trm' | 'tfjs' | 'original', body: () => void): Promise<void> {
  const { installWasmGemm, uninstallWasmGemm, gemmEngine } = await import('../kernels/matmul.ts');
  const before = gemmEngine() ?? 'tfjs';
  if (tf.getBackend() === 'wasm') {
    if (kernel === 'original') uninstallWasmGemm();
    else installWasmGemm(kernel);
  }
  try {
    body();
  } finally {
    if (tf.getBackend() === 'wasm') installWasmGemm(before);
  }
}

// Products on tensor-core's wasm GEMM (transpose flags, batched in one call) and on tfjs's own GEMM behind the
// kernel that avoids its slow cases (explicit Transpose, per-matrix batches).
describe.each(['trm', 'tfjs'] as const)('products with the %s BatchMatMul kernel', (kernel) => {
  it('swiglu matches autodiff of the plain composition for x, gate_up and down', async () => {
    const x = tf.tensor2d(randomArray(5 * 4, 21), [5, 4]);
    const gu = tf.tensor2d(randomArray(2 * 6 * 4, 22), [12, 4]);
    const dn = tf.tensor2d(randomArray(4 * 6, 23), [4, 6]);
    const w = tf.tensor2d(randomArray(5 * 4, 24), [5, 4]);
    const loss = (fn: typeof plainSwiglu) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(fn(a, b as tf.Tensor2D, c as tf.Tensor2D), w));
    await onKernel(kernel, () => {
      const ours = tf.grads(loss(swiglu))([x, gu, dn]);
      const ref = tf.grads(loss(plainSwiglu))([x, gu, dn]);
      expectClose(swiglu(x, gu, dn).dataSync(), plainSwiglu(x, gu, dn).dataSync(), 1e-5);
      ours.forEach((g, i) => expectClose(g.dataSync(), ref[i].dataSync(), 1e-5));
    });
  });

  it('linearBackward matches autodiff of x transpose(W), for wide and narrow W', async () => {
    const { linearBackward } = await import('./linear.ts');
    for (const [out, inF] of [[7, 3], [3, 7]]) {
      const x = tf.tensor2d(randomArray(5 * inF, 37 + out), [5, inF]);
      const W = tf.tensor2d(randomArray(out * inF, 38 + out), [out, inF]);
      const dy = tf.tensor2d(randomArray(5 * out, 39 + out), [5, out]);
      await onKernel(kernel, () => {
        const ref = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p as tf.Tensor2D, tf.transpose(q)), dy)))([x, W]);
        linearBackward(dy, x, W).forEach((g, i) => expectClose(g.dataSync(), ref[i].dataSync(), 1e-5));
      });
    }
  });

  it('2-D and batched products, with every transpose flag, and their gradients equal tfjs-wasm\'s own kernel', async () => {
    const cases: [number[], number[]][] = [[[7, 3], [3, 5]], [[3, 7], [7, 5]], [[2, 3, 4, 5], [2, 3, 5, 6]]];
    for (const [sa, sb] of cases) {
      for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
        const swap = (s: number[]) => [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];
        const a = tf.tensor(randomArray(sa.reduce((x, y) => x * y, 1), 31), tA ? swap(sa) : sa);
        const b = tf.tensor(randomArray(sb.reduce((x, y) => x * y, 1), 32), tB ? swap(sb) : sb);
        const run = () => {
          const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, tA, tB)));
          return [tf.matMul(a, b, tA, tB), ...tf.grads(f)([a, b])].map((t) => t.dataSync() as Float32Array);
        };
        let ours: Float32Array[] = [];
        let theirs: Float32Array[] = [];
        await onKernel(kernel, () => (ours = run()));
        await onKernel('original', () => (theirs = run()));
        ours.forEach((o, i) => expectClose(o, theirs[i], 1e-5));
      }
    }
  });
});

describe('attention', () => {
  it('gradients of q, k, v match autodiff of softmax(q k^T / sqrt(d)) v', async () => {
    const { attention } = await import('./attention.ts');
    const shape: [number, number, number, number] = [2, 2, 3, 4];
    const [q, k, v, w] = [41, 42, 43, 44].map((seed) => tf.tensor4d(randomArray(48, seed), shape));
    const plain = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.matMul(tf.softmax(tf.mul(tf.matMul(a, b, false, true), 0.5), -1), c);
    const ours = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(attention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D), w)))([q, k, v]);
    const ref = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(plain(a, b, c), w)))([q, k, v]);
    ours.forEach((g, i) => expectClose(g.dataSync(), ref[i].dataSync(), 1e-5));
  });
});
