// bfloat16 GEMM (gemm-bf16.h): the BLIS loops of gemm.cc with both operands packed as bfloat16 pairs.
//
// Packed panels: P rows of op(A) (or P columns of op(B)) over kc k steps, stored pair-major: dst[p * P + r] is one
// uint32 holding element (r, 2p) in its low 16 bits and (r, 2p + 1) in its high 16 bits, each rounded to bfloat16
// (zero past kc when kc is odd, and zero columns past the matrix in the last B panel). That is vdpbf16ps's operand
// layout: a 32-bit broadcast of an A pair against vectors of 16 B pairs. The Fma kernel reads the same panels and
// splits each pair into two float32 (high half: the float itself; low half: shifted up 16 bits).
//
// The accumulators start from C (what the previous k block wrote) instead of zero, so each element of C is one
// chain of fmas over k in order: the result bits depend on K alone, never on the blocks or the tile, and the Fma
// kernel gives the Avx512 kernel's bits on every CPU (gemm-bf16.h states the arithmetic; Reference spells it out).
#include "gemm-bf16.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "bf16.h"
#include "vector-loop.h"
#include "vector-math.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define TRM_X86 1
#endif

// arm64 with GCC, or a compiler already targeting FEAT_BF16: the BFDOT kernel, compiled for +bf16 and chosen at
// run time (Linux: HWCAP2_BF16; macOS: hw.optional.arm.FEAT_BF16)
#if defined(__aarch64__) && (defined(__ARM_FEATURE_BF16_VECTOR_ARITHMETIC) || (defined(__GNUC__) && !defined(__clang__)))
#define TRM_NEON_BF16 1
#include <arm_neon.h>
#if defined(__linux__)
#include <sys/auxv.h>
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif
#endif

// vu2/vq are twice this build's vector width: GCC notes that such values would be passed differently across calls;
// they never cross one (roundedBits is always inlined).
#pragma GCC diagnostic ignored "-Wpsabi"

