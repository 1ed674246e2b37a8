// The native optimizer shard (libs/tensor-core/native/optim.cc) behind adamAtan2Shard / emaShard: used when the
// addon loads in this thread and the switch is on (default; setNativeShardOptimizer for A/B runs and tests).
import { nativeGemm } from '../ops/gemm/native.ts';

/** The optimizer functions of the addon (native/addon.cc); scalars already rounded to float32. */
export interface NativeShardOptimizer {
  adamAtan2Shard(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, decay: number, keep1: number, keep2: number, stepSize: number, sqrtBias2: number): void;
  emaShard(shadow: Float32Array, p: Float32Array, keep: number, rate: number): void;
  /** out = atan2(y, x) as the native update computes it (accuracy tests) */
  atan2Map(y: Float32Array, x: Float32Array, out: Float32Array): void;
}

let enabled = true;

/** Turn the native optimizer shard on or off in this thread; on by default. */
export function setNativeShardOptimizer(on: boolean): void {
  enabled = on;
}

/** The addon's optimizer functions when the switch is on and the addon loads, else null (the JS loops run). */
export function nativeShardOptimizer(): NativeShardOptimizer | null {
  return enabled ? (nativeGemm() as unknown as NativeShardOptimizer | null) : null;
}
