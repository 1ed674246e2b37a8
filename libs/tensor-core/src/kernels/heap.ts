// The tfjs wasm backend's heap as the in-heap kernels see it: its WebAssembly.Memory, its allocator and where each
// tensor's data sits. Not part of the backend's typed public API (tfjs-backend-wasm 4.22).
import type * as tf from '@tensorflow/tfjs-core';
import type { GemmHeap } from './gemm/gemm.ts';
import { wasm, type WasmMemory } from './gemm/wasm-api.ts';

/** What the tfjs wasm backend exposes that the in-heap kernels need. */
export interface WasmBackendLike {
  wasm: { asm?: Record<string, unknown>; wasmMemory?: WasmMemory; _malloc(bytes: number): number; _free(ptr: number): void };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/** The backend's WebAssembly.Memory, or null when this build of the backend does not expose it. */
export function heapOf(backend: WasmBackendLike): GemmHeap | null {
  const candidates = [backend.wasm.wasmMemory, ...Object.values(backend.wasm.asm ?? {})];
  const memory = candidates.find((m): m is WasmMemory => m instanceof wasm.Memory);
  if (!memory) return null;
  return { memory, malloc: (n) => backend.wasm._malloc(n) >>> 0, free: (p) => backend.wasm._free(p) };
}

/** Byte offset of a tensor's data in the backend's heap. */
export function heapOffset(backend: WasmBackendLike, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}
