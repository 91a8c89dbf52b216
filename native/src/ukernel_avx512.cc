// AVX-512 micro-kernels (16-wide): the shared body of ukernel_simd.h over 512-bit vectors, compiled with -mavx512f, used only when cpuid reports it.
#include <immintrin.h>

#include "ukernel.h"

namespace al {
namespace {

/** 16 float lanes in a __m512. */
struct Simd {
  typedef __m512 V;
  static constexpr int L = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
};

}  // namespace
}  // namespace al

#include "ukernel_simd.h"

namespace al {

UkrSet ukernelsAvx512() { return UkrSet{"avx512 8x48/12x32", 2, {{8, 48, ukr<8, 3>}, {12, 32, ukr<12, 2>}}}; }

DconvSet dconvAvx512() {
  return DconvSet{16, {24, 12, 8, 6}, {{dfwd<24, 1, 1>, dfwd<12, 2, 1>, dfwd<8, 3, 1>, dfwd<6, 4, 1>}, {dfwd<24, 1, 2>, dfwd<12, 2, 2>, dfwd<8, 3, 2>, dfwd<6, 4, 2>}},
                  {12, 12, 8, 6}, {{dwgrad<12, 1, 1>, dwgrad<12, 2, 1>, dwgrad<8, 3, 1>, dwgrad<6, 4, 1>}, {dwgrad<12, 1, 2>, dwgrad<12, 2, 2>, dwgrad<8, 3, 2>, dwgrad<6, 4, 2>}},
                  {nullptr, nullptr, dfwdg<8, 3>, dfwdg<6, 4>}};
}

DconvPv dconvPvAvx512() { return DconvPv{8, 48, dpv<8, 3>}; }

DwPv dwPvAvx512() { return DwPv{16, 3, 9, dwpv<3, 9>}; }

}  // namespace al
