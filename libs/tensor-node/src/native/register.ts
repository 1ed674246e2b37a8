// Everything the native addon adds to tensor-core's kernel layer in this thread, registered once: the `native` GEMM
// engine of the wasm BatchMatMul (float32, or bfloat16 when the thread's precision is bf16), the rounding to
// bfloat16, the fused kernels, the array kernels of the optimizer shard and the all-reduce, and the native wasm
// Transpose. Nothing when the addon does not load (the reason on stderr, once).
import * as tf from '@tensorflow/tfjs-core';
import { heapOf, heapOffset, precision, productsRounded, registerBf16Rounding, registerGemmEngine, type WasmBackendLike } from '@trm/tensor-core';
import { nativeAddon } from './addon.ts';
import { registerNativeFusedKernels } from './fused-kernels.ts';
import { registerNativeArrayKernels } from './optim.ts';

let registered = false;

/** Register the addon's kernels; false when it does not load. */
export function registerNativeKernels(): boolean {
  const addon = nativeAddon();
  if (!addon) return false;
  if (registered) return true;
  // the heap's ArrayBuffer is re-read per call: memory growth replaces it. In bf16 the product rounds its operands
  // while packing, sums in float32 and rounds C (unless a bias is to be added first: productsRounded), with the
  // CPU's best bfloat16 kernel (bf16Kernel()). With an addend (tensor-core's addMatMul), C = addend + that C, the
  // add fused per tile: the bits of the product followed by a float32 add (native/gemm.h, gemm-bf16.h).
  registerGemmEngine('native', (heap) => (a, b, c, M, N, K, transA, transB, batch, strideA, strideB, strideC, addend) => {
    const args = [heap.memory.buffer, a, b, c, M, N, K, transA, transB, batch, strideA, strideB, strideC] as const;
    const add: [] | [number] = addend === undefined ? [] : [addend]; // the addon counts its arguments: no undefined 14th
    if (precision() === 'bf16') addon.gemmBf16(...args, productsRounded(), '', ...add);
    else addon.gemm(...args, ...add);
  }, { addend: true });
  registerBf16Rounding(roundBf16);
  registerNativeFusedKernels();
  registerNativeArrayKernels();
  registered = true;
  return true;
}

/** The bfloat16 GEMM kernel the addon runs on this CPU (`avx512bf16`, `neon-bf16` or `fp32-fma`), null without it. */
export function bf16Kernel(): string | null {
  return nativeAddon()?.bf16Kernels()[0] ?? null;
}

type KernelArgs = { inputs: { x: tf.TensorInfo }; backend: unknown };

function roundKernel({ inputs: { x }, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmBackendLike;
  if (x.dtype !== 'float32') throw new Error(`bf16 rounding: expected a float32 tensor, got ${x.dtype}`);
  const y = b.makeOutput(x.shape, 'float32');
  const n = x.shape.reduce((p, q) => p * q, 1);
  nativeAddon()!.roundBf16(heapOf(b)!.memory.buffer, heapOffset(b, x), heapOffset(b, y), n);
  return y;
}

/** x rounded to bfloat16 (nearest, ties to even) by the addon, on this thread's wasm heap. */
function roundBf16(x: tf.Tensor): tf.Tensor {
  if (!tf.getKernel('TrmRoundBf16', 'wasm')) tf.registerKernel({ kernelName: 'TrmRoundBf16', backendName: 'wasm', kernelFunc: roundKernel as unknown as tf.KernelFunc });
  return tf.engine().runKernel('TrmRoundBf16', { x }, {}) as tf.Tensor;
}
