// The native optimizer loops (../../native/optim.cc) as tensor-core's array kernels: adamAtan2Step and emaStep (the
// data-parallel optimizer shards) and the all-reduce's sums run them when the addon loads in this thread and the
// switch is on (default; setNativeOptimizer for A/B runs and tests).
import { registerArrayKernels, type ArrayKernels } from '@trm/tensor-core';
import { nativeAddon, type NativeOptimizer } from './addon.ts';

let enabled = true;

/** Turn the native optimizer loops on or off in this thread; on by default. */
export function setNativeOptimizer(on: boolean): void {
  enabled = on;
}

/** The addon's optimizer functions when the switch is on and the addon loads, else null (the JS loops run). */
export function nativeOptimizer(): NativeOptimizer | null {
  return enabled ? nativeAddon() : null;
}

let kernels: ArrayKernels | null = null;

/** Make them tensor-core's array kernels in this thread (loading the addon on first use). */
export function registerNativeArrayKernels(): void {
  registerArrayKernels(() => {
    const addon = nativeOptimizer();
    if (!addon) return null;
    kernels ??= { adamAtan2: (...args) => addon.adamAtan2Shard(...args), ema: (...args) => addon.emaShard(...args) };
    return kernels;
  });
}
