// The native addon's fused kernels (../../native/elementwise.cc) as tfjs kernels of the wasm backend, working in
// place on its heap like the native GEMM (outputs from backend.makeOutput, offsets from backend.dataIdMap, the heap's
// ArrayBuffer re-read per call since memory growth replaces it), registered as tensor-core's fused kernels
// (registerFusedKernels). They run when the wasm BatchMatMul is the native engine (TRM_GEMM=native, the default when
// the addon loads) and the switch (setFusedElementwise) is on; tensor-core's ops otherwise compute with tfjs ops.
// They are called inside hand-written gradients only (no tfjs gradient is registered for them).
import * as tf from '@tensorflow/tfjs-core';
import { gemmEngine, heapOf, heapOffset, precision, productsRounded, registerFusedKernels, type FusedKernels, type WasmBackendLike } from '@trm/tensor-core';
import { nativeAddon, type NativeAddon, type NativeElementwise } from './addon.ts';

let enabled = true;
let epilogue = true;

/** Turn the fused kernels on or off in this thread (A/B benchmarks and tests); on by default. */
export function setFusedElementwise(on: boolean): void {
  enabled = on;
}

/**
 * Turn the SwiGLU gating in the GEMM's epilogue (TrmGemmSwiglu) on or off in this thread; on by default. Off, the
 * projections are two GEMMs and the gating one TrmSwigluForward pass (the same bits).
 */
export function setSwigluEpilogue(on: boolean): void {
  epilogue = on;
}

/** True when tensor-core's ops run the fused native kernels: wasm backend, native GEMM engine, switch on. */
export function fusedElementwiseActive(): boolean {
  return enabled && gemmEngine() === 'native';
}

/** A kernel's arguments; every input named by the kernel is present (runKernel passes what the op function gave). */
type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: tf.NamedAttrMap };

const buffers = new WeakMap<object, () => ArrayBuffer>();

/** The backend's heap as it is now (call after the outputs are allocated). */
function heapBuffer(backend: WasmBackendLike): ArrayBuffer {
  if (!buffers.has(backend)) {
    const heap = heapOf(backend);
    if (!heap) throw new Error('fused kernels: the wasm backend does not expose its memory');
    buffers.set(backend, () => heap.memory.buffer);
  }
  return buffers.get(backend)!();
}

/** The kernels' bf16 flag: the reference's bfloat16 roundings (native/elementwise.h) when the precision is bf16. */
const bf16 = (): boolean => precision() === 'bf16';

const size = (t: tf.TensorInfo): number => t.shape.reduce((x, y) => x * y, 1);

function addon(): NativeElementwise {
  const a = nativeAddon();
  if (!a) throw new Error('fused kernels: the native addon is not loaded');
  return a;
}

/** Run `body` with the byte offset of each tensor and the heap buffer, after the outputs exist. */
function inHeap(backend: WasmBackendLike, outputs: tf.TensorInfo[], inputs: tf.TensorInfo[], body: (buffer: ArrayBuffer, off: (t: tf.TensorInfo) => number) => void): tf.TensorInfo[] {
  for (const t of inputs) if (t.dtype !== 'float32') throw new Error(`fused kernels: expected float32 inputs, got ${t.dtype}`);
  body(heapBuffer(backend), (t) => heapOffset(backend, t));
  return outputs;
}

function fullAddon(): NativeAddon {
  const a = nativeAddon();
  if (!a) throw new Error('fused kernels: the native addon is not loaded');
  return a;
}

