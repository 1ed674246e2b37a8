// Fused element-wise kernels, written with GCC/Clang vector extensions like gemm.cc (AVX-512, AVX2, NEON or SSE
// with -march=native). Each pass reads its inputs once and writes its outputs once; the tails shorter than a vector
// go through the same vector code on a zero-padded copy, so every element takes the same arithmetic. exp, sigmoid
// and the bfloat16 rounding R are in vector-math.h.
#include "elementwise.h"
#include "vector-loop.h"
#include "vector-math.h"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace trm {
namespace {

using vm::lanes;
using vm::R;
using vm::splat;
using vm::vexp;
using vm::vf;
using vm::vi;
using vm::vsigmoid;
using vm::W;

inline float hsum(vf v) {
  float t[W];
  storePart(t, v, W);
  float s = 0;
  for (int i = 0; i < W; i++) s += t[i];
  return s;
}

}  // namespace

float expScalar(float x) { return vexp(splat(x))[0]; }
float sigmoidScalar(float x) { return vsigmoid(splat(x))[0]; }

namespace {

template <bool Bf16>
void swigluForwardT(const float* g, const float* u, float* a, long n) {
  forVectors<vf>(n, [&](long i, int c) {
    storePart(a + i, vm::swigluLanes<Bf16>(loadPart<vf>(g + i, c), loadPart<vf>(u + i, c)), c);
  });
}

template <bool Bf16>
void swigluBackwardT(const float* da, const float* g, const float* u, float* a, float* dg, float* du, long n) {
  forVectors<vf>(n, [&](long i, int c) {
    const vf gv = loadPart<vf>(g + i, c), uv = loadPart<vf>(u + i, c), dav = loadPart<vf>(da + i, c);
    if constexpr (Bf16) {
      // PyTorch's bfloat16 ops, each rounded: a = silu(g) * u; du = da * silu(g); dg = silu_backward(da * u, g) =
      // (ds * sig) * (1 + g * (1 - sig)) with its own bfloat16 sigmoid
      const vf s = vm::siluBf16(gv), sg = vm::sigmoidBf16(gv), ds = R<true>(dav * uv);
      storePart(a + i, R<true>(s * uv), c);
      storePart(du + i, R<true>(dav * s), c);
      storePart(dg + i, R<true>(R<true>(ds * sg) * R<true>(splat(1.0f) + R<true>(gv * R<true>(splat(1.0f) - sg)))), c);
    } else {
      const vf sg = vsigmoid(gv);
      const vf s = gv * sg;  // silu(g)
      storePart(a + i, s * uv, c);
      storePart(du + i, dav * s, c);
      const vf dsilu = sg * (splat(1.0f) + gv * (splat(1.0f) - sg));
      storePart(dg + i, (dav * uv) * dsilu, c);
    }
  });
}

}  // namespace

void swigluForward(const float* g, const float* u, float* a, long n, bool bf16) {
  bf16 ? swigluForwardT<true>(g, u, a, n) : swigluForwardT<false>(g, u, a, n);
}

void swigluBackward(const float* da, const float* g, const float* u, float* a, float* dg, float* du, long n, bool bf16) {
  bf16 ? swigluBackwardT<true>(da, g, u, a, dg, du, n) : swigluBackwardT<false>(da, g, u, a, dg, du, n);
}

namespace {

// RMSNorm of the rows of s, where row(row, i, c) loads c <= W values of row `row` from column i (read twice, once
// for the mean of squares and once for y): r = 1 / sqrt(mean(s^2) + eps), y = s * r.
template <bool Bf16, typename Row>
void normRows(Row row, float* y, float* r, long rows, long w, float eps) {
  for (long k = 0; k < rows; k++) {
    vf ss = vf{};
    forVectors<vf>(w, [&](long i, int c) {
      const vf v = row(k, i, c);
      ss += v * v;
    });
    const float rr = 1.0f / std::sqrt(hsum(ss) / static_cast<float>(w) + eps);
    r[k] = rr;
    const vf rv = splat(rr);
    forVectors<vf>(w, [&](long i, int c) { storePart(y + k * w + i, R<Bf16>(row(k, i, c) * rv), c); });
  }
}

template <bool Bf16>
void rmsNormBackwardT(const float* dy, const float* y, const float* r, float* dx, long rows, long w) {
  for (long row = 0; row < rows; row++) {
    const float* dyr = dy + row * w;
    const float* yr = y + row * w;
    vf dot = vf{};
    forVectors<vf>(w, [&](long i, int c) { dot += loadPart<vf>(dyr + i, c) * loadPart<vf>(yr + i, c); });
    const vf m = splat(hsum(dot) / static_cast<float>(w)), rv = splat(r[row]);
    forVectors<vf>(w, [&](long i, int c) { storePart(dx + row * w + i, R<Bf16>(rv * (loadPart<vf>(dyr + i, c) - loadPart<vf>(yr + i, c) * m)), c); });
  }
}

}  // namespace

void rmsNormForward(const float* x, float* y, float* r, long rows, long w, float eps, bool bf16) {
  auto row = [&](long k, long i, int c) { return loadPart<vf>(x + k * w + i, c); };
  bf16 ? normRows<true>(row, y, r, rows, w, eps) : normRows<false>(row, y, r, rows, w, eps);
}

void addRmsNormForward(const float* x, const float* o, float* y, float* r, long rows, long w, float eps, bool bf16) {
  if (bf16) {
    // the residual sum is a bfloat16 tensor in the reference: rounded before the norm
    normRows<true>([&](long k, long i, int c) { return R<true>(loadPart<vf>(x + k * w + i, c) + loadPart<vf>(o + k * w + i, c)); }, y, r, rows, w, eps);
  } else {
    normRows<false>([&](long k, long i, int c) { return loadPart<vf>(x + k * w + i, c) + loadPart<vf>(o + k * w + i, c); }, y, r, rows, w, eps);
  }
}

