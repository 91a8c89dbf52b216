// The one body of the x86 SIMD micro-kernels (GEMM and direct convolution), written over a vector-traits struct `Simd`.
//
// Included only by ukernel_avx2.cc and ukernel_avx512.cc, each of which first defines `al::{anon}::Simd` for its
// instruction set (vector type V, lane count L, and zero/load/store/set1/fma/add wrappers of the intrinsics)
// and is compiled with its own -m flags. Everything here has internal linkage (anonymous namespace), so the
// AVX-512 and AVX2 instantiations never meet at link time and no ISA-specific code leaks into shared inline
// functions. Like those translation units, it includes nothing beyond what they include (no STL).
#pragma once

namespace al {

namespace {

typedef Simd::V V;
constexpr int L = Simd::L;

/** GEMM tile: C[MR × NV·L] (+)= packed A[kc × MR] · packed B[kc × NV·L]. */
template <int MR, int NV>
void ukr(long kc, const float* __restrict a, const float* __restrict b, float* __restrict c, long ldc, int accumulate) {
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = Simd::zero();
  for (long p = 0; p < kc; p++) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = Simd::load(b + p * (NV * L) + v * L);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const V av = Simd::set1(a[p * MR + i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] = Simd::fma(av, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      float* cp = c + i * ldc + v * L;
      V r = acc[i][v];
      if (accumulate) r = Simd::add(r, Simd::load(cp));
      Simd::store(cp, r);
    }
  }
}

/*
 * The convolution tiles are one FMA tile, out[r][v] (+)= Σ_k scalar(k, r) · vector(k, v), whose operands come
 * from small accessor structs: scalar rows give `step(k)` (where step k is) and `at(s, r)` (row r there); vector
 * sources give `at(k)`, the NV·L floats of step k.
 */

/** Scalars at a fixed stride from a per-step base: row r of step k is base[off(k) + r·SW], off(k) = koff[k]. */
template <int SW>
struct StridedRows {
  const float* xb;
  const int* koff;
  const float* step(long k) const { return xb + koff[k]; }
  float at(const float* s, int r) const { return s[r * SW]; }
};

/** Scalars of a dense [K, N] matrix: row r of step k is p[k·N + r]. */
template <int N>
struct DenseRows {
  const float* p;
  const float* step(long k) const { return p + k * N; }
  float at(const float* s, int r) const { return s[r]; }
};

/** One base pointer per row: row r of step k is row[r][koff[k]] when KOFF, else row[r][k·SW]. */
template <int MR, int SW, bool KOFF>
struct PointerRows {
  const float* row[MR];
  const int* koff;
  long step(long k) const { return KOFF ? long(koff[k]) : k * SW; }
  float at(long o, int r) const { return row[r][o]; }
};

/** Vectors of a dense [K, W] matrix: step k is p + k·W. */
template <int W>
struct DenseVecs {
  const float* p;
  const float* at(long k) const { return p + k * W; }
};

/** Vectors at tap offsets: step k is xb + koff[k]. */
struct OffsetVecs {
  const float* xb;
  const int* koff;
  const float* at(long k) const { return xb + koff[k]; }
};

/**
 * FMA tile: out[r·NV·L + v·L + l] (+)= Σ_{k<K} rows(k, r) · vecs(k)[v·L + l] for r < MR, v < NV; starts from zero,
 * or from out when ACC.
 */
template <int MR, int NV, bool ACC, class Rows, class Vecs>
inline __attribute__((always_inline)) void fmaTile(const Rows& rows, const Vecs& vecs, long K, float* __restrict out) {
  V acc[MR][NV];
#pragma GCC unroll 24
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = ACC ? Simd::load(out + r * (NV * L) + v * L) : Simd::zero();
  for (long k = 0; k < K; k++) {
    const auto s = rows.step(k);
    const float* vk = vecs.at(k);
    V vv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) vv[v] = Simd::load(vk + v * L);
#pragma GCC unroll 24
    for (int r = 0; r < MR; r++) {
      const V a = Simd::set1(rows.at(s, r));
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = Simd::fma(a, vv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 24
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) Simd::store(out + r * (NV * L) + v * L, acc[r][v]);
}

/** Forward tile of MR pixels of one row (stride SW) × NV vectors of output channels: see DconvFwdFn. */
template <int MR, int NV, int SW>
void dfwd(const float* __restrict xb, const int* __restrict koff, long K, const float* __restrict w, float* __restrict tile) {
  fmaTile<MR, NV, false>(StridedRows<SW>{xb, koff}, DenseVecs<NV * L>{w}, K, tile);
}

/** Weight-gradient tile of MR filter taps: see DconvWgradFn. */
template <int MR, int NV, int SW>
void dwgrad(const float* __restrict xb, const int* __restrict roff, long Q, const float* __restrict dyT, float* __restrict accOut) {
  PointerRows<MR, SW, false> rows;
#pragma GCC unroll 24
  for (int r = 0; r < MR; r++) rows.row[r] = xb + roff[r];
  rows.koff = nullptr;
  fmaTile<MR, NV, true>(rows, DenseVecs<NV * L>{dyT}, Q, accOut);
}

/** Forward tile of MR gathered pixels (one base pointer each): see DconvGatherFn. */
template <int MR, int NV>
void dfwdg(const float* const* __restrict xr, const int* __restrict koff, long K, const float* __restrict w, float* __restrict tile) {
  PointerRows<MR, 1, true> rows;
#pragma GCC unroll 24
  for (int r = 0; r < MR; r++) rows.row[r] = xr[r];
  rows.koff = koff;
  fmaTile<MR, NV, false>(rows, DenseVecs<NV * L>{w}, K, tile);
}

/** Pixel-vector forward tile, NO output channels (broadcast weights) × NPV vectors of pixels: see DconvPvFn. */
template <int NO, int NPV>
void dpv(const float* __restrict xb, const int* __restrict koff, long K, const float* __restrict w, float* __restrict tile) {
  fmaTile<NO, NPV, false>(DenseRows<NO>{w}, OffsetVecs{xb, koff}, K, tile);
}

/** Pixel-vector weight-gradient tile: see DwPvFn (NO output channels × KB taps of accumulators). */
template <int NO, int KB>
void dwpv(const float* __restrict xb, const int* __restrict koff, const float* __restrict dyv, long ld, long nvec, float* __restrict sums) {
  V acc[NO][KB];
#pragma GCC unroll 4
  for (int o = 0; o < NO; o++)
#pragma GCC unroll 16
    for (int j = 0; j < KB; j++) acc[o][j] = Simd::zero();
  const float* xk[KB];
#pragma GCC unroll 16
  for (int j = 0; j < KB; j++) xk[j] = xb + koff[j];
  for (long v = 0; v < nvec; v++) {
    V d[NO];
#pragma GCC unroll 4
    for (int o = 0; o < NO; o++) d[o] = Simd::load(dyv + o * ld + v * L);
#pragma GCC unroll 16
    for (int j = 0; j < KB; j++) {
      const V xv = Simd::load(xk[j] + v * L);
#pragma GCC unroll 4
      for (int o = 0; o < NO; o++) acc[o][j] = Simd::fma(d[o], xv, acc[o][j]);
    }
  }
  alignas(64) float buf[L];
#pragma GCC unroll 4
  for (int o = 0; o < NO; o++)
#pragma GCC unroll 16
    for (int j = 0; j < KB; j++) {
      Simd::store(buf, acc[o][j]);
      float s = 0.f;
      for (int i = 0; i < L; i++) s += buf[i];
      sums[o * KB + j] += s;
    }
}

}  // namespace

}  // namespace al
