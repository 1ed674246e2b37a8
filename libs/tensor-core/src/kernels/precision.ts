// The arithmetic precision of this thread's model math (runtime.precision), chosen below the ops like the GEMM:
// - fp32: everything in float32 (the default; `bf16Round` is the identity, no kernel changes);
// - bf16: the reference's default `forward_dtype: bfloat16`. tfjs has no bfloat16 dtype, so tensors stay float32 and
//   hold bfloat16-rounded values where the reference holds bfloat16 ones: the GEMM engine rounds both operands to
//   bfloat16 while packing, accumulates in float32 and rounds its output (a provider's bf16 GEMM), the fused kernels
//   round what the reference keeps in bfloat16 (SwiGLU, the norm's output, softmax, RoPE; the norm's statistics and
//   the loss stay float32; the ops' tfjs paths, when the fused kernels are off, round the same places with
//   `bf16Round`), and the model marks with `bf16Round` the few other places where the reference casts or adds in
//   bfloat16 (embeddings, the carry, residual sums). Master weights and the optimizer stay float32.
// Only a provider with a bfloat16 GEMM can run bf16 (the native addon of @trm/tensor-node on the wasm backend);
// installWasmKernels refuses it otherwise, so no op runs half in one precision.
import * as tf from '@tensorflow/tfjs-core';

export type Precision = 'fp32' | 'bf16';

export const PRECISIONS: readonly Precision[] = ['fp32', 'bf16'];

let current: Precision = 'fp32';
let unrounded = 0;
let rounder: ((x: tf.Tensor) => tf.Tensor) | null = null;

/** The precision of this thread's model math. */
export function precision(): Precision {
  return current;
}

/** Set it (installWasmKernels does, after checking that the kernels can run it). */
export function setPrecision(p: Precision): void {
  if (!PRECISIONS.includes(p)) throw new Error(`precision: unknown "${p}" (expected fp32 or bf16)`);
  if (p === 'bf16' && !rounder) throw new Error('precision bf16: no bfloat16 kernels are registered in this thread (the native addon of @trm/tensor-node provides them)');
  current = p;
}

/** The provider's element-wise rounding to bfloat16 (nearest, ties to even), a float32 tensor in and out. */
export function registerBf16Rounding(f: ((x: tf.Tensor) => tf.Tensor) | null): void {
  rounder = f;
}

/** True once a provider registered bfloat16 kernels in this thread. */
export function bf16Available(): boolean {
  return rounder !== null;
}

/**
 * x rounded to bfloat16 in bf16 (its gradient rounded too: the reference's gradient of a bfloat16 tensor is
 * bfloat16), x itself in fp32. Marks where the reference casts to or computes in bfloat16 outside a GEMM or kernel.
 */
export function bf16Round<T extends tf.Tensor>(x: T): T {
  if (current === 'fp32') return x;
  const round = rounder!;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({ value: round(args[0] as tf.Tensor), gradFunc: (dy: tf.Tensor) => round(dy) }));
  return op(x as tf.Tensor) as T;
}

/**
 * Run `fn` with GEMM outputs left unrounded in bf16, for a product whose bias is added before the one rounding
 * (torch's addmm: q_head's linear with bias). No effect in fp32.
 */
export function withUnroundedProducts<T>(fn: () => T): T {
  unrounded++;
  try {
    return fn();
  } finally {
    unrounded--;
  }
}

/** Whether a bf16 GEMM rounds its output now (false inside withUnroundedProducts). */
export function productsRounded(): boolean {
  return unrounded === 0;
}
