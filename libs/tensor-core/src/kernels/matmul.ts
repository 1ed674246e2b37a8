// tfjs's 'BatchMatMul' kernel for the wasm backend replaced by one of our GEMM engines, which work in place on the
// backend's heap, transposed operands included (read in their stored layout, no Transpose):
// - trm: the GEMM emitted as WebAssembly (gemm/gemm.ts), one call per matrix of the batch;
// - native: the C++ addon of @trm/tensor-node (Node only), registered here by its initBackend (registerGemmEngine).
// Non-float32 inputs and batch broadcasts other than "one side has a single matrix" go to tfjs's own kernel, kept
// as the fallback. The choice `tfjs` runs tfjs's own GEMM everywhere, around its two slow cases (tfjsProduct).
// Either way the ops above say what they compute (tf.matMul with transpose flags, batched) and this kernel decides
// how it runs.
import * as tf from '@tensorflow/tfjs-core';
import { createGemm, type GemmHeap } from './gemm/gemm.ts';
import { heapOf, heapOffset, type WasmBackendLike } from './heap.ts';

export type GemmChoice = 'native' | 'trm' | 'tfjs';
type Engine = 'native' | 'trm';

/**
 * A GEMM engine's batched product on a heap: byte offsets of A, B, C and byte strides between their matrices
 * (0 = broadcast). With `addend` (a byte offset laid out as C), C = addend + op(A) op(B): only for an engine
 * registered with `{ addend: true }`, which gives the bits of the product followed by tfjs's float32 Add.
 */
export type BatchedProduct = (a: number, b: number, c: number, M: number, N: number, K: number, transA: boolean, transB: boolean,
  batch: number, strideA: number, strideB: number, strideC: number, addend?: number) => void;

/** Makes an engine's product for one backend heap (null: it cannot run on this heap). */
export type GemmEngineFactory = (heap: GemmHeap) => BatchedProduct | null;

/** What an engine's product can do besides C = op(A) op(B). */
export interface GemmEngineOptions {
  /** C = addend + op(A) op(B) in one call, the same bits as the product and then tf.add (matmul-add.ts) */
  addend?: boolean;
}

const engines: Partial<Record<Engine, GemmEngineFactory>> = { trm: trmProduct };
const withAddend = new Set<Engine>();

/** Make the `native` engine available (@trm/tensor-node does, when its addon loads in this thread). */
export function registerGemmEngine(name: 'native', factory: GemmEngineFactory, options: GemmEngineOptions = {}): void {
  engines[name] = factory;
  if (options.addend) withAddend.add(name);
  else withAddend.delete(name);
}

/**
 * The matmul kernel named by `value` (unset or empty: native), resolved to what can run: native becomes trm when no
 * native engine is registered. Unknown names throw.
 */
export function gemmChoice(value: string | undefined): GemmChoice {
  const v = value === undefined || value === '' ? 'native' : value;
  if (v !== 'native' && v !== 'trm' && v !== 'tfjs') throw new Error(`TRM_GEMM: unknown matmul kernel "${value}" (expected native, trm or tfjs)`);
  return v === 'native' && !engines.native ? 'trm' : v;
}

function trmProduct(heap: GemmHeap): BatchedProduct {
  const gemm = createGemm(heap);
  return (a, b, c, M, N, K, transA, transB, batch, strideA, strideB, strideC) => {
    for (let i = 0; i < batch; i++) gemm.matmul(a + i * strideA, b + i * strideB, c + i * strideC, M, N, K, transA, transB);
  };
}

const products = { native: new WeakMap<object, BatchedProduct | null>(), trm: new WeakMap<object, BatchedProduct | null>() };

function productFor(backend: WasmBackendLike, engine: Engine): BatchedProduct | null {
  const cache = products[engine];
  if (!cache.has(backend)) {
    const heap = heapOf(backend);
    cache.set(backend, heap && (engines[engine]?.(heap) ?? null));
  }
  return cache.get(backend)!;
}

const size = (dims: number[]): number => dims.reduce((x, y) => x * y, 1);
const sameDims = (x: number[], y: number[]): boolean => x.length === y.length && x.every((d, i) => d === y[i]);

