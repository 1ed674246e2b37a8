// Float32 GEMM, single-threaded: C = op(A) op(B) for a batch of row-major matrices (see gemm.cc).
#pragma once
#include <cstddef>

namespace trm {

struct GemmArgs {
  const float* a;   // op(A) is M x K: A stored [M, K], or [K, M] with transA
  const float* b;   // op(B) is K x N: B stored [K, N], or [N, K] with transB
  float* c;         // C stored [M, N], overwritten
  long M, N, K;
  bool transA, transB;
  long batch;                          // number of products
  long strideA, strideB, strideC;      // in floats between consecutive products (0 = the same matrix each time)
};

void gemm(const GemmArgs& g);

// The register tile and cache blocks this build uses (for the loader and the README).
struct GemmShape { int vecWidth, mr, nr, kc, mc, nc; };
GemmShape gemmShape();

}  // namespace trm
