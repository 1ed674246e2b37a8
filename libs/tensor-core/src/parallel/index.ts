export { BARRIER_CELLS, barrierWait, createBarrierState } from './barrier.ts';
export type { ReduceBuffers } from './all-reduce.ts';
export { allReduceSum, createReduceBuffers, reduceChunk, reduceSlot, reduceSumChunk } from './all-reduce.ts';
export type { AdamShardConfig } from './shard-optimizer.ts';
export { adamAtan2Shard, emaShard } from './shard-optimizer.ts';
export { assignFrom, readInto } from './heap-copy.ts';
export { bundleWorkerEntry } from './worker-bundle.ts';
