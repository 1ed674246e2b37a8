// Float32 GEMM: packing + cache blocking + a register-tile micro-kernel, written with GCC/Clang vector extensions
// so one source compiles to AVX-512, AVX2 or 128-bit (SSE/NEON) code with -march=native.
//
// Loops (BLIS order): jc over N in NC columns -> pc over K in KC steps (pack a KC x NC block of B into NR-column
// panels, k-major) -> ic over M in MC rows (pack an MC x KC block of A into MR-row panels, k-major) -> jr over B
// panels -> ir over A panels -> micro-kernel: an R x (NV*W) tile of C in registers, R <= MR rows, NV <= 2 vectors.
// The packed B micro-panel (KC x NR) is reused across the ir loop, the packed A block stays in L2.
// Blocking is fixed at compile time, so the summation order (and the result bits) depend only on the shapes.
#include "gemm.h"

#include "vector-math.h"

#include <cstdlib>
#include <cstring>
#include <utility>
#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace trm {
namespace {

#if defined(__AVX512F__)
constexpr int W = 16, MR = 12;   // 24 zmm accumulators + 2 B vectors + 1 broadcast of the 32 registers
#elif defined(__AVX__)
constexpr int W = 8, MR = 6;     // 12 ymm accumulators + 2 B vectors + 1 broadcast of the 16 registers
#elif defined(__aarch64__)
constexpr int W = 4, MR = 12;    // NEON: 24 q accumulators + 2 B vectors of the 32 registers
#else
constexpr int W = 4, MR = 6;     // SSE or plain C: 12 accumulators
#endif
constexpr int NR = 2 * W;

#ifndef TRM_KC
#define TRM_KC 512
#endif
#ifndef TRM_MC
#define TRM_MC 96
#endif
#ifndef TRM_NC
#define TRM_NC 2048
#endif
// Measured on Zen 5 (README): kc 512 beats 256 by ~10% (half the read-modify-write passes over C), although the
// micro-panels (12 x 512 of A = 24 KB, 512 x 32 of B = 64 KB) then come from L2 (1 MB) rather than L1 (48 KB).
constexpr int KC = TRM_KC;                  // k steps per block
constexpr int MC = TRM_MC / MR * MR;        // rows of A per block: MC x KC floats (192 KB) in L2
constexpr int NC = TRM_NC / NR * NR;        // columns of B per block: KC x NC floats (4 MB) in L3

typedef float vf __attribute__((vector_size(W * 4)));

inline vf load(const float* p) { vf v; std::memcpy(&v, p, sizeof v); return v; }
inline void store(float* p, vf v) { std::memcpy(p, &v, sizeof v); }

// How a micro-kernel call treats C: overwrite it with the tile's sum, add the sum to it (the later k blocks of a
// product), or continue the sum from it (C holds the same sum over earlier k: one FMA chain across calls).
enum Mode { Overwrite = 0, Add = 1, Continue = 2 };

// C[0:R, 0:cols] (+)= op(A)[0:R, 0:kc] x pb (kc x NR, k-major); NV*W >= cols. op(A)(i, k) is pa[k * R + i] when
// Packed, else read in place at pa[i * rs + k * cs].
template <int R, int NV, bool Packed>
void micro(long kc, const float* __restrict pa, long rs, long cs, const float* __restrict pb, float* c, long ldc, int mode, long cols) {
  const bool accumulate = mode == Add;
  vf s[R][NV];
  if (mode == Continue) {
    float t[NV * W] = {};
    for (int i = 0; i < R; i++) {
      for (long j = 0; j < cols; j++) t[j] = c[i * ldc + j];
      for (int v = 0; v < NV; v++) s[i][v] = load(t + v * W);
    }
  } else {
    for (int i = 0; i < R; i++)
      for (int v = 0; v < NV; v++) s[i][v] = vf{};
  }
  for (long k = 0; k < kc; k++) {
    vf b[NV];
    for (int v = 0; v < NV; v++) b[v] = load(pb + k * NR + v * W);
    for (int i = 0; i < R; i++) {
      const float a = Packed ? pa[k * R + i] : pa[i * rs + k * cs];
      for (int v = 0; v < NV; v++) s[i][v] += a * b[v];
    }
  }
  if (cols == NV * W) {
    for (int i = 0; i < R; i++)
      for (int v = 0; v < NV; v++) {
        float* p = c + i * ldc + v * W;
        store(p, accumulate ? load(p) + s[i][v] : s[i][v]);
      }
    return;
  }
  float t[NV * W];
  for (int i = 0; i < R; i++) {
    for (int v = 0; v < NV; v++) store(t + v * W, s[i][v]);
    float* p = c + i * ldc;
    for (long j = 0; j < cols; j++) p[j] = accumulate ? p[j] + t[j] : t[j];
  }
}

using MicroFn = void (*)(long, const float*, long, long, const float*, float*, long, int, long);

template <int... Rs>
struct Table {
  // kernels[packed ? 0 : 1][R - 1][NV - 1]
  static constexpr MicroFn kernels[2][sizeof...(Rs)][2] = {{{micro<Rs, 1, true>, micro<Rs, 2, true>}...},
                                                           {{micro<Rs, 1, false>, micro<Rs, 2, false>}...}};
};
template <int... Rs>
constexpr MicroFn Table<Rs...>::kernels[2][sizeof...(Rs)][2];

template <int... Is>
constexpr auto makeTable(std::integer_sequence<int, Is...>) { return Table<(Is + 1)...>{}; }
using Kernels = decltype(makeTable(std::make_integer_sequence<int, MR>{}));

// Packing: a panel is P rows of op(A) (or P columns of op(B)) over kc steps, stored k-major: dst[k * P + p].
// "Gather" reads p contiguous in memory (src[k * ld + p]); "transpose" reads k contiguous (src[p * ld + k]).
// Full panels (P = MR or NR) use the compile-time versions, which the compiler turns into vector copies and
// register transposes; the last, partial panel of a block uses the plain loops.
template <int P>
void gatherFull(const float* src, long ld, long kc, float* dst) {
  for (long k = 0; k < kc; k++) std::memcpy(dst + k * P, src + k * ld, sizeof(float) * P);
}

#if defined(__AVX__)
// dst[r * ldd + c] = src[c * ld + r] for an 8 x 8 block (rows of src become columns of dst).
inline void transpose8(const float* src, long ld, float* dst, long ldd) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * ld);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  // now r[i] (i < 4) holds column i of rows 0-3 in its low half and column i + 4 in its high half; r[i + 4] the same
  // for rows 4-7
  for (int i = 0; i < 4; i++) {
    _mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}
