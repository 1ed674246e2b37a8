// bfloat16 rounding of float32 arrays (bf16.h), vectorized with GCC/Clang vector extensions like elementwise.cc;
// integer arithmetic on the float bits, so the result does not depend on the floating-point environment.
#include "bf16.h"

#include "vector-loop.h"

namespace trm {
namespace {

#if defined(__AVX512F__)
constexpr int W = 16;
#elif defined(__AVX__)
constexpr int W = 8;
#else
constexpr int W = 4;
#endif

typedef float vf __attribute__((vector_size(W * 4)));
typedef uint32_t vu __attribute__((vector_size(W * 4)));

// roundBf16 of each lane (ties to even; NaN -> 0x7FC00000)
inline vf roundLanes(vf x) {
  vu u;
  std::memcpy(&u, &x, sizeof u);
  const vu r = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  const vu nan = (u & 0x7fffffffu) > 0x7f800000u;  // all ones where NaN
  u = (r & ~nan) | (0x7fc00000u & nan);
  std::memcpy(&x, &u, sizeof x);
  return x;
}

}  // namespace

void roundToBf16(const float* x, float* y, long n) {
  forVectors<vf>(n, [&](long i, int count) { storePart(y + i, roundLanes(loadPart<vf>(x + i, count)), count); });
}

}  // namespace trm
