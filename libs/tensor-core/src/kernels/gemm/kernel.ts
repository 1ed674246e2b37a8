// The GEMM macro-kernel as WebAssembly, emitted at load time.
// `block` multiplies a packed A block (mTiles panels of MR rows, k-major) by a packed B block (nTiles panels of NR
// columns, k-major) over kc steps, writing (or adding into) a row-major C. Each MR x NR tile of C lives in v128
// registers while k runs: per k it loads NR/4 vectors of B, splats MR scalars of A and does MR*NR/4 multiply-adds.
// The packers copy row-major A and B, either of them possibly stored transposed, into those layouts.
import { Code, I32, moduleBytes, V128 } from './wasm-emit.ts';

export interface KernelShape {
  /** rows of a register tile */
  mr: number;
  /** columns of a register tile, a multiple of 4 */
  nr: number;
  /** k steps per trip of the inner loop */
  unroll: number;
  /** use relaxed-simd fused multiply-add (f32x4.relaxed_madd) instead of mul + add */
  fma: boolean;
}

// `block` parameters, in order
const KC = 0, M_TILES = 1, N_TILES = 2, PA = 3, PB = 4, PC = 5, LDC = 6, ACCUMULATE = 7, M_LAST = 8, N_LAST = 9, SCRATCH = 10;
const BLOCK_PARAMS = 11;

/** `block(kc, mTiles, nTiles, pa, pb, pc, ldcBytes, accumulate, mLast, nLast, scratch)` */
function blockCode({ mr: MR, nr: NR, unroll: U, fma }: KernelShape): Code {
  const NV = NR / 4;
  const f = new Code(BLOCK_PARAMS);
  const jr = f.local(I32), ir = f.local(I32), paT = f.local(I32), pbT = f.local(I32);
  const aPtr = f.local(I32), bPtr = f.local(I32), k = f.local(I32);
  const cT = f.local(I32), cRow = f.local(I32), dst = f.local(I32), mr = f.local(I32), nr = f.local(I32), r = f.local(I32), c = f.local(I32);
  const s = f.local(V128);
  const bv = Array.from({ length: NV }, () => f.local(V128));
  const acc = Array.from({ length: MR }, () => Array.from({ length: NV }, () => f.local(V128)));

  // one k step: acc[i][v] += A[i][k] * B[k][4v .. 4v+3]
  const step = (u: number): void => {
    for (let v = 0; v < NV; v++) f.get(bPtr).v128Load((u * NR + 4 * v) * 4).set(bv[v]);
    for (let i = 0; i < MR; i++) {
      f.get(aPtr).v128Load32Splat((u * MR + i) * 4).set(s);
      for (let v = 0; v < NV; v++) {
        if (fma) f.get(s).get(bv[v]).get(acc[i][v]).f32x4RelaxedMadd().set(acc[i][v]);
        else f.get(acc[i][v]).get(s).get(bv[v]).f32x4Mul().f32x4Add().set(acc[i][v]);
      }
    }
  };
  const advance = (steps: number): void => {
    f.get(aPtr).i32(steps * MR * 4).i32Add().set(aPtr);
    f.get(bPtr).i32(steps * NR * 4).i32Add().set(bPtr);
    f.get(k).i32(steps).i32Sub().set(k);
  };

  f.i32(0).set(jr).get(PB).set(pbT);
  f.loop(); // over B panels
  {
    // nr = jr + 1 == nTiles ? nLast : NR
    f.i32(NR).set(nr);
    f.get(jr).i32(1).i32Add().get(N_TILES).i32Eq().if_().get(N_LAST).set(nr).end();
    f.i32(0).set(ir).get(PA).set(paT);
    f.loop(); // over A panels
    {
      f.i32(MR).set(mr);
      f.get(ir).i32(1).i32Add().get(M_TILES).i32Eq().if_().get(M_LAST).set(mr).end();
      for (const row of acc) for (const a of row) f.v128Zero().set(a);
      f.get(paT).set(aPtr).get(pbT).set(bPtr).get(KC).set(k);
      if (U > 1) {
        // unrolled k loop while k >= U
        f.block().loop();
        f.get(k).i32(U).i32LtS().brIf(1);
        for (let u = 0; u < U; u++) step(u);
        advance(U);
        f.br(0).end().end();
      }
      // remaining k steps (kc >= 1)
      f.block().loop();
      f.get(k).i32Eqz().brIf(1);
      step(0);
      advance(1);
      f.br(0).end().end();

      // cT = pc + ir * MR * ldc + jr * NR * 4
      f.get(PC).get(ir).get(LDC).i32Mul().i32(MR).i32Mul().i32Add().get(jr).i32(NR * 4).i32Mul().i32Add().set(cT);
      f.get(mr).i32(MR).i32Eq().get(nr).i32(NR).i32Eq().i32And().if_();
      {
        // full tile: vector stores straight into C
        f.get(ACCUMULATE).if_();
        f.get(cT).set(cRow);
        for (let i = 0; i < MR; i++) {
          for (let v = 0; v < NV; v++) f.get(cRow).get(cRow).v128Load(16 * v).get(acc[i][v]).f32x4Add().v128Store(16 * v);
          f.get(cRow).get(LDC).i32Add().set(cRow);
        }
        f.else_();
        f.get(cT).set(cRow);
        for (let i = 0; i < MR; i++) {
          for (let v = 0; v < NV; v++) f.get(cRow).get(acc[i][v]).v128Store(16 * v);
          f.get(cRow).get(LDC).i32Add().set(cRow);
        }
        f.end();
      }
      f.else_();
      {
        // edge tile: through the MR x NR scratch, then element by element into the mr x nr corner of C
        for (let i = 0; i < MR; i++) for (let v = 0; v < NV; v++) f.get(SCRATCH).get(acc[i][v]).v128Store((i * NR + 4 * v) * 4);
        f.i32(0).set(r).loop();
        {
          f.get(cT).get(r).get(LDC).i32Mul().i32Add().set(cRow);
          f.i32(0).set(c).loop();
          {
            // C[r][c] = scratch[r][c] + (accumulate ? C[r][c] : 0)
            f.get(cRow).get(c).i32(4).i32Mul().i32Add().tee(dst);
            f.get(SCRATCH).get(r).i32(NR).i32Mul().get(c).i32Add().i32(4).i32Mul().i32Add().f32Load();
            f.get(dst).f32Load().f32Const(0).get(ACCUMULATE).select().f32Add().f32Store();
            f.get(c).i32(1).i32Add().tee(c).get(nr).i32LtS().brIf(0);
          }
          f.end();
          f.get(r).i32(1).i32Add().tee(r).get(mr).i32LtS().brIf(0);
        }
        f.end();
      }
      f.end();
      f.get(paT).get(KC).i32(MR * 4).i32Mul().i32Add().set(paT);
      f.get(ir).i32(1).i32Add().tee(ir).get(M_TILES).i32LtS().brIf(0);
    }
    f.end();
    f.get(pbT).get(KC).i32(NR * 4).i32Mul().i32Add().set(pbT);
    f.get(jr).i32(1).i32Add().tee(jr).get(N_TILES).i32LtS().brIf(0);
  }
  f.end();
  return f;
}

