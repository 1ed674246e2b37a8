// Loader of the optional native addon (../../native: the C++ GEMM, fused kernels and optimizer shard): the binary
// built from the current sources, built on first use when missing (TRM_NATIVE_BUILD=0 turns that off). When it
// cannot load, tensor-core's WebAssembly GEMM and tfjs ops run instead; the reason goes to stderr once per thread.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { binaryPath, buildNative, sourceHash } from '../../native/build.mjs';

/**
 * The bfloat16 GEMM kernels of native/gemm-bf16.cc: `avx512bf16` (vdpbf16ps) and `fp32-fma` (float32 FMAs with
 * denormals flushed) give the same bits; `neon-bf16` (BFDOT) rounds inside its dot products its own way;
 * `reference` is the definition one element at a time (tests only).
 */
export type Bf16Kernel = 'avx512bf16' | 'neon-bf16' | 'fp32-fma' | 'reference';

/** The addon's GEMM (native/addon.cc). Offsets and strides in bytes; stride 0 = the same matrix each time. */
export interface NativeGemm {
  /** C = op(A) op(B), or with `addend` (a byte offset laid out as C) C = addend + op(A) op(B), the add fused per tile */
  gemm(buffer: ArrayBuffer, a: number, b: number, c: number, M: number, N: number, K: number, transA: boolean, transB: boolean,
    batch: number, strideA: number, strideB: number, strideC: number, addend?: number): void;
  /**
   * The same product with op(A) and op(B) rounded to bfloat16 and float32 accumulation (native/gemm-bf16.h), C
   * rounded to bfloat16 too when `roundOutput` (before the float32 add of `addend`, when given); `kernel` '' = the
   * first of `bf16Kernels()`.
   */
  gemmBf16(buffer: ArrayBuffer, a: number, b: number, c: number, M: number, N: number, K: number, transA: boolean, transB: boolean,
    batch: number, strideA: number, strideB: number, strideC: number, roundOutput: boolean, kernel: Bf16Kernel | '', addend?: number): void;
  /**
   * The SwiGLU gate and up projections with the gating fused into the GEMM's epilogue: a = silu(x gate^T) * (x up^T)
   * [rows, inner], and g = x gate^T, u = x up^T when `saveGU` (x [rows, K], gate and up [inner, K]); in bfloat16
   * (the roundings of gemmBf16 with roundOutput and of swigluForward's bf16 flag) when `bf16`. The same bits as the
   * unfused calls. Returns false, writing nothing, when it does not apply (K above one k block, inner not a
   * multiple of half a tile's columns).
   */
  gemmSwiglu(buffer: ArrayBuffer, x: number, gate: number, up: number, a: number, g: number, u: number, rows: number, K: number, inner: number,
    saveGU: boolean, bf16: boolean, kernel: Bf16Kernel | ''): boolean;
  /**
   * out = softmax(q k^T * scale) v by blocks of query rows (native/attention.h), q, k, v, out [heads, S, hd] at byte
   * offsets; in bfloat16 (gemmBf16's and the softmax's roundings) when `bf16`. The bits of the unblocked products
   * and softmax, without their [heads, S, S] arrays.
   */
  attentionForward(buffer: ArrayBuffer, q: number, k: number, v: number, out: number, heads: number, S: number, hd: number, scale: number,
    bf16: boolean, kernel: Bf16Kernel | ''): void;
  /** dq, dk, dv of attentionForward from dout, the probabilities recomputed block by block; the unblocked bits */
  attentionBackward(buffer: ArrayBuffer, dout: number, q: number, k: number, v: number, dq: number, dk: number, dv: number, heads: number, S: number,
    hd: number, scale: number, bf16: boolean, kernel: Bf16Kernel | ''): void;
  /** the bfloat16 kernels this CPU runs, the default first (`reference` last) */
  bf16Kernels(): Bf16Kernel[];
  /** y = x rounded to bfloat16 (nearest, ties to even; NaN to 0x7FC0), n floats at byte offsets x, y (y may be x) */
  roundBf16(buffer: ArrayBuffer, x: number, y: number, n: number): void;
  /** the compiled register tile and cache blocks: vector width (floats), mr x nr tile, kc/mc/nc blocks */
  shape(): { vecWidth: number; mr: number; nr: number; kc: number; mc: number; nc: number };
}

/**
 * The element-wise functions of the addon (native/elementwise.cc, transpose.cc); offsets in bytes into `buffer`; `bf16`
 * (default false): the reference's bfloat16 roundings (native/elementwise.h).
 */
