// N-API face of gemm.cc. One call runs a whole batched product in place in a JS ArrayBuffer (tfjs-wasm's heap):
//   gemm(buffer, a, b, c, M, N, K, transA, transB, batch, strideA, strideB, strideC[, addend])
// a, b, c = byte offsets into buffer; strides in bytes between consecutive products (0 = broadcast); with addend
// (a byte offset, laid out as c), c = addend + the product.
//   shape() -> { vecWidth, mr, nr, kc, mc, nc }
// the bfloat16 GEMM of gemm-bf16.cc, the same arguments and two more (kernel: a name of bf16Kernels(), "" = the best):
//   gemmBf16(buffer, a, b, c, M, N, K, transA, transB, batch, strideA, strideB, strideC, roundOutput, kernel[, addend])
//   bf16Kernels() -> e.g. ["avx512bf16", "fp32-fma", "reference"]     roundBf16(buffer, x, y, n)  (bf16.h)
// the SwiGLU projections with the gating in the GEMM's epilogue (gemm.h), float32 or bfloat16:
//   gemmSwiglu(buffer, x, gate, up, a, g, u, rows, K, inner, saveGU, bf16, kernel) -> false when it does not apply
// attention by blocks of query rows (attention.h), tensors [heads, S, hd]:
//   attentionForward(buffer, q, k, v, out, heads, S, hd, scale, bf16, kernel)
//   attentionBackward(buffer, dout, q, k, v, dq, dk, dv, heads, S, hd, scale, bf16, kernel)
// and the fused element-wise kernels of elementwise.cc, offsets in bytes into the same kind of buffer:
//   swigluForward(buffer, g, u, a, n)                  swigluBackward(buffer, da, g, u, a, dg, du, n)
//   rmsNormForward(buffer, x, y, r, rows, w, eps)      rmsNormBackward(buffer, dy, y, r, dx, rows, w)
//   addRmsNormForward(buffer, x, o, y, r, rows, w, eps)  (RMSNorm of x + o)
//   softmaxForward(buffer, x, y, rows, w, scale)       softmaxBackward(buffer, dp, p, ds, rows, w, scale)
//   ropeForward(buffer, x, cos, sin, y, rows, S, hd)   ropeBackward(buffer, dy, cos, sin, dx, rows, S, hd)
// each with an optional last argument bf16 (default false): the reference's bfloat16 roundings (elementwise.h)
// and transposeSwap(buffer, src, dst, outer, A, B, inner) of transpose.cc, and the optimizer shard of optim.cc on
// Float32Arrays (ArrayBuffer- or SharedArrayBuffer-backed), scalars already rounded to float32 by the caller:
//   adamAtan2Shard(p, g, m, v, decay, keep1, keep2, stepSize, sqrtBias2)   emaShard(shadow, p, keep, rate)
//   atan2Map(y, x, out)
// Context-aware (NAPI_MODULE_INIT), so every worker thread can load it.
#include <node_api.h>

#include <cstdint>
#include <string>

#include "attention.h"
#include "bf16.h"
#include "elementwise.h"
#include "gemm-bf16.h"
#include "gemm.h"
#include "optim.h"
#include "transpose.h"

namespace {

void throwError(napi_env env, const std::string& msg) { napi_throw_error(env, "ERR_TRM_GEMM", ("trm_gemm: " + msg).c_str()); }

bool int64Arg(napi_env env, napi_value v, const char* name, int64_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d != static_cast<double>(static_cast<int64_t>(d)) || d < 0) {
    throwError(env, std::string(name) + " must be a non-negative integer");
    return false;
  }
  *out = static_cast<int64_t>(d);
  return true;
}

