// AdamATan2 and the weight EMA of a data-parallel optimizer shard, written with GCC/Clang vector extensions like
// elementwise.cc. Every step of the update rounds to float32 where the JS version (src/parallel/shard-optimizer.ts)
// rounds: float arithmetic with floating-point contraction OFF in this file (an FMA would skip a rounding), so the
// moments and the EMA equal the JS results bit for bit.
//
// atan2(y, x) is evaluated in double and rounded to float once, as the JS version does with
// Math.fround(Math.atan2(y, x)): with a = min(|y|, |x|), b = max(|y|, |x|), t = a / b in [0, 1]; above tan(pi/8)
// t becomes (t - 1) / (t + 1) with pi/4 added, so the argument u is within [-tan(pi/8), tan(pi/8)]; atan(u) is the
// Taylor series to u^25 (truncation < 0.1716^13 / 27 = 4e-12 relative), then pi/2 - r when |y| > |x|, pi - r when
// x is negative or -0, and y's sign. The double result is within ~1e-11 of the exact value, so after rounding it
// is the correctly rounded float almost always (the tests measure the distance to Math.atan2 in float ulps).
// Special values as Math.atan2: NaN in -> NaN out, atan2(+-0, +0) = +-0, atan2(+-0, -0) = +-pi, atan2(+-inf, +-inf)
// = +-pi/4 or +-3pi/4, atan2(y, +inf) = +-0, atan2(y, -inf) = +-pi, atan2(+-inf, x) = +-pi/2.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "optim.h"
#include "vector-loop.h"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace trm {
namespace {

// H floats and H doubles per step: 8 with AVX-512 (a 256-bit float vector, a 512-bit double vector), 4 otherwise.
#if defined(__AVX512F__)
constexpr int H = 8;
#else
constexpr int H = 4;
#endif

typedef float vf __attribute__((vector_size(H * 4)));
typedef double vd __attribute__((vector_size(H * 8)));
typedef int64_t vl __attribute__((vector_size(H * 8)));

inline vd splat(double x) { return vd{} + x; }
inline vf splatf(float x) { return vf{} + x; }
inline vl bits(vd x) { vl b; std::memcpy(&b, &x, sizeof b); return b; }
inline vd fromBits(vl b) { vd x; std::memcpy(&x, &b, sizeof x); return x; }

inline vf vsqrt(vf x) {
  for (int i = 0; i < H; i++) x[i] = __builtin_sqrtf(x[i]);
  return x;
}

inline vd vatan2(vd y, vd x) {
  const vl signBit = vl{} + INT64_MIN;
  const vd ay = fromBits(bits(y) & ~signBit), ax = fromBits(bits(x) & ~signBit);
  const vl swapped = ay > ax;
  const vd a = swapped ? ax : ay, b = swapped ? ay : ax;
  // 0/0 (both zero) -> 0, inf/inf (both infinite) -> 1; NaN is handled at the end
  vd t = a / b;
  t = b == splat(0.0) ? splat(0.0) : t;
  t = a == splat(INFINITY) ? splat(1.0) : t;
  const vl big = t > splat(0.41421356237309503);  // tan(pi/8)
  const vd u = big ? (t - splat(1.0)) / (t + splat(1.0)) : t;
  const vd z = u * u;
  vd p = splat(1.0 / 25);
  for (int k = 11; k >= 0; k--) p = p * z + splat((k % 2 ? -1.0 : 1.0) / (2 * k + 1));  // sum (-1)^k z^k / (2k+1)
  vd r = u * p + (big ? splat(M_PI / 4) : splat(0.0));
  r = swapped ? splat(M_PI / 2) - r : r;
  r = (bits(x) < 0) ? splat(M_PI) - r : r;
  r = fromBits(bits(r) | (bits(y) & signBit));
  return (y != y) | (x != x) ? y + x : r;
}

// atan2 of float vectors, rounded once to float
inline vf vatan2f(vf y, vf x) {
  return __builtin_convertvector(vatan2(__builtin_convertvector(y, vd), __builtin_convertvector(x, vd)), vf);
}

}  // namespace

void adamAtan2Update(float* p, const float* g, float* m, float* v, long n, AdamScalars s) {
  const vf decay = splatf(s.decay), keep1 = splatf(s.keep1), keep2 = splatf(s.keep2), step = splatf(s.stepSize), bias = splatf(s.sqrtBias2);
  forVectors<vf>(n, [&](long i, int c) {
    const vf gi = loadPart<vf>(g + i, c), m0 = loadPart<vf>(m + i, c), v0 = loadPart<vf>(v + i, c);
    const vf mi = m0 + (gi - m0) * keep1;
    const vf vi = v0 + (gi * gi - v0) * keep2;
    const vf direction = vatan2f(mi, vsqrt(vi) / bias);
    storePart(m + i, mi, c);
    storePart(v + i, vi, c);
    storePart(p + i, loadPart<vf>(p + i, c) * decay - direction * step, c);
  });
}

void emaUpdate(float* shadow, const float* p, long n, float keep, float rate) {
  const vf k = splatf(keep), r = splatf(rate);
  forVectors<vf>(n, [&](long i, int c) { storePart(shadow + i, loadPart<vf>(p + i, c) * k + loadPart<vf>(shadow + i, c) * r, c); });
}

void atan2Map(const float* y, const float* x, float* out, long n) {
  forVectors<vf>(n, [&](long i, int c) { storePart(out + i, vatan2f(loadPart<vf>(y + i, c), loadPart<vf>(x + i, c)), c); });
}

}  // namespace trm
