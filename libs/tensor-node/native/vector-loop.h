// Loops over float arrays in whole vectors, shared by elementwise.cc and optim.cc: the last partial step works on
// a zero-padded copy, so every element goes through the same vector arithmetic. V is a GCC/Clang vector type of
// floats (`float __attribute__((vector_size(...)))`).
#pragma once

#include <cstring>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace trm {

template <typename V>
constexpr int lanesOf() { return static_cast<int>(sizeof(V) / sizeof(float)); }

// f(i, count) over [0, n) in steps of V's lanes; the last step has count < lanes when n is not a multiple.
template <typename V, typename F>
void forVectors(long n, F f) {
  constexpr int N = lanesOf<V>();
  long i = 0;
  for (; i + N <= n; i += N) f(i, N);
  if (i < n) f(i, static_cast<int>(n - i));
}

// count <= lanes floats from p, zero-padded.
template <typename V>
inline V loadPart(const float* p, int count) {
  V v{};
  if (count == lanesOf<V>()) {
    std::memcpy(&v, p, sizeof v);
  } else {
#if defined(__AVX512F__)
    // a masked load: the partial copy through memory costs a failed store-to-load forward (tens of cycles), more
    // than the arithmetic on a short row (softmax rows of 97 floats took 2.7x the time of rows of 96)
    if constexpr (sizeof(V) == 64) {
      const __m512 m = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << count) - 1), p);
      std::memcpy(&v, &m, sizeof v);
      return v;
    }
#endif
    std::memcpy(&v, p, count * sizeof(float));
  }
  return v;
}

// The first count <= lanes floats of v to p.
template <typename V>
inline void storePart(float* p, V v, int count) {
  if (count == lanesOf<V>()) {
    std::memcpy(p, &v, sizeof v);
  } else {
#if defined(__AVX512F__)
    if constexpr (sizeof(V) == 64) {
      __m512 m;
      std::memcpy(&m, &v, sizeof v);
      _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << count) - 1), m);
      return;
    }
#endif
    std::memcpy(p, &v, count * sizeof(float));
  }
}

}  // namespace trm