// The last byte an operand reaches: off + (batch - 1) * stride + elems * 4 must fit in the buffer.
bool checkOperand(napi_env env, const char* name, int64_t off, int64_t stride, int64_t batch, int64_t elems, size_t length) {
  if (off % 4 != 0 || stride % 4 != 0) {
    throwError(env, std::string(name) + ": offset and stride must be multiples of 4 bytes (float32)");
    return false;
  }
  const int64_t end = off + (batch - 1) * stride + elems * 4;
  if (end > static_cast<int64_t>(length)) {
    throwError(env, std::string(name) + ": bytes [" + std::to_string(off) + ", " + std::to_string(end) + ") exceed the buffer of " + std::to_string(length) + " bytes");
    return false;
  }
  return true;
}

// The 13 arguments of a product (buffer, a, b, c, M, N, K, transA, transB, batch, strideA, strideB, strideC) from
// argv into g, checked, and the byte offset of an addend (C = addend + product) when `addend` is not null; false (an
// exception pending) when they are not that.
bool gemmArgs(napi_env env, const napi_value* argv, trm::GemmArgs* g, bool* empty, const napi_value* addend = nullptr) {
  void* data = nullptr;
  size_t length = 0;
  bool isAb = false;
  napi_is_arraybuffer(env, argv[0], &isAb);
  if (!isAb || napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok) { throwError(env, "buffer must be an ArrayBuffer"); return false; }
  static const char* names[] = {"", "a", "b", "c", "M", "N", "K", "", "", "batch", "strideA", "strideB", "strideC"};
  int64_t v[13] = {};
  for (int i : {1, 2, 3, 4, 5, 6, 9, 10, 11, 12})
    if (!int64Arg(env, argv[i], names[i], &v[i])) return false;
  bool tA = false, tB = false;
  napi_get_value_bool(env, argv[7], &tA);
  napi_get_value_bool(env, argv[8], &tB);
  const int64_t M = v[4], N = v[5], K = v[6], batch = v[9];
  *empty = batch == 0 || M == 0 || N == 0;
  if (*empty) return true;
  if (!checkOperand(env, "a", v[1], v[10], batch, M * K, length) || !checkOperand(env, "b", v[2], v[11], batch, K * N, length) ||
      !checkOperand(env, "c", v[3], v[12], batch, M * N, length))
    return false;
  char* base = static_cast<char*>(data);
  *g = trm::GemmArgs{reinterpret_cast<const float*>(base + v[1]), reinterpret_cast<const float*>(base + v[2]), reinterpret_cast<float*>(base + v[3]),
                     M, N, K, tA, tB, batch, v[10] / 4, v[11] / 4, v[12] / 4};
  if (addend) {
    int64_t off = 0;
    if (!int64Arg(env, *addend, "addend", &off) || !checkOperand(env, "addend", off, v[12], batch, M * N, length)) return false;
    g->addend = reinterpret_cast<const float*>(base + off);
  }
  return true;
}

napi_value Gemm(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 13 && argc != 14) { throwError(env, "expected 13 arguments (buffer, a, b, c, M, N, K, transA, transB, batch, strideA, strideB, strideC) and an optional addend"); return nullptr; }
  trm::GemmArgs g;
  bool empty = false;
  if (gemmArgs(env, argv, &g, &empty, argc == 14 ? &argv[13] : nullptr) && !empty) trm::gemm(g);
  return nullptr;
}

const trm::Bf16Kernel bf16Kernels[] = {trm::Bf16Kernel::Avx512, trm::Bf16Kernel::Neon, trm::Bf16Kernel::Fma, trm::Bf16Kernel::Reference};

// The bfloat16 kernel named by a JS string ("" = the best one); false (an exception pending) when unknown or absent.
bool bf16KernelArg(napi_env env, napi_value v, const char* fn, trm::Bf16Kernel* kernel) {
  char name[32] = {};
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, name, sizeof name, &len) != napi_ok) { throwError(env, std::string(fn) + ": kernel must be a string"); return false; }
  *kernel = trm::bf16KernelBest();
  if (len == 0) return true;
  bool found = false;
  for (trm::Bf16Kernel k : bf16Kernels)
    if (std::string(name) == trm::bf16KernelName(k)) *kernel = k, found = true;
  if (!found || !trm::bf16KernelAvailable(*kernel)) {
    throwError(env, std::string(fn) + ": kernel \"" + name + "\" " + (found ? "is not available on this CPU" : "is unknown") + " (see bf16Kernels())");
    return false;
  }
  return true;
}

