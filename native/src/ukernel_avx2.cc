// AVX2+FMA micro-kernels (8-wide), compiled with -mavx2 -mfma and used only when cpuid reports them.
#include <immintrin.h>

#include "ukernel.h"

namespace al {

namespace {

template <int MR, int NV>
void ukr(long kc, const float* __restrict a, const float* __restrict b, float* __restrict c, long ldc, int accumulate) {
  __m256 acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = _mm256_setzero_ps();
  for (long p = 0; p < kc; p++) {
    __m256 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = _mm256_loadu_ps(b + p * (NV * 8) + v * 8);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const __m256 av = _mm256_broadcast_ss(a + p * MR + i);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      float* cp = c + i * ldc + v * 8;
      __m256 r = acc[i][v];
      if (accumulate) r = _mm256_add_ps(r, _mm256_loadu_ps(cp));
      _mm256_storeu_ps(cp, r);
    }
  }
}

}  // namespace

UkrSet ukernelsAvx2() { return UkrSet{"avx2+fma 6x16/4x24", 2, {{6, 16, ukr<6, 2>}, {4, 24, ukr<4, 3>}}}; }

}  // namespace al
