// tfjs-wasm's 'GatherV2' kernel (4.22) took 10-19 ms to gather 2592 rows of 128 floats from an [11, 128] embedding
// table (profiled in a training step of config b at batch 32: the token embedding, twice per step). This
// replacement copies each gathered run (the axes after `axis`) inside the heap, one memmove per (outer index,
// index). Same bits as tfjs's kernel; indices outside [0, dim) throw as tfjs's do; batchDims > 0, string and
// complex tensors keep tfjs's kernel.
import * as tf from '@tensorflow/tfjs-core';
import { heapOf, heapOffset, type WasmBackendLike } from './heap.ts';
import { wasmKernelOverride } from './wasm-override.ts';

type KernelArgs = { inputs: { x: tf.TensorInfo; indices: tf.TensorInfo }; backend: unknown; attrs: { axis: number; batchDims: number } };

const BYTES: Partial<Record<tf.DataType, number>> = { float32: 4, int32: 4, bool: 1 };

function inHeapGather(args: KernelArgs): tf.TensorInfo {
  const { inputs: { x, indices }, attrs, backend } = args;
  const bytes = BYTES[x.dtype];
  const b = backend as WasmBackendLike;
  const heap = heapOf(b);
  if (!bytes || !heap || attrs.batchDims !== 0 || indices.dtype !== 'int32') return gather.fallback(args);
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
  const dim = x.shape[axis];
  const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const run = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1) * bytes;
  const n = indices.shape.reduce((p, d) => p * d, 1);
  const out = b.makeOutput([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype as 'float32');
  // views after makeOutput: growth replaces the buffer
  const ids = new Int32Array(heap.memory.buffer, heapOffset(b, indices), n);
  for (let i = 0; i < n; i++) {
    if (!(ids[i] >= 0 && ids[i] < dim)) throw new Error(`GatherV2: the index value ${ids[i]} is not in [0, ${dim - 1}]`);
  }
  if (outer * n * run === 0) return out;
  const u8 = new Uint8Array(heap.memory.buffer);
  const src = heapOffset(b, x);
  let to = heapOffset(b, out);
  for (let o = 0; o < outer; o++) {
    const base = src + o * dim * run;
    for (let i = 0; i < n; i++, to += run) u8.copyWithin(to, base + ids[i] * run, base + ids[i] * run + run);
  }
  return out;
}

const gather = wasmKernelOverride('GatherV2', inHeapGather as unknown as tf.KernelFunc);

/** Make the in-heap gather the wasm backend's 'GatherV2' kernel (per thread; call after the backend is registered). */
export const installWasmGather = (): void => gather.install();

/** Switch between the in-heap gather (on, the default after initBackend) and tfjs's kernel (off), for A/B benchmarks. */
export const setWasmGather = (on: boolean): void => (on ? gather.install() : gather.uninstall());

/** True when the wasm backend's 'GatherV2' is the in-heap one. */
export const wasmGatherInstalled = (): boolean => gather.installed();
