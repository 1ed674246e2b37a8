// c + op(a) op(b): the sum of a running total and a product, as the backward passes accumulate a weight's gradient
// over the blocks and recursion rounds that use it. The ops say that (addMatMul); this kernel layer decides how it
// runs:
// - fused: one call of the wasm BatchMatMul's GEMM engine with an addend (the native addon's: each tile of the product
//   added to c while it is in cache, no separate pass over the product), when that engine takes one;
// - plain: tf.add(c, tf.matMul(a, b)), everywhere else and when switched off (setGemmAddend).
// Both give the same bits: the engine's product, then one float32 add per element (in bf16 the product rounded to
// bfloat16 first, as tf.matMul's output is). No gradient: it is for hand-written backward passes.
import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, type WasmBackendLike } from './heap.ts';
import { addendProduct, productShape } from './matmul.ts';

const KERNEL = 'TrmMatMulAdd';

let enabled = true;

/** Turn the fused path on or off in this thread (A/B benchmarks and tests); on by default. */
export function setGemmAddend(on: boolean): void {
  enabled = on;
}

type KernelArgs = { inputs: { c: tf.TensorInfo; a: tf.TensorInfo; b: tf.TensorInfo }; backend: unknown; attrs: { transposeA: boolean; transposeB: boolean } };

/** out = c + op(a) op(b) by the engine's product with an addend (addMatMul checked that it applies). */
function matMulAddKernel({ inputs: { c, a, b }, backend, attrs: { transposeA, transposeB } }: KernelArgs): tf.TensorInfo {
  const be = backend as WasmBackendLike;
  const { M, N, K, outer, batchA, batchB } = productShape(a.shape, b.shape, transposeA, transposeB)!;
  const out = be.makeOutput([...outer, M, N], 'float32');
  const strideA = batchA === 1 ? 0 : M * K * 4, strideB = batchB === 1 ? 0 : K * N * 4;
  addendProduct(be)!(heapOffset(be, a), heapOffset(be, b), heapOffset(be, out), M, N, K, transposeA, transposeB,
    outer.reduce((x, y) => x * y, 1), strideA, strideB, M * N * 4, heapOffset(be, c));
  return out;
}

/** True when c + op(a) op(b) runs as one fused call now: switched on, float32, a product our engines run, c its shape. */
function fusedApplies(c: tf.Tensor, a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): boolean {
  if (!enabled || tf.getBackend() !== 'wasm' || c.dtype !== 'float32' || a.dtype !== 'float32' || b.dtype !== 'float32') return false;
  const shape = productShape(a.shape, b.shape, transposeA, transposeB);
  const want = shape && [...shape.outer, shape.M, shape.N];
  if (!want || want.length !== c.rank || want.some((d, i) => d !== c.shape[i])) return false;
  return addendProduct(tf.backend() as unknown as WasmBackendLike) !== null;
}

/**
 * c + op(a) op(b) (op = transpose when the flag is set; c of the product's shape), or op(a) op(b) alone when c is
 * undefined (the first term of a sum). A new tensor; c is not changed.
 */
export function addMatMul(c: tf.Tensor | undefined, a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (!c) return tf.matMul(a, b, transposeA, transposeB);
  if (!fusedApplies(c, a, b, transposeA, transposeB)) return tf.tidy(() => tf.add(c, tf.matMul(a, b, transposeA, transposeB)));
  if (!tf.getKernel(KERNEL, 'wasm')) tf.registerKernel({ kernelName: KERNEL, backendName: 'wasm', kernelFunc: matMulAddKernel as unknown as tf.KernelFunc });
  return tf.engine().runKernel(KERNEL, { c, a, b }, { transposeA, transposeB }) as tf.Tensor;
}