#endif

// dst[k * S + p] = src[p * ld + k] for P rows of src (S >= P: the panel's width when P rows fill part of it).
template <int P, int S = P>
void transposeFull(const float* src, long ld, long kc, float* dst) {
  constexpr int T = 8;  // k steps per transposed tile
  long k = 0;
  for (; k + T <= kc; k += T) {
    int p = 0;
#if defined(__AVX__)
    for (; p + 8 <= P; p += 8) transpose8(src + p * ld + k, ld, dst + k * S + p, S);
#endif
    for (; p < P; p++)
      for (int kk = 0; kk < T; kk++) dst[(k + kk) * S + p] = src[p * ld + k + kk];
  }
  for (; k < kc; k++)
    for (int p = 0; p < P; p++) dst[k * S + p] = src[p * ld + k];
}

// A partial panel: `n` of its `P` slots come from src (gathered or transposed), the rest are zero.
void packPartial(const float* src, long ld, long kc, int P, long n, bool transpose, float* dst) {
  for (long k = 0; k < kc; k++) {
    for (long p = 0; p < n; p++) dst[k * P + p] = transpose ? src[p * ld + k] : src[k * ld + p];
    for (long p = n; p < P; p++) dst[k * P + p] = 0.f;
  }
}

// op(A)[i0 : i0+rows, p0 : p0+kc] into panels of MR rows (the last one `rows % MR` rows, no padding).
void packA(const GemmArgs& g, const float* a, long i0, long rows, long p0, long kc, float* dst) {
  // A stored [K, M] (transA): element (i, k) at a[k * M + i]; stored [M, K]: at a[i * K + k]
  const long ld = g.transA ? g.M : g.K;
  for (long r0 = 0; r0 < rows; r0 += MR) {
    const long R = rows - r0 < MR ? rows - r0 : MR;
    const float* src = g.transA ? a + p0 * ld + i0 + r0 : a + (i0 + r0) * ld + p0;
    if (R < MR) packPartial(src, ld, kc, int(R), R, !g.transA, dst);
    else if (g.transA) gatherFull<MR>(src, ld, kc, dst);
    else transposeFull<MR>(src, ld, kc, dst);
    dst += R * kc;
  }
}

