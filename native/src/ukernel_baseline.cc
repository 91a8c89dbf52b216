// Portable micro-kernels for GEMM and direct convolution (plain C++, vectorised by the compiler for the baseline target).
#include "ukernel.h"

namespace al {

namespace {

template <int MR, int NR>
void ukr(long kc, const float* __restrict a, const float* __restrict b, float* __restrict c, long ldc, int accumulate) {
  float acc[MR][NR] = {};
  for (long p = 0; p < kc; p++) {
    const float* bp = b + p * NR;
    const float* ap = a + p * MR;
    for (int i = 0; i < MR; i++) {
      const float av = ap[i];
      for (int j = 0; j < NR; j++) acc[i][j] += av * bp[j];
    }
  }
  for (int i = 0; i < MR; i++) {
    float* ci = c + i * ldc;
    if (accumulate)
      for (int j = 0; j < NR; j++) ci[j] += acc[i][j];
    else
      for (int j = 0; j < NR; j++) ci[j] = acc[i][j];
  }
}

}  // namespace

UkrSet ukernelsBaseline() { return UkrSet{"baseline 4x8/4x16", 2, {{4, 8, ukr<4, 8>}, {4, 16, ukr<4, 16>}}}; }


namespace {

constexpr int L = 4;

template <int MR, int NV, int SW>
void dfwd(const float* __restrict xb, const int* __restrict koff, long K, const float* __restrict w, float* __restrict tile) {
  float acc[MR][NV * L] = {};
  for (long k = 0; k < K; k++) {
    const float* xk = xb + koff[k];
    const float* wk = w + k * (NV * L);
    for (int r = 0; r < MR; r++) {
      const float a = xk[r * SW];
      for (int o = 0; o < NV * L; o++) acc[r][o] += a * wk[o];
    }
  }
  for (int r = 0; r < MR; r++)
    for (int o = 0; o < NV * L; o++) tile[r * (NV * L) + o] = acc[r][o];
}

template <int MR, int NV, int SW>
void dwgrad(const float* __restrict xb, const int* __restrict roff, long Q, const float* __restrict dyT, float* __restrict accOut) {
  float acc[MR][NV * L];
  for (int r = 0; r < MR; r++)
    for (int o = 0; o < NV * L; o++) acc[r][o] = accOut[r * (NV * L) + o];
  for (long q = 0; q < Q; q++) {
    const float* d = dyT + q * (NV * L);
    for (int r = 0; r < MR; r++) {
      const float a = xb[q * SW + roff[r]];
      for (int o = 0; o < NV * L; o++) acc[r][o] += a * d[o];
    }
  }
  for (int r = 0; r < MR; r++)
    for (int o = 0; o < NV * L; o++) accOut[r * (NV * L) + o] = acc[r][o];
}

}  // namespace

DconvSet dconvBaseline() {
  return DconvSet{4, {8, 4, 3, 2}, {{dfwd<8, 1, 1>, dfwd<4, 2, 1>, dfwd<3, 3, 1>, dfwd<2, 4, 1>}, {dfwd<8, 1, 2>, dfwd<4, 2, 2>, dfwd<3, 3, 2>, dfwd<2, 4, 2>}},
                  {8, 4, 3, 2}, {{dwgrad<8, 1, 1>, dwgrad<4, 2, 1>, dwgrad<3, 3, 1>, dwgrad<2, 4, 1>}, {dwgrad<8, 1, 2>, dwgrad<4, 2, 2>, dwgrad<3, 3, 2>, dwgrad<2, 4, 2>}},
                  {nullptr, nullptr, nullptr, nullptr}};
}


namespace {

template <int NO, int NP>
void dpv(const float* __restrict xb, const int* __restrict koff, long K, const float* __restrict w, float* __restrict tile) {
  float acc[NO][NP] = {};
  for (long k = 0; k < K; k++) {
    const float* xk = xb + koff[k];
    for (int o = 0; o < NO; o++) {
      const float wv = w[k * NO + o];
      for (int p = 0; p < NP; p++) acc[o][p] += wv * xk[p];
    }
  }
  for (int o = 0; o < NO; o++)
    for (int p = 0; p < NP; p++) tile[o * NP + p] = acc[o][p];
}

}  // namespace

DconvPv dconvPvBaseline() { return DconvPv{4, 8, dpv<4, 8>}; }


namespace {

template <int NO, int KB>
void dwpv(const float* __restrict xb, const int* __restrict koff, const float* __restrict dyv, long ld, long nvec, float* __restrict sums) {
  constexpr int L = 4;
  float acc[NO][KB][L] = {};
  for (long v = 0; v < nvec; v++)
    for (int o = 0; o < NO; o++)
      for (int j = 0; j < KB; j++) {
        const float* x = xb + koff[j] + v * L;
        const float* d = dyv + o * ld + v * L;
        for (int i = 0; i < L; i++) acc[o][j][i] += d[i] * x[i];
      }
  for (int o = 0; o < NO; o++)
    for (int j = 0; j < KB; j++) sums[o * KB + j] += (acc[o][j][0] + acc[o][j][1]) + (acc[o][j][2] + acc[o][j][3]);
}

}  // namespace

DwPv dwPvBaseline() { return DwPv{4, 1, 9, dwpv<1, 9>}; }

}  // namespace al
