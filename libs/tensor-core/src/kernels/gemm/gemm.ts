// Host side of the GEMM: cache blocking around the wasm macro-kernel (kernel.ts).
// Works in place on a WebAssembly.Memory it shares with its owner (the tfjs wasm backend's heap), so tensors
// are multiplied where they live; the only copies are the packed blocks of A and B. Either operand may be stored
// transposed: the packers read it in that layout, so a transposed product costs the same as a plain one.
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
  /**
   * C[M,N] = op(A) op(B), all row-major float32 given as byte offsets into the heap; op(A) = A [M,K] or, with
   * transA, the transpose of A stored as [K,M]; likewise B is [K,N] or, with transB, stored as [N,K].
   */
  matmul(a: number, b: number, c: number, M: number, N: number, K: number, transA?: boolean, transB?: boolean): void;
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
  let module: object;
  try {
    module = new wasm.Module(gemmModuleBytes(cfg));
  } catch (e) {
    if (cfg.fma) throw new Error(`gemm: fma needs relaxed SIMD (Node 20: --experimental-wasm-relaxed-simd): ${(e as Error).message}`);
    throw e;
  }
  const exports = new wasm.Instance(module, { env: { memory: heap.memory } }).exports;
  const block = exports.block as BlockFn;
  const [gatherA, copyA, copyB, gatherB] = ['gatherA', 'copyA', 'copyB', 'gatherB'].map((n) => exports[n] as PackFn);

  // packed A block mc x kc, packed B block kc x nc, one MR x NR tile of scratch (16-byte aligned)
  const bytesA = MC * KC * 4, bytesB = KC * NC * 4, bytesS = MR * NR * 4;
  const raw = heap.malloc(bytesA + bytesB + bytesS + 16);
  const pa = (raw + 15) & ~15;
  const pb = pa + bytesA;
  const scratch = pb + bytesB;

  /** the last, partial panel of a copied block: `cols` < W values per k from src[k][col0..], zero-padded to W */
  function copyEdge(src: number, ld: number, kc: number, col0: number, cols: number, W: number, dst: number): void {
    const f = new Float32Array(heap.memory.buffer);
    let d = dst >> 2;
    for (let k = 0; k < kc; k++) {
      const s = (src >> 2) + k * ld + col0;
      for (let c = 0; c < cols; c++) f[d++] = f[s + c];
      for (let c = cols; c < W; c++) f[d++] = 0;
    }
  }

  /** op(A)[ic.., pc..] (mc x kc) -> pa */
  function packA(a: number, M: number, K: number, transA: boolean, ic: number, pc: number, mc: number, kc: number): void {
    if (!transA) return gatherA(a + (ic * K + pc) * 4, K * 4, kc, mc, pa);
    const src = a + (pc * M + ic) * 4, full = Math.floor(mc / MR);
    copyA(src, M * 4, kc, full, pa);
    if (full * MR < mc) copyEdge(src, M, kc, full * MR, mc - full * MR, MR, pa + full * kc * MR * 4);
  }

  /** op(B)[pc.., jc..] (kc x nc) -> pb */
  function packB(b: number, N: number, K: number, transB: boolean, pc: number, jc: number, kc: number, nc: number): void {
    if (transB) return gatherB(b + (jc * K + pc) * 4, K * 4, kc, nc, pb);
    const src = b + (pc * N + jc) * 4, full = Math.floor(nc / NR);
    copyB(src, N * 4, kc, full, pb);
    if (full * NR < nc) copyEdge(src, N, kc, full * NR, nc - full * NR, NR, pb + full * kc * NR * 4);
  }

  function matmul(a: number, b: number, c: number, M: number, N: number, K: number, transA = false, transB = false): void {
    if ((a | b | c) & 3) throw new Error(`gemm: operand offsets must be 4-byte aligned (a=${a}, b=${b}, c=${c})`);
    if (M === 0 || N === 0) return;
    if (K === 0) {
      new Float32Array(heap.memory.buffer, c, M * N).fill(0);
      return;
    }
    for (let jc = 0; jc < N; jc += NC) {
      const nc = Math.min(NC, N - jc);
      const nTiles = Math.ceil(nc / NR);
      for (let pc = 0; pc < K; pc += KC) {
        const kc = Math.min(KC, K - pc);
        packB(b, N, K, transB, pc, jc, kc, nc);
        for (let ic = 0; ic < M; ic += MC) {
          const mc = Math.min(MC, M - ic);
          const mTiles = Math.ceil(mc / MR);
          packA(a, M, K, transA, ic, pc, mc, kc);
          block(kc, mTiles, nTiles, pa, pb, c + (ic * N + jc) * 4, N * 4, pc > 0 ? 1 : 0, mc - (mTiles - 1) * MR, nc - (nTiles - 1) * NR, scratch);
        }
      }
    }
  }

  return { config: { ...cfg, mc: MC, nc: NC }, matmul, dispose: () => heap.free(raw) };
}