/** A product our engines run: op(A) [M, K], op(B) [K, N], the batch dims of C and of each side. */
export interface ProductShape {
  M: number;
  N: number;
  K: number;
  outer: number[];
  batchA: number;
  batchB: number;
}

/**
 * The shape of op(a) op(b) when our engines can run it: [..., M, K] x [..., K, N] with equal batch dims, or one side
 * a single (possibly unit-batched) matrix; null otherwise (tfjs's kernel raises the shape error or broadcasts).
 */
export function productShape(a: number[], b: number[], transposeA: boolean, transposeB: boolean): ProductShape | null {
  if (a.length < 2 || b.length < 2) return null;
  const [a0, a1] = a.slice(-2), [b0, b1] = b.slice(-2);
  const [M, K] = transposeA ? [a1, a0] : [a0, a1];
  const [K2, N] = transposeB ? [b1, b0] : [b0, b1];
  const outerA = a.slice(0, -2), outerB = b.slice(0, -2);
  const batchA = size(outerA), batchB = size(outerB);
  const outer = sameDims(outerA, outerB) ? outerA : batchB === 1 && outerB.length <= outerA.length ? outerA : batchA === 1 && outerA.length <= outerB.length ? outerB : null;
  return K !== K2 || outer === null ? null : { M, N, K, outer, batchA, batchB };
}

/** The batched product of the wasm BatchMatMul's engine now when it takes an addend (native), else null. */
export function addendProduct(backend: WasmBackendLike): BatchedProduct | null {
  const engine = gemmEngine();
  return engine !== null && withAddend.has(engine) ? productFor(backend, engine) : null;
}

let original: tf.KernelConfig | null = null;

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function batchMatMul(engine: Engine, args: KernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const backend = args.backend as WasmBackendLike;
  const fallback = (): tf.TensorInfo => original!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback();
  const shape = productShape(a.shape, b.shape, !!transposeA, !!transposeB);
  if (!shape) return fallback(); // tfjs's kernel raises the shape error or broadcasts
  const { M, N, K, outer, batchA, batchB } = shape;
  const product = productFor(backend, engine);
  if (!product) return fallback();
  const out = backend.makeOutput([...outer, M, N], 'float32');
  const strideA = batchA === 1 ? 0 : M * K * 4, strideB = batchB === 1 ? 0 : K * N * 4;
  product(heapOffset(backend, a), heapOffset(backend, b), heapOffset(backend, out), M, N, K, !!transposeA, !!transposeB, size(outer), strideA, strideB, M * N * 4);
  return out;
}

/** The wasm backend's allocation and release of kernel outputs and its other kernels. */
interface KernelBackend extends WasmBackendLike {
  disposeData(dataId: object): void;
}

/** An [m, k] float32 TensorInfo holding matrix `index` of `x` [..., m, k] (a copy inside the heap). */
function matrixOf(backend: KernelBackend, x: tf.TensorInfo, index: number): tf.TensorInfo {
  const [m, k] = x.shape.slice(-2);
  const out = backend.makeOutput([m, k], 'float32');
  const heap = heapOf(backend)!;
  const from = heapOffset(backend, x) + index * m * k * 4;
  new Uint8Array(heap.memory.buffer).copyWithin(heapOffset(backend, out), from, from + m * k * 4);
  return out;
}

/**
 * tfjs-wasm's own BatchMatMul (TRM_GEMM=tfjs) around its two slow cases, measured on it: a transposed operand
 * ([512x97]x[97x512]: 15 ms plain, 88 ms transposeB, 167 ms transposeA) is transposed first (for transposeA of 2-D
 * products, whichever of A or B with the result is smaller: (B^T A)^T), and a batched product (no XNNPACK path for
 * batch > 1: 0.4-0.6 against 5-10 GFLOP/s) runs as one 2-D product per matrix.
 */