// gemmBf16(buffer, a, b, c, M, N, K, transA, transB, batch, strideA, strideB, strideC, roundOutput, kernel[, addend]): kernel
// is a name of bf16Kernels() or "" for the best one.
napi_value GemmBf16(napi_env env, napi_callback_info info) {
  size_t argc = 16;
  napi_value argv[16];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 15 && argc != 16) {
    throwError(env, "gemmBf16: expected 15 arguments (buffer, a, b, c, M, N, K, transA, transB, batch, strideA, strideB, strideC, roundOutput, kernel) and an optional addend");
    return nullptr;
  }
  bool round = false;
  napi_get_value_bool(env, argv[13], &round);
  trm::Bf16Kernel kernel;
  if (!bf16KernelArg(env, argv[14], "gemmBf16", &kernel)) return nullptr;
  trm::GemmArgs g;
  bool empty = false;
  if (gemmArgs(env, argv, &g, &empty, argc == 16 ? &argv[15] : nullptr) && !empty) trm::gemmBf16(g, round, kernel);
  return nullptr;
}


// bf16Kernels() -> the names of the bfloat16 GEMM kernels this CPU runs, the default first ("reference" last).
napi_value Bf16Kernels(napi_env env, napi_callback_info) {
  napi_value arr, x;
  napi_create_array(env, &arr);
  uint32_t i = 0;
  const trm::Bf16Kernel best = trm::bf16KernelBest();
  napi_create_string_utf8(env, trm::bf16KernelName(best), NAPI_AUTO_LENGTH, &x);
  napi_set_element(env, arr, i++, x);
  for (trm::Bf16Kernel k : bf16Kernels)
    if (k != best && trm::bf16KernelAvailable(k)) {
      napi_create_string_utf8(env, trm::bf16KernelName(k), NAPI_AUTO_LENGTH, &x);
      napi_set_element(env, arr, i++, x);
    }
  return arr;
}

// The buffer argument and `count` integer arguments after it, then the number `extra` when asked for; throws
// (returns null) when they are not that. With `bf16`, one more optional boolean argument (absent: false).
char* bufferAndInts(napi_env env, napi_callback_info info, const char* fn, const char* const* names, int count, int64_t* v, size_t* length, double* extra = nullptr,
                    bool* bf16 = nullptr) {
  size_t argc = 12;
  napi_value argv[12];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const size_t want = 1 + count + (extra ? 1 : 0);
  if (argc != want && !(bf16 && argc == want + 1)) {
    throwError(env, std::string(fn) + ": expected " + std::to_string(want) + (bf16 ? " arguments (and an optional bf16 flag)" : " arguments"));
    return nullptr;
  }
  if (bf16) {
    *bf16 = false;
    if (argc == want + 1 && napi_get_value_bool(env, argv[want], bf16) != napi_ok) { throwError(env, std::string(fn) + ": the bf16 flag must be a boolean"); return nullptr; }
  }
  void* data = nullptr;
  bool isAb = false;
  napi_is_arraybuffer(env, argv[0], &isAb);
  if (!isAb || napi_get_arraybuffer_info(env, argv[0], &data, length) != napi_ok) { throwError(env, std::string(fn) + ": buffer must be an ArrayBuffer"); return nullptr; }
  for (int i = 0; i < count; i++)
    if (!int64Arg(env, argv[1 + i], names[i], &v[i])) return nullptr;
  if (extra && napi_get_value_double(env, argv[1 + count], extra) != napi_ok) { throwError(env, std::string(fn) + ": the last argument must be a number"); return nullptr; }
  return static_cast<char*>(data);
}

// Checks `floats` float32 values at byte offset `off` fit in the buffer (batch 1 of checkOperand).
bool checkRange(napi_env env, const char* name, int64_t off, int64_t floats, size_t length) { return checkOperand(env, name, off, 0, 1, floats, length); }

