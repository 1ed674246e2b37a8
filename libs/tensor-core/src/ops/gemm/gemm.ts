// Host side of the GEMM: cache blocking and operand packing around the wasm macro-kernel (kernel.ts).
// Works in place on a WebAssembly.Memory it shares with its owner (the tfjs wasm backend's heap), so tensors
// are multiplied where they live, with no copies other than the packed panels.
import { gemmModuleBytes, type KernelShape } from './kernel.ts';

/** The memory the GEMM works in and the owner's allocator for its packing buffers. */
export interface GemmHeap {
  memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(ptr: number): void;
}

export interface GemmConfig extends KernelShape {
  /** k steps per packed block (B panels of kc x nr stay in L1) */
  kc: number;
  /** rows of A per packed block (mc x kc of A stays in L2); rounded down to a multiple of mr */
  mc: number;
  /** columns of B per packed block; rounded down to a multiple of nr */
  nc: number;
}

export const DEFAULT_GEMM: GemmConfig = { mr: 4, nr: 8, unroll: 4, fma: false, kc: 256, mc: 128, nc: 2048 };

export interface Gemm {
  readonly config: GemmConfig;
  /** C[M,N] = A[M,K] B[K,N], all row-major float32, given as byte offsets into the heap */
  matmul(a: number, b: number, c: number, M: number, N: number, K: number): void;
  /** release the packing buffers */
  dispose(): void;
}

type BlockFn = (kc: number, mTiles: number, nTiles: number, pa: number, pb: number, pc: number, ldc: number, accumulate: number, mLast: number, nLast: number, scratch: number) => void;

/** Compile the kernel for `config` against `heap`. */
export function createGemm(heap: GemmHeap, overrides: Partial<GemmConfig> = {}): Gemm {
  const cfg = { ...DEFAULT_GEMM, ...overrides };
  const { mr: MR, nr: NR, kc: KC } = cfg;
  const MC = Math.max(MR, Math.floor(cfg.mc / MR) * MR);
  const NC = Math.max(NR, Math.floor(cfg.nc / NR) * NR);
  const module = new WebAssembly.Module(gemmModuleBytes(cfg));
  const block = new WebAssembly.Instance(module, { env: { memory: heap.memory } }).exports.block as BlockFn;

  // packing buffers: A block mc x kc, B block kc x nc, one MR x NR tile of scratch (all 16-byte aligned)
  const bytesA = MC * KC * 4, bytesB = KC * NC * 4, bytesS = MR * NR * 4;
  const raw = heap.malloc(bytesA + bytesB + bytesS + 16);
  const base = (raw + 15) & ~15;
  const pa = base, pb = base + bytesA, scratch = pb + bytesB;

  /** A[ic.., pc..] (mc x kc of a row-major [., K]) -> panels of MR rows, k-major: panel[k][r]; rows past mc are 0 */
  function packA(f: Float32Array, a: number, K: number, ic: number, pc: number, mc: number, kc: number): void {
    let d = pa >> 2;
    for (let i0 = 0; i0 < mc; i0 += MR) {
      const rows = Math.min(MR, mc - i0);
      for (let k = 0; k < kc; k++) {
        let src = (a >> 2) + (ic + i0) * K + pc + k;
        for (let r = 0; r < rows; r++, src += K) f[d++] = f[src];
        for (let r = rows; r < MR; r++) f[d++] = 0;
      }
    }
  }

  /** B[pc.., jc..] (kc x nc of a row-major [., N]) -> panels of NR columns, k-major: panel[k][c]; columns past nc are 0 */
  function packB(f: Float32Array, b: number, N: number, pc: number, jc: number, kc: number, nc: number): void {
    let d = pb >> 2;
    for (let j0 = 0; j0 < nc; j0 += NR) {
      const cols = Math.min(NR, nc - j0);
      for (let k = 0; k < kc; k++) {
        const src = (b >> 2) + (pc + k) * N + jc + j0;
        if (cols === NR) {
          for (let c = 0; c < NR; c++) f[d++] = f[src + c];
        } else {
          for (let c = 0; c < cols; c++) f[d++] = f[src + c];
          for (let c = cols; c < NR; c++) f[d++] = 0;
        }
      }
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
      for (let pc = 0; pc < K; pc += KC) {
        const kc = Math.min(KC, K - pc);
        packB(new Float32Array(heap.memory.buffer), b, N, pc, jc, kc, nc);
        for (let ic = 0; ic < M; ic += MC) {
          const mc = Math.min(MC, M - ic);
          const mTiles = Math.ceil(mc / MR);
          packA(new Float32Array(heap.memory.buffer), a, K, ic, pc, mc, kc);
          block(kc, mTiles, nTiles, pa, pb, c + (ic * N + jc) * 4, N * 4, pc > 0 ? 1 : 0, mc - (mTiles - 1) * MR, nc - (nTiles - 1) * NR, scratch);
        }
      }
    }
  }

  return { config: { ...cfg, mc: MC, nc: NC }, matmul, dispose: () => heap.free(raw) };
}
