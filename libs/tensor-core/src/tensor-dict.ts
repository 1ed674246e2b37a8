// A plain, backend-free snapshot of named tensors: what checkpoints, parity fixtures and
// workers exchange. Data is row-major.

export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool';

export type TypedData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: TypedData;
}

export type TensorDict = Record<string, HostTensor>;

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
