// conv2d forward / backward-data / backward-filter: direct register-blocked kernels (channel- or pixel-vector),
// phase-decomposed strided backward-data, and an implicit-im2col GEMM fallback for other geometries.
#include "conv.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "cpu.h"
#include "napi_util.h"
#include "gemm.h"
#include "pool.h"
#include "scratch.h"
#include "ukernel.h"

namespace al {

namespace {

/** The virtual im2col matrix of one group: col[k, np], k = (ci, i, j), np = image·P + oy·ow + ox. */
struct Im2col {
  const float* x;
  const ConvGeom* g;
  int64_t cbase;  // first input channel of the group

  /** dst[(k − k0)·ks + (q − np0)·ns] = col[k, q] for k in [k0, k0+nk), q in [np0, np0+nn). */
  void pack(int64_t k0, int nk, int64_t np0, int nn, float* dst, int64_t ks, int64_t ns) const {
    const ConvGeom& G = *g;
    const int64_t P = G.oh * G.ow, HW = G.h * G.w, khw = G.kh * G.kw;
    struct Run { int pos, len; const float* img; int64_t iy0, ix0; };
    Run runs[300];
    int nrun = 0;
    std::vector<Run> big;
    Run* rs = runs;
    if (nn > 290) { big.resize(size_t(nn) + 2); rs = big.data(); }
    for (int pos = 0; pos < nn;) {
      const int64_t q = np0 + pos, img = q / P, rem = q % P, oy = rem / G.ow, ox = rem % G.ow;
      const int len = int(std::min<int64_t>(G.ow - ox, nn - pos));
      rs[nrun++] = Run{pos, len, x + (img * G.c + cbase) * HW, oy * G.sh - G.ph, ox * G.sw - G.pw};
      pos += len;
    }
    for (int kk = 0; kk < nk; kk++) {
      const int64_t k = k0 + kk, ci = k / khw, r = k % khw, ki = r / G.kw, kj = r % G.kw;
      const int64_t dyo = ki * G.dh, dxo = kj * G.dw, choff = ci * HW;
      float* drow = dst + kk * ks;
      for (int u = 0; u < nrun; u++) {
        const Run& R = rs[u];
        float* d = drow + R.pos * ns;
        const int64_t iy = R.iy0 + dyo;
        if (iy < 0 || iy >= G.h) {
          for (int t = 0; t < R.len; t++) d[t * ns] = 0.f;
          continue;
        }
        const float* src = R.img + choff + iy * G.w;
        const int64_t ixs = R.ix0 + dxo, sw = G.sw;
        int64_t tlo = ixs >= 0 ? 0 : (-ixs + sw - 1) / sw;
        int64_t thi = ixs + int64_t(R.len - 1) * sw < G.w ? R.len : (G.w - 1 - ixs >= 0 ? (G.w - 1 - ixs) / sw + 1 : 0);
        if (tlo > R.len) tlo = R.len;
        if (thi < tlo) thi = tlo;
        for (int64_t t = 0; t < tlo; t++) d[t * ns] = 0.f;
        if (ns == 1 && sw == 1) {
          const float* s0 = src + ixs;
          for (int64_t t = tlo; t < thi; t++) d[t] = s0[t];
        } else for (int64_t t = tlo; t < thi; t++) d[t * ns] = src[ixs + t * sw];
        for (int64_t t = thi; t < R.len; t++) d[t * ns] = 0.f;
      }
    }
  }
};

struct Im2colB final : BSource {
  Im2col im;
  explicit Im2colB(Im2col i) : im(i) {}
  void packB(int64_t p0, int kc, int64_t j0, int nr, int NR, float* dst) const override {
    im.pack(p0, kc, j0, nr, dst, NR, 1);
    if (nr < NR)
      for (int p = 0; p < kc; p++)
        for (int q = nr; q < NR; q++) dst[p * NR + q] = 0.f;
  }
};

struct Im2colA final : ASource {
  Im2col im;
  explicit Im2colA(Im2col i) : im(i) {}
  void packA(int64_t i0, int mr, int MR, int64_t p0, int kc, float* dst) const override {
    im.pack(i0, mr, p0, kc, dst, 1, MR);
    if (mr < MR)
      for (int p = 0; p < kc; p++)
        for (int r = mr; r < MR; r++) dst[p * MR + r] = 0.f;
  }
};

/** Output-like NCHW tensor of one group seen as a matrix [channel, image·P + pixel]. */
Axis batchedPixels(int64_t P, int64_t chans) {
  Axis a;
  a.stride = 1;
  a.grp = P;
  a.gstride = chans * P;
  return a;
}

void col2imPlane(const float* col, int64_t cols, int64_t colOff, int64_t ci, const ConvGeom& g, float* plane) {
  for (int64_t ki = 0; ki < g.kh; ki++) {
    for (int64_t kj = 0; kj < g.kw; kj++) {
      const float* row = col + ((ci * g.kh + ki) * g.kw + kj) * cols + colOff;
      for (int64_t oy = 0; oy < g.oh; oy++) {
        const int64_t iy = oy * g.sh - g.ph + ki * g.dh;
        if (iy < 0 || iy >= g.h) continue;
        float* drow = plane + iy * g.w;
        const float* srow = row + oy * g.ow;
        for (int64_t ox = 0; ox < g.ow; ox++) {
          const int64_t ix = ox * g.sw - g.pw + kj * g.dw;
          if (ix >= 0 && ix < g.w) drow[ix] += srow[ox];
        }
      }
    }
  }
}


thread_local AlignedScratch t_xpad, t_wpack;  // padded input copies, packed weights

DconvSet currentDconv() {
#if defined(ADAPTLAB_X86)
  switch (activeIsa()) {
    case Isa::Avx512: return dconvAvx512();
    case Isa::Avx2: return dconvAvx2();
    default: break;
  }
#endif
  return dconvBaseline();
}

/** Zero-padded copy of x: [n, c, h + 2ph, w + 2pw] followed by `slack` zeros. */
float* padInput(const float* x, const ConvGeom& g, int64_t slack) {
  const int64_t Hp = g.h + 2 * g.ph, Wp = g.w + 2 * g.pw, HWp = Hp * Wp, planes = g.n * g.c;
  float* xp = t_xpad.get(size_t(planes * HWp + slack));
  std::fill(xp + planes * HWp, xp + planes * HWp + slack, 0.f);
  parallelFor(planes, std::max<int64_t>(1, 16384 / HWp), [&](int64_t lo, int64_t hi) {
    for (int64_t pl = lo; pl < hi; pl++) {
      float* d = xp + pl * HWp;
      const float* s = x + pl * g.h * g.w;
      std::fill(d, d + g.ph * Wp, 0.f);
      for (int64_t y = 0; y < g.h; y++) {
        float* row = d + (g.ph + y) * Wp;
        std::fill(row, row + g.pw, 0.f);
        std::memcpy(row + g.pw, s + y * g.w, sizeof(float) * size_t(g.w));
        std::fill(row + g.pw + g.w, row + Wp, 0.f);
      }
      std::fill(d + (g.ph + g.h) * Wp, d + HWp, 0.f);
    }
  });
  return xp;
}

/** Offsets of filter taps k = (ci, ki, kj) in the padded input. */
std::vector<int> tapOffsets(const ConvGeom& g) {
  const int64_t cg = g.c / g.groups, Wp = g.w + 2 * g.pw, HWp = (g.h + 2 * g.ph) * Wp;
  std::vector<int> koff(size_t(cg * g.kh * g.kw));
  size_t k = 0;
  for (int64_t ci = 0; ci < cg; ci++)
    for (int64_t ki = 0; ki < g.kh; ki++)
      for (int64_t kj = 0; kj < g.kw; kj++) koff[k++] = int(ci * HWp + ki * g.dh * Wp + kj * g.dw);
  return koff;
}

/** Output channels per block: nv vectors of `lanes`. */
int vectorsFor(int64_t og, int lanes) { return int(std::min<int64_t>(4, (og + lanes - 1) / lanes)); }

/** Stride-1 and stride-2 convolutions small enough for int offsets take the direct kernels. */
bool directOk(const ConvGeom& g) {
  const int64_t HWp = (g.h + 2 * g.ph) * (g.w + 2 * g.pw);
  return g.sh == g.sw && (g.sh == 1 || g.sh == 2) && (g.c / g.groups) * HWp < (int64_t(1) << 30) &&
         (g.o / g.groups >= 4 || (g.sh == 1 && (g.c / g.groups) * g.kh * g.kw <= 32));
}

/**
 * One direct correlation: out[n, g·ocg + oc, row, col] = Σ_k src[n, g, pixel(row, col) + koff[k]] · wp[g][oc][k]
 * over a zero-padded source. Stride 1 tiles run over padded-row "virtual pixels" q = row·Wv + col
 * (col ≥ cols discarded), so consecutive pixels are consecutive in memory across rows; stride 2 tiles
 * stay within a row. Output element address: out + n·outImg + channel·outChan + row·outRow + col·outCol.
 */
struct Correlation {
  const float* src;
  int64_t srcImg, srcGroup;  // element strides of an image and of a group's channel block in src
  int64_t Wv, S;             // source row width, pixel step (1 or 2)
  std::vector<int> koff;     // tap offsets
  int64_t groups, ocg;       // groups, valid output channels per group
  int64_t n, rows, cols;
  float* out;
  int64_t outImg, outChan, outRow, outCol;
  const float* bias = nullptr;  // added per output channel at store time (nullable)
};

/** Pack weights of a correlation: wp[g][ob][k][OB] = weight(g, ob·OB + o, k), zero past ocg. */
template <class W>
float* packCorrelationWeights(int64_t groups, int64_t ocg, int64_t K, int OB, W weight) {
  const int64_t nob = (ocg + OB - 1) / OB;
  float* wp = t_wpack.get(size_t(std::max<int64_t>(1, groups * nob * K * OB)));
  for (int64_t gi = 0; gi < groups; gi++)
    for (int64_t ob = 0; ob < nob; ob++) {
      float* d = wp + (gi * nob + ob) * K * OB;
      for (int64_t k = 0; k < K; k++)
        for (int64_t o = 0; o < OB; o++) {
          const int64_t oc = ob * OB + o;
          d[k * OB + o] = oc < ocg ? weight(gi, oc, k) : 0.f;
        }
    }
  return wp;
}

/**
 * Store tile rows r < MR (output positions out + dst[r]; dst[r] < 0: not a valid pixel) of the output channels of
 * block ob of group gi, adding the bias: out[ch·outChan + dst[r]] = tile[r·OB + o] + bias[ch].
 */
inline void storeTile(const Correlation& c, const float* tile, int OB, int MR, const int64_t* dst, int64_t gi, int64_t ob, float* out) {
  const int64_t ovalid = std::min<int64_t>(OB, c.ocg - ob * OB);
  for (int64_t o = 0; o < ovalid; o++) {
    const int64_t ch = gi * c.ocg + ob * OB + o;
    float* base = out + ch * c.outChan;
    const float b = c.bias ? c.bias[ch] : 0.f;
    for (int r = 0; r < MR; r++)
      if (dst[r] >= 0) base[dst[r]] = tile[r * OB + o] + b;
  }
}

/** Gathered tiles: MR consecutive valid output pixels in (image, row, col) order, one base pointer each. */
void runCorrelationGather(const Correlation& c, const float* wp, int OB, int MR, DconvGatherFn fn) {
  const int64_t K = int64_t(c.koff.size());
  const int64_t nob = (c.ocg + OB - 1) / OB;
  const int64_t per = c.rows * c.cols, total = c.n * per, T = (total + MR - 1) / MR;
  if (per <= 0 || total <= 0) return;
  const double tileFlops = double(MR) * OB * std::max<int64_t>(K, 1) * c.groups * nob;
  parallelFor(T, std::max<int64_t>(1, int64_t(4e5 / tileFlops)), [&](int64_t lo, int64_t hi) {
    alignas(64) float tile[24 * 64];
    int64_t dst[24], src[24];
    const float* xr[24];
    for (int64_t t = lo; t < hi; t++) {
      for (int r = 0; r < MR; r++) {
        const int64_t p = t * MR + r, q = std::min(p, total - 1);
        const int64_t n = q / per, row = (q % per) / c.cols, col = q % c.cols;
        src[r] = n * c.srcImg + row * c.S * c.Wv + col * c.S;
        dst[r] = p < total ? n * c.outImg + row * c.outRow + col * c.outCol : -1;
      }
      for (int64_t gi = 0; gi < c.groups; gi++) {
        for (int r = 0; r < MR; r++) xr[r] = c.src + src[r] + gi * c.srcGroup;
        for (int64_t ob = 0; ob < nob; ob++) {
          if (K > 0) fn(xr, c.koff.data(), long(K), wp + (gi * nob + ob) * K * OB, tile);
          else std::fill(tile, tile + MR * OB, 0.f);
          storeTile(c, tile, OB, MR, dst, gi, ob, c.out);
        }
      }
    }
  });
}

void runCorrelation(const Correlation& c, const float* wp, int OB, int MR, DconvFwdFn fn, DconvGatherFn gfn = nullptr) {
  if (gfn) return runCorrelationGather(c, wp, OB, MR, gfn);
  const int64_t K = int64_t(c.koff.size());
  const int64_t nob = (c.ocg + OB - 1) / OB;
  const int64_t Q = (c.rows - 1) * c.Wv + c.cols;
  const int64_t TR = (c.cols + MR - 1) / MR;
  const int64_t T = c.S == 1 ? (Q + MR - 1) / MR : c.rows * TR;
  if (c.rows <= 0 || c.cols <= 0) return;
  const double tileFlops = double(MR) * OB * std::max<int64_t>(K, 1) * c.groups * nob;
  parallelFor(c.n * T, std::max<int64_t>(1, int64_t(4e5 / tileFlops)), [&](int64_t lo, int64_t hi) {
    alignas(64) float tile[24 * 64];
    int64_t dst[24];
    for (int64_t t = lo; t < hi; t++) {
      const int64_t n = t / T;
      int64_t xoff;
      if (c.S == 1) {
        const int64_t q0 = (t % T) * MR;
        xoff = q0;
        for (int r = 0; r < MR; r++) {
          const int64_t q = q0 + r, col = q % c.Wv;
          dst[r] = (q < Q && col < c.cols) ? (q / c.Wv) * c.outRow + col * c.outCol : -1;
        }
      } else {
        const int64_t row = (t % T) / TR, col0 = ((t % T) % TR) * MR;
        xoff = row * c.S * c.Wv + col0 * c.S;
        for (int r = 0; r < MR; r++) dst[r] = col0 + r < c.cols ? row * c.outRow + (col0 + r) * c.outCol : -1;
      }
      for (int64_t gi = 0; gi < c.groups; gi++) {
        const float* xb = c.src + n * c.srcImg + gi * c.srcGroup + xoff;
        for (int64_t ob = 0; ob < nob; ob++) {
          if (K > 0) fn(xb, c.koff.data(), long(K), wp + (gi * nob + ob) * K * OB, tile);
          else std::fill(tile, tile + MR * OB, 0.f);
          storeTile(c, tile, OB, MR, dst, gi, ob, c.out + n * c.outImg);
        }
      }
    }
  });
}

/** Gathered tiles for the wide (48/64-channel) forward kernels; ADAPTLAB_CONV_GATHER=0 disables (A/B). */
const bool kGatherTiles = [] { const char* e = std::getenv("ADAPTLAB_CONV_GATHER"); return !(e && e[0] == '0'); }();

DconvPv currentPv() {
#if defined(ADAPTLAB_X86)
  switch (activeIsa()) {
    case Isa::Avx512: return dconvPvAvx512();
    case Isa::Avx2: return dconvPvAvx2();
    default: break;
  }
#endif
  return dconvPvBaseline();
}

/** Pixel-vector form of runCorrelation (stride 1 only): tiles of npx virtual pixels × no channels. */
void runCorrelationPv(const Correlation& c, const float* wp, const DconvPv& pv) {
  const int64_t K = int64_t(c.koff.size()), NO = pv.no, NP = pv.npx;
  if (NP > 64 || NO * NP > 16 * 64) throw ArgError{"pixel-vector tile larger than its buffers"};
  const int64_t nob = (c.ocg + NO - 1) / NO;
  const int64_t Q = (c.rows - 1) * c.Wv + c.cols, T = (Q + NP - 1) / NP;
  if (c.rows <= 0 || c.cols <= 0) return;
  const double tileFlops = double(NP) * NO * std::max<int64_t>(K, 1) * c.groups * nob;
  parallelFor(c.n * T, std::max<int64_t>(1, int64_t(2e5 / tileFlops)), [&](int64_t lo, int64_t hi) {
    alignas(64) float tile[16 * 64];
    struct Seg { int64_t dst; int off, len; } seg[64];  // at most one segment per pixel (rows of width 1)
    for (int64_t t = lo; t < hi; t++) {
      const int64_t n = t / T, q0 = (t % T) * NP;
      // Row segments of the tile's valid pixels.
      int ns = 0;
      for (int64_t q = q0; q < std::min(q0 + NP, Q);) {
        const int64_t row = q / c.Wv, col = q % c.Wv;
        const int64_t rowEnd = std::min(q0 + NP, std::min(Q, (row + 1) * c.Wv));
        if (col < c.cols) {
          const int64_t len = std::min(rowEnd, row * c.Wv + c.cols) - q;
          seg[ns++] = Seg{row * c.outRow + col * c.outCol, int(q - q0), int(len)};
        }
        q = rowEnd;
      }
      for (int64_t gi = 0; gi < c.groups; gi++) {
        const float* xb = c.src + n * c.srcImg + gi * c.srcGroup + q0;
        for (int64_t ob = 0; ob < nob; ob++) {
          if (K > 0) pv.fn(xb, c.koff.data(), long(K), wp + (gi * nob + ob) * K * NO, tile);
          else std::fill(tile, tile + NO * NP, 0.f);
          const int64_t ovalid = std::min<int64_t>(NO, c.ocg - ob * NO);
          for (int64_t o = 0; o < ovalid; o++) {
            const int64_t ch = gi * c.ocg + ob * NO + o;
            float* base = c.out + n * c.outImg + ch * c.outChan;
            const float b = c.bias ? c.bias[ch] : 0.f;
            const float* tr = tile + o * NP;
            for (int u = 0; u < ns; u++) {
              float* d = base + seg[u].dst;
              const float* sp = tr + seg[u].off;
              const int len = seg[u].len;
              if (c.outCol == 1) for (int i = 0; i < len; i++) d[i] = sp[i] + b;
              else for (int i = 0; i < len; i++) d[i * c.outCol] = sp[i] + b;
            }
          }
        }
      }
    }
  });
}

/** Small reductions (first layers: K = C·kh·kw ≤ 32) are faster vectorised over pixels. */
bool pixelVectorOk(const ConvGeom& g) { return g.sh == 1 && g.sw == 1 && (g.c / g.groups) * g.kh * g.kw <= 32; }

/** The forward pass also prefers pixel vectors for ≤ 16 output channels, where channel vectors are load-bound. */
bool pixelVectorForwardOk(const ConvGeom& g) { return pixelVectorOk(g) || (g.sh == 1 && g.sw == 1 && g.o / g.groups <= 16); }

/** The forward convolution as a correlation over the zero-padded input (slack: extra padded elements). */
Correlation forwardCorrelation(const float* x, const ConvGeom& g, int64_t slack, int64_t step, float* out, const float* bias) {
  const int64_t cg = g.c / g.groups, P = g.oh * g.ow;
  const int64_t Wp = g.w + 2 * g.pw, HWp = (g.h + 2 * g.ph) * Wp;
  Correlation c;
  c.src = padInput(x, g, slack);
  c.srcImg = g.c * HWp;
  c.srcGroup = cg * HWp;
  c.Wv = Wp;
  c.S = step;
  c.koff = tapOffsets(g);
  c.groups = g.groups;
  c.ocg = g.o / g.groups;
  c.n = g.n;
  c.rows = g.oh;
  c.cols = g.ow;
  c.out = out;
  c.outImg = g.o * P;
  c.outChan = P;
  c.outRow = g.ow;
  c.outCol = 1;
  c.bias = bias;
  return c;
}

void directForward(const float* x, const float* w, const float* bias, float* out, const ConvGeom& g) {
  if (pixelVectorForwardOk(g)) {
    const DconvPv pv = currentPv();
    const int64_t og = g.o / g.groups, K = (g.c / g.groups) * g.kh * g.kw;
    const Correlation c = forwardCorrelation(x, g, pv.npx + 64, 1, out, bias);
    const float* wp = packCorrelationWeights(g.groups, og, K, pv.no, [&](int64_t gi, int64_t oc, int64_t k) { return w[(gi * og + oc) * K + k]; });
    runCorrelationPv(c, wp, pv);
    return;
  }
  const DconvSet set = currentDconv();
  const int64_t og = g.o / g.groups, K = (g.c / g.groups) * g.kh * g.kw;
  const int nv = vectorsFor(og, set.lanes), OB = nv * set.lanes, MR = set.fwdMr[nv - 1];
  const Correlation c = forwardCorrelation(x, g, MR * g.sh + 64, g.sh, out, bias);
  const float* wp = packCorrelationWeights(g.groups, og, K, OB, [&](int64_t gi, int64_t oc, int64_t k) { return w[(gi * og + oc) * K + k]; });
  runCorrelation(c, wp, OB, MR, set.fwd[g.sh - 1][nv - 1], kGatherTiles ? set.gather[nv - 1] : nullptr);
}

/**
 * Strided backward-data by phases: the dx pixels (s·ty + ry, s·tx + rx) of one phase (ry, rx) only
 * receive the taps with (ry + ph − ki·dh) ≡ 0 (mod s), each from dy at (ty + (ry + ph − ki·dh)/s, ...):
 * a stride-1 correlation of a padded dy with a sub-kernel, run by the direct kernels.
 */
bool phasedBackwardData(const float* dy, const float* w, float* dx, const ConvGeom& g) {
  const DconvSet set = currentDconv();
  const int64_t s = g.sh, cg = g.c / g.groups, og = g.o / g.groups;
  auto taps = [&](int64_t r, int64_t k, int64_t p, int64_t d) {
    std::vector<std::pair<int64_t, int64_t>> t;  // (kernel index, dy offset)
    for (int64_t i = 0; i < k; i++) {
      const int64_t a = r + p - i * d;
      if (((a % s) + s) % s == 0) t.emplace_back(i, a / s);
    }
    return t;
  };
  // One common padding of dy that covers every phase's offsets.
  int64_t padT = 0, padB = 0, padL = 0, padR = 0;
  for (int64_t r = 0; r < s; r++) {
    const int64_t nty = (g.h - r + s - 1) / s, ntx = (g.w - r + s - 1) / s;
    for (auto& t : taps(r, g.kh, g.ph, g.dh)) { padT = std::max(padT, -t.second); padB = std::max(padB, nty - 1 + t.second - (g.oh - 1)); }
    for (auto& t : taps(r, g.kw, g.pw, g.dw)) { padL = std::max(padL, -t.second); padR = std::max(padR, ntx - 1 + t.second - (g.ow - 1)); }
  }
  const int64_t Hp = g.oh + padT + padB, Wp = g.ow + padL + padR, HWp = Hp * Wp;
  if (og * HWp >= (int64_t(1) << 30)) return false;  // tap offsets must fit in int
  const int nv = vectorsFor(cg, set.lanes), OB = nv * set.lanes, MR = set.fwdMr[nv - 1];
  const DconvPv pv = currentPv();
  // Padded dy [n, o, Hp, Wp] plus slack for tile overrun.
  const int64_t planes = g.n * g.o, slack = std::max<int64_t>(MR, pv.npx) + 64;
  float* dp = t_xpad.get(size_t(planes * HWp + slack));
  std::fill(dp + planes * HWp, dp + planes * HWp + slack, 0.f);
  parallelFor(planes, std::max<int64_t>(1, 16384 / HWp), [&](int64_t lo, int64_t hi) {
    for (int64_t pl = lo; pl < hi; pl++) {
      float* d = dp + pl * HWp;
      std::fill(d, d + HWp, 0.f);
      for (int64_t y = 0; y < g.oh; y++) std::memcpy(d + (padT + y) * Wp + padL, dy + pl * g.oh * g.ow + y * g.ow, sizeof(float) * size_t(g.ow));
    }
  });
  for (int64_t ry = 0; ry < s; ry++) {
    for (int64_t rx = 0; rx < s; rx++) {
      const auto ty = taps(ry, g.kh, g.ph, g.dh), tx = taps(rx, g.kw, g.pw, g.dw);
      Correlation c;
      c.src = dp;
      c.srcImg = g.o * HWp;
      c.srcGroup = og * HWp;
      c.Wv = Wp;
      c.S = 1;
      for (int64_t o = 0; o < og; o++)
        for (auto& a : ty)
          for (auto& b : tx) c.koff.push_back(int(o * HWp + (a.second + padT) * Wp + (b.second + padL)));
      c.groups = g.groups;
      c.ocg = cg;
      c.n = g.n;
      c.rows = (g.h - ry + s - 1) / s;
      c.cols = (g.w - rx + s - 1) / s;
      c.out = dx + ry * g.w + rx;
      c.outImg = g.c * g.h * g.w;
      c.outChan = g.h * g.w;
      c.outRow = s * g.w;
      c.outCol = s;
      const int64_t Kp = int64_t(c.koff.size()), nt = int64_t(tx.size());
      auto weight = [&](int64_t gi, int64_t ci, int64_t k) {
        const int64_t o = k / (int64_t(ty.size()) * nt), a = (k / nt) % int64_t(ty.size()), b = k % nt;
        return w[(((gi * og + o) * cg + ci) * g.kh + ty[size_t(a)].first) * g.kw + tx[size_t(b)].first];
      };
      if (cg <= 16) {
        runCorrelationPv(c, packCorrelationWeights(g.groups, cg, Kp, pv.no, weight), pv);
      } else {
        runCorrelation(c, packCorrelationWeights(g.groups, cg, Kp, OB, weight), OB, MR, set.fwd[0][nv - 1]);
      }
    }
  }
  return true;
}

DwPv currentDwPv() {
#if defined(ADAPTLAB_X86)
  switch (activeIsa()) {
    case Isa::Avx512: return dwPvAvx512();
    case Isa::Avx2: return dwPvAvx2();
    default: break;
  }
#endif
  return dwPvBaseline();
}

/**
 * Weight gradient for small reductions (first layers), stride 1: vectors over padded-row pixels of one
 * image, dy copied into that layout with zeros off the valid pixels; per-thread sums reduced at the end.
 */
void pixelVectorWeightGrad(const float* x, const float* dy, float* dw, const ConvGeom& g) {
  const DwPv pv = currentDwPv();
  const int64_t cg = g.c / g.groups, og = g.o / g.groups, K = cg * g.kh * g.kw, P = g.oh * g.ow;
  const int64_t Wp = g.w + 2 * g.pw, HWp = (g.h + 2 * g.ph) * Wp;
  const int64_t Q = (g.oh - 1) * Wp + g.ow, nvec = (Q + pv.lanes - 1) / pv.lanes, ld = nvec * pv.lanes;
  const float* xp = padInput(x, g, ld - Q + 64);
  const std::vector<int> koff = tapOffsets(g);
  const int64_t KB = pv.kb, NO = pv.no, nkb = (K + KB - 1) / KB, nob = (og + NO - 1) / NO;
  std::vector<int> kpad(size_t(nkb * KB), 0);  // taps past K read offset 0 and are discarded
  std::copy(koff.begin(), koff.end(), kpad.begin());
  const int64_t partLen = g.groups * nob * NO * nkb * KB;
  const int chunks = int(std::min<int64_t>(poolThreads(), g.n));
  std::vector<float> part(size_t(chunks * partLen), 0.f);
  parallelFor(chunks, 1, [&](int64_t lo, int64_t hi) {
    std::vector<float> dyv(size_t(nob * NO * ld), 0.f);  // rows past og stay zero
    for (int64_t c = lo; c < hi; c++) {
      float* acc = part.data() + c * partLen;
      for (int64_t n = g.n * c / chunks; n < g.n * (c + 1) / chunks; n++) {
        for (int64_t gi = 0; gi < g.groups; gi++) {
          for (int64_t o = 0; o < og; o++) {
            float* d = dyv.data() + o * ld;
            const float* src = dy + (n * g.o + gi * og + o) * P;
            for (int64_t oy = 0; oy < g.oh; oy++) {
              float* row = d + oy * Wp;
              std::memcpy(row, src + oy * g.ow, sizeof(float) * size_t(g.ow));
              const int64_t end = std::min<int64_t>(Wp, ld - oy * Wp);
              for (int64_t i = g.ow; i < end; i++) row[i] = 0.f;
            }
          }
          const float* xb = xp + (n * g.c + gi * cg) * HWp;
          for (int64_t ob = 0; ob < nob; ob++)
            for (int64_t kb = 0; kb < nkb; kb++)
              pv.fn(xb, kpad.data() + kb * KB, dyv.data() + ob * NO * ld, long(ld), long(nvec), acc + ((gi * nob + ob) * nkb + kb) * NO * KB);
        }
      }
    }
  });
  for (int64_t gi = 0; gi < g.groups; gi++)
    for (int64_t o = 0; o < og; o++)
      for (int64_t k = 0; k < K; k++) {
        const int64_t ob = o / NO, oo = o % NO, kb = k / KB, j = k % KB;
        float s = 0.f;
        for (int c = 0; c < chunks; c++) s += part[size_t(c * partLen + ((gi * nob + ob) * nkb + kb) * NO * KB + oo * KB + j)];
        dw[(gi * og + o) * K + k] = s;
      }
}

void directWeightGrad(const float* x, const float* dy, float* dw, const ConvGeom& g) {
  const DconvSet set = currentDconv();
  const int64_t cg = g.c / g.groups, og = g.o / g.groups, K = cg * g.kh * g.kw, P = g.oh * g.ow;
  const int64_t Wp = g.w + 2 * g.pw, HWp = (g.h + 2 * g.ph) * Wp;
  const int nv = vectorsFor(og, set.lanes), OB = nv * set.lanes, MR = set.wgradMr[nv - 1];
  const int64_t S = g.sh;
  const DconvWgradFn fn = set.wgrad[S - 1][nv - 1];
  const int64_t nob = (og + OB - 1) / OB, KT = (K + MR - 1) / MR;
  const float* xp = padInput(x, g, 64);
  const std::vector<int> koff = tapOffsets(g);
  std::vector<int> roff(size_t(KT * MR), 0);  // taps beyond K read offset 0 and are discarded
  std::copy(koff.begin(), koff.end(), roff.begin());
  // Stride 1: one reduction over padded-row pixels (zeros off the valid ones); stride 2: one per row.
  const int64_t rowW = S == 1 ? Wp : g.ow;
  const int64_t Q = (g.oh - 1) * rowW + g.ow;
  const int64_t partLen = g.groups * nob * KT * MR * OB;
  const int chunks = int(std::min<int64_t>(poolThreads(), g.n));
  std::vector<float> part(size_t(chunks * partLen), 0.f);
  parallelFor(chunks, 1, [&](int64_t lo, int64_t hi) {
    std::vector<float> dyT(size_t(Q * OB));
    for (int64_t c = lo; c < hi; c++) {
      float* acc = part.data() + c * partLen;
      for (int64_t n = g.n * c / chunks; n < g.n * (c + 1) / chunks; n++) {
        for (int64_t gi = 0; gi < g.groups; gi++) {
          const float* xb = xp + (n * g.c + gi * cg) * HWp;
          for (int64_t ob = 0; ob < nob; ob++) {
            // dyT[q][o]: this image's output gradient in padded-row order, zero off the valid pixels.
            const int64_t ovalid = std::min<int64_t>(OB, og - ob * OB);
            std::fill(dyT.begin(), dyT.end(), 0.f);
            const float* src0 = dy + (n * g.o + gi * og + ob * OB) * P;
            for (int64_t oy = 0; oy < g.oh; oy++)
              for (int64_t x0 = 0; x0 < g.ow; x0 += 16) {  // 16-pixel blocks keep the strided writes in L1
                const int64_t x1 = std::min<int64_t>(g.ow, x0 + 16);
                float* d = dyT.data() + (oy * rowW) * OB;
                for (int64_t o = 0; o < ovalid; o++) {
                  const float* src = src0 + o * P + oy * g.ow;
                  for (int64_t ox = x0; ox < x1; ox++) d[ox * OB + o] = src[ox];
                }
              }
            float* a = acc + (gi * nob + ob) * KT * MR * OB;
            if (S == 1) {
              // Pixel blocks small enough that dyT and the taps' input rows stay in L1 across tap tiles.
              constexpr int64_t QB = 256;
              for (int64_t q0 = 0; q0 < Q; q0 += QB) {
                const int64_t qn = std::min(QB, Q - q0);
                for (int64_t kt = 0; kt < KT; kt++) fn(xb + q0, roff.data() + kt * MR, long(qn), dyT.data() + q0 * OB, a + kt * MR * OB);
              }
            } else {
              for (int64_t kt = 0; kt < KT; kt++)
                for (int64_t oy = 0; oy < g.oh; oy++)
                  fn(xb + oy * S * Wp, roff.data() + kt * MR, long(g.ow), dyT.data() + oy * g.ow * OB, a + kt * MR * OB);
            }
          }
        }
      }
    }
  });
  for (int64_t gi = 0; gi < g.groups; gi++)
    for (int64_t ob = 0; ob < nob; ob++) {
      const int64_t ovalid = std::min<int64_t>(OB, og - ob * OB);
      for (int64_t k = 0; k < K; k++)
        for (int64_t o = 0; o < ovalid; o++) {
          float s = 0.f;
          for (int c = 0; c < chunks; c++) s += part[size_t(c * partLen + ((gi * nob + ob) * KT * MR + k) * OB + o)];
          dw[(gi * og + ob * OB + o) * K + k] = s;
        }
    }
}

}  // namespace

/**
 * Problems too small for the direct kernels to repay packing their weights per call (measured on AVX-512, one
 * thread, Conv-4 shapes of few-shot episodes): a forward over fewer than 64 output pixels in all, and strided
 * convolutions with a tiny reduction (a first layer: C·kh·kw ≤ 32) run faster as implicit-im2col GEMMs; a strided
 * backward-data over fewer than 1024 dy pixels is faster as a GEMM and col2im than by phases.
 */
constexpr int64_t kDirectMinPixels = 64, kPhasedMinPixels = 1024;

bool forwardDirect(const ConvGeom& g) {
  if (!directOk(g) || g.n * g.oh * g.ow < kDirectMinPixels) return false;
  return !(g.sh != 1 && (g.c / g.groups) * g.kh * g.kw <= 32);
}

void conv2dForward(const float* x, const float* w, const float* bias, float* out, const ConvGeom& g) {
  if (forwardDirect(g)) return directForward(x, w, bias, out, g);
  const int64_t cg = g.c / g.groups, og = g.o / g.groups, K = cg * g.kh * g.kw, P = g.oh * g.ow;
  for (int64_t gi = 0; gi < g.groups; gi++) {
    View a;
    a.p = w + gi * og * K;
    a.r.stride = K;
    OutView c;
    c.p = out + gi * og * P;
    c.r.stride = P;
    c.c = batchedPixels(P, g.o);
    gemm(og, g.n * P, K, ViewA(a), Im2colB(Im2col{x, &g, gi * cg}), c, false, true);
  }
  if (bias) {
    parallelFor(g.n * g.o, std::max<int64_t>(1, 16384 / P), [&](int64_t lo, int64_t hi) {
      for (int64_t t = lo; t < hi; t++) {
        float* d = out + t * P;
        const float b = bias[t % g.o];
        for (int64_t i = 0; i < P; i++) d[i] += b;
      }
    });
  }
}

void conv2dBackwardFilter(const float* x, const float* dy, float* dw, const ConvGeom& g) {
  if (directOk(g) && pixelVectorOk(g)) return pixelVectorWeightGrad(x, dy, dw, g);
  if (directOk(g) && g.o / g.groups >= 4) return directWeightGrad(x, dy, dw, g);
  const int64_t cg = g.c / g.groups, og = g.o / g.groups, K = cg * g.kh * g.kw, P = g.oh * g.ow;
  for (int64_t gi = 0; gi < g.groups; gi++) {
    // dWᵀ (K × og) = col (K × N·P) · dyᵀ (N·P × og)
    View b;
    b.p = dy + gi * og * P;
    b.r = batchedPixels(P, g.o);
    b.c.stride = P;
    OutView c;
    c.p = dw + gi * og * K;
    c.r.stride = 1;
    c.c.stride = K;
    gemm(K, og, g.n * P, Im2colA(Im2col{x, &g, gi * cg}), ViewB(b), c, false, true);
  }
}

void conv2dBackwardData(const float* dy, const float* w, float* dx, const ConvGeom& g) {
  const int64_t cg = g.c / g.groups, og = g.o / g.groups, K = cg * g.kh * g.kw, P = g.oh * g.ow;
  const int64_t tph = g.dh * (g.kh - 1) - g.ph, tpw = g.dw * (g.kw - 1) - g.pw;
  if (g.sh == 1 && g.sw == 1 && tph >= 0 && tpw >= 0 && cg >= 4) {
    // Stride 1: dx is the convolution of dy with the flipped, channel-transposed weights.
    std::vector<float> wt(size_t(g.c * og * g.kh * g.kw));
    for (int64_t gi = 0; gi < g.groups; gi++)
      for (int64_t o = 0; o < og; o++)
        for (int64_t c = 0; c < cg; c++)
          for (int64_t i = 0; i < g.kh; i++)
            for (int64_t j = 0; j < g.kw; j++)
              wt[size_t((((gi * cg + c) * og + o) * g.kh + (g.kh - 1 - i)) * g.kw + (g.kw - 1 - j))] =
                  w[(((gi * og + o) * cg + c) * g.kh + i) * g.kw + j];
    ConvGeom t{g.n, g.o, g.oh, g.ow, g.c, g.kh, g.kw, g.h, g.w, 1, 1, tph, tpw, g.dh, g.dw, g.groups};
    conv2dForward(dy, wt.data(), nullptr, dx, t);
    return;
  }
  if (g.sh == g.sw && g.sh >= 2 && cg >= 4 && g.n * P >= kPhasedMinPixels && phasedBackwardData(dy, w, dx, g)) return;
  // General: col = W_gᵀ · dy_g for a chunk of images, then scatter-add col into dx.
  const int64_t perImage = K * P;
  const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(g.n, (int64_t(1) << 21) / std::max<int64_t>(perImage, 1)));
  std::vector<float> col(size_t(perImage * chunk));
  for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
    const int64_t nb = std::min(chunk, g.n - n0), cols = nb * P;
    for (int64_t gi = 0; gi < g.groups; gi++) {
      View a;
      a.p = w + gi * og * K;
      a.r.stride = 1;
      a.c.stride = K;
      View b;
      b.p = dy + n0 * g.o * P + gi * og * P;
      b.r.stride = P;
      b.c = batchedPixels(P, g.o);
      OutView c;
      c.p = col.data();
      c.r.stride = cols;
      gemm(K, cols, og, ViewA(a), ViewB(b), c, false, true);
      parallelFor(nb * cg, std::max<int64_t>(1, 16384 / std::max<int64_t>(perImage / std::max<int64_t>(cg, 1), 1)), [&](int64_t lo, int64_t hi) {
        for (int64_t t = lo; t < hi; t++) {
          const int64_t b_ = t / cg, ci = t % cg;
          col2imPlane(col.data(), cols, b_ * P, ci, g, dx + ((n0 + b_) * g.c + gi * cg + ci) * g.h * g.w);
        }
      });
    }
  }
}

}  // namespace al
