import { describe, expect, it } from 'vitest';
import { createReduceBuffers, reduceChunk, reduceSlot, reduceSumChunk } from './all-reduce.ts';
import { barrierWait, createBarrierState } from './barrier.ts';

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

describe('reduceSumChunk', () => {
  it('sums every slot in slot order (bit-identical to a sequential float32 sum), whatever the chunking', () => {
    const length = 1001;
    const world = 3;
    const buffers = createReduceBuffers(length, world, createBarrierState());
    const values = [1e8, 1, -1e8]; // order-sensitive in float32: (1e8 + 1) - 1e8 = 0, not 1
    for (let r = 0; r < world; r++) reduceSlot(buffers, r).fill(values[r]).forEach((_, i, a) => (a[i] += i % 7));
    const expected = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      let acc = Math.fround(reduceSlot(buffers, 0)[i]);
      for (let r = 1; r < world; r++) acc = Math.fround(acc + reduceSlot(buffers, r)[i]);
      expected[i] = acc;
    }
    for (let rank = world - 1; rank >= 0; rank--) reduceSumChunk(buffers, rank); // any order of ranks
    expect(Array.from(buffers.sum)).toEqual(Array.from(expected));
    expect(buffers.sum.buffer).toBe(buffers.slots.buffer); // in place: slot 0 holds the sum, no second vector
    expect(buffers.slots.buffer.byteLength).toBe(world * length * 4);
    expect(buffers.sum[0]).toBe(0); // the order-sensitive case really went through float32 in order
  });

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
