// Everything the native addon adds to tensor-core's kernel layer in this thread, registered once: the `native` GEMM
// engine of the wasm BatchMatMul, the fused kernels, the array kernels of the optimizer shard and the all-reduce,
// and the native wasm Transpose. Nothing when the addon does not load (the reason on stderr, once).
import { registerGemmEngine } from '@trm/tensor-core';
import { nativeAddon } from './addon.ts';
import { registerNativeFusedKernels } from './fused-kernels.ts';
import { registerNativeArrayKernels } from './optim.ts';

let registered = false;

/** Register the addon's kernels; false when it does not load. */
export function registerNativeKernels(): boolean {
  const addon = nativeAddon();
  if (!addon) return false;
  if (registered) return true;
  // the heap's ArrayBuffer is re-read per call: memory growth replaces it
  registerGemmEngine('native', (heap) => (...args) => addon.gemm(heap.memory.buffer, ...args));
  registerNativeFusedKernels();
  registerNativeArrayKernels();
  registered = true;
  return true;
}
