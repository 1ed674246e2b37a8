// tensor-core's kernels for the wasm backend, installed in its kernel registry (per thread, after the backend is
// registered): in-heap Slice/SplitV, GatherV2 and Identity, and the BatchMatMul of the chosen GEMM engine.
import { installWasmGather } from './gather.ts';
import { installWasmIdentity } from './identity.ts';
import { installWasmGemm, type GemmChoice } from './matmul.ts';
import { installWasmSlice } from './slice.ts';

/** What runs below the ops on wasm: the GEMM (a precision mode would be one more field here). */
export interface KernelChoice {
  gemm: GemmChoice;
}

/** Install them; returns the matmul kernel now in use (`native` becomes `trm` when no native engine is registered). */
export function installWasmKernels({ gemm }: KernelChoice): GemmChoice {
  installWasmSlice(); // in-heap copies (slice.ts), same bits as tfjs's Slice
  installWasmGather(); // in-heap row copies (gather.ts), same bits as tfjs's GatherV2
  installWasmIdentity(); // clones share their input's buffer (identity.ts) instead of copying it
  return installWasmGemm(gemm);
}
