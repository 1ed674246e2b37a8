// One wasm kernel of tfjs replaced by ours, tfjs's own kept as the fallback our kernel calls for what it does not
// handle. The kernel registry is per thread: each worker thread installs its own.
import * as tf from '@tensorflow/tfjs-core';

export interface WasmKernelOverride {
  /** Register our kernel (after the wasm backend is registered); calling it again changes nothing. */
  install(): void;
  /** Put tfjs's own kernel back (A/B benchmarks and tests); nothing when ours is not installed. */
  uninstall(): void;
  /** True when the wasm backend's kernel is ours. */
  installed(): boolean;
  /** Run tfjs's own kernel on the same arguments. */
  fallback(args: unknown): tf.TensorInfo;
}

export function wasmKernelOverride(kernelName: string, kernelFunc: tf.KernelFunc): WasmKernelOverride {
  let original: tf.KernelConfig | null = null;
  return {
    install() {
      const current = tf.getKernel(kernelName, 'wasm');
      if (!current) throw new Error(`wasmKernelOverride: the wasm backend has no '${kernelName}' kernel registered (is @tensorflow/tfjs-backend-wasm loaded?)`);
      if (current.kernelFunc === kernelFunc) return;
      original = current;
      tf.unregisterKernel(kernelName, 'wasm');
      tf.registerKernel({ ...current, kernelFunc });
    },
    uninstall() {
      if (!original || tf.getKernel(kernelName, 'wasm')?.kernelFunc !== kernelFunc) return;
      tf.unregisterKernel(kernelName, 'wasm');
      tf.registerKernel(original);
    },
    installed: () => tf.getKernel(kernelName, 'wasm')?.kernelFunc === kernelFunc,
    fallback: (args) => original!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo,
  };
}
