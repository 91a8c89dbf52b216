// AVX2+FMA micro-kernels (8-wide) for GEMM and direct convolution, compiled with -mavx2 -mfma, used only when cpuid reports them.
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


#define VEC __m256
#define L 8
#define ZERO() _mm256_setzero_ps()
#define LOAD(p) _mm256_loadu_ps(p)
#define STORE(p, v) _mm256_storeu_ps(p, v)
#define SET1(x) _mm256_set1_ps(x)
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)

namespace {

template <int MR, int NV, int SW>
void dfwd(const float* __restrict xb, const int* __restrict koff, long K, const float* __restrict w, float* __restrict tile) {
  VEC acc[MR][NV];
#pragma GCC unroll 24
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = ZERO();
  for (long k = 0; k < K; k++) {
    const float* xk = xb + koff[k];
    VEC wv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) wv[v] = LOAD(w + k * (NV * L) + v * L);
#pragma GCC unroll 24
    for (int r = 0; r < MR; r++) {
      const VEC a = SET1(xk[r * SW]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = FMA(a, wv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 24
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) STORE(tile + r * (NV * L) + v * L, acc[r][v]);
}

template <int MR, int NV, int SW>
void dwgrad(const float* __restrict xb, const int* __restrict roff, long Q, const float* __restrict dyT, float* __restrict accOut) {
  VEC acc[MR][NV];
  const float* xr[MR];
#pragma GCC unroll 24
  for (int r = 0; r < MR; r++) {
    xr[r] = xb + roff[r];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = LOAD(accOut + r * (NV * L) + v * L);
  }
  for (long q = 0; q < Q; q++) {
    VEC dv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) dv[v] = LOAD(dyT + q * (NV * L) + v * L);
#pragma GCC unroll 24
    for (int r = 0; r < MR; r++) {
      const VEC a = SET1(xr[r][q * SW]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = FMA(a, dv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 24
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) STORE(accOut + r * (NV * L) + v * L, acc[r][v]);
}

}  // namespace

namespace {

template <int MR, int NV>
void dfwdg(const float* const* __restrict xr, const int* __restrict koff, long K, const float* __restrict w, float* __restrict tile) {
  VEC acc[MR][NV];
  const float* b[MR];
#pragma GCC unroll 24
  for (int r = 0; r < MR; r++) {
    b[r] = xr[r];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = ZERO();
  }
  for (long k = 0; k < K; k++) {
    const long o = koff[k];
    VEC wv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) wv[v] = LOAD(w + k * (NV * L) + v * L);
#pragma GCC unroll 24
    for (int r = 0; r < MR; r++) {
      const VEC a = SET1(b[r][o]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = FMA(a, wv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 24
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) STORE(tile + r * (NV * L) + v * L, acc[r][v]);
}

}  // namespace

DconvSet dconvAvx2() {
  return DconvSet{8, {12, 6, 4, 3}, {{dfwd<12, 1, 1>, dfwd<6, 2, 1>, dfwd<4, 3, 1>, dfwd<3, 4, 1>}, {dfwd<12, 1, 2>, dfwd<6, 2, 2>, dfwd<4, 3, 2>, dfwd<3, 4, 2>}},
                  {12, 6, 4, 3}, {{dwgrad<12, 1, 1>, dwgrad<6, 2, 1>, dwgrad<4, 3, 1>, dwgrad<3, 4, 1>}, {dwgrad<12, 1, 2>, dwgrad<6, 2, 2>, dwgrad<4, 3, 2>, dwgrad<3, 4, 2>}},
                  {nullptr, nullptr, dfwdg<4, 3>, dfwdg<3, 4>}};
}


namespace {

template <int NO, int NPV>
void dpv(const float* __restrict xb, const int* __restrict koff, long K, const float* __restrict w, float* __restrict tile) {
  VEC acc[NO][NPV];
#pragma GCC unroll 16
  for (int o = 0; o < NO; o++)
#pragma GCC unroll 4
    for (int v = 0; v < NPV; v++) acc[o][v] = ZERO();
  for (long k = 0; k < K; k++) {
    const float* xk = xb + koff[k];
    VEC xv[NPV];
#pragma GCC unroll 4
    for (int v = 0; v < NPV; v++) xv[v] = LOAD(xk + v * L);
#pragma GCC unroll 16
    for (int o = 0; o < NO; o++) {
      const VEC wv = SET1(w[k * NO + o]);
#pragma GCC unroll 4
      for (int v = 0; v < NPV; v++) acc[o][v] = FMA(wv, xv[v], acc[o][v]);
    }
  }
#pragma GCC unroll 16
  for (int o = 0; o < NO; o++)
#pragma GCC unroll 4
    for (int v = 0; v < NPV; v++) STORE(tile + o * (NPV * L) + v * L, acc[o][v]);
}

}  // namespace

DconvPv dconvPvAvx2() { return DconvPv{4, 24, dpv<4, 3>}; }


namespace {

template <int NO, int KB>
void dwpv(const float* __restrict xb, const int* __restrict koff, const float* __restrict dyv, long ld, long nvec, float* __restrict sums) {
  VEC acc[NO][KB];
#pragma GCC unroll 4
  for (int o = 0; o < NO; o++)
#pragma GCC unroll 16
    for (int j = 0; j < KB; j++) acc[o][j] = ZERO();
  const float* xk[KB];
#pragma GCC unroll 16
  for (int j = 0; j < KB; j++) xk[j] = xb + koff[j];
  for (long v = 0; v < nvec; v++) {
    VEC d[NO];
#pragma GCC unroll 4
    for (int o = 0; o < NO; o++) d[o] = LOAD(dyv + o * ld + v * L);
#pragma GCC unroll 16
    for (int j = 0; j < KB; j++) {
      const VEC xv = LOAD(xk[j] + v * L);
#pragma GCC unroll 4
      for (int o = 0; o < NO; o++) acc[o][j] = FMA(d[o], xv, acc[o][j]);
    }
  }
  alignas(64) float buf[L];
#pragma GCC unroll 4
  for (int o = 0; o < NO; o++)
#pragma GCC unroll 16
    for (int j = 0; j < KB; j++) {
      STORE(buf, acc[o][j]);
      float s = 0.f;
      for (int i = 0; i < L; i++) s += buf[i];
      sums[o * KB + j] += s;
    }
}

}  // namespace

DwPv dwPvAvx2() { return DwPv{8, 1, 9, dwpv<1, 9>}; }

}  // namespace al
