// Swap of two adjacent axis groups, the transposes a TRM step runs (token mixing [B,S,D] <-> [B,D,S], attention
// heads [B,S,H,hd] <-> [B,H,S,hd]). inner = 1: 16 x 16 tiles, so both the reads along b and the writes along a stay
// within a few cache lines per tile (plain loops; the compiler vectorises the gathers it can). inner > 1: one
// memcpy of `inner` floats per (o, b, a). Pure data movement: the same bits as any other transpose.
#include "transpose.h"

#include <algorithm>
#include <cstring>

namespace trm {

void transposeSwap(const float* src, float* dst, long outer, long A, long B, long inner) {
  const long plane = A * B * inner;
  if (inner > 1) {
    for (long o = 0; o < outer; o++)
      for (long b = 0; b < B; b++)
        for (long a = 0; a < A; a++) std::memcpy(dst + o * plane + (b * A + a) * inner, src + o * plane + (a * B + b) * inner, inner * 4);
    return;
  }
  constexpr long T = 16;
  for (long o = 0; o < outer; o++) {
    const float* s = src + o * plane;
    float* d = dst + o * plane;
    for (long a0 = 0; a0 < A; a0 += T)
      for (long b0 = 0; b0 < B; b0 += T) {
        const long a1 = std::min(a0 + T, A), b1 = std::min(b0 + T, B);
        for (long b = b0; b < b1; b++)
          for (long a = a0; a < a1; a++) d[b * A + a] = s[a * B + b];
      }
  }
}

}  // namespace trm
