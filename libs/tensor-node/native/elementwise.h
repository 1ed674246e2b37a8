// Fused float32 element-wise kernels of the TRM block (SwiGLU gating, RMSNorm), single-threaded, in place on a
// caller's buffer (see elementwise.cc). Same formulas as the tfjs ops they replace (libs/tensor-core/src/ops).
//
// With bf16, each kernel rounds to bfloat16 (bf16.h) what the reference holds as a bfloat16 tensor in its default
// precision, and nothing else (the float32 arithmetic is the same): silu(g) and every output of SwiGLU, and the
// product da * u before the silu gradient; the norm's output y and its gradient dx (r stays float32), and the
// residual sum x + o before the norm; the softmax's output and gradient; RoPE's output and gradient.
#pragma once

namespace trm {

// a = silu(g) * u, silu(g) = g * sigmoid(g); n elements.
void swigluForward(const float* g, const float* u, float* a, long n, bool bf16 = false);

// From da, g, u (n elements): a = silu(g) * u (the down projection's input, recomputed), du = da * silu(g),
// dg = da * u * sigmoid(g) * (1 + g * (1 - sigmoid(g))).
void swigluBackward(const float* da, const float* g, const float* u, float* a, float* dg, float* du, long n, bool bf16 = false);

// Per row of w floats: r = 1 / sqrt(mean(x^2) + eps), y = x * r. x, y [rows, w]; r [rows].
void rmsNormForward(const float* x, float* y, float* r, long rows, long w, float eps, bool bf16 = false);

// The same of s = x + o (the residual sum, never stored): x, o, y [rows, w]; r [rows]. Equals rmsNormForward of
// the float32 sum bit for bit.
void addRmsNormForward(const float* x, const float* o, float* y, float* r, long rows, long w, float eps, bool bf16 = false);

// Per row: dx = r * (dy - y * mean(dy * y)). dy, y, dx [rows, w]; r [rows].
void rmsNormBackward(const float* dy, const float* y, const float* r, float* dx, long rows, long w, bool bf16 = false);

// Softmax of each row of w floats of z = x * scale: y = exp(z - max) / sum(exp(z - max)). x, y [rows, w].
void softmaxForward(const float* x, float* y, long rows, long w, float scale, bool bf16 = false);

// Its backward per row from the probabilities p: ds = p * (dp - sum(dp * p)) * scale (the gradient with respect
// to x). dp, p, ds [rows, w].
void softmaxBackward(const float* dp, const float* p, float* ds, long rows, long w, float scale, bool bf16 = false);

// RoPE of rows of hd floats (hd even, h = hd / 2), row k at position k % S of the tables cos, sin [S, hd]:
// y = x * cos + rotate_half(x) * sin, rotate_half([a, b]) = [-b, a].
void ropeForward(const float* x, const float* cos, const float* sin, float* y, long rows, long S, long hd, bool bf16 = false);

// Its gradient: dx = dy * cos - rotate_half(dy * sin).
void ropeBackward(const float* dy, const float* cos, const float* sin, float* dx, long rows, long S, long hd, bool bf16 = false);

// exp(x) and sigmoid(x) of this file's vector code, one float at a time (for the tests of their accuracy).
float expScalar(float x);
float sigmoidScalar(float x);

}  // namespace trm
