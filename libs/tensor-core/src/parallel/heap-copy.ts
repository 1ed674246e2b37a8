// Copy float32 values between a tensor and a caller's array without intermediate copies. On the wasm backend the
// values are read from / written to the backend heap directly: dataSync would first copy them into a fresh
// ArrayBuffer (resident garbage until the next GC: per data-parallel step, one gradient vector per worker), and
// loading weights through a new tensor allocates a second weight vector on the heap every step. Other backends go
// through dataSync / a new tensor.
import * as tf from '@tensorflow/tfjs-core';

interface WasmHeapBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number; refCount: number } | undefined };
}

/** The tensor's values as a view on the wasm heap, or null on another backend. Valid until the heap grows. */
function heapView(t: tf.Tensor): Float32Array | null {
  if (t.dtype !== 'float32') throw new Error(`heap copy: expected a float32 tensor, got ${t.dtype} [${t.shape}]`);
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.engine().findBackend('wasm') as unknown as Partial<WasmHeapBackend> | null;
  const entry = backend?.dataIdMap?.get(t.dataId);
  if (!entry || !backend?.wasm) return null;
  return new Float32Array(backend.wasm.HEAPU8.buffer, entry.memoryOffset, t.size);
}

/**
 * t's values (float32): on wasm a view of the backend heap (no copy; valid while no tensor is allocated, which may
 * grow the heap, and while t lives), elsewhere dataSync's array.
 */
export function tensorValues(t: tf.Tensor): Float32Array {
  return heapView(t) ?? (t.dataSync() as Float32Array);
}

/** out[offset .. offset + t.size) = t's values (float32). */
export function readInto(t: tf.Tensor, out: Float32Array, offset = 0): void {
  if (offset < 0 || offset + t.size > out.length) throw new Error(`readInto: ${t.size} values at offset ${offset} do not fit an array of ${out.length}`);
  const view = heapView(t);
  out.set(view ?? (t.dataSync() as Float32Array), offset);
}

/** True when no other tensor shares t's wasm buffer (a reshape or a buffer-sharing clone of it would). */
function soleOwner(t: tf.Tensor): boolean {
  const backend = tf.engine().findBackend('wasm') as unknown as Partial<WasmHeapBackend> | null;
  return backend?.dataIdMap?.get(t.dataId)?.refCount === 1;
}

/**
 * variable := values (float32, variable.size of them). On wasm the values overwrite the variable's heap memory in
 * place when the variable alone holds that memory; when another tensor shares it (a reshape, or a clone: the wasm
 * Identity shares buffers), and on other backends, through assign (a new buffer), so that the other tensor keeps
 * its values as tfjs promises.
 */
export function assignFrom(variable: tf.Variable, values: Float32Array): void {
  if (values.length !== variable.size) throw new Error(`assignFrom: ${values.length} values for variable "${variable.name}" of ${variable.size} [${variable.shape}]`);
  const view = heapView(variable);
  if (view && soleOwner(variable)) {
    view.set(values);
  } else {
    tf.tidy(() => variable.assign(tf.tensor(values.slice(), variable.shape, 'float32'))); // a backend may keep the array
  }
}
