// tensor-core's kernels for the wasm backend, installed in its kernel registry (per thread, after the backend is
// registered): in-heap Slice/SplitV, GatherV2 and Identity, and the BatchMatMul of the chosen GEMM engine, in the
// chosen precision (precision.ts).
import { installWasmGather } from './gather.ts';
import { installWasmIdentity } from './identity.ts';
import { installWasmGemm, type GemmChoice } from './matmul.ts';
import { bf16Available, setPrecision, type Precision } from './precision.ts';
import { installWasmSlice } from './slice.ts';

/** What runs below the ops on wasm: the GEMM and the precision of the model math (default fp32). */
export interface KernelChoice {
  gemm: GemmChoice;
  precision?: Precision;
}

/**
 * Install them; returns the matmul kernel now in use (`native` becomes `trm` when no native engine is registered).
 * bf16 needs the native GEMM (the only one with bfloat16 arithmetic): otherwise it throws, naming what is missing.
 */
export function installWasmKernels({ gemm, precision = 'fp32' }: KernelChoice): GemmChoice {
  installWasmSlice(); // in-heap copies (slice.ts), same bits as tfjs's Slice
  installWasmGather(); // in-heap row copies (gather.ts), same bits as tfjs's GatherV2
  installWasmIdentity(); // clones share their input's buffer (identity.ts) instead of copying it
  const used = installWasmGemm(gemm);
  checkPrecision(precision, used);
  setPrecision(precision);
  return used;
}

/** Throws unless `precision` can run with matmul kernel `gemm` on wasm. */
export function checkPrecision(precision: Precision, gemm: GemmChoice | null): void {
  if (precision !== 'bf16') return;
  if (gemm === 'native' && bf16Available()) return;
  const why = gemm === null
    ? 'the backend is not wasm'
    : gemm === 'native' ? 'the native addon registered no bfloat16 kernels'
    : gemm === 'trm' ? 'the native addon is not loaded, and the WebAssembly GEMM that replaces it has no bfloat16 arithmetic'
    : 'TRM_GEMM=tfjs runs tfjs\'s own float32 GEMM';
  throw new Error(`runtime.precision = bf16 needs the native addon's GEMM on the wasm backend (runtime.backend wasm or auto, TRM_GEMM unset or native), but ${why}; use runtime.precision = fp32 here`);
}