namespace trm {
namespace {

#if defined(__AVX512F__)
constexpr int W = 16, MR = 12;  // Fma: 24 accumulators + 4 B halves + 2 broadcasts of the 32 registers
#elif defined(__AVX__)
constexpr int W = 8, MR = 4;    // 8 accumulators + 4 B halves + 2 broadcasts of the 16 registers
#elif defined(__aarch64__)
constexpr int W = 4, MR = 8;    // 16 accumulators + 4 + 2 of the 32 registers
#else
constexpr int W = 4, MR = 4;
#endif

// k steps per block (even, so pairs never straddle blocks), rows of A per block (a multiple of every kernel's MR),
// columns of B per block. Bits do not depend on them (see above).
constexpr int KC = 512, MC = 96, NC = 2048;

typedef float vf __attribute__((vector_size(W * 4)));
typedef uint32_t vu __attribute__((vector_size(W * 4)));
typedef uint32_t vu2 __attribute__((vector_size(W * 8)));
typedef uint64_t vq __attribute__((vector_size(W * 8)));

// roundBf16 of each 32-bit lane, as float bits (low half zero)
template <typename V>
__attribute__((always_inline)) inline V roundedBits(V u) {
  const V r = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  const V nan = (u & 0x7fffffffu) > 0x7f800000u;  // all ones where NaN
  return (r & ~nan) | (0x7fc00000u & nan);
}

inline uint32_t pairOf(float even, float odd) { return (static_cast<uint32_t>(toBf16(odd)) << 16) | toBf16(even); }

// The pair of lanes e (even k) and o (odd k), each rounded: o's bfloat16 in the high half, e's in the low half.
inline vu pairLanes(vu e, vu o) { return roundedBits(o) | (roundedBits(e) >> 16); }

inline vu loadBits(const float* p, int count) {
  const vf x = loadPart<vf>(p, count);
  vu u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

inline void storeBits(uint32_t* p, vu u, int count) {
  vf x;
  std::memcpy(&x, &u, sizeof x);
  storePart(reinterpret_cast<float*>(p), x, count);
}

// Pairs of k rows whose n <= P elements are contiguous (e = src + 2p ks, o = e + ks), lane by lane.
void packRows(const float* src, long ks, long kp, long n, long P, long S, uint32_t* dst) {
  for (long p = 0; p < kp; p++) {
    const float* e = src + 2 * p * ks;
    const float* o = e + ks;
    uint32_t* d = dst + p * S;
    for (long r = 0; r < P; r += W) {
      const int m = static_cast<int>(n - r < W ? (n - r > 0 ? n - r : 0) : W), all = static_cast<int>(P - r < W ? P - r : W);
      const vu pair = m > 0 ? pairLanes(loadBits(e + r, m), loadBits(o + r, m)) : vu{};  // zero lanes past n
      storeBits(d + r, pair, all);
    }
  }
}

#if defined(__AVX512BW__)
// In place: m[i] lane j <-> m[j] lane i, 16 x 16 32-bit lanes.
inline void transpose16(__m512i m[16]) {
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(m[i], m[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(m[i], m[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    m[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
    m[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
    m[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
    m[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  // m[4q + c] holds column c of rows 4q..4q+3 in each 128-bit quarter (quarter l: columns 4l + c)
  for (int i = 0; i < 4; i++) {
    t[i] = _mm512_shuffle_i32x4(m[i], m[i + 4], 0x44);
    t[i + 4] = _mm512_shuffle_i32x4(m[i], m[i + 4], 0xee);
    t[i + 8] = _mm512_shuffle_i32x4(m[i + 8], m[i + 12], 0x44);
    t[i + 12] = _mm512_shuffle_i32x4(m[i + 8], m[i + 12], 0xee);
  }
  for (int i = 0; i < 4; i++) {
    m[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
    m[i + 4] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
    m[i + 8] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0x88);
    m[i + 12] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0xdd);
  }
}

inline __m512i roundedBits512(__m512 x) {
  vu u;
  std::memcpy(&u, &x, sizeof u);
  u = roundedBits(u);
  __m512i r;
  std::memcpy(&r, &u, sizeof r);
  return r;
}

// Elements whose k steps are contiguous (row r at src + r js): blocks of 16 elements x 16 pairs, each element's 32
// floats rounded and their high halves gathered into 16 pairs (one permute), then a 16 x 16 transpose.
void packColumns(const float* src, long js, long kp, long n, long P, long S, uint32_t* dst) {
  const __m512i odd = _mm512_set_epi16(63, 61, 59, 57, 55, 53, 51, 49, 47, 45, 43, 41, 39, 37, 35, 33, 31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  for (long r0 = 0; r0 < P; r0 += 16) {
    const int rows = static_cast<int>(P - r0 < 16 ? P - r0 : 16);
    const long live = n - r0 < rows ? (n - r0 > 0 ? n - r0 : 0) : rows;
    const __mmask16 store = static_cast<__mmask16>((1u << rows) - 1);
    for (long p0 = 0; p0 < kp; p0 += 16) {
      const int q = static_cast<int>(kp - p0 < 16 ? kp - p0 : 16);  // pairs in this block: 2q floats per element
      const __mmask16 lo = static_cast<__mmask16>(q >= 8 ? 0xffff : (1u << (2 * q)) - 1);
      const __mmask16 hi = static_cast<__mmask16>(q >= 16 ? 0xffff : q > 8 ? (1u << (2 * q - 16)) - 1 : 0);
      __m512i m[16];
      for (int r = 0; r < 16; r++) {
        if (r >= live) { m[r] = _mm512_setzero_si512(); continue; }
        const float* s = src + (r0 + r) * js + 2 * p0;
        const __m512i h0 = roundedBits512(_mm512_maskz_loadu_ps(lo, s)), h1 = roundedBits512(_mm512_maskz_loadu_ps(hi, s + 16));
        m[r] = _mm512_permutex2var_epi16(h0, odd, h1);
      }
      transpose16(m);
      for (int p = 0; p < q; p++) _mm512_mask_storeu_epi32(dst + (p0 + p) * S + r0, store, m[p]);
    }
  }
}
#else
void packColumns(const float* src, long js, long kp, long n, long P, long S, uint32_t* dst) {
  for (long p = 0; p < kp; p++)
    for (long r = 0; r < P; r++) dst[p * S + r] = r < n ? pairOf(src[r * js + 2 * p], src[r * js + 2 * p + 1]) : 0;
}
#endif

// A panel (see the top): dst[p * S + r] = pair of src[(2p) * ks + r * js] and src[(2p + 1) * ks + r * js] for r < n,
// zero for n <= r < P and for k >= kc. S >= P is the stride between pair rows (P, or the width of a panel that P
// elements fill part of).
void packPanel(const float* src, long ks, long js, long kc, long n, long P, uint32_t* dst, long S = 0) {
  if (S == 0) S = P;
  const long kp = kc / 2;  // whole pairs
  if (js == 1) {
    packRows(src, ks, kp, n, P, S, dst);
  } else if (ks == 1) {
    packColumns(src, js, kp, n, P, S, dst);
  } else {
    for (long p = 0; p < kp; p++)
      for (long r = 0; r < P; r++) dst[p * S + r] = r < n ? pairOf(src[2 * p * ks + r * js], src[(2 * p + 1) * ks + r * js]) : 0;
  }
  if (kc % 2) {
    // the last k step pairs with a zero
    uint32_t* d = dst + kp * S;
    for (long r = 0; r < P; r++) d[r] = r < n ? toBf16(src[(kc - 1) * ks + r * js]) : 0;
  }
}

// op(A)[i0 : i0+rows, p0 : p0+kc] into panels of mr rows (the last one `rows % mr` rows, no padding).
void packA(const GemmArgs& g, const float* a, long i0, long rows, long p0, long kc, int mr, uint32_t* dst) {
  // A stored [K, M] (transA): element (i, k) at a[k * M + i]; stored [M, K]: at a[i * K + k]
  const long ks = g.transA ? g.M : 1, is = g.transA ? 1 : g.K;
  const long kp = (kc + 1) / 2;
  for (long r0 = 0; r0 < rows; r0 += mr) {
    const long R = rows - r0 < mr ? rows - r0 : mr;
    packPanel(a + (i0 + r0) * is + p0 * ks, ks, is, kc, R, R, dst);
    dst += R * kp;
  }
}

// op(B)[p0 : p0+kc, j0 : j0+cols] into panels of nr columns, zero-padded to nr.
void packB(const GemmArgs& g, const float* b, long p0, long kc, long j0, long cols, int nr, uint32_t* dst) {
  // B stored [N, K] (transB): element (k, j) at b[j * K + k]; stored [K, N]: at b[k * N + j]
  const long ks = g.transB ? 1 : g.N, js = g.transB ? g.K : 1;
  const long kp = (kc + 1) / 2;
  for (long c0 = 0; c0 < cols; c0 += nr) {
    const long n = cols - c0 < nr ? cols - c0 : nr;
    packPanel(b + (j0 + c0) * js + p0 * ks, ks, js, kc, n, nr, dst);
    dst += nr * kp;
  }
}

// The micro-kernel: C[0:R, 0:cols] = (accumulate ? C : 0) + op(A) op(B) over kp pairs, from an R-row A panel and
// an nr-column B panel; rounded to bfloat16 when `round`. cols <= NV vectors.
using Micro = void (*)(long kp, const uint32_t* pa, const uint32_t* pb, float* c, long ldc, bool accumulate, bool round, long cols);

struct Kernel {
  int mr, nr;
  Micro micro[MR > 12 ? MR : 12][2];  // [R - 1][NV - 1]
};

// ---- Fma: float32 FMAs (this build's vectors) on the bfloat16 halves, with denormals flushed (see FlushDenormals)

template <int R, int NV>
void microFma(long kp, const uint32_t* __restrict pa, const uint32_t* __restrict pb, float* c, long ldc, bool accumulate, bool round, long cols) {
  constexpr int NR = 2 * W;
  vf s[R][NV];
  for (int i = 0; i < R; i++)
    for (int v = 0; v < NV; v++) {
      const long n = cols - v * W < W ? cols - v * W : W;
      s[i][v] = accumulate ? loadPart<vf>(c + i * ldc + v * W, static_cast<int>(n)) : vf{};
    }
  for (long k = 0; k < kp; k++) {
    vf bo[NV], be[NV];
    for (int v = 0; v < NV; v++) {
      vu b;
      std::memcpy(&b, pb + k * NR + v * W, sizeof b);
      const vu hi = b & 0xffff0000u, lo = b << 16;
      std::memcpy(&bo[v], &hi, sizeof hi);
      std::memcpy(&be[v], &lo, sizeof lo);
    }
    for (int i = 0; i < R; i++) {
      const vu p = vu{} + pa[k * R + i];  // the pair in every lane, split in vector registers
      const vu hi = p & 0xffff0000u, lo = p << 16;
      vf ao, ae;
      std::memcpy(&ao, &hi, sizeof ao);
      std::memcpy(&ae, &lo, sizeof ae);
      // vdpbf16ps's order: the odd k step, then the even one (-ffp-contract=fast makes each line one FMA)
      for (int v = 0; v < NV; v++) s[i][v] += ao * bo[v];
      for (int v = 0; v < NV; v++) s[i][v] += ae * be[v];
    }
  }
  for (int i = 0; i < R; i++)
    for (int v = 0; v < NV; v++) {
      const long n = cols - v * W < W ? cols - v * W : W;
      vf x = s[i][v];
      if (round) {
        vu u;
        std::memcpy(&u, &x, sizeof u);
        u = roundedBits(u);
        std::memcpy(&x, &u, sizeof x);
      }
      storePart(c + i * ldc + v * W, x, static_cast<int>(n));
    }
}

// Denormal inputs read as zero and denormal results flushed to zero while it lives (vdpbf16ps's DAZ and FTZ).
struct FlushDenormals {
#if defined(TRM_X86)
  unsigned saved = _mm_getcsr();
  FlushDenormals() { _mm_setcsr(saved | 0x8040); }  // FTZ | DAZ
  ~FlushDenormals() { _mm_setcsr(saved); }
#elif defined(__aarch64__)
  uint64_t saved;
  FlushDenormals() {
    asm volatile("mrs %0, fpcr" : "=r"(saved));
    const uint64_t fz = saved | (uint64_t{1} << 24);  // FPCR.FZ: single-precision inputs and outputs
    asm volatile("msr fpcr, %0" : : "r"(fz));
  }
  ~FlushDenormals() { asm volatile("msr fpcr, %0" : : "r"(saved)); }
#endif
  // elsewhere nothing: the Fma kernel then differs from Avx512 where an input, a sum or a product is denormal
};

template <int... Is>
Kernel makeFma(std::integer_sequence<int, Is...>) {
  Kernel k{MR, 2 * W, {}};
  const Micro rows[][2] = {{microFma<Is + 1, 1>, microFma<Is + 1, 2>}...};
  for (int r = 0; r < MR; r++) k.micro[r][0] = rows[r][0], k.micro[r][1] = rows[r][1];
  return k;
}
const Kernel fmaKernel = makeFma(std::make_integer_sequence<int, MR>{});

// ---- Avx512: vdpbf16ps on 16-lane vectors, a 12 x 32 tile (24 zmm accumulators, 2 B vectors, 1 broadcast)

#if defined(TRM_X86)
#define TRM_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

TRM_AVX512BF16 inline __m512 roundBf16x16(__m512 x) {
  typedef uint32_t u32x16 __attribute__((vector_size(64)));
  u32x16 u;
  std::memcpy(&u, &x, sizeof u);
  const u32x16 r = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  const u32x16 nan = (u & 0x7fffffffu) > 0x7f800000u;
  u = (r & ~nan) | (0x7fc00000u & nan);
  std::memcpy(&x, &u, sizeof x);
  return x;
}

template <int R, int NV>
TRM_AVX512BF16 void microAvx512(long kp, const uint32_t* __restrict pa, const uint32_t* __restrict pb, float* c, long ldc, bool accumulate, bool round,
                                long cols) {
  __mmask16 mask[NV];
  for (int v = 0; v < NV; v++) {
    const long n = cols - v * 16;
    mask[v] = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1);
  }
  __m512 s[R][NV];
  for (int i = 0; i < R; i++)
    for (int v = 0; v < NV; v++) s[i][v] = accumulate ? _mm512_maskz_loadu_ps(mask[v], c + i * ldc + v * 16) : _mm512_setzero_ps();
  for (long k = 0; k < kp; k++) {
    __m512bh b[NV];
    for (int v = 0; v < NV; v++) b[v] = (__m512bh)_mm512_loadu_si512(pb + k * 32 + v * 16);
    for (int i = 0; i < R; i++) {
      const __m512bh a = (__m512bh)_mm512_set1_epi32(static_cast<int>(pa[k * R + i]));
      for (int v = 0; v < NV; v++) s[i][v] = _mm512_dpbf16_ps(s[i][v], a, b[v]);
    }
  }
  for (int i = 0; i < R; i++)
    for (int v = 0; v < NV; v++) _mm512_mask_storeu_ps(c + i * ldc + v * 16, mask[v], round ? roundBf16x16(s[i][v]) : s[i][v]);
}

template <int... Is>
Kernel makeAvx512(std::integer_sequence<int, Is...>) {
  Kernel k{12, 32, {}};
  const Micro rows[][2] = {{microAvx512<Is + 1, 1>, microAvx512<Is + 1, 2>}...};
  for (int r = 0; r < 12; r++) k.micro[r][0] = rows[r][0], k.micro[r][1] = rows[r][1];
  return k;
}
const Kernel avx512Kernel = makeAvx512(std::make_integer_sequence<int, 12>{});

// CPUID: AVX512F, BW, VL and BF16, and the OS saving the zmm and mask registers (XCR0 bits 1, 2, 5, 6, 7).
bool cpuHasAvx512Bf16() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return false;  // OSXSAVE
  unsigned lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0xe6) != 0xe6) return false;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const unsigned subleaves = a;
  if (!(b & (1u << 16)) || !(b & (1u << 30)) || !(b & (1u << 31)) || subleaves < 1) return false;
  __get_cpuid_count(7, 1, &a, &b, &c, &d);
  return a & (1u << 5);
}
#endif

// ---- Neon: BFDOT on 4-lane vectors, a 12 x 8 tile (24 q accumulators, 2 B vectors, 1 broadcast). BFDOT rounds its
// own way (Arm ARM BFDotAdd: the two products summed and added to the accumulator, each sum rounded to odd, denormals
// flushed), so its bits differ from the others'.

#if defined(TRM_NEON_BF16)
#if defined(__ARM_FEATURE_BF16_VECTOR_ARITHMETIC)
#define TRM_BF16_TARGET
#else
#define TRM_BF16_TARGET __attribute__((target("arch=armv8.2-a+bf16")))
#endif

template <int R, int NV>
TRM_BF16_TARGET void microNeon(long kp, const uint32_t* __restrict pa, const uint32_t* __restrict pb, float* c, long ldc, bool accumulate, bool round,
                               long cols) {
  float32x4_t s[R][NV];
  float t[NV * 4];
  for (int i = 0; i < R; i++) {
    if (accumulate) {
      for (long j = 0; j < NV * 4; j++) t[j] = j < cols ? c[i * ldc + j] : 0.f;
      for (int v = 0; v < NV; v++) s[i][v] = vld1q_f32(t + 4 * v);
    } else {
      for (int v = 0; v < NV; v++) s[i][v] = vdupq_n_f32(0.f);
    }
  }
  for (long k = 0; k < kp; k++) {
    bfloat16x8_t b[NV];
    for (int v = 0; v < NV; v++) b[v] = vreinterpretq_bf16_u32(vld1q_u32(pb + k * 8 + v * 4));
    for (int i = 0; i < R; i++) {
      const bfloat16x8_t a = vreinterpretq_bf16_u32(vld1q_dup_u32(pa + k * R + i));
      for (int v = 0; v < NV; v++) s[i][v] = vbfdotq_f32(s[i][v], a, b[v]);
    }
  }
  for (int i = 0; i < R; i++) {
    for (int v = 0; v < NV; v++) {
      uint32x4_t u = vreinterpretq_u32_f32(s[i][v]);
      if (round) {
        const uint32x4_t r = vandq_u32(vaddq_u32(vaddq_u32(u, vdupq_n_u32(0x7fff)), vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1))), vdupq_n_u32(0xffff0000u));
        const uint32x4_t nan = vcgtq_u32(vandq_u32(u, vdupq_n_u32(0x7fffffffu)), vdupq_n_u32(0x7f800000u));
        u = vbslq_u32(nan, vdupq_n_u32(0x7fc00000u), r);
      }
      vst1q_f32(t + 4 * v, vreinterpretq_f32_u32(u));
    }
    for (long j = 0; j < cols; j++) c[i * ldc + j] = t[j];
  }
}

template <int... Is>
Kernel makeNeon(std::integer_sequence<int, Is...>) {
  Kernel k{12, 8, {}};
  const Micro rows[][2] = {{microNeon<Is + 1, 1>, microNeon<Is + 1, 2>}...};
  for (int r = 0; r < 12; r++) k.micro[r][0] = rows[r][0], k.micro[r][1] = rows[r][1];
  return k;
}
const Kernel neonKernel = makeNeon(std::make_integer_sequence<int, 12>{});

bool cpuHasBf16() {
#if defined(__linux__)
  return getauxval(AT_HWCAP2) & (1ul << 14);  // HWCAP2_BF16
#elif defined(__APPLE__)
  int has = 0;
  size_t size = sizeof has;
  return sysctlbyname("hw.optional.arm.FEAT_BF16", &has, &size, nullptr, 0) == 0 && has;
#else
  return false;
#endif
}
#endif

// Packing buffers, one pair per thread, grown to the largest block used.
struct Buffers {
  uint32_t* a = nullptr;
  uint32_t* b = nullptr;
  size_t na = 0, nb = 0;
  ~Buffers() { std::free(a); std::free(b); }
  static uint32_t* grow(uint32_t*& p, size_t& n, size_t need) {
    if (need > n) {
      std::free(p);
      p = static_cast<uint32_t*>(std::aligned_alloc(64, (need * sizeof(uint32_t) + 63) / 64 * 64));
      if (!p) std::abort();
      n = need;
    }
    return p;
  }
};
thread_local Buffers buffers;

// The last call of a product split over k with no k left: only the rounding remains.
void roundOutputs(float* c, long n, bool round) {
  if (round) roundToBf16(c, c, n);
}

// One product with kernel kr; `flush` scopes FlushDenormals around each micro-kernel call (the Fma kernel), so that
// the fused add of an addend runs as tfjs's float32 Add does, denormals kept.
void gemmOne(const GemmArgs& g, const float* a, const float* b, float* c, bool round, const Kernel& kr, const float* addend, bool flush) {
  const long M = g.M, N = g.N, K = g.K;
  if (K == 0) {
    if (addend) std::memmove(c, addend, sizeof(float) * M * N);
    else if (g.continueC) roundOutputs(c, M * N, round);
    else std::memset(c, 0, sizeof(float) * M * N);
    return;
  }
  const long kpMax = ((K < KC ? K : KC) + 1) / 2;
  const long ncMax = N < NC ? N : NC, mcMax = M < MC ? M : MC;
  const uint32_t* pre = static_cast<const uint32_t*>(g.packedB);
  uint32_t* pb = pre ? nullptr : Buffers::grow(buffers.b, buffers.nb, size_t(kpMax) * ((ncMax + kr.nr - 1) / kr.nr * kr.nr));
  uint32_t* pa = Buffers::grow(buffers.a, buffers.na, size_t(kpMax) * mcMax);
  const int vec = kr.nr / 2;
  for (long j0 = 0; j0 < N; j0 += NC) {
    const long nc = N - j0 < NC ? N - j0 : NC;
    for (long p0 = 0; p0 < K; p0 += KC) {
      const long kc = K - p0 < KC ? K - p0 : KC, kp = (kc + 1) / 2;
      const bool last = p0 + kc == K;
      // packB's layout, block by block (KC is even: a block's pairs start at p0 / 2)
      const uint32_t* panels = pre ? pre + j0 * ((K + 1) / 2) + p0 / 2 * ((nc + kr.nr - 1) / kr.nr * kr.nr) : pb;
      if (!pre) packB(g, b, p0, kc, j0, nc, kr.nr, pb);
      for (long i0 = 0; i0 < M; i0 += MC) {
        const long mc = M - i0 < MC ? M - i0 : MC;
        packA(g, a, i0, mc, p0, kc, kr.mr, pa);
        for (long jr = 0; jr < nc; jr += kr.nr) {
          const long cols = nc - jr < kr.nr ? nc - jr : kr.nr;
          const int nv = cols > vec ? 2 : 1;
          for (long ir = 0; ir < mc; ir += kr.mr) {
            const long R = mc - ir < kr.mr ? mc - ir : kr.mr;
            float* cp = c + (i0 + ir) * N + j0 + jr;
            {
              std::optional<FlushDenormals> f;
              if (flush) f.emplace();
              kr.micro[R - 1][nv - 1](kp, pa + ir * kp, panels + jr * kp, cp, N, p0 > 0 || g.continueC, round && last, cols);
            }
            if (addend && last) addTile(cp, addend + (cp - c), N, R, cols);
          }
        }
      }
    }
  }
}

// ---- Reference: the definition of gemm-bf16.h, one element at a time

inline float flushed(float x) { return std::fpclassify(x) == FP_SUBNORMAL ? std::copysign(0.f, x) : x; }

// acc + a * b rounded once, denormal inputs read as zero and a denormal result flushed
inline float fmaFlushed(float a, float b, float acc) { return flushed(std::fma(flushed(a), flushed(b), flushed(acc))); }

void referenceOne(const GemmArgs& g, const float* a, const float* b, float* c, bool round) {
  const long M = g.M, N = g.N, K = g.K;
  auto opA = [&](long i, long k) { return k < K ? roundBf16(g.transA ? a[k * M + i] : a[i * K + k]) : 0.f; };
  auto opB = [&](long k, long j) { return k < K ? roundBf16(g.transB ? b[j * K + k] : b[k * N + j]) : 0.f; };
  for (long i = 0; i < M; i++)
    for (long j = 0; j < N; j++) {
      float acc = g.continueC ? c[i * N + j] : 0.f;
      for (long k = 0; k < K; k += 2) {
        acc = fmaFlushed(opA(i, k + 1), opB(k + 1, j), acc);
        acc = fmaFlushed(opA(i, k), opB(k, j), acc);
      }
      c[i * N + j] = round ? roundBf16(acc) : acc;
    }
}

// ---- The SwiGLU gate and up projections with the gating in the epilogue (gemmSwigluBf16)

// A tile of C for the fused SwiGLU: the gate and up halves of one panel (rounded, as the GEMM's outputs), then the
// gating outside the flushing of denormals (the element-wise kernels run without it).
void swigluTiles(const SwigluArgs& s, const Kernel& kr, bool flush) {
  const long M = s.rows, K = s.K, inner = s.inner, kp = (K + 1) / 2, H = kr.nr / 2;
  const GemmArgs g{s.x, nullptr, nullptr, M, 2 * inner, K, false, true, 1, 0, 0, 0};
  const long ncMax = 2 * inner < NC ? 2 * inner : NC, mcMax = M < MC ? M : MC;
  uint32_t* pb = Buffers::grow(buffers.b, buffers.nb, size_t(kp) * ncMax);
  uint32_t* pa = Buffers::grow(buffers.a, buffers.na, size_t(kp) * mcMax);
  alignas(64) float tile[12 * 32];
  for (long j0 = 0; j0 < 2 * inner; j0 += NC) {
    const long nc = 2 * inner - j0 < NC ? 2 * inner - j0 : NC;
    for (long c0 = 0; c0 < nc; c0 += kr.nr) {  // panel: H gate rows, then the same H up rows
      const long row = (j0 + c0) / 2;
      packPanel(s.gate + row * K, 1, K, K, H, H, pb + c0 * kp, kr.nr);
      packPanel(s.up + row * K, 1, K, K, H, H, pb + c0 * kp + H, kr.nr);
    }
    for (long i0 = 0; i0 < M; i0 += MC) {
      const long mc = M - i0 < MC ? M - i0 : MC;
      packA(g, s.x, i0, mc, 0, K, kr.mr, pa);
      for (long jr = 0; jr < nc; jr += kr.nr) {
        const long col = (j0 + jr) / 2;
        for (long ir = 0; ir < mc; ir += kr.mr) {
          const long R = mc - ir < kr.mr ? mc - ir : kr.mr;
          {
            std::optional<FlushDenormals> f;
            if (flush) f.emplace();
            kr.micro[R - 1][1](kp, pa + ir * kp, pb + jr * kp, tile, kr.nr, false, true, kr.nr);
          }
          for (long i = 0; i < R; i++) {
            const long at = (i0 + ir + i) * inner + col;
            for (long v = 0; v < H; v += vm::W) {
              vm::vf gv, uv;
              std::memcpy(&gv, tile + i * kr.nr + v, sizeof gv);
              std::memcpy(&uv, tile + i * kr.nr + H + v, sizeof uv);
              const vm::vf av = vm::swigluLanes<true>(gv, uv);
              std::memcpy(s.a + at + v, &av, sizeof av);
              if (s.g) std::memcpy(s.g + at + v, &gv, sizeof gv);
              if (s.u) std::memcpy(s.u + at + v, &uv, sizeof uv);
            }
          }
        }
      }
    }
  }
}

}  // namespace

namespace {
const Kernel& kernelOf(Bf16Kernel k) {
#if defined(TRM_X86)
  if (k == Bf16Kernel::Avx512) return avx512Kernel;
#endif
#if defined(TRM_NEON_BF16)
  if (k == Bf16Kernel::Neon) return neonKernel;
#endif
  return fmaKernel;
}
}  // namespace

size_t packedBSizeBf16(const GemmArgs& g, Bf16Kernel k) {
  const long nr = kernelOf(k).nr, last = g.N % NC == 0 ? NC : g.N % NC;
  return size_t(g.N - last + (last + nr - 1) / nr * nr) * ((g.K + 1) / 2);
}

void packAllBBf16(const GemmArgs& g, const float* b, uint32_t* dst, Bf16Kernel k) {
  const long nr = kernelOf(k).nr, kp = (g.K + 1) / 2;
  for (long j0 = 0; j0 < g.N; j0 += NC) {
    const long nc = g.N - j0 < NC ? g.N - j0 : NC;
    for (long p0 = 0; p0 < g.K; p0 += KC) packB(g, b, p0, g.K - p0 < KC ? g.K - p0 : KC, j0, nc, nr, dst + j0 * kp + p0 / 2 * ((nc + nr - 1) / nr * nr));
  }
}

bool gemmSwigluBf16(const SwigluArgs& s, Bf16Kernel k) {
  if (k == Bf16Kernel::Reference || s.K == 0 || s.K > KC) return false;
  switch (k) {
#if defined(TRM_X86)
    case Bf16Kernel::Avx512:
      if (s.inner % 16 != 0) return false;
      swigluTiles(s, avx512Kernel, false);
      return true;
#endif
#if defined(TRM_NEON_BF16)
    case Bf16Kernel::Neon:
      if (s.inner % 4 != 0) return false;
      swigluTiles(s, neonKernel, false);
      return true;
#endif
    default:
      if (s.inner % (fmaKernel.nr / 2) != 0) return false;
      swigluTiles(s, fmaKernel, true);
      return true;
  }
}

const char* bf16KernelName(Bf16Kernel k) {
  switch (k) {
    case Bf16Kernel::Avx512: return "avx512bf16";
    case Bf16Kernel::Neon: return "neon-bf16";
    case Bf16Kernel::Fma: return "fp32-fma";
    case Bf16Kernel::Reference: return "reference";
  }
  return "?";
}

bool bf16KernelAvailable(Bf16Kernel k) {
  switch (k) {
#if defined(TRM_X86)
    case Bf16Kernel::Avx512: {
      static const bool has = cpuHasAvx512Bf16();
      return has;
    }
#endif
#if defined(TRM_NEON_BF16)
    case Bf16Kernel::Neon: {
      static const bool has = cpuHasBf16();
      return has;
    }
#endif
    case Bf16Kernel::Fma:
    case Bf16Kernel::Reference: return true;
    default: return false;
  }
}

Bf16Kernel bf16KernelBest() {
  if (bf16KernelAvailable(Bf16Kernel::Avx512)) return Bf16Kernel::Avx512;
  if (bf16KernelAvailable(Bf16Kernel::Neon)) return Bf16Kernel::Neon;
  return Bf16Kernel::Fma;
}

void gemmBf16(const GemmArgs& g, bool roundOutput, Bf16Kernel k) {
  for (long i = 0; i < g.batch; i++) {
    const float* a = g.a + i * g.strideA;
    const float* b = g.b + i * g.strideB;
    float* c = g.c + i * g.strideC;
    const float* addend = g.addend ? g.addend + i * g.strideC : nullptr;
    switch (k) {
#if defined(TRM_X86)
      case Bf16Kernel::Avx512: gemmOne(g, a, b, c, roundOutput, avx512Kernel, addend, false); break;
#endif
#if defined(TRM_NEON_BF16)
      case Bf16Kernel::Neon: gemmOne(g, a, b, c, roundOutput, neonKernel, addend, false); break;
#endif
      case Bf16Kernel::Reference:
        referenceOne(g, a, b, c, roundOutput);
        if (addend) addTile(c, addend, g.N, g.M, g.N);
        break;
      default: gemmOne(g, a, b, c, roundOutput, fmaKernel, addend, true);
    }
  }
}

}  // namespace trm