float* at(char* base, int64_t off) { return reinterpret_cast<float*>(base + off); }

// attentionForward(buffer, q, k, v, out, heads, S, hd, scale, bf16, kernel) and
// attentionBackward(buffer, dout, q, k, v, dq, dk, dv, heads, S, hd, scale, bf16, kernel) of attention.h; every
// tensor [heads, S, hd] at a byte offset into buffer, kernel as in gemmBf16 (used when bf16).
napi_value Attention(napi_env env, napi_callback_info info, bool backward) {
  const char* fn = backward ? "attentionBackward" : "attentionForward";
  const int tensors = backward ? 7 : 4;
  size_t argc = 15;
  napi_value argv[15];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != static_cast<size_t>(tensors + 7)) { throwError(env, std::string(fn) + ": expected " + std::to_string(tensors + 7) + " arguments"); return nullptr; }
  void* data = nullptr;
  size_t length = 0;
  bool isAb = false;
  napi_is_arraybuffer(env, argv[0], &isAb);
  if (!isAb || napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok) { throwError(env, std::string(fn) + ": buffer must be an ArrayBuffer"); return nullptr; }
  static const char* fwd[] = {"q", "k", "v", "out"};
  static const char* bwd[] = {"dout", "q", "k", "v", "dq", "dk", "dv"};
  const char* const* names = backward ? bwd : fwd;
  int64_t off[7], dims[3];
  for (int i = 0; i < tensors; i++)
    if (!int64Arg(env, argv[1 + i], names[i], &off[i])) return nullptr;
  static const char* dimNames[] = {"heads", "S", "hd"};
  for (int i = 0; i < 3; i++)
    if (!int64Arg(env, argv[1 + tensors + i], dimNames[i], &dims[i])) return nullptr;
  double scale = 0;
  bool bf16 = false;
  if (napi_get_value_double(env, argv[4 + tensors], &scale) != napi_ok) { throwError(env, std::string(fn) + ": scale must be a number"); return nullptr; }
  napi_get_value_bool(env, argv[5 + tensors], &bf16);
  trm::Bf16Kernel kernel = trm::Bf16Kernel::Fma;
  if (bf16 && !bf16KernelArg(env, argv[6 + tensors], fn, &kernel)) return nullptr;
  const int64_t n = dims[0] * dims[1] * dims[2];
  for (int i = 0; i < tensors; i++)
    if (!checkRange(env, names[i], off[i], n, length)) return nullptr;
  if (n == 0) return nullptr;
  char* base = static_cast<char*>(data);
  const trm::AttentionArgs a{dims[0], dims[1], dims[2], static_cast<float>(scale), bf16, kernel};
  if (backward)
    trm::attentionBackward(a, at(base, off[0]), at(base, off[1]), at(base, off[2]), at(base, off[3]), at(base, off[4]), at(base, off[5]), at(base, off[6]));
  else
    trm::attentionForward(a, at(base, off[0]), at(base, off[1]), at(base, off[2]), at(base, off[3]));
  return nullptr;
}

napi_value AttentionForward(napi_env env, napi_callback_info info) { return Attention(env, info, false); }
napi_value AttentionBackward(napi_env env, napi_callback_info info) { return Attention(env, info, true); }

