// bfloat16 GEMM, single-threaded: C = op(A) op(B) for a batch of row-major float32 matrices (GemmArgs of gemm.h),
// with op(A) and op(B) rounded to bfloat16 while packing and float32 accumulation (see gemm-bf16.cc).
//
// The arithmetic, identical for every kernel below but Neon (Reference computes it one element at a time): for each element of C, acc = +0, then for each pair of k steps (2p, 2p + 1), zero-padded when K is odd,
//   acc = fma(a[2p + 1], b[2p + 1], acc);  acc = fma(a[2p], b[2p], acc)
// where a, b are the bfloat16-rounded operands and each fma rounds to nearest even, treats denormal inputs (acc
// included) as zero and flushes a denormal result to zero. That is AVX512_BF16's vdpbf16ps, instruction for
// instruction (the products of two bfloat16 values are exact in float32). Then C = acc, or roundBf16(acc) with
// roundOutput, and with GemmArgs.addend C = addend + that (a float32 add, denormals kept). The result depends only on
// K, not on the blocking or the tile of a build.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gemm.h"

namespace trm {

enum class Bf16Kernel {
  Avx512,  // vdpbf16ps (x86 AVX512_BF16), detected at run time
  Neon,    // BFDOT (arm64 FEAT_BF16), detected at run time: its own rounding (round to odd inside the dot product)
  Fma,     // float32 FMA with denormals flushed, the same bits as Avx512; runs everywhere
  Reference,  // the definition above as plain scalar loops, one element at a time (slow; for the tests)
};

const char* bf16KernelName(Bf16Kernel k);

// Whether this CPU (and this build) can run kernel k.
bool bf16KernelAvailable(Bf16Kernel k);

// The kernel used when none is named: Avx512 when available, else Neon when available, else Fma.
// (Reference is never the default.)
Bf16Kernel bf16KernelBest();

void gemmBf16(const GemmArgs& g, bool roundOutput, Bf16Kernel k);

// op(B) of g packed as gemmBf16 with kernel k packs it (GemmArgs.packedB), all blocks at once, into dst of
// packedBSizeBf16 uint32 (bfloat16 pairs). Not for the reference kernel, which does not pack.
size_t packedBSizeBf16(const GemmArgs& g, Bf16Kernel k);
void packAllBBf16(const GemmArgs& g, const float* b, uint32_t* dst, Bf16Kernel k);

// gemmSwiglu (gemm.h) in bfloat16: g and u as gemmBf16 with roundOutput, a = swigluForward's bf16 gating of them;
// the same bits as those unfused calls. False (nothing written) when it does not apply: K above one k block,
// inner not a multiple of half a tile's columns, or the reference kernel.
bool gemmSwigluBf16(const SwigluArgs& s, Bf16Kernel k);

}  // namespace trm
