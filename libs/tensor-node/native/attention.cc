// Attention by blocks of query rows (attention.h): per head and block of QB query rows, the scores [QB, S] are
// computed into a per-thread buffer (in L2: 64 x 916 floats = 229 KB for the maze config), turned into probabilities
// in place and multiplied by v, with the GEMMs and the softmax kernels of this addon. Each output row depends only on
// its own scores, so the forward (and dq) has the bits of the unblocked composition. dv and dk sum over the query
// rows: each is one product split over k (its query rows) into consecutive calls that continue the sum in C
// (GemmArgs.continueC), with the float32 GEMM's k blocks kept apart as it keeps them, so they have the bits of the
// unblocked products too.
#include "attention.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "elementwise.h"
#include "gemm.h"

namespace trm {
namespace {

constexpr long QB = 64;  // query rows per block: divides the float32 GEMM's k block (512)

struct Scratch {
  float* p = nullptr;
  size_t n = 0;
  ~Scratch() { std::free(p); }
  float* grow(size_t need) {
    if (need > n) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, (need * sizeof(float) + 63) / 64 * 64));
      if (!p) std::abort();
      n = need;
    }
    return p;
  }
};
thread_local Scratch scores, grads, partial, packs[3];

// op(B) of a product (N, K, transB) packed once for the blocks of one head that share it; null for the reference
// bfloat16 kernel (which reads B itself).
const void* prepack(const AttentionArgs& at, const float* b, long N, long K, bool tB, Scratch& buffer) {
  const GemmArgs g{nullptr, b, nullptr, 0, N, K, false, tB, 1, 0, 0, 0};
  if (!at.bf16) {
    float* dst = buffer.grow(packedBSize(g));
    packAllB(g, b, dst);
    return dst;
  }
  if (at.kernel == Bf16Kernel::Reference) return nullptr;
  uint32_t* dst = reinterpret_cast<uint32_t*>(buffer.grow(packedBSizeBf16(g, at.kernel)));
  packAllBBf16(g, b, dst, at.kernel);
  return dst;
}

// c = op(a) op(b), one matrix, as gemm or gemmBf16 (rounded unless `unrounded`); `cont`: c holds the same product's
// sum over earlier k, continued.
void product(const AttentionArgs& at, const float* a, const float* b, float* c, long M, long N, long K, bool tA, bool tB, bool cont = false,
             bool round = true, const void* packed = nullptr) {
  GemmArgs g{a, b, c, M, N, K, tA, tB, 1, 0, 0, 0};
  g.continueC = cont;
  g.packedB = packed;
  if (at.bf16) gemmBf16(g, round, at.kernel);
  else gemm(g);
}

// P = softmax(q_rows k^T * scale) for `rows` query rows of one head: [rows, S] into p (kT: k^T packed).
void probabilities(const AttentionArgs& at, const float* q, const float* k, const void* kT, long rows, float* p) {
  product(at, q, k, p, rows, at.S, at.hd, false, true, false, true, kT);
  softmaxForward(p, p, rows, at.S, at.scale, at.bf16);
}

// c = x^T y over all S rows of x [S, m] and y [S, n] (c [m, n]), fed one block of QB rows at a time: `add(i0, rows)`
// is called in order; it continues the sum as one GEMM call over K = S would compute it.
struct RowSum {
  const AttentionArgs& at;
  float* c;
  long m, n;
  float* part;  // float32: the current k block's sum, added to c at the block's end (as gemm adds its k blocks)
  void add(const float* x, const float* y, long i0, long rows) {
    const long S = at.S;
    if (at.bf16) {  // one chain over all k, rounded at the end
      product(at, x, y, c, m, n, rows, true, false, i0 > 0, i0 + rows == S);
      return;
    }
    const long kc = gemmShape().kc, b0 = i0 / kc * kc;          // the k block this rows block falls in
    float* target = b0 == 0 ? c : part;                          // the first block's sum is c itself
    product(at, x, y, target, m, n, rows, true, false, i0 > b0);
    const long end = b0 + kc < S ? b0 + kc : S;
    if (b0 > 0 && i0 + rows == end) addTile(c, part, n, m, n);  // c + part: as gemm adds a k block's sum to C
  }
};

}  // namespace

void attentionForward(const AttentionArgs& at, const float* q, const float* k, const float* v, float* out) {
  const long S = at.S, hd = at.hd;
  float* p = scores.grow(size_t(QB < S ? QB : S) * S);
  for (long h = 0; h < at.heads; h++) {
    const float *qh = q + h * S * hd, *kh = k + h * S * hd, *vh = v + h * S * hd;
    const void* kT = prepack(at, kh, S, hd, true, packs[0]);
    const void* vp = prepack(at, vh, hd, S, false, packs[1]);
    for (long i0 = 0; i0 < S; i0 += QB) {
      const long rows = S - i0 < QB ? S - i0 : QB;
      probabilities(at, qh + i0 * hd, kh, kT, rows, p);
      product(at, p, vh, out + (h * S + i0) * hd, rows, hd, S, false, false, false, true, vp);
    }
  }
}

void attentionBackward(const AttentionArgs& at, const float* dout, const float* q, const float* k, const float* v, float* dq, float* dk, float* dv) {
  const long S = at.S, hd = at.hd, qb = QB < S ? QB : S;
  float* p = scores.grow(size_t(qb) * S);
  float* ds = grads.grow(size_t(qb) * S);
  float* part = partial.grow(size_t(2) * S * hd);
  for (long h = 0; h < at.heads; h++) {
    const long o = h * S * hd;
    const float *qh = q + o, *kh = k + o, *vh = v + o, *dh = dout + o;
    RowSum sumV{at, dv + o, S, hd, part}, sumK{at, dk + o, S, hd, part + S * hd};
    const void* kT = prepack(at, kh, S, hd, true, packs[0]);
    const void* vT = prepack(at, vh, S, hd, true, packs[1]);
    const void* kp = prepack(at, kh, hd, S, false, packs[2]);
    for (long i0 = 0; i0 < S; i0 += QB) {
      const long rows = S - i0 < QB ? S - i0 : QB;
      probabilities(at, qh + i0 * hd, kh, kT, rows, p);
      sumV.add(p, dh + i0 * hd, i0, rows);                                                // dv = P^T dout
      product(at, dh + i0 * hd, vh, ds, rows, S, hd, false, true, false, true, vT);       // dP = dout v^T
      softmaxBackward(ds, p, ds, rows, S, at.scale, at.bf16);                             // dS
      product(at, ds, kh, dq + o + i0 * hd, rows, hd, S, false, false, false, true, kp);  // dq = dS k
      sumK.add(ds, qh + i0 * hd, i0, rows);                                               // dk = dS^T q
    }
  }
}

}  // namespace trm
