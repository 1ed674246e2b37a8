// Batched float32 transpose of two axes (see transpose.cc).
#pragma once

namespace trm {

// dst[o][b][a][i] = src[o][a][b][i] for o < outer, a < A, b < B, i < inner (row-major, no overlap).
void transposeSwap(const float* src, float* dst, long outer, long A, long B, long inner);

}  // namespace trm
