export { BARRIER_CELLS, barrierWait, createBarrierState } from './barrier.ts';
export type { ReduceBuffers, Segment } from './all-reduce.ts';
export { allReduceSum, createReduceBuffers, reduceChunk } from './all-reduce.ts';
export { assignFrom, readInto, tensorValues } from './heap-copy.ts';
