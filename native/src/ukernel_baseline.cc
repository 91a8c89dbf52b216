// Portable micro-kernels (plain C++, vectorised by the compiler for the baseline target).
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

}  // namespace al