export interface NativeElementwise {
  swigluForward(buffer: ArrayBuffer, g: number, u: number, a: number, n: number, bf16?: boolean): void;
  swigluBackward(buffer: ArrayBuffer, da: number, g: number, u: number, a: number, dg: number, du: number, n: number, bf16?: boolean): void;
  rmsNormForward(buffer: ArrayBuffer, x: number, y: number, r: number, rows: number, w: number, eps: number, bf16?: boolean): void;
  addRmsNormForward(buffer: ArrayBuffer, x: number, o: number, y: number, r: number, rows: number, w: number, eps: number, bf16?: boolean): void;
  softmaxForward(buffer: ArrayBuffer, x: number, y: number, rows: number, w: number, scale: number, bf16?: boolean): void;
  softmaxBackward(buffer: ArrayBuffer, dp: number, p: number, ds: number, rows: number, w: number, scale: number, bf16?: boolean): void;
  ropeForward(buffer: ArrayBuffer, x: number, cos: number, sin: number, y: number, rows: number, S: number, hd: number, bf16?: boolean): void;
  ropeBackward(buffer: ArrayBuffer, dy: number, cos: number, sin: number, dx: number, rows: number, S: number, hd: number, bf16?: boolean): void;
  rmsNormBackward(buffer: ArrayBuffer, dy: number, y: number, r: number, dx: number, rows: number, w: number, bf16?: boolean): void;
  /** dst[o][b][a][i] = src[o][a][b][i] (native/transpose.cc) */
  transposeSwap(buffer: ArrayBuffer, src: number, dst: number, outer: number, A: number, B: number, inner: number): void;
  /** the kernels' exp / sigmoid applied to each element, in place (accuracy tests) */
  expInPlace(x: Float32Array): void;
  sigmoidInPlace(x: Float32Array): void;
}

/** The optimizer functions of the addon (native/optim.cc); scalars already rounded to float32. */
export interface NativeOptimizer {
  adamAtan2Shard(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, decay: number, keep1: number, keep2: number, stepSize: number, sqrtBias2: number): void;
  emaShard(shadow: Float32Array, p: Float32Array, keep: number, rate: number): void;
  /** out = atan2(y, x) as the native update computes it (accuracy tests) */
  atan2Map(y: Float32Array, x: Float32Array, out: Float32Array): void;
}

/** Everything the addon exports. */
export type NativeAddon = NativeGemm & NativeElementwise & NativeOptimizer;

export type NativeLoad = { addon: NativeAddon; path: string } | { addon: null; reason: string };

export interface NativeLoadOptions {
  /** the source hash whose binary to load (default: of the current sources) */
  hash?: string;
  /** build it when missing (default: unless TRM_NATIVE_BUILD=0) */
  build?: boolean;
}

const require = createRequire(import.meta.url);

/** Load (building if allowed) the addon for `hash`; never throws. */
export function loadNativeAddon(options: NativeLoadOptions = {}): NativeLoad {
  const hash = options.hash ?? sourceHash();
  const build = options.build ?? process.env.TRM_NATIVE_BUILD !== '0';
  const path = binaryPath(hash);
  try {
    if (!existsSync(path)) {
      if (!build) return { addon: null, reason: `${path} is not built and TRM_NATIVE_BUILD=0 (run npm run build:native)` };
      if (hash !== sourceHash()) return { addon: null, reason: `${path} is not built (sources have hash ${sourceHash()})` };
      buildNative();
    }
    return { addon: require(path) as NativeAddon, path };
  } catch (e) {
    return { addon: null, reason: (e as Error).message.split('\n')[0] };
  }
}

let cached: NativeLoad | null = null;
let cachedHash = '';

/** The addon of the current sources for this thread, loaded once; null (reason on stderr, once) when unavailable. */
export function nativeAddon(): NativeAddon | null {
  if (!cached) {
    cachedHash = sourceHash();
    cached = loadNativeAddon({ hash: cachedHash });
    if (!cached.addon) process.stderr.write(`trm: native GEMM unavailable (${cached.reason}); using the WebAssembly GEMM\n`);
  }
  return cached.addon;
}

/**
 * What identifies the loaded addon's arithmetic, e.g. `1ac49176 512-bit 12x32 kc512 mc96 nc2048`: the source hash
 * and the compiled vector width and blocking (an AVX2 build sums in another order than an AVX-512 one); null when
 * it is not loaded.
 */
export function nativeBuild(): string | null {
  const addon = nativeAddon();
  if (!addon) return null;
  const s = addon.shape();
  return `${cachedHash} ${s.vecWidth * 32}-bit ${s.mr}x${s.nr} kc${s.kc} mc${s.mc} nc${s.nc}`;
}
