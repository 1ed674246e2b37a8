// N-API face of gemm.cc. One call runs a whole batched product in place in a JS ArrayBuffer (tfjs-wasm's heap):
//   gemm(buffer, a, b, c, M, N, K, transA, transB, batch, strideA, strideB, strideC)
// a, b, c = byte offsets into buffer; strides in bytes between consecutive products (0 = broadcast).
//   shape() -> { vecWidth, mr, nr, kc, mc, nc }
// Context-aware (NAPI_MODULE_INIT), so every worker thread can load it.
#include <node_api.h>

#include <cstdint>
#include <string>

#include "gemm.h"

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

napi_value Gemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 13) { throwError(env, "expected 13 arguments (buffer, a, b, c, M, N, K, transA, transB, batch, strideA, strideB, strideC)"); return nullptr; }
  void* data = nullptr;
  size_t length = 0;
  bool isAb = false;
  napi_is_arraybuffer(env, argv[0], &isAb);
  if (!isAb || napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok) { throwError(env, "buffer must be an ArrayBuffer"); return nullptr; }
  static const char* names[] = {"", "a", "b", "c", "M", "N", "K", "", "", "batch", "strideA", "strideB", "strideC"};
  int64_t v[13] = {};
  for (int i : {1, 2, 3, 4, 5, 6, 9, 10, 11, 12})
    if (!int64Arg(env, argv[i], names[i], &v[i])) return nullptr;
  bool tA = false, tB = false;
  napi_get_value_bool(env, argv[7], &tA);
  napi_get_value_bool(env, argv[8], &tB);
  const int64_t M = v[4], N = v[5], K = v[6], batch = v[9];
  if (batch == 0 || M == 0 || N == 0) return nullptr;
  if (!checkOperand(env, "a", v[1], v[10], batch, M * K, length) || !checkOperand(env, "b", v[2], v[11], batch, K * N, length) ||
      !checkOperand(env, "c", v[3], v[12], batch, M * N, length))
    return nullptr;
  char* base = static_cast<char*>(data);
  trm::GemmArgs g{reinterpret_cast<const float*>(base + v[1]), reinterpret_cast<const float*>(base + v[2]), reinterpret_cast<float*>(base + v[3]),
                  M, N, K, tA, tB, batch, v[10] / 4, v[11] / 4, v[12] / 4};
  trm::gemm(g);
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
  napi_create_function(env, "shape", NAPI_AUTO_LENGTH, Shape, nullptr, &fn);
  napi_set_named_property(env, exports, "shape", fn);
  return exports;
}
