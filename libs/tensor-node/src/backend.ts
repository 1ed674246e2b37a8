// Backend selection on Node. `auto` prefers native TensorFlow bindings when they are installed (optional packages,
// loaded dynamically so their absence is not an error), then the WebAssembly backend (its .wasm binaries read from
// the package's folder), then plain JS. On wasm, tensor-core's kernels are installed, with the native addon's when
// it loads (native/register.ts): the matmul kernel is $TRM_GEMM's, the precision the caller's (fp32 unless told; bf16
// needs the addon's GEMM on wasm and is refused elsewhere with the reason).
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { checkPrecision, gemmChoice, installWasmGemm, installWasmKernels, setPrecision, type GemmChoice, type Precision } from '@trm/tensor-core';
import { nativeBuild } from './native/addon.ts';
import { bf16Kernel, registerNativeKernels } from './native/register.ts';
import { installWasmTranspose } from './native/transpose.ts';

export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** the tfjs backend actually in use: `tensorflow`, `wasm` or `cpu` */
  name: string;
  /** version of the package providing it */
  version: string;
  /** package it came from, e.g. `@tensorflow/tfjs-backend-wasm` */
  package: string;
  /**
   * wasm only: the matmul kernel that runs, from $TRM_GEMM: `native` (the C++ addon, default when it loads), `trm`
   * (the WebAssembly GEMM, default otherwise) or `tfjs` (its own)
   */
  gemm?: GemmChoice;
  /** with gemm `native`: the addon's source hash, vector width and blocking (they decide the result bits) */
  gemmBuild?: string;
  /** the precision of the model math: `fp32`, or `bf16` (the reference's default; wasm with the native GEMM only) */
  precision: Precision;
  /** with precision bf16: the addon's bfloat16 GEMM kernel on this CPU (`avx512bf16`, `neon-bf16` or `fp32-fma`) */
  bf16Kernel?: string;
}

export interface BackendOptions {
  /** the precision of the model math (default fp32) */
  precision?: Precision;
}

const require = createRequire(import.meta.url);
let current: BackendInfo | null = null;
let gradientsRegistered = false;

/**
 * tfjs-core registers no gradient functions; its gradient modules ship only as extensionless ESM that Node cannot
 * load, so they come from the @tensorflow/tfjs node bundle (registries are global, shared with tfjs-core).
 * This also loads tfjs-layers/converter/data (about 1 s and ~19 MB of RSS), once per process. Worker threads skip it:
 * their bundle carries tfjs-core's own gradient modules (GRADIENT_MODULE, worker-bundle.ts).
 */
export function registerGradients(): void {
  if (gradientsRegistered) return;
  if (!tf.getGradient('BatchMatMul')) require('@tensorflow/tfjs');
  gradientsRegistered = true;
}

function packageVersion(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function tryTensorflow(): Promise<BackendInfo | null> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(/* @vite-ignore */ pkg);
    } catch {
      continue; // not installed (optional): fall through to the next candidate
    }
    if (await tf.setBackend('tensorflow')) return { name: 'tensorflow', version: packageVersion(pkg), package: pkg, precision: 'fp32' };
  }
  return null;
}

async function tryWasm(precision: Precision): Promise<BackendInfo | null> {
  const pkg = '@tensorflow/tfjs-backend-wasm';
  const wasm = (await import(pkg)) as typeof import('@tensorflow/tfjs-backend-wasm');
  // In Node the .wasm binaries are read from the package's dist folder.
  const dist = dirname(require.resolve(`${pkg}/dist/tfjs-backend-wasm.wasm`));
  wasm.setWasmPaths(join(dist, '/'));
  if (!(await tf.setBackend('wasm'))) return null;
  const gemm = installWasmKernels({ gemm: requestedGemm(), precision }); // tensor-core's in-heap Slice, GatherV2, Identity and the GEMM
  installWasmTranspose(); // the native addon's transpose for swaps of two axis groups (native/transpose.ts)
  return { name: 'wasm', version: packageVersion(pkg), package: pkg, ...describeGemm(gemm, precision) };
}

