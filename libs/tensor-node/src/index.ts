// @trm/tensor-node: the Node side of @trm/tensor-core. Backend selection on Node (tfjs-node when installed, the wasm
// binaries read from disk, tfjs's gradients), the optional native addon (native/: C++ GEMM, fused kernels, optimizer
// shard) registered into tensor-core's kernel layer, and the bundler of worker-thread entries.
export { initBackend, registerGradients } from './backend.ts';
export type { BackendInfo, BackendName } from './backend.ts';
export { loadNativeAddon, nativeAddon, nativeBuild } from './native/addon.ts';
export type { Bf16Kernel, NativeAddon, NativeElementwise, NativeGemm, NativeLoad, NativeLoadOptions, NativeOptimizer } from './native/addon.ts';
export { fusedElementwiseActive, setFusedElementwise } from './native/fused-kernels.ts';
export { nativeOptimizer, setNativeOptimizer } from './native/optim.ts';
export { bundleWorkerEntry, GRADIENT_MODULE } from './worker-bundle.ts';