// gemmSwiglu(buffer, x, gate, up, a, g, u, rows, K, inner, saveGU, bf16, kernel) -> whether it ran (gemm.h): a, and
// g and u when saveGU, from x [rows, K] and gate, up [inner, K]; in bfloat16 with bf16 (kernel as in gemmBf16).
napi_value GemmSwiglu(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 13) { throwError(env, "gemmSwiglu: expected 13 arguments (buffer, x, gate, up, a, g, u, rows, K, inner, saveGU, bf16, kernel)"); return nullptr; }
  void* data = nullptr;
  size_t length = 0;
  bool isAb = false;
  napi_is_arraybuffer(env, argv[0], &isAb);
  if (!isAb || napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok) { throwError(env, "gemmSwiglu: buffer must be an ArrayBuffer"); return nullptr; }
  static const char* names[] = {"", "x", "gate", "up", "a", "g", "u", "rows", "K", "inner"};
  int64_t v[10] = {};
  for (int i = 1; i < 10; i++)
    if (!int64Arg(env, argv[i], names[i], &v[i])) return nullptr;
  bool save = false, bf16 = false;
  napi_get_value_bool(env, argv[10], &save);
  napi_get_value_bool(env, argv[11], &bf16);
  trm::Bf16Kernel kernel = trm::Bf16Kernel::Fma;
  if (bf16 && !bf16KernelArg(env, argv[12], "gemmSwiglu", &kernel)) return nullptr;
  const int64_t rows = v[7], K = v[8], inner = v[9];
  const int64_t sizes[] = {0, rows * K, inner * K, inner * K, rows * inner, rows * inner, rows * inner};
  for (int i = 1; i < (save ? 7 : 5); i++)
    if (!checkRange(env, names[i], v[i], sizes[i], length)) return nullptr;
  char* base = static_cast<char*>(data);
  const trm::SwigluArgs s{at(base, v[1]), at(base, v[2]), at(base, v[3]), at(base, v[4]), save ? at(base, v[5]) : nullptr, save ? at(base, v[6]) : nullptr,
                          rows, K, inner};
  const bool ran = rows > 0 && (bf16 ? trm::gemmSwigluBf16(s, kernel) : trm::gemmSwiglu(s));
  napi_value out;
  napi_get_boolean(env, ran, &out);
  return out;
}

napi_value SwigluForward(napi_env env, napi_callback_info info) {
  static const char* names[] = {"g", "u", "a", "n"};
  int64_t v[4];
  size_t length = 0;
  bool bf16 = false;
  char* base = bufferAndInts(env, info, "swigluForward", names, 4, v, &length, nullptr, &bf16);
  if (!base) return nullptr;
  for (int i = 0; i < 3; i++)
    if (!checkRange(env, names[i], v[i], v[3], length)) return nullptr;
  trm::swigluForward(at(base, v[0]), at(base, v[1]), at(base, v[2]), v[3], bf16);
  return nullptr;
}

napi_value SwigluBackward(napi_env env, napi_callback_info info) {
  static const char* names[] = {"da", "g", "u", "a", "dg", "du", "n"};
  int64_t v[7];
  size_t length = 0;
  bool bf16 = false;
  char* base = bufferAndInts(env, info, "swigluBackward", names, 7, v, &length, nullptr, &bf16);
  if (!base) return nullptr;
  for (int i = 0; i < 6; i++)
    if (!checkRange(env, names[i], v[i], v[6], length)) return nullptr;
  trm::swigluBackward(at(base, v[0]), at(base, v[1]), at(base, v[2]), at(base, v[3]), at(base, v[4]), at(base, v[5]), v[6], bf16);
  return nullptr;
}

napi_value RmsNormForward(napi_env env, napi_callback_info info) {
  static const char* names[] = {"x", "y", "r", "rows", "w"};
  int64_t v[5];
  size_t length = 0;
  double eps = 0;
  bool bf16 = false;
  char* base = bufferAndInts(env, info, "rmsNormForward", names, 5, v, &length, &eps, &bf16);
  if (!base) return nullptr;
  const int64_t n = v[3] * v[4];
  if (!checkRange(env, "x", v[0], n, length) || !checkRange(env, "y", v[1], n, length) || !checkRange(env, "r", v[2], v[3], length)) return nullptr;
  trm::rmsNormForward(at(base, v[0]), at(base, v[1]), at(base, v[2]), v[3], v[4], static_cast<float>(eps), bf16);
  return nullptr;
}

