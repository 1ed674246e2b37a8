// Fused kernels: one pass each for element-wise stretches of the ops (the SwiGLU gating, RMSNorm, softmax, RoPE),
// forward and backward, and the SwiGLU's two projections with the gating in their GEMM's epilogue. tensor-core has none of its own: a backend-specific provider registers them (the native
// addon of @trm/tensor-node on wasm), and each op file asks `fusedKernels()` once per call and otherwise computes the
// same math with tfjs ops. Inputs are float32; the norms and softmax run over the last axis.
import type * as tf from '@tensorflow/tfjs-core';

export interface FusedKernels {
  /** silu(g) * u; g, u of one shape */
  swigluForward(g: tf.Tensor, u: tf.Tensor): tf.Tensor;
  /**
   * The SwiGLU projections with the gating in the GEMM's epilogue: g = x gate^T, u = x up^T and a = silu(g) * u
   * ([N, inner] each; x [N, w], gate and up [inner, w]), the bits of tf.matMul twice and swigluForward; null when
   * this provider does not run it now (the caller then does that).
   */
  swigluProjections(x: tf.Tensor2D, gate: tf.Tensor2D, up: tf.Tensor2D): { a: tf.Tensor2D; g: tf.Tensor2D; u: tf.Tensor2D } | null;
  /** a = silu(x gate^T) * (x up^T) alone, g and u never written (no backward follows); null as swigluProjections */
  swigluGating(x: tf.Tensor2D, gate: tf.Tensor2D, up: tf.Tensor2D): tf.Tensor2D | null;
  /** [a = silu(g) * u, dg, du] from da, g, u (one shape) */
  swigluBackward(da: tf.Tensor, g: tf.Tensor, u: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor];
  /** y = x * r, r = rsqrt(mean(x^2) + eps) over the last axis: y [..., w], r [..., 1] */
  rmsNormForward(x: tf.Tensor, eps: number): { y: tf.Tensor; r: tf.Tensor };
  /** rmsNormForward of x + o, the sum never stored */
  addRmsNormForward(x: tf.Tensor, o: tf.Tensor, eps: number): { y: tf.Tensor; r: tf.Tensor };
  /** dx = r * (dy - y * mean(dy * y)) over the last axis */
  rmsNormBackward(dy: tf.Tensor, y: tf.Tensor, r: tf.Tensor): tf.Tensor;
  /** softmax(x * scale) over the last axis */
  softmax(x: tf.Tensor, scale: number): tf.Tensor;
  /** the gradient w.r.t. x of softmax(x * scale) from the probabilities p: p * (dp - sum(dp * p)) * scale */
  softmaxBackward(dp: tf.Tensor, p: tf.Tensor, scale: number): tf.Tensor;
  /** x * cos + rotate_half(x) * sin; x [..., S, hd], tables [S, hd] */
  rope(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor;
  /** dy * cos - rotate_half(dy * sin) */
  ropeBackward(dy: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor;
}

export interface FusedKernelProvider {
  kernels: FusedKernels;
  /** true when the kernels can run now (e.g. the current backend is the one they are built for) */
  active(): boolean;
}

let provider: FusedKernelProvider | null = null;

/** Register the fused kernels of this thread (null: none). */
export function registerFusedKernels(p: FusedKernelProvider | null): void {
  provider = p;
}

/** The fused kernels to use now, or null: the ops compute with tfjs ops. */
export function fusedKernels(): FusedKernels | null {
  return provider && provider.active() ? provider.kernels : null;
}
