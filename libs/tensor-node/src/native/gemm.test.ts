// The native GEMM addon: products against float64, the N-API argument checks, the loader's fallback, worker threads.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { expectClose, randomArray } from '../testing/test-util.ts';
import { loadNativeAddon, nativeAddon, nativeBuild, type NativeAddon } from './addon.ts';

/** c = op(a) op(b) in float64; a stored [M,K] or [K,M] (transA), b stored [K,N] or [N,K] (transB) */
function ref(a: Float32Array, b: Float32Array, M: number, N: number, K: number, tA: boolean, tB: boolean): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += (tA ? a[k * M + i] : a[i * K + k]) * (tB ? b[j * K + k] : b[k * N + j]);
    c[i * N + j] = s;
  }
  return c;
}

function addon(): NativeAddon {
  const g = nativeAddon();
  if (!g) throw new Error('the native GEMM did not load on this machine (see stderr)');
  return g;
}

/** Lay out `batchA` A matrices, `batchB` B matrices and `batch` C matrices in one buffer at odd float offsets. */
function run(M: number, N: number, K: number, tA: boolean, tB: boolean, batch: number, batchA: number, batchB: number, seed: number) {
  const a = randomArray(batchA * M * K, seed), b = randomArray(batchB * K * N, seed + 1);
  const offA = 4 * 3, offB = offA + a.length * 4 + 4, offC = offB + b.length * 4 + 8;
  const buffer = new ArrayBuffer(offC + batch * M * N * 4);
  new Float32Array(buffer, offA, a.length).set(a);
  new Float32Array(buffer, offB, b.length).set(b);
  new Float32Array(buffer, offC, batch * M * N).fill(Number.NaN); // every output element must be written
  const sA = batchA === 1 ? 0 : M * K * 4, sB = batchB === 1 ? 0 : K * N * 4;
  addon().gemm(buffer, offA, offB, offC, M, N, K, tA, tB, batch, sA, sB, M * N * 4);
  const expected = new Float64Array(batch * M * N);
  for (let t = 0; t < batch; t++) {
    const at = a.subarray((sA ? t : 0) * M * K, ((sA ? t : 0) + 1) * M * K), bt = b.subarray((sB ? t : 0) * K * N, ((sB ? t : 0) + 1) * K * N);
    expected.set(ref(at, bt, M, N, K, tA, tB), t * M * N);
  }
  return { actual: new Float32Array(buffer, offC, batch * M * N), expected };
}

describe('native GEMM addon', () => {
  it('reports its register tile and blocks, and the build id that enters backend keys', () => {
    const s = addon().shape();
    expect(s.nr).toBe(2 * s.vecWidth);
    expect(s.mc % s.mr).toBe(0);
    expect(s.nc % s.nr).toBe(0);
    const load = loadNativeAddon();
    if (!load.addon) throw new Error(load.reason);
    const hash = /trm_gemm-([0-9a-f]{8})\.node$/.exec(load.path)![1];
    expect(nativeBuild()).toBe(`${hash} ${s.vecWidth * 32}-bit ${s.mr}x${s.nr} kc${s.kc} mc${s.mc} nc${s.nc}`);
  });

  // N <= 128 reads A in place, larger N packs it: both paths, partial tiles, K across the 512-step blocks
  const sizes: [number, number, number][] = [[1, 1, 1], [1, 33, 7], [3, 1, 97], [13, 17, 5], [97, 97, 64], [29, 70, 300], [25, 65, 513], [7, 150, 40], [13, 161, 530]];
  for (const tA of [false, true]) for (const tB of [false, true]) {
    it(`matches float64 for op(A)${tA ? '=A^T' : ''} op(B)${tB ? '=B^T' : ''} at odd sizes (K across blocks)`, () => {
      sizes.forEach(([M, N, K], i) => {
        const { actual, expected } = run(M, N, K, tA, tB, 1, 1, 1, 10 * i + 1);
        expectClose(actual, expected, 2e-5 * Math.sqrt(K));
      });
    });
  }

  it('runs a batch in one call, with either side broadcast (stride 0)', () => {
    for (const [batchA, batchB] of [[4, 4], [4, 1], [1, 4]]) {
      const { actual, expected } = run(11, 37, 19, batchA === 1, batchB === 4, 4, batchA, batchB, 7 + batchA);
      expectClose(actual, expected);
    }
  });

  it('is deterministic: the same bits on every call', () => {
    const x = run(50, 60, 700, false, true, 2, 2, 2, 3).actual.slice();
    const y = run(50, 60, 700, false, true, 2, 2, 2, 3).actual.slice();
    expect(Buffer.from(x.buffer).equals(Buffer.from(y.buffer))).toBe(true);
  });

  it('writes zeros for K = 0 and rejects bad arguments with the field named', () => {
    const buffer = new ArrayBuffer(64);
    new Float32Array(buffer).fill(5);
    addon().gemm(buffer, 0, 0, 16, 2, 2, 0, false, false, 1, 0, 0, 0);
    expect(Array.from(new Float32Array(buffer, 16, 4))).toEqual([0, 0, 0, 0]);
    expect(() => addon().gemm(buffer, 0, 0, 48, 2, 3, 1, false, false, 1, 0, 0, 0)).toThrow(/trm_gemm: c: bytes \[48, 72\) exceed the buffer of 64 bytes/);
    expect(() => addon().gemm(buffer, 2, 0, 16, 1, 1, 1, false, false, 1, 0, 0, 0)).toThrow(/a: offset and stride must be multiples of 4/);
    expect(() => addon().gemm(buffer, 0, 0, 16, -1, 1, 1, false, false, 1, 0, 0, 0)).toThrow(/M must be a non-negative integer/);
    expect(() => addon().gemm(buffer, 0, 0, 16, 2, 2, 2, false, false, 4, 0, 0, 16)).toThrow(/c: bytes \[16, 80\) exceed/); // batch 4, stride 16
    expect(() => (addon().gemm as unknown as (...a: unknown[]) => void)(new Float32Array(4), 0, 0, 0, 1, 1, 1, false, false, 1, 0, 0, 0)).toThrow(/buffer must be an ArrayBuffer/);
  });
});

describe('native GEMM loader', () => {
  it('loads the binary of the current sources', () => {
    const load = loadNativeAddon({ build: false });
    expect(load.addon).not.toBeNull();
  });

  it('without a binary for the hash and TRM_NATIVE_BUILD=0, gives the reason instead of throwing', () => {
    const load = loadNativeAddon({ hash: '00000000', build: false });
    expect(load.addon).toBeNull();
    expect(load.addon === null && load.reason).toMatch(/trm_gemm-00000000\.node is not built and TRM_NATIVE_BUILD=0/);
  });

  it('loads in a worker thread (context-aware addon) and multiplies there', async () => {
    const load = loadNativeAddon();
    if (!load.addon) throw new Error(load.reason);
    const code = `
      const { parentPort } = require('node:worker_threads');
      const g = require(${JSON.stringify(load.path)});
      const buf = new ArrayBuffer(64);
      const f = new Float32Array(buf);
      f.set([1, 2, 3, 4], 0); f.set([5, 6, 7, 8], 4);
      g.gemm(buf, 0, 16, 32, 2, 2, 2, false, false, 1, 0, 0, 0);
      parentPort.postMessage(Array.from(f.subarray(8, 12)));`;
    const worker = new Worker(code, { eval: true });
    const result = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
    await worker.terminate();
    expect(result).toEqual([19, 22, 43, 50]);
  });
});