/** The matmul kernel $TRM_GEMM names (unset: native), after registering the addon's kernels when it loads. */
function requestedGemm(): GemmChoice {
  registerNativeKernels();
  return gemmChoice(process.env.TRM_GEMM);
}

/** BackendInfo's description of the matmul kernel and precision in use. */
function describeGemm(gemm: GemmChoice, precision: Precision): Pick<BackendInfo, 'gemm' | 'gemmBuild' | 'precision' | 'bf16Kernel'> {
  const bf16 = precision === 'bf16' ? { bf16Kernel: bf16Kernel()! } : {};
  return gemm === 'native' ? { gemm, gemmBuild: nativeBuild()!, precision, ...bf16 } : { gemm, precision };
}

async function tryCpu(): Promise<BackendInfo> {
  const pkg = '@tensorflow/tfjs-backend-cpu';
  await import(pkg);
  if (!(await tf.setBackend('cpu'))) throw new Error('initBackend: the cpu backend failed to initialise');
  // tfjs-backend-cpu prints a banner ("Hi, looks like you are running TensorFlow.js in Node.js...") on its first
  // tensor; we chose this backend and log that choice ourselves, so the banner is switched off (no other warning is)
  const cpu = tf.backend() as { firstUse?: boolean };
  if (cpu.firstUse === true) cpu.firstUse = false;
  return { name: 'cpu', version: packageVersion(pkg), package: pkg, precision: 'fp32' };
}

/**
 * Select and initialise the tfjs backend. `name` defaults to $TRM_BACKEND, then `auto`; `options.precision` to fp32.
 * Calling it again with the backend already active keeps it (on wasm, re-reading $TRM_GEMM for the matmul kernel and
 * taking the precision asked). bf16 anywhere but wasm with the native GEMM throws, saying why.
 */
export async function initBackend(name: BackendName = (process.env.TRM_BACKEND as BackendName | undefined) ?? 'auto', options: BackendOptions = {}): Promise<BackendInfo> {
  const precision = options.precision ?? 'fp32';
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(name)) {
    throw new Error(`initBackend: unknown backend "${name}" (expected auto, tensorflow, wasm or cpu; from TRM_BACKEND or runtime.backend)`);
  }
  if (current && (name === 'auto' || name === current.name) && tf.getBackend() === current.name) {
    // the backend stays; the wasm matmul kernel follows $TRM_GEMM as it is now
    if (current.name === 'wasm' && (current.gemm !== requestedGemm() || current.precision !== precision)) {
      const gemm = installWasmGemm(requestedGemm());
      checkPrecision(precision, gemm);
      setPrecision(precision);
      current = { name: current.name, version: current.version, package: current.package, ...describeGemm(gemm, precision) };
    }
    if (current.name !== 'wasm') checkPrecision(precision, null);
    return current;
  }
  requestedGemm(); // a bad TRM_GEMM is an error, not a silent fall back from wasm to cpu under `auto`
  let info: BackendInfo | null = null;
  if (name === 'tensorflow') {
    info = await tryTensorflow();
    if (!info) throw new Error('initBackend: backend "tensorflow" needs @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu, which is not installed');
  } else if (name === 'wasm') {
    info = await tryWasm(precision);
    if (!info) throw new Error('initBackend: the wasm backend failed to initialise');
  } else if (name === 'cpu') {
    info = await tryCpu();
  } else {
    info = (await tryTensorflow()) ?? (await tryWasm(precision).catch((e) => (precision === 'bf16' ? Promise.reject(e) : null))) ?? (await tryCpu());
  }
  if (info.name !== 'wasm') {
    checkPrecision(precision, null);
    setPrecision('fp32'); // (a wasm backend of this thread may have set bf16 before)
  }
  await tf.ready();
  registerGradients();
  current = info;
  return info;
}
