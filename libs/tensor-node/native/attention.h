// Non-causal scaled dot-product attention by blocks of query rows, single-threaded (see attention.cc).
#pragma once

#include "gemm-bf16.h"

namespace trm {

struct AttentionArgs {
  // q, k, v, out: [heads, S, hd] row-major (heads = batch x attention heads)
  long heads, S, hd;
  float scale;  // the softmax's scale, 1 / sqrt(hd)
  bool bf16;    // the reference's bfloat16 roundings (gemmBf16 with roundOutput, the softmax's bf16 flag)
  Bf16Kernel kernel;
};

// out = softmax(q k^T * scale) v, one block of query rows at a time: the scores of a block ([rows, S]) stay in the
// cache instead of a [heads, S, S] array going through memory three times. The same bits as the unblocked
// products and softmaxForward.
void attentionForward(const AttentionArgs& a, const float* q, const float* k, const float* v, float* out);

// The gradients dq, dk, dv from dout, recomputing the probabilities block by block (the same bits as the forward's):
// dv = P^T dout, dP = dout v^T, dS = softmaxBackward(dP, P), dq = dS k, dk = dS^T q. dq has the bits of the unblocked
// products; dv and dk are sums over the blocks of query rows (in float32; in bfloat16 unrounded, then rounded once).
void attentionBackward(const AttentionArgs& a, const float* dout, const float* q, const float* k, const float* v, float* dq, float* dk, float* dv);

}  // namespace trm
