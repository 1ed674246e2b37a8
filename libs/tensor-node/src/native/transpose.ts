// The wasm backend's 'Transpose' for float32 swaps of two adjacent axis groups ([B,S,D] -> [B,D,S] in token mixing,
// [B,S,H,hd] -> [B,H,S,hd] for attention heads, 2-D transposes) runs the native addon's tiled transposeSwap in
// place on the heap (~8x tfjs-wasm's kernel on [16,97,512]); other permutations and dtypes, and the plain path
// (fused kernels off: TRM_GEMM other than native, or setFusedElementwise(false)), keep tfjs's kernel. Same bits.
import * as tf from '@tensorflow/tfjs-core';
import { heapOf, heapOffset, wasmKernelOverride, type WasmBackendLike } from '@trm/tensor-core';
import { nativeAddon } from './addon.ts';
import { fusedElementwiseActive } from './fused-kernels.ts';

type KernelArgs = { inputs: { x: tf.TensorInfo }; backend: unknown; attrs: { perm: number[] } };

/**
 * `perm` of `shape` as a swap of two adjacent groups: [outer, A, B, inner] with out[o][b][a][i] = in[o][a][b][i],
 * after dropping size-1 axes and merging axes that stay neighbours; null when it is not one.
 */
export function swapForm(shape: number[], perm: number[]): [number, number, number, number] | null {
  const moved = perm.filter((p) => shape[p] !== 1); // input axes in output order
  const groups: number[][] = []; // runs of input axes that stay adjacent, in output order
  for (const p of moved) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] === p - 1) last.push(p);
    else groups.push([p]);
  }
  const size = (g: number[]): number => g.reduce((n, a) => n * shape[a], 1);
  const byInput = [...groups].sort((x, y) => x[0] - y[0]);
  const order = groups.map((g) => byInput.indexOf(g)).join(',');
  const s = byInput.map(size);
  if (order === '1,0') return [1, s[0], s[1], 1];
  if (order === '0,2,1') return [s[0], s[1], s[2], 1];
  if (order === '1,0,2') return [1, s[0], s[1], s[2]];
  if (order === '0,2,1,3') return [s[0], s[1], s[2], s[3]];
  return null;
}

function nativeTranspose(args: KernelArgs): tf.TensorInfo {
  const { inputs: { x }, attrs: { perm }, backend } = args;
  const form = x.dtype === 'float32' && fusedElementwiseActive() ? swapForm(x.shape, perm) : null;
  const b = backend as WasmBackendLike;
  const heap = form && heapOf(b);
  const addon = heap && nativeAddon();
  if (!form || !heap || !addon) return transpose.fallback(args);
  const out = b.makeOutput(perm.map((p) => x.shape[p]), 'float32');
  addon.transposeSwap(heap.memory.buffer, heapOffset(b, x), heapOffset(b, out), ...form);
  return out;
}

const transpose = wasmKernelOverride('Transpose', nativeTranspose as unknown as tf.KernelFunc);

/** Make the native-backed transpose the wasm backend's 'Transpose' kernel (per thread; after the backend is registered). */
export const installWasmTranspose = (): void => transpose.install();

/** True when the wasm backend's 'Transpose' is this one (it still defers to tfjs's kernel when the fused kernels are off). */
export const wasmTransposeInstalled = (): boolean => transpose.installed();
