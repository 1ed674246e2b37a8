import { setFlagsFromString } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@trm/tensor-node';
import { expectClose, randomArray } from '../../ops/test-util.ts';
import { createGemm, DEFAULT_GEMM, type GemmConfig, type GemmHeap } from './gemm.ts';
import { wasm } from './wasm-api.ts';
import { sleb, uleb } from './wasm-emit.ts';
import { gemmActive, gemmChoice, installWasmGemm, uninstallWasmGemm } from '../matmul.ts';

/** c[m, n] = sum_k a[m, k] b[k, n] in float64 */
function matmulRef(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
    c[i * N + j] = s;
  }
  return c;
}

/** A standalone heap: a fresh memory with a bump allocator. */
function testHeap(): GemmHeap & { alloc(floats: number, misalign?: number): number } {
  const memory = new wasm.Memory({ initial: 64 });
  let top = 1024;
  const malloc = (bytes: number): number => {
    const p = top;
    top = (top + bytes + 15) & ~15;
    const need = Math.ceil(top / 65536) - memory.buffer.byteLength / 65536;
    if (need > 0) memory.grow(need);
    return p;
  };
  return { memory, malloc, free: () => {}, alloc: (floats, misalign = 0) => malloc(floats * 4 + 16) + misalign * 4 };
}

describe('wasm-emit', () => {
  it('encodes LEB128 as the spec examples', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-1)).toEqual([0x7f]);
  });
});

