// AVX-512 micro-kernels (16-wide), compiled with -mavx512f and used only when cpuid reports it.
#include <immintrin.h>

#include "ukernel.h"

namespace al {

namespace {

template <int MR, int NV>
void ukr(long kc, const float* __restrict a, const float* __restrict b, float* __restrict c, long ldc, int accumulate) {
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = _mm512_setzero_ps();
  for (long p = 0; p < kc; p++) {
    __m512 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = _mm512_loadu_ps(b + p * (NV * 16) + v * 16);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const __m512 av = _mm512_set1_ps(a[p * MR + i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      float* cp = c + i * ldc + v * 16;
      __m512 r = acc[i][v];
      if (accumulate) r = _mm512_add_ps(r, _mm512_loadu_ps(cp));
      _mm512_storeu_ps(cp, r);
    }
  }
}

}  // namespace

UkrSet ukernelsAvx512() { return UkrSet{"avx512 8x48/12x32", 2, {{8, 48, ukr<8, 3>}, {12, 32, ukr<12, 2>}}}; }

}  // namespace al