const KERNELS: Record<string, (args: KernelArgs) => tf.TensorInfo[]> = {
  // a = silu(x gate^T) * (x up^T), g and u: gemmSwiglu, or where it declines (K above one k block, inner not a
  // multiple of half a tile's columns) the two GEMMs the wasm BatchMatMul would run and the gating pass. With
  // attrs.gatingOnly, a alone: gemmSwiglu writes no g and u (where it declines, they are temporaries).
  TrmGemmSwiglu({ inputs: { x, gate, up }, backend, attrs }) {
    const b = backend as WasmBackendLike & { disposeData(dataId: object): void };
    const [rows, K] = x.shape, inner = gate.shape[0];
    const native = fullAddon(), round = bf16();
    const composed = (buf: ArrayBuffer, off: (t: tf.TensorInfo) => number, a: tf.TensorInfo, g: tf.TensorInfo, u: tf.TensorInfo) => {
      for (const [w, out] of [[gate, g], [up, u]]) {
        if (round) native.gemmBf16(buf, off(x), off(w), off(out), rows, inner, K, false, true, 1, 0, 0, 0, true, '');
        else native.gemm(buf, off(x), off(w), off(out), rows, inner, K, false, true, 1, 0, 0, 0);
      }
      native.swigluForward(buf, off(g), off(u), off(a), rows * inner, round);
    };
    const a = b.makeOutput([rows, inner], 'float32');
    if (!attrs?.gatingOnly) {
      const [g, u] = [0, 1].map(() => b.makeOutput([rows, inner], 'float32'));
      return inHeap(b, [a, g, u], [x, gate, up], (buf, off) => {
        if (!native.gemmSwiglu(buf, off(x), off(gate), off(up), off(a), off(g), off(u), rows, K, inner, true, round, '')) composed(buf, off, a, g, u);
      });
    }
    let ran = false;
    inHeap(b, [a], [x, gate, up], (buf, off) => (ran = native.gemmSwiglu(buf, off(x), off(gate), off(up), off(a), 0, 0, rows, K, inner, false, round, '')));
    if (ran) return [a];
    const [g, u] = [0, 1].map(() => b.makeOutput([rows, inner], 'float32'));
    inHeap(b, [a], [x, gate, up], (buf, off) => composed(buf, off, a, g, u)); // the heap re-read after the allocations
    b.disposeData(g.dataId);
    b.disposeData(u.dataId);
    return [a];
  },
  TrmSwigluForward({ inputs: { g, u }, backend }) {
    const b = backend as WasmBackendLike;
    const a = b.makeOutput(g.shape, 'float32');
    return inHeap(b, [a], [g, u], (buf, off) => addon().swigluForward(buf, off(g), off(u), off(a), size(g), bf16()));
  },
  TrmSwigluBackward({ inputs: { da, g, u }, backend }) {
    const b = backend as WasmBackendLike;
    const [a, dg, du] = [0, 1, 2].map(() => b.makeOutput(g.shape, 'float32'));
    return inHeap(b, [a, dg, du], [da, g, u], (buf, off) => addon().swigluBackward(buf, off(da), off(g), off(u), off(a), off(dg), off(du), size(g), bf16()));
  },
  TrmRmsNormForward({ inputs: { x }, backend, attrs }) {
    const b = backend as WasmBackendLike;
    const w = x.shape[x.shape.length - 1];
    const y = b.makeOutput(x.shape, 'float32');
    const r = b.makeOutput([...x.shape.slice(0, -1), 1], 'float32');
    return inHeap(b, [y, r], [x], (buf, off) => addon().rmsNormForward(buf, off(x), off(y), off(r), size(x) / w, w, attrs!.eps as number, bf16()));
  },
  TrmAddRmsNormForward({ inputs: { x, o }, backend, attrs }) {
    const b = backend as WasmBackendLike;
    const w = x.shape[x.shape.length - 1];
    const y = b.makeOutput(x.shape, 'float32');
    const r = b.makeOutput([...x.shape.slice(0, -1), 1], 'float32');
    return inHeap(b, [y, r], [x, o], (buf, off) => addon().addRmsNormForward(buf, off(x), off(o), off(y), off(r), size(x) / w, w, attrs!.eps as number, bf16()));
  },
  TrmSoftmax({ inputs: { x }, backend, attrs }) {
    const b = backend as WasmBackendLike;
    const w = x.shape[x.shape.length - 1];
    const y = b.makeOutput(x.shape, 'float32');
    return inHeap(b, [y], [x], (buf, off) => addon().softmaxForward(buf, off(x), off(y), size(x) / w, w, attrs!.scale as number, bf16()));
  },
  TrmSoftmaxBackward({ inputs: { dp, p }, backend, attrs }) {
    const b = backend as WasmBackendLike;
    const w = p.shape[p.shape.length - 1];
    const ds = b.makeOutput(p.shape, 'float32');
    return inHeap(b, [ds], [dp, p], (buf, off) => addon().softmaxBackward(buf, off(dp), off(p), off(ds), size(p) / w, w, attrs!.scale as number, bf16()));
  },
  TrmRope({ inputs: { x, cos, sin }, backend }) {
    const b = backend as WasmBackendLike;
    const [S, hd] = cos.shape;
    const y = b.makeOutput(x.shape, 'float32');
    return inHeap(b, [y], [x, cos, sin], (buf, off) => addon().ropeForward(buf, off(x), off(cos), off(sin), off(y), size(x) / hd, S, hd, bf16()));
  },
  TrmRopeBackward({ inputs: { dy, cos, sin }, backend }) {
    const b = backend as WasmBackendLike;
    const [S, hd] = cos.shape;
    const dx = b.makeOutput(dy.shape, 'float32');
    return inHeap(b, [dx], [dy, cos, sin], (buf, off) => addon().ropeBackward(buf, off(dy), off(cos), off(sin), off(dx), size(dy) / hd, S, hd, bf16()));
  },
  TrmRmsNormBackward({ inputs: { dy, y, r }, backend }) {
    const b = backend as WasmBackendLike;
    const w = y.shape[y.shape.length - 1];
    const dx = b.makeOutput(y.shape, 'float32');
    return inHeap(b, [dx], [dy, y, r], (buf, off) => addon().rmsNormBackward(buf, off(dy), off(y), off(r), off(dx), size(y) / w, w, bf16()));
  },
};

