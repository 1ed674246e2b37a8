import { describe, expect, it } from 'vitest';
import { createBarrierState, createReduceBuffers } from '@trm/tensor-core';
import { resolveWorkerCount, WorkerPool } from './pool.ts';

describe('WorkerPool', () => {
  it('runs TypeScript workers, each with its own wasm backend', async () => {
    const pool = await WorkerPool.start(new URL('./worker.ts', import.meta.url), 2, () => null);
    try {
      const infos = await pool.all<{ backend: string; threadId: number }>('init', () => ({ backend: 'wasm' }));
      expect(infos.map((i) => i.backend)).toEqual(['wasm', 'wasm']);
      expect(new Set(infos.map((i) => i.threadId)).size).toBe(2);
      expect(await pool.all<number>('numTensors', () => null)).toEqual([0, 0]);
      const memory = await pool.all<{ wasmHeapBytes: number | null }>('memory', () => null);
      for (const m of memory) expect(m.wasmHeapBytes).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });

  it('all-reduces across 3 threads, every round and every rank seeing the same in-order float32 sum', async () => {
    const world = 3;
    const length = 1000;
    const buffers = createReduceBuffers(length, world, createBarrierState());
    const pool = await WorkerPool.start(new URL('./testing/reduce-worker.ts', import.meta.url), world, () => null);
    try {
      const rounds = 4;
      const checksums = await pool.all<number[]>('reduce', (rank) => ({ buffers, rank, rounds }));
      const expected: number[] = [];
      for (let round = 0; round < rounds; round++) {
        let total = 0;
        for (let i = 0; i < length; i++) {
          let acc = 0;
          for (let r = 0; r < world; r++) acc = Math.fround(acc + Math.fround((r + 1) * 1e7 + i * 0.1 + round));
          total += acc;
        }
        expected.push(total);
      }
      for (const c of checksums) expect(c).toEqual(expected);
    } finally {
      await pool.close();
    }
  });

  it('reports a worker error with its rank and the message', async () => {
    const pool = await WorkerPool.start(new URL('./testing/reduce-worker.ts', import.meta.url), 1, () => null);
    try {
      await expect(pool.call(0, 'crash')).rejects.toThrow('worker 0: asked to fail');
      await expect(pool.call(0, 'nope')).rejects.toThrow(/unknown worker request "nope"/);
      expect(() => pool.allSync('crash', () => null)).toThrow(/worker 0: asked to fail/);
    } finally {
      await pool.close();
    }
  });

  it('resolves the worker count (default: one per core) and rejects nonsense', () => {
    expect(resolveWorkerCount(undefined)).toBeGreaterThanOrEqual(1);
    expect(resolveWorkerCount(3)).toBe(3);
    expect(() => resolveWorkerCount(0)).toThrow(/workers must be an integer >= 1/);
    expect(() => resolveWorkerCount(1.5)).toThrow(/got 1.5/);
  });

  it('a synchronous call fails at once when a worker exits instead of answering', async () => {
    const pool = await WorkerPool.start(new URL('./testing/reduce-worker.ts', import.meta.url), 2, () => null);
    try {
      await pool.all('crash').catch(() => null); // both started
      const t0 = Date.now();
      expect(() => pool.allSync('exit', () => null)).toThrow(/worker 0 exited while running "exit"/);
      expect(Date.now() - t0).toBeLessThan(30_000);
    } finally {
      await pool.close();
    }
  });
});
