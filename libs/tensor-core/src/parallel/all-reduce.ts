// Deterministic sum of per-worker float32 vectors held in one SharedArrayBuffer.
// Worker r writes its vector into slot r; after a barrier, every worker sums its own chunk of the elements over
// all slots, always in slot order 0, 1, ..., world-1 (so the result depends on the worker count only, never on
// timing), in place into slot 0 (`sum` is slot 0: no extra vector). A second barrier (or the caller's join) makes
// the whole sum visible; it stays valid until worker 0 writes its next vector.
import { barrierWait } from './barrier.ts';

export interface ReduceBuffers {
  /** world * length floats: slot r = slots.subarray(r * length, (r + 1) * length) */
  slots: Float32Array;
  /** length floats: slot 0, which holds the sum after an all-reduce */
  sum: Float32Array;
  /** barrier state shared by the world's workers */
  barrier: Int32Array;
  length: number;
  world: number;
}

export function createReduceBuffers(length: number, world: number, barrier: Int32Array): ReduceBuffers {
  if (!Number.isInteger(length) || length < 0) throw new Error(`createReduceBuffers: length must be a non-negative integer, got ${length}`);
  if (!Number.isInteger(world) || world < 1) throw new Error(`createReduceBuffers: world must be a positive integer, got ${world}`);
  const slots = new Float32Array(new SharedArrayBuffer(world * length * Float32Array.BYTES_PER_ELEMENT));
  return {
    slots,
    sum: slots.subarray(0, length),
    barrier,
    length,
    world,
  };
}

/** Slot r of the buffers (a view, no copy). */
export function reduceSlot(buffers: ReduceBuffers, rank: number): Float32Array {
  return buffers.slots.subarray(rank * buffers.length, (rank + 1) * buffers.length);
}

/** The element range [start, end) that `rank` sums: contiguous chunks, the first `length % world` one longer. */
export function reduceChunk(length: number, world: number, rank: number): [number, number] {
  const base = Math.floor(length / world);
  const extra = length % world;
  const start = rank * base + Math.min(rank, extra);
  return [start, start + base + (rank < extra ? 1 : 0)];
}

/** Sum chunk `rank` over all slots, in slot order, into `sum` (slot 0). No synchronisation; once per all-reduce. */
export function reduceSumChunk(buffers: ReduceBuffers, rank: number): void {
  const { slots, sum, length, world } = buffers;
  const [start, end] = reduceChunk(length, world, rank);
  for (let r = 1; r < world; r++) {
    const offset = r * length;
    for (let i = start; i < end; i++) sum[i] += slots[offset + i];
  }
}

/**
 * Called by every one of `world` workers after writing its slot: waits for all slots, sums this worker's chunk,
 * then waits again so that on return `sum` is complete for everyone.
 */
export function allReduceSum(buffers: ReduceBuffers, rank: number): Float32Array {
  barrierWait(buffers.barrier, buffers.world);
  reduceSumChunk(buffers, rank);
  barrierWait(buffers.barrier, buffers.world);
  return buffers.sum;
}