/** Run kernel `name`, registering it first for this thread's wasm backend (the kernel registry is per thread). */
function run(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor[] {
  if (!tf.getKernel(name, 'wasm')) tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: KERNELS[name] as unknown as tf.KernelFunc });
  return tf.engine().runKernel(name, inputs, attrs) as unknown as tf.Tensor[];
}

function checkSame(op: string, shape: number[], ...others: [string, tf.Tensor][]): void {
  for (const [name, t] of others) {
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) throw new Error(`${op}: ${name} has shape [${t.shape}], expected [${shape}]`);
  }
}

/** silu(g) * u. g, u: same shape. */
function swigluForward(g: tf.Tensor, u: tf.Tensor): tf.Tensor {
  checkSame('swigluForward', g.shape, ['u', u]);
  return run('TrmSwigluForward', { g, u })[0];
}

/**
 * g = x gate^T, u = x up^T and a = silu(g) * u in one kernel (the gating in the GEMM's epilogue); null (the caller
 * runs the products and swigluForward) when switched off or when a bf16 product is to stay unrounded.
 */
function swigluProjections(x: tf.Tensor2D, gate: tf.Tensor2D, up: tf.Tensor2D): { a: tf.Tensor2D; g: tf.Tensor2D; u: tf.Tensor2D } | null {
  if (!epilogue || (bf16() && !productsRounded()) || x.dtype !== 'float32' || gate.dtype !== 'float32' || up.dtype !== 'float32') return null;
  checkSame('swigluProjections', gate.shape, ['up', up]);
  if (x.shape[1] !== gate.shape[1]) throw new Error(`swigluProjections: x has shape [${x.shape}], expected [rows, ${gate.shape[1]}]`);
  const [a, g, u] = run('TrmGemmSwiglu', { x, gate, up }) as tf.Tensor2D[];
  return { a, g, u };
}

/** a = silu(x gate^T) * (x up^T) alone (g and u not written); null as swigluProjections. */
function swigluGating(x: tf.Tensor2D, gate: tf.Tensor2D, up: tf.Tensor2D): tf.Tensor2D | null {
  if (!epilogue || (bf16() && !productsRounded()) || x.dtype !== 'float32' || gate.dtype !== 'float32' || up.dtype !== 'float32') return null;
  checkSame('swigluGating', gate.shape, ['up', up]);
  if (x.shape[1] !== gate.shape[1]) throw new Error(`swigluGating: x has shape [${x.shape}], expected [rows, ${gate.shape[1]}]`);
  return run('TrmGemmSwiglu', { x, gate, up }, { gatingOnly: true })[0] as tf.Tensor2D;
}