function tfjsProduct(args: KernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const backend = args.backend as KernelBackend;
  const run = (x: tf.TensorInfo, y: tf.TensorInfo): tf.TensorInfo =>
    original!.kernelFunc({ inputs: { a: x, b: y }, backend, attrs: { transposeA: false, transposeB: false } } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2 || !heapOf(backend)) return original!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const transposeKernel = tf.getKernel('Transpose', 'wasm')!.kernelFunc;
  const swapLast2 = (x: tf.TensorInfo): tf.TensorInfo => {
    const perm = [...x.shape.keys()];
    [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
    return transposeKernel({ inputs: { x }, backend, attrs: { perm } } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  };
  const temporaries: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo) => (temporaries.push(t), t);
  try {
    if (a.shape.length === 2 && b.shape.length === 2) {
      const [M, N] = [transposeA ? a.shape[1] : a.shape[0], transposeB ? b.shape[0] : b.shape[1]];
      if (transposeA && M > N) {
        const bT = transposeB ? b : keep(swapLast2(b)); // B^T [N, K]
        return swapLast2(keep(run(bT, a))); // (B^T A)^T [M, N]
      }
      return run(transposeA ? keep(swapLast2(a)) : a, transposeB ? keep(swapLast2(b)) : b);
    }
    const A = transposeA ? keep(swapLast2(a)) : a; // [..., M, K]
    const B = transposeB ? keep(swapLast2(b)) : b; // [..., K, N]
    const batch = size(A.shape.slice(0, -2));
    if (!sameDims(A.shape.slice(0, -2), B.shape.slice(0, -2)) || batch <= 1) return run(A, B);
    const [M, N] = [A.shape[A.shape.length - 2], B.shape[B.shape.length - 1]];
    const out = backend.makeOutput([...A.shape.slice(0, -2), M, N], 'float32');
    for (let i = 0; i < batch; i++) {
      const c = keep(run(keep(matrixOf(backend, A, i)), keep(matrixOf(backend, B, i)))); // [M, N]
      const heap = new Uint8Array(heapOf(backend)!.memory.buffer); // after the allocations: growth replaces the buffer
      heap.copyWithin(heapOffset(backend, out) + i * M * N * 4, heapOffset(backend, c), heapOffset(backend, c) + M * N * 4);
    }
    return out;
  } finally {
    for (const t of temporaries) backend.disposeData(t.dataId);
  }
}

const kernels: Record<GemmChoice, tf.KernelFunc> = {
  native: ((args: KernelArgs) => batchMatMul('native', args)) as unknown as tf.KernelFunc,
  trm: ((args: KernelArgs) => batchMatMul('trm', args)) as unknown as tf.KernelFunc,
  tfjs: tfjsProduct as unknown as tf.KernelFunc,
};
const ours = (f: tf.KernelFunc | undefined): boolean => f === kernels.native || f === kernels.trm || f === kernels.tfjs;

/**
 * Make `choice` the 'BatchMatMul' kernel of the wasm backend (call after the backend is registered; the kernel
 * registry is per thread, so each worker thread installs its own). Returns the kernel now in use: `native` becomes
 * `trm` when no native engine is registered.
 */
export function installWasmGemm(requested: GemmChoice): GemmChoice {
  const choice = requested === 'native' && !engines.native ? 'trm' : requested;
  const current = tf.getKernel('BatchMatMul', 'wasm');
  if (!current) throw new Error("installWasmGemm: the wasm backend has no 'BatchMatMul' kernel registered (is @tensorflow/tfjs-backend-wasm loaded?)");
  if (!ours(current.kernelFunc)) original = current;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...original!, kernelFunc: kernels[choice] });
  return choice;
}

/** The GEMM engine of the current backend's BatchMatMul: native or trm, null when it is not ours (tfjs's, or not wasm). */
export function gemmEngine(): Engine | null {
  if (tf.getBackend() !== 'wasm') return null;
  const f = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc;
  return f === kernels.native ? 'native' : f === kernels.trm ? 'trm' : null;
}

/** True when tf.matMul on the current backend runs one of our GEMM engines (wasm with TRM_GEMM native or trm). */
export function gemmActive(): boolean {
  return gemmEngine() !== null;
}

/** Put tfjs's own BatchMatMul kernel back, as it is (tests of the kernels above). */
export function uninstallWasmGemm(): void {
  if (!original || !ours(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc)) return;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel(original);
}
