// Vector math shared by the element-wise kernels and the GEMMs' fused epilogues (GCC/Clang vector extensions, this
// build's widest vectors): exp, sigmoid, bfloat16 rounding of lanes, and the SwiGLU gating of elementwise.cc.
//
// exp(x): Cody-Waite reduction x = n ln2 + r (|r| <= ln2/2, ln2 split in two so n ln2 is exact) and the degree-7
// Taylor/minimax polynomial of Cephes' expf, scaled by 2^n built in the exponent bits: within 1-2 ulp of the exact
// exp (tested over [-88, 88] against Math.exp). Above 88.376 it returns +inf, below -87.33 it returns exp(-87.33)
// (~1.2e-38, where 1 + exp(x) already rounds to 1). sigmoid(x) = 1 / (1 + exp(-x)), as tfjs writes it.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace trm {
namespace vm {

#if defined(__AVX512F__)
constexpr int W = 16;
#elif defined(__AVX__)
constexpr int W = 8;
#else
constexpr int W = 4;
#endif

typedef float vf __attribute__((vector_size(W * 4)));
typedef int32_t vi __attribute__((vector_size(W * 4)));

inline vf splat(float x) { return vf{} + x; }

// {0, 1, ..., W - 1}
inline vi lanes() {
  vi l;
  for (int j = 0; j < W; j++) l[j] = j;
  return l;
}


inline vf vexp(vf x) {
  const vf hi = splat(88.3762626647949f), lo = splat(-87.3365447505531f);
  const vi over = x > hi;
  x = x > hi ? hi : x;
  x = x < lo ? lo : x;
  const vf magic = splat(12582912.0f);  // 1.5 * 2^23: adding it rounds to the nearest integer
  const vf n = (x * splat(1.44269504088896341f) + magic) - magic;
  const vf r = (x - n * splat(0.693359375f)) - n * splat(-2.12194440e-4f);
  vf p = splat(1.9875691500e-4f);
  p = p * r + splat(1.3981999507e-3f);
  p = p * r + splat(8.3334519073e-3f);
  p = p * r + splat(4.1665795894e-2f);
  p = p * r + splat(1.6666665459e-1f);
  p = p * r + splat(5.0000001201e-1f);
  p = p * r * r + r + splat(1.0f);
  const vi bits = (__builtin_convertvector(n, vi) + 127) << 23;
  vf scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const vf e = p * scale;
  return over ? splat(INFINITY) : e;
}

inline vf vsigmoid(vf x) { return splat(1.0f) / (splat(1.0f) + vexp(-x)); }

// Each lane rounded to bfloat16 (bf16.h) when Bf16, else unchanged: the bfloat16 kernels are the float32 ones with
// roundings where the reference's bfloat16 tensors are (R below).
template <bool Bf16>
inline vf R(vf x) {
  if constexpr (!Bf16) {
    return x;
  } else {
    typedef uint32_t vu __attribute__((vector_size(W * 4)));
    vu u;
    std::memcpy(&u, &x, sizeof u);
    const vu r = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
    const vu nan = (u & 0x7fffffffu) > 0x7f800000u;
    u = (r & ~nan) | (0x7fc00000u & nan);
    std::memcpy(&x, &u, sizeof x);
    return x;
  }
}


// silu(g) as PyTorch computes it on bfloat16 tensors (CPU): g / (1 + exp(-g)) with every operation's result
// rounded to bfloat16 (its Vectorized<BFloat16> arithmetic converts back after each op); float32 exp. Matches
// torch 1.13's F.silu on bfloat16 bit for bit on every value tried (tests: 18k activations of the parity fixtures).
inline vf siluBf16(vf g) { return R<true>(g / R<true>(splat(1.0f) + R<true>(vexp(-g)))); }

// The same library's bfloat16 sigmoid, 1 / (1 + exp(-g)) rounded after each op (silu's backward uses it).
inline vf sigmoidBf16(vf g) { return R<true>(splat(1.0f) / R<true>(splat(1.0f) + R<true>(vexp(-g)))); }

// The SwiGLU gating of one vector: silu(g) * u; in bfloat16 as the reference computes F.silu(gate) * up.
template <bool Bf16>
inline vf swigluLanes(vf g, vf u) {
  if constexpr (Bf16) {
    return R<true>(siluBf16(g) * u);
  } else {
    const vf s = g * vsigmoid(g);  // silu(g)
    return s * u;
  }
}

}  // namespace vm
}  // namespace trm
