// tfjs-wasm's 'Slice' kernel (4.22) copies its whole input out of the heap first (backend.readSync), then the slice
// back in: slicing the row halves of a [3072, 512] weight took ~10 ms per call, 3-5% of a training step. This
// replacement copies only the slice, inside the heap (memmove of each contiguous run of the last axis). Same bits
// as tfjs's kernel; string and complex tensors keep tfjs's kernel.
// tfjs-wasm's 'SplitV' is a series of its Slice (called directly, not through the registry): the split of the
// input embedding's gradient into puzzle and token positions took 5-15 ms per step (configs a, b). Its
// replacement runs the same series through the in-heap slice.
import * as tf from '@tensorflow/tfjs-core';
import { heapOf, heapOffset, type WasmBackendLike } from './heap.ts';
import { wasmKernelOverride } from './wasm-override.ts';

interface SliceBackend extends WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

type KernelArgs = { inputs: { x: tf.TensorInfo }; backend: unknown; attrs: { begin: number | number[]; size: number | number[] } };

const BYTES: Partial<Record<tf.DataType, number>> = { float32: 4, int32: 4, bool: 1 };

function inHeapSlice(args: KernelArgs): tf.TensorInfo {
  const { inputs: { x }, attrs, backend } = args;
  const bytes = BYTES[x.dtype];
  const b = backend as SliceBackend;
  const heap = heapOf(b);
  if (!bytes || !heap) return slice.fallback(args);
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
  const out = b.makeOutput(size, x.dtype as 'float32');
  const n = size.reduce((p, d) => p * d, 1);
  if (n === 0) return out;
  const src = heapOffset(b, x), dst = heapOffset(b, out);
  const u8 = new Uint8Array(heap.memory.buffer); // after makeOutput: growth replaces the buffer
  const strides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const from = src + tf.slice_util.computeFlatOffset(begin, strides) * bytes;
    u8.copyWithin(dst, from, from + n * bytes);
    return out;
  }
  // one run of the last axis per index of the leading axes, in row-major order
  const rank = x.shape.length, run = size[rank - 1] * bytes, idx = new Array<number>(rank - 1).fill(0);
  for (let k = 0, to = dst; k < n / size[rank - 1]; k++, to += run) {
    let flat = begin[rank - 1];
    for (let a = 0; a < rank - 1; a++) flat += (begin[a] + idx[a]) * strides[a];
    u8.copyWithin(to, src + flat * bytes, src + flat * bytes + run);
    for (let a = rank - 2; a >= 0 && ++idx[a] === size[a]; a--) idx[a] = 0;
  }
  return out;
}

const slice = wasmKernelOverride('Slice', inHeapSlice as unknown as tf.KernelFunc);

type SplitArgs = { inputs: { x: tf.TensorInfo }; backend: unknown; attrs: { numOrSizeSplits: number | number[]; axis: number } };

/** tfjs-wasm's splitV with the in-heap slice: consecutive slices along `axis`. */
function inHeapSplitV(args: SplitArgs): tf.TensorInfo[] {
  const { inputs: { x }, attrs, backend } = args;
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const out = inHeapSlice({ inputs: { x }, backend, attrs: { begin: [...begin], size } });
    begin[axis] += s;
    return out;
  });
}

const splitV = wasmKernelOverride('SplitV', inHeapSplitV as unknown as tf.KernelFunc);

/** Make the in-heap slice the wasm backend's 'Slice' and 'SplitV' kernels (per thread; after the backend is registered). */
export const installWasmSlice = (): void => {
  slice.install();
  splitV.install();
};

/** Switch between the in-heap Slice and SplitV (on, the default after initBackend) and tfjs's kernels (off), for A/B benchmarks. */
export const setWasmSlice = (on: boolean): void => (on ? installWasmSlice() : (slice.uninstall(), splitV.uninstall()));

/** True when the wasm backend's 'Slice' and 'SplitV' are the in-heap ones. */
export const wasmSliceInstalled = (): boolean => slice.installed() && splitV.installed();
