// Micro-kernel tables per instruction set: GEMM tiles (C = or += packed A · packed B) and direct-convolution tiles.
#pragma once

namespace al {

typedef void (*UkrFn)(long kc, const float* a, const float* b, float* c, long ldc, int accumulate);

struct Ukr {
  int mr, nr;
  UkrFn fn;
};

/** Up to 2 shapes per instruction set; the driver picks the one wasting least padding. */
struct UkrSet {
  const char* name;
  int count;
  Ukr k[2];
};

UkrSet ukernelsBaseline();
#if defined(ADAPTLAB_X86)
UkrSet ukernelsAvx2();
UkrSet ukernelsAvx512();
#endif

}  // namespace al

namespace al {

/**
 * Direct-convolution micro-kernels (stride 1, input zero-padded). OB = nv·lanes output channels.
 * fwd:   tile[r·OB + o]  = Σ_k xb[koff[k] + r·s] · w[k·OB + o]        (r < mr pixels of one row, stride s)
 * wgrad: acc[r·OB + o]  += Σ_q xb[q·s + roff[r]] · dyT[q·OB + o]      (r < mr filter taps)
 * Tables are indexed [s − 1][nv − 1] for s = 1, 2.
 */
typedef void (*DconvFwdFn)(const float* xb, const int* koff, long K, const float* w, float* tile);
typedef void (*DconvWgradFn)(const float* xb, const int* roff, long Q, const float* dyT, float* acc);

/** fwd with one base pointer per pixel: tile[r·OB + o] = Σ_k xr[r][koff[k]] · w[k·OB + o] (any pixels). */
typedef void (*DconvGatherFn)(const float* const* xr, const int* koff, long K, const float* w, float* tile);

struct DconvSet {
  int lanes;
  /** index nv − 1, nv = 1..4 vectors of output channels */
  int fwdMr[4];
  DconvFwdFn fwd[2][4];
  int wgradMr[4];
  DconvWgradFn wgrad[2][4];
  /** gathered-pixel forward for nv = 3, 4 (null where not provided); same mr as fwd */
  DconvGatherFn gather[4];
};

/**
 * Pixel-vector direct convolution (stride 1): vectors over npx consecutive pixels, weights broadcast.
 * tile[o·npx + p] = Σ_k xb[koff[k] + p] · w[k·no + o], for o < no output channels, p < npx pixels.
 * Suits small K (first layers) where the channel-vector form is dominated by its scattered stores.
 */
typedef void (*DconvPvFn)(const float* xb, const int* koff, long K, const float* w, float* tile);
struct DconvPv {
  int no, npx;
  DconvPvFn fn;
};

/**
 * Pixel-vector weight gradient (stride 1): sums[o·kb + j] += Σ_p dyv[o·ld + p] · xb[koff[j] + p] over
 * p < nvec·lanes pixels, for o < no output channels and j < kb taps.
 */
typedef void (*DwPvFn)(const float* xb, const int* koff, const float* dyv, long ld, long nvec, float* sums);
struct DwPv {
  int lanes, no, kb;
  DwPvFn fn;
};

DwPv dwPvBaseline();
#if defined(ADAPTLAB_X86)
DwPv dwPvAvx2();
DwPv dwPvAvx512();
#endif

DconvPv dconvPvBaseline();
#if defined(ADAPTLAB_X86)
DconvPv dconvPvAvx2();
DconvPv dconvPvAvx512();
#endif

DconvSet dconvBaseline();
#if defined(ADAPTLAB_X86)
DconvSet dconvAvx2();
DconvSet dconvAvx512();
#endif

}  // namespace al
