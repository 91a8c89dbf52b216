// AVX-512 micro-kernels (16-wide) for GEMM and direct convolution, compiled with -mavx512f, used only when cpuid reports it.
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


#define VEC __m512
#define L 16
#define ZERO() _mm512_setzero_ps()
#define LOAD(p) _mm512_loadu_ps(p)
#define STORE(p, v) _mm512_storeu_ps(p, v)
#define SET1(x) _mm512_set1_ps(x)
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)

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

DconvSet dconvAvx512() {
  return DconvSet{16, {24, 12, 8, 6}, {{dfwd<24, 1, 1>, dfwd<12, 2, 1>, dfwd<8, 3, 1>, dfwd<6, 4, 1>}, {dfwd<24, 1, 2>, dfwd<12, 2, 2>, dfwd<8, 3, 2>, dfwd<6, 4, 2>}},
                  {12, 12, 8, 6}, {{dwgrad<12, 1, 1>, dwgrad<12, 2, 1>, dwgrad<8, 3, 1>, dwgrad<6, 4, 1>}, {dwgrad<12, 1, 2>, dwgrad<12, 2, 2>, dwgrad<8, 3, 2>, dwgrad<6, 4, 2>}},
                  {nullptr, nullptr, dfwdg<8, 3>, dfwdg<6, 4>}};
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

DconvPv dconvPvAvx512() { return DconvPv{8, 48, dpv<8, 3>}; }


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

DwPv dwPvAvx512() { return DwPv{16, 3, 9, dwpv<3, 9>}; }

}  // namespace al