describe('createGemm (standalone heap)', () => {
  // tiny blocks so that small shapes cross every block boundary: k blocks of 5, 2 row panels, 2 column panels
  const tiny: Partial<GemmConfig> = { kc: 5, mc: 8, nc: 16 };
  const shapes: [number, number, number][] = [
    [1, 1, 1], [4, 8, 8], [3, 5, 7], [5, 9, 17], [13, 11, 33], [9, 16, 8], [17, 3, 1], [1, 40, 31], [33, 17, 9],
  ];
  const variants: [string, Partial<GemmConfig>][] = [
    ['tiny blocks', tiny],
    ['default blocks', {}],
    ['3x12 tiles, unrolled k', { mr: 3, nr: 12, unroll: 3, kc: 7, mc: 9, nc: 24 }],
  ];
  for (const [label, over] of variants) {
    it(`matches a float64 product on edge shapes (${label})`, () => {
      const heap = testHeap();
      const gemm = createGemm(heap, over);
      shapes.forEach(([M, K, N], s) => {
        const a = randomArray(M * K, 10 + s), b = randomArray(K * N, 20 + s);
        // operands at offsets that are not 16-byte aligned, C pre-filled with NaN (must be overwritten)
        const pa = heap.alloc(M * K, 1), pb = heap.alloc(K * N, 3), pc = heap.alloc(M * N, 2);
        const f = new Float32Array(heap.memory.buffer);
        f.set(a, pa / 4);
        f.set(b, pb / 4);
        f.fill(NaN, pc / 4, pc / 4 + M * N);
        gemm.matmul(pa, pb, pc, M, N, K);
        const c = new Float32Array(heap.memory.buffer, pc, M * N);
        const ref = matmulRef(a, b, M, K, N);
        expectClose(c, ref);
        // the same product from transposed storage: A^T [K,M], B^T [N,K]
        const pat = heap.alloc(M * K, 1), pbt = heap.alloc(K * N, 2), pct = heap.alloc(M * N);
        const g = new Float32Array(heap.memory.buffer);
        for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) g[pat / 4 + k * M + i] = a[i * K + k];
        for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) g[pbt / 4 + j * K + k] = b[k * N + j];
        for (const [ta, tb] of [[true, false], [false, true], [true, true]]) {
          g.fill(NaN, pct / 4, pct / 4 + M * N);
          gemm.matmul(ta ? pat : pa, tb ? pbt : pb, pct, M, N, K, ta, tb);
          expectClose(new Float32Array(heap.memory.buffer, pct, M * N), ref);
        }
      });
      gemm.dispose();
    });
  }
  it('crosses the default k block (K > kc) and is deterministic', () => {
    const heap = testHeap();
    const gemm = createGemm(heap);
    const [M, K, N] = [7, DEFAULT_GEMM.kc * 2 + 3, 12];
    const a = randomArray(M * K, 5), b = randomArray(K * N, 6);
    const pa = heap.alloc(M * K), pb = heap.alloc(K * N), pc = heap.alloc(M * N), pc2 = heap.alloc(M * N);
    new Float32Array(heap.memory.buffer).set(a, pa / 4);
    new Float32Array(heap.memory.buffer).set(b, pb / 4);
    gemm.matmul(pa, pb, pc, M, N, K);
    gemm.matmul(pa, pb, pc2, M, N, K);
    const c = new Float32Array(heap.memory.buffer, pc, M * N);
    expectClose(c, matmulRef(a, b, M, K, N), 1e-5);
    expect(new Float32Array(heap.memory.buffer, pc2, M * N)).toEqual(c);
  });
  it('writes zeros for K = 0 and rejects unaligned offsets', () => {
    const heap = testHeap();
    const gemm = createGemm(heap);
    const pc = heap.alloc(6);
    new Float32Array(heap.memory.buffer, pc, 6).fill(7);
    gemm.matmul(pc, pc, pc, 2, 3, 0);
    expect([...new Float32Array(heap.memory.buffer, pc, 6)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => gemm.matmul(pc + 2, pc, pc, 1, 1, 1)).toThrow(/4-byte aligned/);
  });
  it('uses relaxed-simd multiply-add when asked (fma), given the V8 flag', () => {
    setFlagsFromString('--experimental-wasm-relaxed-simd'); // this test file's worker only
    const heap = testHeap();
    const gemm = createGemm(heap, { fma: true, kc: 6 });
    const [M, K, N] = [9, 14, 19];
    const a = randomArray(M * K, 7), b = randomArray(K * N, 8);
    const pa = heap.alloc(M * K), pb = heap.alloc(K * N), pc = heap.alloc(M * N);
    new Float32Array(heap.memory.buffer).set(a, pa / 4);
    new Float32Array(heap.memory.buffer).set(b, pb / 4);
    gemm.matmul(pa, pb, pc, M, N, K);
    expectClose(new Float32Array(heap.memory.buffer, pc, M * N), matmulRef(a, b, M, K, N));
  });
  it('rejects a tile width that is not a multiple of 4', () => {
    expect(() => createGemm(testHeap(), { nr: 6 })).toThrow(/bad tile shape/);
  });
});

describe('TRM_GEMM', () => {
  beforeAll(async () => {
    await initBackend('wasm'); // registers @trm/tensor-node's native engine
  });
  it('defaults to the native engine when one is registered (here the addon loads), and rejects unknown values', () => {
    expect(gemmChoice(undefined)).toBe('native');
    expect(gemmChoice('')).toBe('native');
    expect(gemmChoice('native')).toBe('native');
    expect(gemmChoice('trm')).toBe('trm');
    expect(gemmChoice('tfjs')).toBe('tfjs');
    expect(() => gemmChoice('blas')).toThrow(/TRM_GEMM: unknown matmul kernel "blas" \(expected native, trm or tfjs\)/);
  });
});