napi_value AddRmsNormForward(napi_env env, napi_callback_info info) {
  static const char* names[] = {"x", "o", "y", "r", "rows", "w"};
  int64_t v[6];
  size_t length = 0;
  double eps = 0;
  bool bf16 = false;
  char* base = bufferAndInts(env, info, "addRmsNormForward", names, 6, v, &length, &eps, &bf16);
  if (!base) return nullptr;
  const int64_t n = v[4] * v[5];
  if (!checkRange(env, "x", v[0], n, length) || !checkRange(env, "o", v[1], n, length) || !checkRange(env, "y", v[2], n, length) ||
      !checkRange(env, "r", v[3], v[4], length))
    return nullptr;
  trm::addRmsNormForward(at(base, v[0]), at(base, v[1]), at(base, v[2]), at(base, v[3]), v[4], v[5], static_cast<float>(eps), bf16);
  return nullptr;
}

napi_value SoftmaxForward(napi_env env, napi_callback_info info) {
  static const char* names[] = {"x", "y", "rows", "w"};
  int64_t v[4];
  size_t length = 0;
  double scale = 1;
  bool bf16 = false;
  char* base = bufferAndInts(env, info, "softmaxForward", names, 4, v, &length, &scale, &bf16);
  if (!base) return nullptr;
  const int64_t n = v[2] * v[3];
  if (!checkRange(env, "x", v[0], n, length) || !checkRange(env, "y", v[1], n, length)) return nullptr;
  trm::softmaxForward(at(base, v[0]), at(base, v[1]), v[2], v[3], static_cast<float>(scale), bf16);
  return nullptr;
}

napi_value SoftmaxBackward(napi_env env, napi_callback_info info) {
  static const char* names[] = {"dp", "p", "ds", "rows", "w"};
  int64_t v[5];
  size_t length = 0;
  double scale = 1;
  bool bf16 = false;
  char* base = bufferAndInts(env, info, "softmaxBackward", names, 5, v, &length, &scale, &bf16);
  if (!base) return nullptr;
  const int64_t n = v[3] * v[4];
  for (int i = 0; i < 3; i++)
    if (!checkRange(env, names[i], v[i], n, length)) return nullptr;
  trm::softmaxBackward(at(base, v[0]), at(base, v[1]), at(base, v[2]), v[3], v[4], static_cast<float>(scale), bf16);
  return nullptr;
}

// ropeForward / ropeBackward: (buffer, in, cos, sin, out, rows, S, hd)
napi_value Rope(napi_env env, napi_callback_info info, const char* fn, void (*kernel)(const float*, const float*, const float*, float*, long, long, long, bool)) {
  static const char* names[] = {"x", "cos", "sin", "out", "rows", "S", "hd"};
  int64_t v[7];
  size_t length = 0;
  bool bf16 = false;
  char* base = bufferAndInts(env, info, fn, names, 7, v, &length, nullptr, &bf16);
  if (!base) return nullptr;
  if (v[6] % 2 != 0 || v[5] == 0) { throwError(env, std::string(fn) + ": hd must be even and S positive"); return nullptr; }
  const int64_t n = v[4] * v[6];
  if (!checkRange(env, "x", v[0], n, length) || !checkRange(env, "cos", v[1], v[5] * v[6], length) || !checkRange(env, "sin", v[2], v[5] * v[6], length) ||
      !checkRange(env, "out", v[3], n, length))
    return nullptr;
  kernel(at(base, v[0]), at(base, v[1]), at(base, v[2]), at(base, v[3]), v[4], v[5], v[6], bf16);
  return nullptr;
}

napi_value RopeForward(napi_env env, napi_callback_info info) { return Rope(env, info, "ropeForward", trm::ropeForward); }
napi_value RopeBackward(napi_env env, napi_callback_info info) { return Rope(env, info, "ropeBackward", trm::ropeBackward); }

