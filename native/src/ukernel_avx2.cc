// AVX2+FMA micro-kernels (8-wide): the shared body of ukernel_simd.h over 256-bit vectors, compiled with -mavx2 -mfma, used only when cpuid reports them.
#include <immintrin.h>

#include "ukernel.h"

namespace al {
namespace {

/** 8 float lanes in a __m256. */
struct Simd {
  typedef __m256 V;
  static constexpr int L = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
};

}  // namespace
}  // namespace al

#include "ukernel_simd.h"

namespace al {

UkrSet ukernelsAvx2() { return UkrSet{"avx2+fma 6x16/4x24", 2, {{6, 16, ukr<6, 2>}, {4, 24, ukr<4, 3>}}}; }

DconvSet dconvAvx2() {
  return DconvSet{8, {12, 6, 4, 3}, {{dfwd<12, 1, 1>, dfwd<6, 2, 1>, dfwd<4, 3, 1>, dfwd<3, 4, 1>}, {dfwd<12, 1, 2>, dfwd<6, 2, 2>, dfwd<4, 3, 2>, dfwd<3, 4, 2>}},
                  {12, 6, 4, 3}, {{dwgrad<12, 1, 1>, dwgrad<6, 2, 1>, dwgrad<4, 3, 1>, dwgrad<3, 4, 1>}, {dwgrad<12, 1, 2>, dwgrad<6, 2, 2>, dwgrad<4, 3, 2>, dwgrad<3, 4, 2>}},
                  {nullptr, nullptr, dfwdg<4, 3>, dfwdg<3, 4>}};
}

DconvPv dconvPvAvx2() { return DconvPv{4, 24, dpv<4, 3>}; }

DwPv dwPvAvx2() { return DwPv{8, 1, 9, dwpv<1, 9>}; }

}  // namespace al
