import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, setNativeOptimizer } from '@trm/tensor-node';
import { arrayKernels } from '../kernels/array.ts';
import { addInto, createReduceBuffers, reduceChunk, reduceSumChunk, writeContribution } from './all-reduce.ts';
import { barrierWait, createBarrierState } from './barrier.ts';

beforeAll(async () => {
  await initBackend('cpu'); // registers the native addon's array kernels (@trm/tensor-node) when it loads
});
afterAll(() => setNativeOptimizer(true));

/** run `f` with the native addition (the addon must load on this machine) or the JS loop */
function withNative<T>(native: boolean, f: () => T): T {
  setNativeOptimizer(native);
  try {
    if (native && !arrayKernels()) throw new Error('the native addon did not load on this machine (see stderr)');
    return f();
  } finally {
    setNativeOptimizer(true);
  }
}

describe('addInto', () => {
  it('adds in float32 with the bits of Math.fround(a + b), native and JS alike, on shared and plain arrays', () => {
    let x = 12345;
    const draw = () => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return ((x / 2 ** 32) * 2 - 1) * 2 ** ((x % 61) - 30); // mixed magnitudes: many additions round
    };
    const n = 4099; // not a multiple of any vector width
    const a = Float32Array.from({ length: n }, draw);
    const b = Float32Array.from({ length: n }, draw);
    b[7] = -a[7]; // exact cancellation
    const expected = a.map((v, i) => Math.fround(v + b[i]));
    for (const native of [true, false]) {
      const sum = new Float32Array(new SharedArrayBuffer(n * 4));
      sum.set(a);
      withNative(native, () => addInto(sum, b));
      expect(Array.from(sum), native ? 'native' : 'js').toEqual(Array.from(expected));
    }
    expect(() => addInto(new Float32Array(3), new Float32Array(2))).toThrow(/2 values for 3 sums/);
  });
});

describe('reduceChunk', () => {
  it('partitions 0..length into contiguous chunks that differ by at most one', () => {
    for (const [length, world] of [[10, 3], [7, 7], [3, 5], [0, 2], [1000, 4]]) {
      let next = 0;
      const sizes: number[] = [];
      for (let rank = 0; rank < world; rank++) {
        const [start, end] = reduceChunk(length, world, rank);
        expect(start).toBe(next);
        sizes.push(end - start);
        next = end;
      }
      expect(next).toBe(length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });
});

describe.each([true, false])('writeContribution + reduceSumChunk (native addition: %s)', (native) => {
  it.each([1, 2, 3, 4])('sum every worker in rank order (bit-identical to a sequential float32 sum), %i workers, any order of ranks', (world) => withNative(native, () => {
    const length = 1001;
    const buffers = createReduceBuffers(length, world, createBarrierState());
    expect(buffers.slots.length).toBe(Math.max(1, world - 1) * length); // own chunks stay with their workers
    expect(buffers.sum.buffer).toBe(buffers.slots.buffer);
    const values = [1e8, 1, -1e8, 3]; // order-sensitive in float32: (1e8 + 1) - 1e8 = 0, not 1
    const vectors = Array.from({ length: world }, (_, r) => Float32Array.from({ length }, (_, i) => values[r] + (i % 7)));
    const expected = vectors[0].map((_, i) => vectors.slice(1).reduce((acc, v) => Math.fround(acc + v[i]), vectors[0][i]));
    // segments cut anywhere (here: at a rank-dependent point, listed back to front)
    const segments = vectors.map((v, r) => {
      const cut = (r * 337) % length;
      return [{ start: cut, values: v.subarray(cut) }, { start: 0, values: v.subarray(0, cut) }];
    });
    for (let r = world - 1; r >= 0; r--) writeContribution(buffers, r, segments[r]);
    for (let r = world - 1; r >= 0; r--) reduceSumChunk(buffers, r, segments[r]);
    expect(Array.from(buffers.sum)).toEqual(Array.from(expected));
    if (world === 3) expect(buffers.sum[0]).toBe(0); // the order-sensitive case really went through float32 in order
  }));

  it('rejects a bad world size with a clear error', () => {
    expect(() => createReduceBuffers(4, 0, createBarrierState())).toThrow(/world must be a positive integer/);
  });
});

describe('barrierWait', () => {
  it('lets a single party through and advances the generation', () => {
    const state = createBarrierState();
    barrierWait(state, 1);
    barrierWait(state, 1);
    expect(Array.from(state)).toEqual([0, 2]);
  });

  it('times out with a clear error when a party never arrives', () => {
    expect(() => barrierWait(createBarrierState(), 2, 20)).toThrow(/not all 2 parties arrived within 20 ms/);
  });
});
