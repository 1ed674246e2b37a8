// bfloat16: the top 16 bits of a float32 (8 exponent bits, 7 stored mantissa bits). Float32 values are rounded to
// it to nearest, ties to even, as PyTorch's c10::BFloat16 does: denormals are kept (no flush), every NaN becomes
// the quiet NaN 0x7FC0, and values above the largest bfloat16 round to infinity.
#pragma once

#include <cstdint>
#include <cstring>

namespace trm {

inline uint32_t bitsOf(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}

inline float floatOf(uint32_t u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

// The bfloat16 nearest to x (ties to even), as its 16 bits.
inline uint16_t toBf16(float x) {
  const uint32_t u = bitsOf(x);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// x rounded to bfloat16, as a float32 (the low 16 bits zero).
inline float roundBf16(float x) { return floatOf(static_cast<uint32_t>(toBf16(x)) << 16); }

// y[i] = roundBf16(x[i]) for n floats (y may be x).
void roundToBf16(const float* x, float* y, long n);

}  // namespace trm