/** [a = silu(g) * u, dg, du] from da, g, u (all one shape). */
function swigluBackward(da: tf.Tensor, g: tf.Tensor, u: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] {
  checkSame('swigluBackward', g.shape, ['u', u], ['da', da]);
  return run('TrmSwigluBackward', { da, g, u }) as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/** RMSNorm over the last axis: y [..., w] and r [..., 1]. */
function rmsNormForward(x: tf.Tensor, eps: number): { y: tf.Tensor; r: tf.Tensor } {
  const [y, r] = run('TrmRmsNormForward', { x }, { eps });
  return { y, r };
}

/** RMSNorm over the last axis of the residual sum x + o (not stored): y [..., w] and r [..., 1]. */
function addRmsNormForward(x: tf.Tensor, o: tf.Tensor, eps: number): { y: tf.Tensor; r: tf.Tensor } {
  checkSame('addRmsNormForward', x.shape, ['o', o]);
  const [y, r] = run('TrmAddRmsNormForward', { x, o }, { eps });
  return { y, r };
}

/** RMSNorm backward over the last axis: dx [..., w] from dy, y [..., w] and r [..., 1]. */
function rmsNormBackward(dy: tf.Tensor, y: tf.Tensor, r: tf.Tensor): tf.Tensor {
  checkSame('rmsNormBackward', y.shape, ['dy', dy]);
  checkSame('rmsNormBackward', [...y.shape.slice(0, -1), 1], ['r', r]);
  return run('TrmRmsNormBackward', { dy, y, r })[0];
}

/** Softmax of x * scale over the last axis. */
function softmax(x: tf.Tensor, scale: number): tf.Tensor {
  return run('TrmSoftmax', { x }, { scale })[0];
}

/** The gradient with respect to x of softmax(x * scale) over the last axis, from the probabilities p: p * (dp - sum(dp * p)) * scale. */
function softmaxBackward(dp: tf.Tensor, p: tf.Tensor, scale: number): tf.Tensor {
  checkSame('softmaxBackward', p.shape, ['dp', dp]);
  return run('TrmSoftmaxBackward', { dp, p }, { scale })[0];
}

/** Throws unless the tables are [S, hd] with x [..., S, hd] (hd even). */
function checkRope(op: string, x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): void {
  const want = x.shape.slice(-2);
  if (x.rank < 2 || want[1] % 2 !== 0) throw new Error(`${op}: x has shape [${x.shape}], expected [..., S, hd] with hd even`);
  checkSame(op, want, ['cos', cos], ['sin', sin]);
}

/** RoPE x * cos + rotate_half(x) * sin. x [..., S, hd], tables [S, hd]. */
function rope(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  checkRope('rope', x, cos, sin);
  return run('TrmRope', { x, cos, sin })[0];
}

/** RoPE's gradient dy * cos - rotate_half(dy * sin). dy [..., S, hd], tables [S, hd]. */
function ropeBackward(dy: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  checkRope('ropeBackward', dy, cos, sin);
  return run('TrmRopeBackward', { dy, cos, sin })[0];
}

/** The kernels as tensor-core's FusedKernels. */
export const nativeFusedKernels: FusedKernels = {
  swigluForward,
  swigluProjections,
  swigluGating,
  swigluBackward,
  rmsNormForward,
  addRmsNormForward,
  rmsNormBackward,
  softmax,
  softmaxBackward,
  rope,
  ropeBackward,
};

/** Make them tensor-core's fused kernels in this thread (active while fusedElementwiseActive()). */
export function registerNativeFusedKernels(): void {
  registerFusedKernels({ kernels: nativeFusedKernels, active: fusedElementwiseActive });
}
