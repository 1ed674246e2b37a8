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
  // when not null, C = addend + op(A) op(B) (laid out as C, strideC apart): the same bits as the product followed
  // by an add, without the product's own pass through memory (each tile is added while it is in L1). Not C itself.
  const float* addend = nullptr;
  // C already holds this product's sum over earlier k (the same A and B rows before these): continue that sum. In
  // bfloat16 (one FMA chain per element) a product split over k into consecutive calls then has the bits of one
  // call; in float32 (a chain per k block of gemmShape().kc, the blocks' sums added) when the splits fall inside
  // one block, the next block's chain kept apart and added at its end (attention.cc does so).
  bool continueC = false;
  // op(B) already packed by packAllB (gemm) or packAllBBf16 (gemmBf16) for these N, K and transB: b is not read.
  // For a B used by many products (attention's k and v across blocks of query rows).
  const void* packedB = nullptr;
};

void gemm(const GemmArgs& g);

// op(B) of g (N, K, transB; one matrix) packed as gemm() packs it, all blocks at once, into dst of packedBSize(g) floats.
size_t packedBSize(const GemmArgs& g);
void packAllB(const GemmArgs& g, const float* b, float* dst);

// c[i][j] = addend[i][j] + c[i][j] over a rows x cols tile, rows ld floats apart (the fused add of GemmArgs.addend).
void addTile(float* c, const float* addend, long ld, long rows, long cols);

// The gate and up projections of a SwiGLU with its gating fused in: g = x gate^T, u = x up^T (x [rows, K], gate and
// up [inner, K]) and a = silu(g) * u, all [rows, inner]; g and u are written only when not null. The same bits as
// gemm() of each projection followed by swigluForward (elementwise.h): the same tiles, the gating as its vector code.
// Returns false (nothing written) when it does not apply: K above one k block (gemmShape().kc) or inner not a
// multiple of half the tile's columns.
struct SwigluArgs {
  const float* x;
  const float* gate;
  const float* up;
  float* a;
  float* g;  // may be null
  float* u;  // may be null
  long rows, K, inner;
};
bool gemmSwiglu(const SwigluArgs& s);

// The register tile and cache blocks this build uses (for the loader and the README).
struct GemmShape { int vecWidth, mr, nr, kc, mc, nc; };
GemmShape gemmShape();

}  // namespace trm
