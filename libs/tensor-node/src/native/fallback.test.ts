// The fallback when the addon cannot load: the build module answers with a hash that has no binary and
// TRM_NATIVE_BUILD=0 forbids building it, so TRM_GEMM unset or native runs the WebAssembly GEMM, with one stderr line.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';

vi.mock('../../native/build.mjs', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../native/build.mjs')>();
  return { ...real, sourceHash: () => 'ffffffff' };
});

const saved = { build: process.env.TRM_NATIVE_BUILD, gemm: process.env.TRM_GEMM };
beforeAll(() => {
  process.env.TRM_NATIVE_BUILD = '0';
  delete process.env.TRM_GEMM;
});
afterAll(() => {
  for (const [key, value] of [['TRM_NATIVE_BUILD', saved.build], ['TRM_GEMM', saved.gemm]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe('native GEMM fallback', () => {
  it('falls back to trm with one stderr line naming the missing binary', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    try {
      const { initBackend } = await import('../backend.ts');
      const { gemmActive, gemmChoice, installWasmGemm } = await import('@trm/tensor-core');
      const info = await initBackend('wasm');
      expect(info.gemm).toBe('trm');
      expect(gemmChoice('native')).toBe('trm');
      expect(installWasmGemm('native')).toBe('trm');
      expect(gemmActive()).toBe(true);
      const c = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2]));
      expect(Array.from(c.dataSync())).toEqual([19, 22, 43, 50]);
    } finally {
      spy.mockRestore();
    }
    const ours = lines.filter((l) => l.startsWith('trm: native GEMM'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/^trm: native GEMM unavailable \(.*trm_gemm-ffffffff\.node is not built and TRM_NATIVE_BUILD=0 \(run npm run build:native\)\); using the WebAssembly GEMM\n$/);
  });
});
