// tfjs-wasm's 'Identity' kernel (4.22) copies its input into a new heap buffer. tfjs runs it for tf.clone and for
// every tensor a custom gradient saves (the engine keeps a clone of each): 127 copies, ~21 ms of a training step of
// config b at batch 32. This replacement shares the input's buffer and counts one more reference to it, as the
// wasm Reshape kernel does and as tfjs's cpu and webgl backends do for Identity: tfjs tensors are immutable, so
// nothing sees the difference. Only code writing into a tensor's heap memory in place would: the one such writer,
// parallel/heap-copy.ts's assignFrom, writes in place only when the variable is its buffer's sole owner (refCount
// 1), and otherwise assigns a new buffer, so a live clone keeps its values.
// String tensors keep tfjs's kernel.
import * as tf from '@tensorflow/tfjs-core';
import { wasmKernelOverride } from './wasm-override.ts';

type KernelArgs = { inputs: { x: tf.TensorInfo }; backend: unknown };

interface RefCountingBackend {
  incRef(dataId: object): void;
}

function sharedIdentity(args: KernelArgs): tf.TensorInfo {
  const { inputs: { x }, backend } = args;
  if (x.dtype === 'string') return identity.fallback(args);
  (backend as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const identity = wasmKernelOverride('Identity', sharedIdentity as unknown as tf.KernelFunc);

/** Make the buffer-sharing identity the wasm backend's 'Identity' kernel (per thread; after the backend is registered). */
export const installWasmIdentity = (): void => identity.install();

/** Switch between the buffer-sharing identity (on, the default after initBackend) and tfjs's kernel (off), for A/B benchmarks. */
export const setWasmIdentity = (on: boolean): void => (on ? identity.install() : identity.uninstall());

/** True when the wasm backend's 'Identity' is the buffer-sharing one. */
export const wasmIdentityInstalled = (): boolean => identity.installed();