napi_value RmsNormBackward(napi_env env, napi_callback_info info) {
  static const char* names[] = {"dy", "y", "r", "dx", "rows", "w"};
  int64_t v[6];
  size_t length = 0;
  bool bf16 = false;
  char* base = bufferAndInts(env, info, "rmsNormBackward", names, 6, v, &length, nullptr, &bf16);
  if (!base) return nullptr;
  const int64_t n = v[4] * v[5];
  if (!checkRange(env, "dy", v[0], n, length) || !checkRange(env, "y", v[1], n, length) || !checkRange(env, "r", v[2], v[4], length) ||
      !checkRange(env, "dx", v[3], n, length))
    return nullptr;
  trm::rmsNormBackward(at(base, v[0]), at(base, v[1]), at(base, v[2]), at(base, v[3]), v[4], v[5], bf16);
  return nullptr;
}

napi_value TransposeSwap(napi_env env, napi_callback_info info) {
  static const char* names[] = {"src", "dst", "outer", "A", "B", "inner"};
  int64_t v[6];
  size_t length = 0;
  char* base = bufferAndInts(env, info, "transposeSwap", names, 6, v, &length);
  if (!base) return nullptr;
  const int64_t n = v[2] * v[3] * v[4] * v[5];
  if (!checkRange(env, "src", v[0], n, length) || !checkRange(env, "dst", v[1], n, length)) return nullptr;
  if (n > 0 && v[0] < v[1] + n * 4 && v[1] < v[0] + n * 4) { throwError(env, "transposeSwap: src and dst overlap"); return nullptr; }
  trm::transposeSwap(at(base, v[0]), at(base, v[1]), v[2], v[3], v[4], v[5]);
  return nullptr;
}

napi_value RoundBf16(napi_env env, napi_callback_info info) {
  static const char* names[] = {"x", "y", "n"};
  int64_t v[3];
  size_t length = 0;
  char* base = bufferAndInts(env, info, "roundBf16", names, 3, v, &length);
  if (!base) return nullptr;
  if (!checkRange(env, "x", v[0], v[2], length) || !checkRange(env, "y", v[1], v[2], length)) return nullptr;
  trm::roundToBf16(at(base, v[0]), at(base, v[1]), v[2]);
  return nullptr;
}

// exp and sigmoid of the element-wise kernels on a Float32Array, element by element (accuracy tests).
napi_value MapScalar(napi_env env, napi_callback_info info, float (*f)(float)) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  napi_typedarray_type type;
  size_t n = 0;
  void* data = nullptr;
  bool isTa = false;
  napi_is_typedarray(env, argv[0], &isTa);
  if (argc != 1 || !isTa || napi_get_typedarray_info(env, argv[0], &type, &n, &data, nullptr, nullptr) != napi_ok || type != napi_float32_array) {
    throwError(env, "expected one Float32Array");
    return nullptr;
  }
  float* p = static_cast<float*>(data);
  for (size_t i = 0; i < n; i++) p[i] = f(p[i]);
  return nullptr;
}

napi_value ExpInPlace(napi_env env, napi_callback_info info) { return MapScalar(env, info, trm::expScalar); }
napi_value SigmoidInPlace(napi_env env, napi_callback_info info) { return MapScalar(env, info, trm::sigmoidScalar); }

// `count` Float32Arrays of equal length, then `nums` numbers; throws (returns false) when they are not that.
bool floatArraysAndNumbers(napi_env env, napi_callback_info info, const char* fn, const char* const* names, int count, float** arrays, size_t* n, int nums, double* numbers) {
  size_t argc = 10;
  napi_value argv[10];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != static_cast<size_t>(count + nums)) { throwError(env, std::string(fn) + ": expected " + std::to_string(count + nums) + " arguments"); return false; }
  for (int i = 0; i < count; i++) {
    bool isTa = false;
    napi_typedarray_type type;
    size_t len = 0;
    void* data = nullptr;
    napi_is_typedarray(env, argv[i], &isTa);
    if (!isTa || napi_get_typedarray_info(env, argv[i], &type, &len, &data, nullptr, nullptr) != napi_ok || type != napi_float32_array) {
      throwError(env, std::string(fn) + ": " + names[i] + " must be a Float32Array");
      return false;
    }
    if (i > 0 && len != *n) { throwError(env, std::string(fn) + ": " + names[i] + " has " + std::to_string(len) + " floats, " + names[0] + " " + std::to_string(*n)); return false; }
    *n = len;
    arrays[i] = static_cast<float*>(data);
  }
  for (int i = 0; i < nums; i++)
    if (napi_get_value_double(env, argv[count + i], &numbers[i]) != napi_ok) { throwError(env, std::string(fn) + ": argument " + std::to_string(count + i + 1) + " must be a number"); return false; }
  return true;
}

