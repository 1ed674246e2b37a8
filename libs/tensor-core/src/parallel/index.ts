export { BARRIER_CELLS, barrierWait, createBarrierState } from './barrier.ts';
export type { ReduceBuffers, Segment } from './all-reduce.ts';
export { allReduceSum, createReduceBuffers, reduceChunk, reduceSumChunk, writeContribution } from './all-reduce.ts';
export type { AdamShardConfig } from './shard-optimizer.ts';
export { adamAtan2Shard, emaShard } from './shard-optimizer.ts';
export { assignFrom, readInto, tensorValues } from './heap-copy.ts';
