// Deterministic sum of per-worker float32 vectors through one SharedArrayBuffer (a reduce-scatter whose result is
// left in shared memory for everyone). The vector is cut into `world` contiguous chunks; worker k sums chunk k.
// A worker's own chunk never leaves it: it writes only the other chunks, chunk k into the slot that holds chunk k's
// contributions from the workers other than k (slotFor), so the buffers hold (world - 1) vectors, not world.
// After a barrier, worker k sums chunk k over all workers, always in rank order 0, 1, ..., world-1 (so the result
// depends on the worker count only, never on timing), its own values taken from where it keeps them, in place into
// slot 0 (`sum` is slot 0). A second barrier (or the caller's join) makes the whole sum visible; it stays valid
// until a worker writes its next contributions. The additions run in the registered array kernels when there are
// any (addInto).
import { barrierWait } from './barrier.ts';
import { arrayKernels } from '../kernels/array.ts';

export interface ReduceBuffers {
  /** max(1, world - 1) * length floats: slot s = slots.subarray(s * length, (s + 1) * length) */
  slots: Float32Array;
  /** length floats: slot 0, which holds the sum after an all-reduce */
  sum: Float32Array;
  /** barrier state shared by the world's workers */
  barrier: Int32Array;
  length: number;
  world: number;
}

/** Values of elements [start, start + values.length) of a worker's vector (e.g. one tensor of a parameter list). */
export interface Segment {
  start: number;
  values: Float32Array;
}

export function createReduceBuffers(length: number, world: number, barrier: Int32Array): ReduceBuffers {
  if (!Number.isInteger(length) || length < 0) throw new Error(`createReduceBuffers: length must be a non-negative integer, got ${length}`);
  if (!Number.isInteger(world) || world < 1) throw new Error(`createReduceBuffers: world must be a positive integer, got ${world}`);
  const slots = new Float32Array(new SharedArrayBuffer(Math.max(1, world - 1) * length * Float32Array.BYTES_PER_ELEMENT));
  return { slots, sum: slots.subarray(0, length), barrier, length, world };
}

/** The element range [start, end) that `rank` sums: contiguous chunks, the first `length % world` one longer. */
export function reduceChunk(length: number, world: number, rank: number): [number, number] {
  const base = Math.floor(length / world);
  const extra = length % world;
  const start = rank * base + Math.min(rank, extra);
  return [start, start + base + (rank < extra ? 1 : 0)];
}

/** The slot holding `rank`'s contribution to chunk `chunk` (rank != chunk): the contributors in rank order. */
function slotFor(rank: number, chunk: number): number {
  return rank < chunk ? rank : rank - 1;
}

/** The slot view into which `rank` writes its values of chunk `chunk` (!= rank), indexed like the whole vector. */
function target(buffers: ReduceBuffers, rank: number, chunk: number): Float32Array {
  const s = slotFor(rank, chunk);
  return buffers.slots.subarray(s * buffers.length, (s + 1) * buffers.length);
}

/**
 * Write `rank`'s vector, given as segments covering [0, length) in any order, for the others: every chunk but its
 * own goes to shared memory. No synchronisation. (With one worker nothing is written: its chunk is everything.)
 */
export function writeContribution(buffers: ReduceBuffers, rank: number, segments: Segment[]): void {
  const { length, world } = buffers;
  for (let chunk = 0; chunk < world; chunk++) {
    if (chunk === rank) continue;
    const [start, end] = reduceChunk(length, world, chunk);
    const dest = target(buffers, rank, chunk);
    for (const { start: s, values } of segments) {
      const a = Math.max(start, s);
      const b = Math.min(end, s + values.length);
      if (a < b) dest.set(values.subarray(a - s, b - s), a);
    }
  }
}

/**
 * sum[i] = sum[i] + values[i] in float32, arrays of equal length. With array kernels registered (kernels/array.ts)
 * through their EMA kernel with both weights 1: shadow = 1 * p + 1 * shadow, both products exact, so one rounding of
 * the same two floats, the bits of the JS loop (a float32 sum rounded once from double); ~10x faster than the loop
 * (config a's chunk of 2.5M floats: ~7.8 -> ~0.6 ms), which runs on the all-reduce's critical path.
 */
export function addInto(sum: Float32Array, values: Float32Array): void {
  if (sum.length !== values.length) throw new Error(`addInto: ${values.length} values for ${sum.length} sums`);
  const native = arrayKernels();
  if (native) return native.ema(sum, values, 1, 1);
  for (let i = 0; i < sum.length; i++) sum[i] += values[i];
}

/** sum[i] = sum[i] + own[i] over chunk `rank` (float32 addition is commutative: own + sum gives the same bits). */
function addOwn(sum: Float32Array, segments: Segment[], [start, end]: [number, number], set: boolean): void {
  for (const { start: s, values } of segments) {
    const a = Math.max(start, s);
    const b = Math.min(end, s + values.length);
    if (a >= b) continue;
    if (set) sum.set(values.subarray(a - s, b - s), a);
    else addInto(sum.subarray(a, b), values.subarray(a - s, b - s));
  }
}

/**
 * Sum chunk `rank` over all workers in rank order into `sum` (slot 0), the worker's own values from `own`
 * (segments covering at least its chunk). No synchronisation; once per all-reduce, after every writeContribution.
 */
export function reduceSumChunk(buffers: ReduceBuffers, rank: number, own: Segment[]): void {
  const { slots, sum, length, world } = buffers;
  const chunk = reduceChunk(length, world, rank);
  const [start, end] = chunk;
  const add = (slot: number) => addInto(sum.subarray(start, end), slots.subarray(slot * length + start, slot * length + end));
  // sum holds contributor 0 of this chunk: worker 0's values, or (chunk 0) worker 1's
  if (world === 1) addOwn(sum, own, chunk, true);
  if (rank === 0) {
    if (world > 1) addOwn(sum, own, chunk, false); // worker 0 + worker 1, in either order the same float
    for (let r = 2; r < world; r++) add(slotFor(r, rank));
    return;
  }
  for (let r = 1; r < world; r++) {
    if (r === rank) addOwn(sum, own, chunk, false);
    else add(slotFor(r, rank));
  }
}

/**
 * Called by every one of `world` workers with its whole vector as segments: writes the other workers' chunks,
 * waits for everyone's, sums its own chunk, then waits again so that on return `sum` is complete for everyone.
 * `segments` must stay unchanged until the call returns.
 */
export function allReduceSum(buffers: ReduceBuffers, rank: number, segments: Segment[]): Float32Array {
  writeContribution(buffers, rank, segments);
  barrierWait(buffers.barrier, buffers.world);
  reduceSumChunk(buffers, rank, segments);
  barrierWait(buffers.barrier, buffers.world);
  return buffers.sum;
}
