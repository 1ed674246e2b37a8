export type { DType, TypedData, HostTensor, TensorDict } from './tensor-dict.ts';
export { numel } from './tensor-dict.ts';
