export type { DType, TypedData, HostTensor, TensorDict } from './tensor-dict.ts';
export { numel } from './tensor-dict.ts';
export { allReduceSum, barrierWait, createBarrierState, createReduceBuffers, reduceChunk, reduceSlot, reduceSumChunk } from './parallel/index.ts';
export type { ReduceBuffers } from './parallel/index.ts';