// op(B)[p0 : p0+kc, j0 : j0+cols] into panels of NR columns, zero-padded to NR.
void packB(const GemmArgs& g, const float* b, long p0, long kc, long j0, long cols, float* dst) {
  // B stored [N, K] (transB): element (k, j) at b[j * K + k]; stored [K, N]: at b[k * N + j]
  const long ld = g.transB ? g.K : g.N;
  for (long c0 = 0; c0 < cols; c0 += NR) {
    const long n = cols - c0 < NR ? cols - c0 : NR;
    const float* src = g.transB ? b + (j0 + c0) * ld + p0 : b + p0 * ld + j0 + c0;
    if (n < NR) packPartial(src, ld, kc, NR, n, g.transB, dst);
    else if (g.transB) transposeFull<NR>(src, ld, kc, dst);
    else gatherFull<NR>(src, ld, kc, dst);
    dst += NR * kc;
  }
}

// Packing buffers, one pair per thread (each worker thread runs its own products), grown to the largest block used.
struct Buffers {
  float* a = nullptr;
  float* b = nullptr;
  size_t na = 0, nb = 0;
  ~Buffers() { std::free(a); std::free(b); }
  static float* grow(float*& p, size_t& n, size_t need) {
    if (need > n) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, (need * sizeof(float) + 63) / 64 * 64));
      if (!p) std::abort();
      n = need;
    }
    return p;
  }
};
thread_local Buffers buffers;

// Up to this many columns of C, A is read in place instead of packed: a packed A block would serve only a few
// B panels, so packing it would cost more than its better locality saves (measured: README).
constexpr long DIRECT_N = 4 * NR;

}  // namespace

// c[i][j] = addend[i][j] + c[i][j] for a rows x cols tile, rows ld floats apart (the add of a product and an addend
// the GEMMs fuse into their last store of each tile: addend first, as tfjs's Add(acc, product) computes it).
void addTile(float* c, const float* addend, long ld, long rows, long cols) {
  for (long i = 0; i < rows; i++)
    for (long j = 0; j < cols; j++) c[i * ld + j] = addend[i * ld + j] + c[i * ld + j];
}

namespace {

void gemmOne(const GemmArgs& g, const float* a, const float* b, float* c, const float* addend) {
  const long M = g.M, N = g.N, K = g.K;
  if (K == 0) {
    if (addend) std::memmove(c, addend, sizeof(float) * M * N);
    else if (!g.continueC) std::memset(c, 0, sizeof(float) * M * N);
    return;
  }
  auto mode = [&](long p0) { return p0 > 0 ? int(Add) : g.continueC ? int(Continue) : int(Overwrite); };
  const long kcMax = K < KC ? K : KC;
  const long ncMax = N < NC ? N : NC, mcMax = M < MC ? M : MC;
  const bool direct = N <= DIRECT_N;
  // op(A)(i, k) in place: A stored [K, M] (transA) or [M, K]
  const long rs = g.transA ? 1 : K, cs = g.transA ? M : 1;
  const float* pre = static_cast<const float*>(g.packedB);
  float* pb = pre ? nullptr : Buffers::grow(buffers.b, buffers.nb, size_t(kcMax) * ((ncMax + NR - 1) / NR * NR));
  float* pa = direct ? nullptr : Buffers::grow(buffers.a, buffers.na, size_t(kcMax) * mcMax);
  for (long j0 = 0; j0 < N; j0 += NC) {
    const long nc = N - j0 < NC ? N - j0 : NC;
    for (long p0 = 0; p0 < K; p0 += KC) {
      const long kc = K - p0 < KC ? K - p0 : KC;
      const float* panels = pre ? pre + j0 * K + p0 * ((nc + NR - 1) / NR * NR) : pb;  // packB's layout, block by block
      if (!pre) packB(g, b, p0, kc, j0, nc, pb);
      for (long i0 = 0; i0 < M; i0 += MC) {
        const long mc = M - i0 < MC ? M - i0 : MC;
        if (!direct) packA(g, a, i0, mc, p0, kc, pa);
        for (long jr = 0; jr < nc; jr += NR) {
          const long cols = nc - jr < NR ? nc - jr : NR;
          const float* bp = panels + jr * kc;
          const int nv = cols > W ? 2 : 1;
          for (long ir = 0; ir < mc; ir += MR) {
            const long R = mc - ir < MR ? mc - ir : MR;
            float* cp = c + (i0 + ir) * N + j0 + jr;
            if (direct)
              Kernels::kernels[1][R - 1][nv - 1](kc, a + (i0 + ir) * rs + p0 * cs, rs, cs, bp, cp, N, mode(p0), cols);
            else
              Kernels::kernels[0][R - 1][nv - 1](kc, pa + ir * kc, 1, R, bp, cp, N, mode(p0), cols);
            if (addend && p0 + kc == K) addTile(cp, addend + (cp - c), N, R, cols);
          }
        }
      }
    }
  }
}

// ---- The SwiGLU gate and up projections with the gating in the epilogue (gemm.h gemmSwiglu)

// B panels of NR columns: the first NR/2 from gate's rows j0.., the other NR/2 from up's same rows (both stored
// [inner, K]), so that a tile of C holds g and u of the same NR/2 outputs.
void packGateUp(const float* gate, const float* up, long K, long p0, long kc, long j0, long cols, float* dst) {
  constexpr int H = NR / 2;
  for (long c0 = 0; c0 < cols; c0 += H) {
    transposeFull<H, NR>(gate + (j0 + c0) * K + p0, K, kc, dst);
    transposeFull<H, NR>(up + (j0 + c0) * K + p0, K, kc, dst + H);
    dst += NR * kc;
  }
}

}  // namespace

