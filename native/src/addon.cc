// Module entry: registers every kernel binding plus info/setThreads/setIsa and the op-code table on the exports object.
#include <node_api.h>

#include <cstring>

#include "bindings.h"
#include "cpu.h"
#include "gemm.h"
#include "opcodes.h"
#include "pool.h"

namespace al {

static napi_value makeString(napi_env env, const char* s) {
  napi_value v;
  if (napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v) != napi_ok) throw ArgError{"cannot create string"};
  return v;
}

static napi_value makeInfo(napi_env env) {
  napi_value o, t;
  AL_CHECK(env, napi_create_object(env, &o));
  AL_CHECK(env, napi_set_named_property(env, o, "isa", makeString(env, isaName(activeIsa()))));
  AL_CHECK(env, napi_set_named_property(env, o, "detectedIsa", makeString(env, isaName(detectIsa()))));
  AL_CHECK(env, napi_set_named_property(env, o, "gemm", makeString(env, gemmKernelName())));
  AL_CHECK(env, napi_create_int32(env, poolThreads(), &t));
  AL_CHECK(env, napi_set_named_property(env, o, "threads", t));
#if defined(__VERSION__)
  AL_CHECK(env, napi_set_named_property(env, o, "compiler", makeString(env, __VERSION__)));
#endif
  return o;
}

/** Set obj[name] = code, dropping a trailing '_' from the C++ identifier (`not_` is exported as "not"). */
static void setOpcode(napi_env env, napi_value obj, const char* id, int code) {
  std::string name(id);
  if (!name.empty() && name.back() == '_') name.pop_back();
  napi_value v;
  AL_CHECK(env, napi_create_int32(env, code, &v));
  AL_CHECK(env, napi_set_named_property(env, obj, name.c_str(), v));
}

/** { unary: { neg: 0, ... }, binary: {...}, compare: {...}, reduce: {...}, argReduce: {...} } from opcodes.h. */
static napi_value makeOpcodes(napi_env env) {
  napi_value all;
  AL_CHECK(env, napi_create_object(env, &all));
#define AL_OP_PROPERTY(id) setOpcode(env, family, #id, code++);
#define AL_OP_FAMILY(js, LIST)                                        \
  {                                                                   \
    napi_value family;                                                \
    AL_CHECK(env, napi_create_object(env, &family));                  \
    int code = 0;                                                     \
    LIST(AL_OP_PROPERTY)                                              \
    AL_CHECK(env, napi_set_named_property(env, all, #js, family));    \
  }
  AL_OP_FAMILIES(AL_OP_FAMILY)
#undef AL_OP_FAMILY
#undef AL_OP_PROPERTY
  return all;
}

static napi_value infoFn(napi_env env, napi_callback_info) {
  try {
    return makeInfo(env);
  } catch (const ArgError& e) {
    napi_throw_error(env, "ADAPTLAB_NATIVE", e.msg.c_str());
    return nullptr;
  }
}

/** setThreads(n): resize the pool; returns info. */
static napi_value setThreadsFn(napi_env env, napi_callback_info cb) {
  try {
    Args A(env, cb, 1, "setThreads");
    int64_t n = A.int_(0, "threads");
    require(n >= 1 && n <= 1024, "threads must be in [1, 1024]");
    setPoolThreads(int(n));
    return makeInfo(env);
  } catch (const ArgError& e) {
    napi_throw_error(env, "ADAPTLAB_NATIVE", ("setThreads: " + e.msg).c_str());
    return nullptr;
  } catch (const std::exception& e) {
    napi_throw_error(env, "ADAPTLAB_NATIVE", (std::string("setThreads: ") + e.what()).c_str());
    return nullptr;
  }
}

/** setIsa("avx512" | "avx2" | "baseline"): lower the dispatch level (for tests); returns info. */
static napi_value setIsaFn(napi_env env, napi_callback_info cb) {
  try {
    Args A(env, cb, 1, "setIsa");
    char buf[32] = {0};
    size_t len = 0;
    if (napi_get_value_string_utf8(env, A.argv[0], buf, sizeof buf, &len) != napi_ok) throw ArgError{"isa must be a string"};
    Isa want;
    if (!std::strcmp(buf, "avx512")) want = Isa::Avx512;
    else if (!std::strcmp(buf, "avx2")) want = Isa::Avx2;
    else if (!std::strcmp(buf, "baseline")) want = Isa::Baseline;
    else throw ArgError{"isa must be avx512, avx2 or baseline"};
    setIsa(want);
    return makeInfo(env);
  } catch (const ArgError& e) {
    napi_throw_error(env, "ADAPTLAB_NATIVE", ("setIsa: " + e.msg).c_str());
    return nullptr;
  }
}

}  // namespace al

NAPI_MODULE_INIT() {
  al::Registry r;
  r.add("info", al::infoFn);
  r.add("setThreads", al::setThreadsFn);
  r.add("setIsa", al::setIsaFn);
  al::registerLinalg(r);
  al::registerConv(r);
  al::registerElementwise(r);
  al::registerReduce(r);
  al::registerLayout(r);
  al::registerFused(r);
  for (auto& f : r.fns) {
    napi_value fn;
    if (napi_create_function(env, f.first, NAPI_AUTO_LENGTH, f.second, nullptr, &fn) != napi_ok) return nullptr;
    if (napi_set_named_property(env, exports, f.first, fn) != napi_ok) return nullptr;
  }
  try {
    if (napi_set_named_property(env, exports, "opcodes", al::makeOpcodes(env)) != napi_ok) return nullptr;
  } catch (const al::ArgError& e) {
    napi_throw_error(env, "ADAPTLAB_NATIVE", e.msg.c_str());
    return nullptr;
  }
  return exports;
}
