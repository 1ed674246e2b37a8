// Host side of the GEMM: cache blocking around the wasm macro-kernel (kernel.ts).
// Works in place on a WebAssembly.Memory it shares with its owner (the tfjs wasm backend's heap), so tensors
// are multiplied where they live; the only copies are the packed blocks of A and B.
import { gemmModuleBytes, type KernelShape } from './kernel.ts';
import { wasm, type WasmMemory } from './wasm-api.ts';

/** The memory the GEMM works in and the owner's allocator for its packing buffers. */
export interface GemmHeap {
  memory: WasmMemory;
  malloc(bytes: number): number;
  free(ptr: number): void;
}

export interface GemmConfig extends KernelShape {
  /** k steps per block (a packed B panel of kc x nr stays in L1) */
  kc: number;
  /** rows of A per block (mc x kc of A stays in L2); rounded down to a multiple of mr */
  mc: number;
  /** columns of B per packed block; rounded down to a multiple of nr */
  nc: number;
}

export const DEFAULT_GEMM: GemmConfig = { mr: 4, nr: 8, unroll: 1, fma: false, kc: 256, mc: 128, nc: 2048 };

export interface Gemm {
  readonly config: GemmConfig;
  /** C[M,N] = A[M,K] B[K,N], all row-major float32, given as byte offsets into the heap */
  matmul(a: number, b: number, c: number, M: number, N: number, K: number): void;
  /** release the packing buffers */
  dispose(): void;
}

type BlockFn = (kc: number, mTiles: number, nTiles: number, pa: number, pb: number, pc: number, ldc: number, accumulate: number, mLast: number, nLast: number, scratch: number) => void;
type PackFn = (src: number, ld: number, kc: number, count: number, dst: number) => void;

/** Compile the kernel for `config` against `heap`. */
export function createGemm(heap: GemmHeap, overrides: Partial<GemmConfig> = {}): Gemm {
  const cfg = { ...DEFAULT_GEMM, ...overrides };
  const { mr: MR, nr: NR, kc: KC } = cfg;
  const MC = Math.max(MR, Math.floor(cfg.mc / MR) * MR);
  const NC = Math.max(NR, Math.floor(cfg.nc / NR) * NR);
  const module = new wasm.Module(gemmModuleBytes(cfg));
  const exports = new wasm.Instance(module, { env: { memory: heap.memory } }).exports;
  const block = exports.block as BlockFn;
  const packA = exports.packA as PackFn;
  const packB = exports.packB as PackFn;

  // packed A block mc x kc, packed B block kc x nc, one MR x NR tile of scratch (16-byte aligned)
  const bytesA = MC * KC * 4, bytesB = KC * NC * 4, bytesS = MR * NR * 4;
  const raw = heap.malloc(bytesA + bytesB + bytesS + 16);
  const pa = (raw + 15) & ~15;
  const pb = pa + bytesA;
  const scratch = pb + bytesB;

  /** the last, partial panel of a B block: cols < NR columns, zero-padded to NR */
  function packBEdge(b: number, N: number, pc: number, j0: number, kc: number, cols: number, dst: number): void {
    const f = new Float32Array(heap.memory.buffer);
    let d = dst >> 2;
    for (let k = 0; k < kc; k++) {
      const src = (b >> 2) + (pc + k) * N + j0;
      for (let c = 0; c < cols; c++) f[d++] = f[src + c];
      for (let c = cols; c < NR; c++) f[d++] = 0;
    }
  }

  function matmul(a: number, b: number, c: number, M: number, N: number, K: number): void {
    if ((a | b | c) & 3) throw new Error(`gemm: operand offsets must be 4-byte aligned (a=${a}, b=${b}, c=${c})`);
    if (M === 0 || N === 0) return;
    if (K === 0) {
      new Float32Array(heap.memory.buffer, c, M * N).fill(0);
      return;
    }
    for (let jc = 0; jc < N; jc += NC) {
      const nc = Math.min(NC, N - jc);
      const nTiles = Math.ceil(nc / NR);
      const full = Math.floor(nc / NR);
      for (let pc = 0; pc < K; pc += KC) {
        const kc = Math.min(KC, K - pc);
        packB(b + (pc * N + jc) * 4, N * 4, kc, full, pb);
        if (full < nTiles) packBEdge(b, N, pc, jc + full * NR, kc, nc - full * NR, pb + full * kc * NR * 4);
        for (let ic = 0; ic < M; ic += MC) {
          const mc = Math.min(MC, M - ic);
          const mTiles = Math.ceil(mc / MR);
          packA(a + (ic * K + pc) * 4, K * 4, kc, mc, pa);
          block(kc, mTiles, nTiles, pa, pb, c + (ic * N + jc) * 4, N * 4, pc > 0 ? 1 : 0, mc - (mTiles - 1) * MR, nc - (nTiles - 1) * NR, scratch);
        }
      }
    }
  }

  return { config: { ...cfg, mc: MC, nc: NC }, matmul, dispose: () => heap.free(raw) };
}
