// The native optimizer shard (../../native/optim.cc) as tensor-core's array kernels (behind adamAtan2Shard, emaShard
// and the all-reduce's addInto): used when the addon loads in this thread and the switch is on (default;
// setNativeShardOptimizer for A/B runs and tests).
import { registerArrayKernels } from '@trm/tensor-core';
import { nativeAddon, type NativeOptimizer } from './addon.ts';

let enabled = true;

/** Turn the native optimizer shard on or off in this thread; on by default. */
export function setNativeShardOptimizer(on: boolean): void {
  enabled = on;
}

/** The addon's optimizer functions when the switch is on and the addon loads, else null (the JS loops run). */
export function nativeShardOptimizer(): NativeOptimizer | null {
  return enabled ? nativeAddon() : null;
}

/** Make them tensor-core's array kernels in this thread. */
export function registerNativeArrayKernels(): void {
  registerArrayKernels(nativeShardOptimizer);
}
