// Loader of the optional native GEMM addon (libs/tensor-core/native): the binary built from the current sources,
// built on first use when missing (TRM_NATIVE_BUILD=0 turns that off). When it cannot load, callers fall back to
// the WebAssembly GEMM; the reason goes to stderr once per thread.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { binaryPath, buildNative, sourceHash } from '../../../native/build.mjs';

/**
 * The bfloat16 GEMM kernels of native/gemm-bf16.cc: `avx512bf16` (vdpbf16ps) and `fp32-fma` (float32 FMAs with
 * denormals flushed) give the same bits; `neon-bf16` (BFDOT) rounds inside its dot products its own way;
 * `reference` is the definition one element at a time (tests only).
 */
export type Bf16Kernel = 'avx512bf16' | 'neon-bf16' | 'fp32-fma' | 'reference';

/** The addon's functions (native/addon.cc). Offsets and strides in bytes; stride 0 = the same matrix each time. */
export interface NativeGemm {
  gemm(buffer: ArrayBuffer, a: number, b: number, c: number, M: number, N: number, K: number, transA: boolean, transB: boolean,
    batch: number, strideA: number, strideB: number, strideC: number): void;
  /**
   * The same product with op(A) and op(B) rounded to bfloat16 and float32 accumulation (native/gemm-bf16.h), C
   * rounded to bfloat16 too when `roundOutput`; `kernel` '' = the first of `bf16Kernels()`.
   */
  gemmBf16(buffer: ArrayBuffer, a: number, b: number, c: number, M: number, N: number, K: number, transA: boolean, transB: boolean,
    batch: number, strideA: number, strideB: number, strideC: number, roundOutput: boolean, kernel: Bf16Kernel | ''): void;
  /** the bfloat16 kernels this CPU runs, the default first (`reference` last) */
  bf16Kernels(): Bf16Kernel[];
  /** y = x rounded to bfloat16 (nearest, ties to even; NaN to 0x7FC0), n floats at byte offsets x, y (y may be x) */
  roundBf16(buffer: ArrayBuffer, x: number, y: number, n: number): void;
  /** the compiled register tile and cache blocks: vector width (floats), mr x nr tile, kc/mc/nc blocks */
  shape(): { vecWidth: number; mr: number; nr: number; kc: number; mc: number; nc: number };
}

export type NativeLoad = { addon: NativeGemm; path: string } | { addon: null; reason: string };

export interface NativeLoadOptions {
  /** the source hash whose binary to load (default: of the current sources) */
  hash?: string;
  /** build it when missing (default: unless TRM_NATIVE_BUILD=0) */
  build?: boolean;
}

const require = createRequire(import.meta.url);

/** Load (building if allowed) the addon for `hash`; never throws. */
export function loadNativeGemm(options: NativeLoadOptions = {}): NativeLoad {
  const hash = options.hash ?? sourceHash();
  const build = options.build ?? process.env.TRM_NATIVE_BUILD !== '0';
  const path = binaryPath(hash);
  try {
    if (!existsSync(path)) {
      if (!build) return { addon: null, reason: `${path} is not built and TRM_NATIVE_BUILD=0 (run npm run build:native)` };
      if (hash !== sourceHash()) return { addon: null, reason: `${path} is not built (sources have hash ${sourceHash()})` };
      buildNative();
    }
    return { addon: require(path) as NativeGemm, path };
  } catch (e) {
    return { addon: null, reason: (e as Error).message.split('\n')[0] };
  }
}

let cached: NativeLoad | null = null;
let cachedHash = '';

/** The addon of the current sources for this thread, loaded once; null (reason on stderr, once) when unavailable. */
export function nativeGemm(): NativeGemm | null {
  if (!cached) {
    cachedHash = sourceHash();
    cached = loadNativeGemm({ hash: cachedHash });
    if (!cached.addon) process.stderr.write(`trm: native GEMM unavailable (${cached.reason}); using the WebAssembly GEMM\n`);
  }
  return cached.addon;
}

/**
 * What identifies the loaded addon's arithmetic, e.g. `1ac49176 512-bit 12x32 kc512 mc96 nc2048`: the source hash
 * and the compiled vector width and blocking (an AVX2 build sums in another order than an AVX-512 one); null when
 * it is not loaded.
 */
export function nativeGemmBuild(): string | null {
  const addon = nativeGemm();
  if (!addon) return null;
  const s = addon.shape();
  return `${cachedHash} ${s.vecWidth * 32}-bit ${s.mr}x${s.nr} kc${s.kc} mc${s.mc} nc${s.nc}`;
}