napi_value AdamAtan2Shard(napi_env env, napi_callback_info info) {
  static const char* names[] = {"param", "grad", "exp_avg", "exp_avg_sq"};
  float* a[4];
  size_t n = 0;
  double s[5];
  if (!floatArraysAndNumbers(env, info, "adamAtan2Shard", names, 4, a, &n, 5, s)) return nullptr;
  trm::adamAtan2Update(a[0], a[1], a[2], a[3], static_cast<long>(n),
                       {static_cast<float>(s[0]), static_cast<float>(s[1]), static_cast<float>(s[2]), static_cast<float>(s[3]), static_cast<float>(s[4])});
  return nullptr;
}

napi_value EmaShard(napi_env env, napi_callback_info info) {
  static const char* names[] = {"shadow", "param"};
  float* a[2];
  size_t n = 0;
  double s[2];
  if (!floatArraysAndNumbers(env, info, "emaShard", names, 2, a, &n, 2, s)) return nullptr;
  trm::emaUpdate(a[0], a[1], static_cast<long>(n), static_cast<float>(s[0]), static_cast<float>(s[1]));
  return nullptr;
}

napi_value Atan2Map(napi_env env, napi_callback_info info) {
  static const char* names[] = {"y", "x", "out"};
  float* a[3];
  size_t n = 0;
  if (!floatArraysAndNumbers(env, info, "atan2Map", names, 3, a, &n, 0, nullptr)) return nullptr;
  trm::atan2Map(a[0], a[1], a[2], static_cast<long>(n));
  return nullptr;
}

napi_value Shape(napi_env env, napi_callback_info) {
  const trm::GemmShape s = trm::gemmShape();
  napi_value obj;
  napi_create_object(env, &obj);
  const std::pair<const char*, int> fields[] = {{"vecWidth", s.vecWidth}, {"mr", s.mr}, {"nr", s.nr}, {"kc", s.kc}, {"mc", s.mc}, {"nc", s.nc}};
  for (const auto& [name, value] : fields) {
    napi_value x;
    napi_create_int32(env, value, &x);
    napi_set_named_property(env, obj, name, x);
  }
  return obj;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "gemm", NAPI_AUTO_LENGTH, Gemm, nullptr, &fn);
  napi_set_named_property(env, exports, "gemm", fn);
  const std::pair<const char*, napi_callback> fns[] = {{"shape", Shape}, {"swigluForward", SwigluForward}, {"swigluBackward", SwigluBackward},
      {"rmsNormForward", RmsNormForward}, {"addRmsNormForward", AddRmsNormForward}, {"softmaxForward", SoftmaxForward}, {"softmaxBackward", SoftmaxBackward},
      {"ropeForward", RopeForward}, {"ropeBackward", RopeBackward}, {"rmsNormBackward", RmsNormBackward}, {"transposeSwap", TransposeSwap}, {"gemmBf16", GemmBf16}, {"gemmSwiglu", GemmSwiglu}, {"attentionForward", AttentionForward}, {"attentionBackward", AttentionBackward}, {"bf16Kernels", Bf16Kernels}, {"roundBf16", RoundBf16}, {"expInPlace", ExpInPlace}, {"sigmoidInPlace", SigmoidInPlace},
      {"adamAtan2Shard", AdamAtan2Shard}, {"emaShard", EmaShard}, {"atan2Map", Atan2Map}};
  for (const auto& [name, cb] : fns) {
    napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
    napi_set_named_property(env, exports, name, fn);
  }
  return exports;
}