bool gemmSwiglu(const SwigluArgs& s) {
  constexpr int H = NR / 2;
  static_assert(H == W, "one vector of g and one of u per tile row");
  const long M = s.rows, K = s.K, inner = s.inner;
  if (K == 0 || K > KC || inner % H != 0) return false;
  const GemmArgs g{s.x, nullptr, nullptr, M, 2 * inner, K, false, true, 1, 0, 0, 0};
  const long ncMax = 2 * inner < NC ? 2 * inner : NC, mcMax = M < MC ? M : MC;
  float* pb = Buffers::grow(buffers.b, buffers.nb, size_t(K) * ncMax);
  float* pa = Buffers::grow(buffers.a, buffers.na, size_t(K) * mcMax);
  alignas(64) float tile[MR * NR];
  for (long j0 = 0; j0 < 2 * inner; j0 += NC) {  // j0 / 2: the first output column of this block
    const long nc = 2 * inner - j0 < NC ? 2 * inner - j0 : NC;
    packGateUp(s.gate, s.up, K, 0, K, j0 / 2, nc / 2, pb);
    for (long i0 = 0; i0 < M; i0 += MC) {
      const long mc = M - i0 < MC ? M - i0 : MC;
      packA(g, s.x, i0, mc, 0, K, pa);
      for (long jr = 0; jr < nc; jr += NR) {
        const long col = (j0 + jr) / 2;  // output column of the tile's first g/u lane
        for (long ir = 0; ir < mc; ir += MR) {
          const long R = mc - ir < MR ? mc - ir : MR;
          Kernels::kernels[0][R - 1][1](K, pa + ir * K, 1, R, pb + jr * K, tile, NR, Overwrite, NR);
          for (long i = 0; i < R; i++) {
            const long at = (i0 + ir + i) * inner + col;
            const vf gv = load(tile + i * NR), uv = load(tile + i * NR + H);
            store(s.a + at, vm::swigluLanes<false>(gv, uv));
            if (s.g) store(s.g + at, gv);
            if (s.u) store(s.u + at, uv);
          }
        }
      }
    }
  }
  return true;
}

size_t packedBSize(const GemmArgs& g) {
  const long last = g.N % NC == 0 ? NC : g.N % NC;  // columns of the last NC block
  return size_t(g.N - last + (last + NR - 1) / NR * NR) * g.K;
}

void packAllB(const GemmArgs& g, const float* b, float* dst) {
  for (long j0 = 0; j0 < g.N; j0 += NC) {
    const long nc = g.N - j0 < NC ? g.N - j0 : NC;
    for (long p0 = 0; p0 < g.K; p0 += KC) packB(g, b, p0, g.K - p0 < KC ? g.K - p0 : KC, j0, nc, dst + j0 * g.K + p0 * ((nc + NR - 1) / NR * NR));
  }
}

void gemm(const GemmArgs& g) {
  for (long i = 0; i < g.batch; i++) gemmOne(g, g.a + i * g.strideA, g.b + i * g.strideB, g.c + i * g.strideC, g.addend ? g.addend + i * g.strideC : nullptr);
}

GemmShape gemmShape() { return {W, MR, NR, KC, MC, NC}; }

}  // namespace trm
