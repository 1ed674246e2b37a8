// @trm/tensor-node: the Node side of @trm/tensor-core. Backend selection on Node (tfjs-node when installed, the wasm
// binaries read from disk, tfjs's gradients), the optional native addon (native/: C++ GEMM, fused kernels, optimizer
// shard) registered into tensor-core's kernel layer, and the bundler of worker-thread entries.
export { initBackend } from './backend.ts';
export type { BackendInfo, BackendName, BackendOptions } from './backend.ts';
export { nativeAddon } from './native/addon.ts';
export type { Bf16Kernel, NativeAddon } from './native/addon.ts';
export { setFusedElementwise, setSwigluEpilogue } from './native/fused-kernels.ts';
export { setNativeOptimizer } from './native/optim.ts';
export { bundleWorkerEntry, GRADIENT_MODULE } from './worker-bundle.ts';
