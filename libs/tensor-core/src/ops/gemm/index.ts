export { createGemm, DEFAULT_GEMM } from './gemm.ts';
export type { Gemm, GemmConfig, GemmHeap } from './gemm.ts';
export { gemmActive, gemmChoice, gemmEngine, heapOf, heapOffset, installWasmGemm } from './wasm-kernel.ts';
export type { GemmChoice, WasmBackendLike } from './wasm-kernel.ts';
export { loadNativeGemm, nativeGemm, nativeGemmBuild } from './native.ts';
export type { Bf16Kernel, NativeGemm, NativeLoad, NativeLoadOptions } from './native.ts';
