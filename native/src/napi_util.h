// Checked Node-API helpers: argument unpacking with type/length validation that throws JS errors.
#pragma once
#include <node_api.h>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <string>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace al {

/** Thrown inside a binding to abort it; converted to a JS exception at the boundary. */
struct ArgError {
  std::string msg;
};

/**
 * Ask Linux for transparent huge pages on an output array of at least 32 MiB before the kernel first
 * writes it. Such arrays are fresh mmap()s (smaller ones are reused from the malloc heap), and faulting
 * them in 4 KiB pages costs more than the kernel itself (a 120 MB add: 60 → 36 ms). Advice only: the
 * memory stays owned by JS; harmless on pages already touched.
 */
inline void adviseHugeOutput(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t(2) << 20;
  if (bytes < (size_t(32) << 20)) return;
  const uintptr_t b = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t e = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (e > b) (void)madvise(reinterpret_cast<void*>(b), e - b, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

/** A typed-array argument: its element type, element count and data pointer. */
struct Arr {
  napi_typedarray_type type;
  size_t length;
  void* data;
  float* f32() const { return static_cast<float*>(data); }
  int32_t* i32() const { return static_cast<int32_t*>(data); }
  uint8_t* u8() const { return static_cast<uint8_t*>(data); }
};

/** Fail with a JS error when a N-API call does not return napi_ok. */
#define AL_CHECK(env, call)                                            \
  do {                                                                 \
    if ((call) != napi_ok) throw ::al::ArgError{"N-API call failed: " #call}; \
  } while (0)

/** The call's arguments, fetched once. */
struct Args {
  napi_env env;
  size_t argc;
  napi_value argv[12];
  Args(napi_env e, napi_callback_info info, size_t expected, const char* fn) : env(e), argc(12) {
    AL_CHECK(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
    if (argc < expected) throw ArgError{std::string(fn) + ": expected " + std::to_string(expected) + " arguments"};
  }
  Arr arr(size_t i, const char* name) const {
    bool is = false;
    AL_CHECK(env, napi_is_typedarray(env, argv[i], &is));
    if (!is) throw ArgError{std::string(name) + " must be a typed array"};
    Arr a{};
    napi_value ab;
    size_t off = 0;
    AL_CHECK(env, napi_get_typedarray_info(env, argv[i], &a.type, &a.length, &a.data, &ab, &off));
    return a;
  }
  Arr f32(size_t i, const char* name, size_t minLen) const {
    Arr a = arr(i, name);
    if (a.type != napi_float32_array) throw ArgError{std::string(name) + " must be a Float32Array"};
    if (a.length < minLen) throw ArgError{std::string(name) + " is too short (" + std::to_string(a.length) + " < " + std::to_string(minLen) + ")"};
    return a;
  }
  Arr i32(size_t i, const char* name, size_t minLen) const {
    Arr a = arr(i, name);
    if (a.type != napi_int32_array) throw ArgError{std::string(name) + " must be an Int32Array"};
    if (a.length < minLen) throw ArgError{std::string(name) + " is too short (" + std::to_string(a.length) + " < " + std::to_string(minLen) + ")"};
    return a;
  }
  /** An output Float32Array (huge-page advice for large ones). */
  Arr f32out(size_t i, const char* name, size_t minLen) const {
    Arr a = f32(i, name, minLen);
    adviseHugeOutput(a.data, a.length * 4);
    return a;
  }
  Arr u8(size_t i, const char* name, size_t minLen) const {
    Arr a = arr(i, name);
    if (a.type != napi_uint8_array) throw ArgError{std::string(name) + " must be a Uint8Array"};
    if (a.length < minLen) throw ArgError{std::string(name) + " is too short"};
    return a;
  }
  /** A 4-byte element array (Float32Array or Int32Array), for dtype-agnostic copies. */
  Arr word(size_t i, const char* name, size_t minLen) const {
    Arr a = arr(i, name);
    if (a.type != napi_float32_array && a.type != napi_int32_array) throw ArgError{std::string(name) + " must be a Float32Array or Int32Array"};
    if (a.length < minLen) throw ArgError{std::string(name) + " is too short"};
    return a;
  }
  int64_t int_(size_t i, const char* name) const {
    int64_t v = 0;
    if (napi_get_value_int64(env, argv[i], &v) != napi_ok) throw ArgError{std::string(name) + " must be a number"};
    return v;
  }
  double num(size_t i, const char* name) const {
    double v = 0;
    if (napi_get_value_double(env, argv[i], &v) != napi_ok) throw ArgError{std::string(name) + " must be a number"};
    return v;
  }
};

inline void require(bool ok, const char* msg) {
  if (!ok) throw ArgError{msg};
}

}  // namespace al

/** Define a binding whose body may throw al::ArgError; errors become JS exceptions. */
#define AL_BINDING(name)                                                         \
  static void name##_impl(napi_env env, napi_callback_info info);                \
  static napi_value name(napi_env env, napi_callback_info info) {                \
    try {                                                                        \
      name##_impl(env, info);                                                    \
    } catch (const ::al::ArgError& e) {                                          \
      napi_throw_error(env, "ADAPTLAB_NATIVE", (std::string(#name ": ") + e.msg).c_str()); \
    } catch (const std::bad_alloc&) {                                            \
      napi_throw_error(env, "ADAPTLAB_NATIVE", #name ": out of memory");        \
    } catch (const std::exception& e) {                                          \
      napi_throw_error(env, "ADAPTLAB_NATIVE", (std::string(#name ": ") + e.what()).c_str()); \
    }                                                                            \
    return nullptr;                                                              \
  }                                                                              \
  static void name##_impl(napi_env env, napi_callback_info info)
