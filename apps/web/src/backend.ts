// The TensorFlow.js backend of the page: WebGPU, then WebGL, then WebAssembly (the first that starts), switchable.
// On WebAssembly the matrix products run on tensor-core's WebAssembly GEMM (`trm`) with its in-heap Slice, GatherV2
// and Identity, the same kernels as `TRM_BACKEND=wasm TRM_GEMM=trm trm solve` on Node: the same bits.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { installWasmKernels } from '@trm/tensor-core';

export const BACKENDS = ['webgpu', 'webgl', 'wasm'] as const;
export type Backend = (typeof BACKENDS)[number];

setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });

/** Backends this browser appears to offer (cheap checks; starting one can still fail). */
export async function offeredBackends(): Promise<Backend[]> {
  const out: Backend[] = [];
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (gpu && tf.findBackendFactory('webgpu')) {
    try {
      if (await gpu.requestAdapter()) out.push('webgpu');
    } catch {
      // no adapter: not offered
    }
  }
  const canvas = document.createElement('canvas');
  if (canvas.getContext('webgl2') || canvas.getContext('webgl')) out.push('webgl');
  if (typeof WebAssembly === 'object') out.push('wasm');
  return out;
}

/** Start `name`; false when it cannot run here. */
export async function startBackend(name: Backend): Promise<boolean> {
  try {
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
  } catch {
    return false;
  }
  if (name === 'wasm') installWasmKernels({ gemm: 'trm' });
  return tf.getBackend() === name;
}

/** The first of `wanted` (then the rest of `offered`, in order) that starts. */
export async function startFirst(offered: Backend[], wanted?: Backend): Promise<Backend> {
  const order = wanted ? [wanted, ...offered.filter((b) => b !== wanted)] : offered;
  for (const name of order) if (await startBackend(name)) return name;
  throw new Error(`no TensorFlow.js backend starts in this browser (tried ${order.join(', ') || 'none'})`);
}