// pack function parameters: (src, ldBytes, kc, count, dst)
const SRC = 0, LD = 1, PK = 2, COUNT = 3, DST = 4;

/**
 * `packCopy<W>(src, ldBytes, kc, panels, dst)`: dst[p][k][0..W) = src[k][p*W .. p*W+W) for whole panels (B, or a
 * transposed A, whose W values per k are contiguous in the source).
 */
function packCopyCode(W: number): Code {
  const f = new Code(5);
  const p = f.local(I32), k = f.local(I32), row = f.local(I32), d = f.local(I32);
  f.get(DST).set(d).i32(0).set(p);
  f.block().loop();
  f.get(p).get(COUNT).i32GeS().brIf(1);
  {
    f.get(SRC).get(p).i32(W * 4).i32Mul().i32Add().set(row).get(PK).set(k);
    f.loop();
    for (let v = 0; v < Math.floor(W / 4); v++) f.get(d).get(row).v128Load(16 * v).v128Store(16 * v);
    for (let e = W - (W % 4); e < W; e++) f.get(d).get(row).f32Load(4 * e).f32Store(4 * e);
    f.get(d).i32(W * 4).i32Add().set(d);
    f.get(row).get(LD).i32Add().set(row);
    f.get(k).i32(1).i32Sub().tee(k).brIf(0);
    f.end();
  }
  f.get(p).i32(1).i32Add().set(p).br(0);
  f.end().end();
  return f;
}

/**
 * `packGather<W>(src, ldBytes, kc, rows, dst)`: dst[p][k][r] = src[p*W + r][k] for ceil(rows / W) panels (A, or a
 * transposed B, whose W values per k lie in W different source rows); rows past `rows` in the last panel repeat
 * its first row (their results are never stored).
 */
function packGatherCode(W: number): Code {
  const f = new Code(5);
  const p0 = f.local(I32), k = f.local(I32), d = f.local(I32), left = f.local(I32);
  const row = Array.from({ length: W }, () => f.local(I32));
  f.get(DST).set(d).get(SRC).set(p0).get(COUNT).set(left);
  f.loop();
  {
    // row pointers of this panel
    for (let i = 0; i < W; i++) {
      if (i === 0) f.get(p0).set(row[0]);
      else f.get(p0).get(LD).i32(i).i32Mul().i32Add().get(p0).get(left).i32(i + 1).i32GeS().select().set(row[i]);
    }
    f.get(PK).set(k);
    f.loop();
    for (let i = 0; i < W; i++) {
      f.get(d).get(row[i]).f32Load().f32Store(i * 4);
      f.get(row[i]).i32(4).i32Add().set(row[i]);
    }
    f.get(d).i32(W * 4).i32Add().set(d);
    f.get(k).i32(1).i32Sub().tee(k).brIf(0);
    f.end();
    f.get(p0).get(LD).i32(W).i32Mul().i32Add().set(p0);
    f.get(left).i32(W).i32Sub().tee(left).i32(0).i32GtS().brIf(0);
  }
  f.end();
  return f;
}

/** The module's bytes: exports `block` and the packers `gatherA`, `copyA` (W = mr), `copyB`, `gatherB` (W = nr); imports `env.memory`. */
export function gemmModuleBytes(shape: KernelShape): Uint8Array {
  if (shape.nr % 4 !== 0 || shape.nr < 4 || shape.mr < 1 || shape.unroll < 1) throw new Error(`gemm kernel: bad tile shape ${JSON.stringify(shape)}`);
  return moduleBytes([
    { name: 'block', params: new Array(BLOCK_PARAMS).fill(I32), results: [], code: blockCode(shape) },
    { name: 'gatherA', params: new Array(5).fill(I32), results: [], code: packGatherCode(shape.mr) },
    { name: 'copyA', params: new Array(5).fill(I32), results: [], code: packCopyCode(shape.mr) },
    { name: 'copyB', params: new Array(5).fill(I32), results: [], code: packCopyCode(shape.nr) },
    { name: 'gatherB', params: new Array(5).fill(I32), results: [], code: packGatherCode(shape.nr) },
  ]);
}
