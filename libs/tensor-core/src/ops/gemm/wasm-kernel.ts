// tfjs's 'BatchMatMul' kernel for the wasm backend replaced by the emitted GEMM (gemm.ts), which works in place
// on the backend's heap, transposed operands included (read in their stored layout, no Transpose). Non-float32
// inputs and batch broadcasts other than "one side has a single matrix" go to tfjs's own kernel, kept as the
// fallback; TRM_GEMM=tfjs restores it everywhere.
import * as tf from '@tensorflow/tfjs-core';
import { createGemm, type Gemm, type GemmHeap } from './gemm.ts';
import { wasm, type WasmMemory } from './wasm-api.ts';

export type GemmChoice = 'trm' | 'tfjs';

/** What the tfjs wasm backend exposes that the GEMM needs (not part of its typed public API). */
interface WasmBackendLike {
  wasm: { asm?: Record<string, unknown>; wasmMemory?: WasmMemory; _malloc(bytes: number): number; _free(ptr: number): void };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/** The GEMM choice named by `value` (default $TRM_GEMM, then `trm`). */
export function gemmChoice(value: string | undefined = process.env.TRM_GEMM): GemmChoice {
  const v = value === undefined || value === '' ? 'trm' : value;
  if (v !== 'trm' && v !== 'tfjs') throw new Error(`TRM_GEMM: unknown matmul kernel "${value}" (expected trm or tfjs)`);
  return v;
}

/** The backend's WebAssembly.Memory, or null when this build of the backend does not expose it. */
function heapOf(backend: WasmBackendLike): GemmHeap | null {
  const candidates = [backend.wasm.wasmMemory, ...Object.values(backend.wasm.asm ?? {})];
  const memory = candidates.find((m): m is WasmMemory => m instanceof wasm.Memory);
  if (!memory) return null;
  return { memory, malloc: (n) => backend.wasm._malloc(n) >>> 0, free: (p) => backend.wasm._free(p) };
}

const gemms = new WeakMap<object, Gemm | null>();

function gemmFor(backend: WasmBackendLike): Gemm | null {
  if (!gemms.has(backend)) {
    const heap = heapOf(backend);
    gemms.set(backend, heap ? createGemm(heap) : null);
  }
  return gemms.get(backend)!;
}

const size = (dims: number[]): number => dims.reduce((x, y) => x * y, 1);
const sameDims = (x: number[], y: number[]): boolean => x.length === y.length && x.every((d, i) => d === y[i]);

let original: tf.KernelConfig | null = null;

function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const backend = args.backend as WasmBackendLike;
  const fallback = (): tf.TensorInfo => original!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return fallback();
  const [a0, a1] = a.shape.slice(-2), [b0, b1] = b.shape.slice(-2);
  const [M, K] = transposeA ? [a1, a0] : [a0, a1];
  const [K2, N] = transposeB ? [b1, b0] : [b0, b1];
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = size(outerA), batchB = size(outerB);
  // [..., M, K] x [..., K, N] with equal batch dims, or one side a single (possibly unit-batched) matrix
  const outer = sameDims(outerA, outerB) ? outerA : batchB === 1 && outerB.length <= outerA.length ? outerA : batchA === 1 && outerA.length <= outerB.length ? outerB : null;
  if (K !== K2 || outer === null) return fallback(); // tfjs's kernel raises the shape error or broadcasts
  const gemm = gemmFor(backend);
  if (!gemm) return fallback();
  const out = backend.makeOutput([...outer, M, N], 'float32');
  const offset = (t: tf.TensorInfo): number => backend.dataIdMap.get(t.dataId)!.memoryOffset;
  const pa = offset(a), pb = offset(b), pc = offset(out);
  const batch = size(outer);
  for (let i = 0; i < batch; i++) {
    gemm.matmul(pa + (batchA === 1 ? 0 : i * M * K * 4), pb + (batchB === 1 ? 0 : i * K * N * 4), pc + i * M * N * 4, M, N, K, !!transposeA, !!transposeB);
  }
  return out;
}

/**
 * Make `choice` the 'BatchMatMul' kernel of the wasm backend (call after the backend is registered; the kernel
 * registry is per thread, so each worker thread installs its own). Returns the kernel now in use.
 */
export function installWasmGemm(choice: GemmChoice): GemmChoice {
  const current = tf.getKernel('BatchMatMul', 'wasm');
  if (!current) throw new Error("installWasmGemm: the wasm backend has no 'BatchMatMul' kernel registered (is @tensorflow/tfjs-backend-wasm loaded?)");
  if (current.kernelFunc !== (batchMatMul as unknown as tf.KernelFunc)) original = current;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel(choice === 'trm' ? { ...original!, kernelFunc: batchMatMul as unknown as tf.KernelFunc } : original!);
  return choice;
}

/**
 * True when tf.matMul on the current backend runs this GEMM: wasm with TRM_GEMM=trm. Then batched products run in
 * place and transposed operands cost the same as plain ones (no need for explicit Transpose or per-slice splits).
 */
export function gemmActive(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc === (batchMatMul as unknown as tf.KernelFunc);
}