describe.each(['native', 'trm'] as const)("wasm backend 'BatchMatMul' override: %s", (engine) => {
  beforeAll(async () => {
    await initBackend('wasm');
    expect(installWasmGemm(engine)).toBe(engine);
  });
  afterAll(() => {
    installWasmGemm(gemmChoice(undefined));
  });

  it('replaces the kernel and restores tfjs on request', () => {
    const ours = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    expect(gemmActive()).toBe(true);
    uninstallWasmGemm();
    const theirs = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    expect(theirs).not.toBe(ours);
    expect(gemmActive()).toBe(false);
    installWasmGemm(engine);
    expect(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc).toBe(ours);
    expect(gemmActive()).toBe(true);
  });

  it('matches a float64 product for 2-D, batched and broadcast operands', () => {
    const cases: { a: number[]; b: number[] }[] = [
      { a: [13, 21], b: [21, 10] },
      { a: [3, 9, 6], b: [3, 6, 5] },
      { a: [2, 2, 5, 7], b: [2, 2, 7, 3] },
      { a: [4, 5, 7], b: [7, 9] }, // one matrix for every batch entry
      { a: [6, 4], b: [2, 4, 3] },
      { a: [1, 97, 64], b: [3, 64, 1] }, // unit-batched A broadcast, N = 1
      { a: [2, 3, 1, 129], b: [2, 3, 129, 70] }, // M = 1, K above one 128-wide block
    ];
    cases.forEach(({ a: sa, b: sb }, i) => {
      const [M, K] = sa.slice(-2), N = sb[sb.length - 1];
      const ba = sa.slice(0, -2).reduce((x, y) => x * y, 1), bb = sb.slice(0, -2).reduce((x, y) => x * y, 1);
      const a = randomArray(ba * M * K, 30 + i), b = randomArray(bb * K * N, 40 + i);
      const c = tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb));
      const batch = Math.max(ba, bb);
      expect(c.shape).toEqual([...(ba >= bb ? sa : sb).slice(0, -2), M, N]);
      const ref = new Float64Array(batch * M * N);
      for (let t = 0; t < batch; t++) {
        const at = a.subarray((ba === 1 ? 0 : t) * M * K, ((ba === 1 ? 0 : t) + 1) * M * K);
        const bt = b.subarray((bb === 1 ? 0 : t) * K * N, ((bb === 1 ? 0 : t) + 1) * K * N);
        ref.set(matmulRef(at, bt, M, K, N), t * M * N);
      }
      expectClose(c.dataSync(), ref);
    });
  });

  it('agrees with the tfjs kernel, transposed operands included', () => {
    const a = tf.tensor(randomArray(2 * 37 * 29, 1), [2, 37, 29]), b = tf.tensor(randomArray(2 * 29 * 41, 2), [2, 29, 41]);
    const at = tf.transpose(a, [0, 2, 1]), bt = tf.transpose(b, [0, 2, 1]);
    const run = (): Float32Array[] => [tf.matMul(a, b), tf.matMul(at, b, true), tf.matMul(a, bt, false, true), tf.matMul(at, bt, true, true)].map((t) => t.dataSync() as Float32Array);
    const ours = run();
    uninstallWasmGemm();
    const theirs = run();
    installWasmGemm(engine);
    for (const o of ours) expectClose(o, theirs[0]);
    expect(() => tf.matMul(a, a)).toThrow(/inner shapes/);
  });

  it('leaves operands it does not take (int32) to the tfjs kernel', () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    expect(() => tf.matMul(x, x)).toThrow(/BatchMatMul for non non-float32 tensors not yet supported/); // tfjs's own message
  });

  it('carries tf.matMul\'s gradients', () => {
    const [B, M, K, N] = [2, 6, 9, 5];
    const a = randomArray(B * M * K, 3), b = randomArray(B * K * N, 4), w = randomArray(B * M * N, 5);
    const f = (x: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.matMul(x, y), tf.tensor(w, [B, M, N])));
    const [da, db] = tf.grads(f)([tf.tensor(a, [B, M, K]), tf.tensor(b, [B, K, N])]);
    // d/da = w b^T, d/db = a^T w, per batch entry
    const refA = new Float64Array(B * M * K), refB = new Float64Array(B * K * N);
    for (let t = 0; t < B; t++) for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) {
      refA[(t * M + i) * K + k] += w[(t * M + i) * N + j] * b[(t * K + k) * N + j];
      refB[(t * K + k) * N + j] += a[(t * M + i) * K + k] * w[(t * M + i) * N + j];
    }
    expectClose(da.dataSync(), refA);
    expectClose(db.dataSync(), refB);
  });
});