void rmsNormBackward(const float* dy, const float* y, const float* r, float* dx, long rows, long w, bool bf16) {
  bf16 ? rmsNormBackwardT<true>(dy, y, r, dx, rows, w) : rmsNormBackwardT<false>(dy, y, r, dx, rows, w);
}

namespace {

template <bool Bf16>
void softmaxForwardT(const float* x, float* y, long rows, long w, float scale) {
  for (long k = 0; k < rows; k++) {
    const float* xr = x + k * w;
    float* yr = y + k * w;
    vf mv = splat(-INFINITY);  // the row's maximum, lane-wise (a scalar loop is one long compare chain)
    forVectors<vf>(w, [&](long i, int c) {
      const vf v = loadPart<vf>(xr + i, c) * splat(scale);
      mv = (lanes() < c) & (v > mv) ? v : mv;  // padded lanes never win
    });
    float mx = mv[0];
    for (int j = 1; j < W; j++) mx = mv[j] > mx ? mv[j] : mx;
    const vf m = splat(mx), sc = splat(scale);
    vf sum = vf{};
    forVectors<vf>(w, [&](long i, int c) {
      const vf e = vexp(loadPart<vf>(xr + i, c) * sc - m);
      sum += lanes() < c ? e : vf{};  // the padded lanes add nothing to the sum
      storePart(yr + i, e, c);
    });
    const vf inv = splat(1.0f / hsum(sum));
    forVectors<vf>(w, [&](long i, int c) { storePart(yr + i, R<Bf16>(loadPart<vf>(yr + i, c) * inv), c); });
  }
}

template <bool Bf16>
void softmaxBackwardT(const float* dp, const float* p, float* ds, long rows, long w, float scale) {
  for (long k = 0; k < rows; k++) {
    const float* dr = dp + k * w;
    const float* pr = p + k * w;
    vf dot = vf{};
    forVectors<vf>(w, [&](long i, int c) { dot += loadPart<vf>(dr + i, c) * loadPart<vf>(pr + i, c); });
    // in bfloat16 the row sum is a bfloat16 tensor of the reference's softmax backward (the rest one float32 expression)
    const vf d = R<Bf16>(splat(hsum(dot))), sc = splat(scale);
    forVectors<vf>(w, [&](long i, int c) { storePart(ds + k * w + i, R<Bf16>((loadPart<vf>(pr + i, c) * (loadPart<vf>(dr + i, c) - d)) * sc), c); });
  }
}

template <bool Bf16>
void ropeForwardT(const float* x, const float* cos, const float* sin, float* y, long rows, long S, long hd) {
  const long h = hd / 2;
  for (long k = 0; k < rows; k++) {
    const float *xr = x + k * hd, *cr = cos + (k % S) * hd, *sr = sin + (k % S) * hd;
    float* yr = y + k * hd;
    forVectors<vf>(h, [&](long i, int c) {
      const vf a = loadPart<vf>(xr + i, c), b = loadPart<vf>(xr + h + i, c);
      storePart(yr + i, R<Bf16>(a * loadPart<vf>(cr + i, c) - b * loadPart<vf>(sr + i, c)), c);
      storePart(yr + h + i, R<Bf16>(b * loadPart<vf>(cr + h + i, c) + a * loadPart<vf>(sr + h + i, c)), c);
    });
  }
}

template <bool Bf16>
void ropeBackwardT(const float* dy, const float* cos, const float* sin, float* dx, long rows, long S, long hd) {
  const long h = hd / 2;
  for (long k = 0; k < rows; k++) {
    const float *dr = dy + k * hd, *cr = cos + (k % S) * hd, *sr = sin + (k % S) * hd;
    float* xr = dx + k * hd;
    forVectors<vf>(h, [&](long i, int c) {
      const vf a = loadPart<vf>(dr + i, c), b = loadPart<vf>(dr + h + i, c);
      storePart(xr + i, R<Bf16>(a * loadPart<vf>(cr + i, c) + b * loadPart<vf>(sr + h + i, c)), c);
      storePart(xr + h + i, R<Bf16>(b * loadPart<vf>(cr + h + i, c) - a * loadPart<vf>(sr + i, c)), c);
    });
  }
}

}  // namespace

void softmaxForward(const float* x, float* y, long rows, long w, float scale, bool bf16) {
  bf16 ? softmaxForwardT<true>(x, y, rows, w, scale) : softmaxForwardT<false>(x, y, rows, w, scale);
}

void softmaxBackward(const float* dp, const float* p, float* ds, long rows, long w, float scale, bool bf16) {
  bf16 ? softmaxBackwardT<true>(dp, p, ds, rows, w, scale) : softmaxBackwardT<false>(dp, p, ds, rows, w, scale);
}

void ropeForward(const float* x, const float* cos, const float* sin, float* y, long rows, long S, long hd, bool bf16) {
  bf16 ? ropeForwardT<true>(x, cos, sin, y, rows, S, hd) : ropeForwardT<false>(x, cos, sin, y, rows, S, hd);
}

void ropeBackward(const float* dy, const float* cos, const float* sin, float* dx, long rows, long S, long hd, bool bf16) {
  bf16 ? ropeBackwardT<true>(dy, cos, sin, dx, rows, S, hd) : ropeBackwardT<false>(dy, cos, sin, dx, rows, S, hd);
}

}  // namespace trm
