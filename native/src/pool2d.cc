// Max and average 2-d pooling (forward, and the average's transpose), parallel over planes.
#include <algorithm>
#include <limits>

#include "conv.h"
#include "pool.h"

namespace al {

namespace {

/** Take v when it beats best (or is the first NaN); once best is NaN it stays (first NaN wins). */
inline void maxStep(float v, int32_t i, float& best, int32_t& bi) {
  const bool take = (v > best || v != v) && best == best;
  best = take ? v : best;
  bi = take ? i : bi;
}

/** 2×2 windows, stride 2, no padding: branchless, the common case. */
void maxPlane2x2(const float* x, float* out, int32_t* idx, const PoolGeom& g) {
  for (int64_t oy = 0; oy < g.oh; oy++) {
    const int64_t y0 = oy * 2;
    const float* r0 = x + y0 * g.w;
    const float* r1 = r0 + g.w;
    float* o = out + oy * g.ow;
    int32_t* id = idx + oy * g.ow;
    for (int64_t ox = 0; ox < g.ow; ox++) {
      const int64_t x0 = ox * 2;
      const int32_t i0 = int32_t(y0 * g.w + x0);
      float best = r0[x0];
      int32_t bi = i0;
      maxStep(r0[x0 + 1], i0 + 1, best, bi);
      maxStep(r1[x0], i0 + int32_t(g.w), best, bi);
      maxStep(r1[x0 + 1], i0 + int32_t(g.w) + 1, best, bi);
      o[ox] = best;
      id[ox] = bi;
    }
  }
}

/** Any window: the first in-bounds value starts the search, as in the ts kernel. */
void maxPlane(const float* x, float* out, int32_t* idx, const PoolGeom& g) {
  for (int64_t oy = 0; oy < g.oh; oy++) {
    const int64_t y0 = oy * g.sh - g.ph;
    const int64_t ys = std::max<int64_t>(y0, 0), ye = std::min(y0 + g.kh, g.h);
    for (int64_t ox = 0; ox < g.ow; ox++) {
      const int64_t x0 = ox * g.sw - g.pw;
      const int64_t xs = std::max<int64_t>(x0, 0), xe = std::min(x0 + g.kw, g.w);
      float best = -std::numeric_limits<float>::infinity();
      int32_t bi = -1;
      if (ys < ye && xs < xe) {
        best = x[ys * g.w + xs];
        bi = int32_t(ys * g.w + xs);
        for (int64_t iy = ys; iy < ye; iy++)
          for (int64_t ix = (iy == ys ? xs + 1 : xs); ix < xe; ix++) maxStep(x[iy * g.w + ix], int32_t(iy * g.w + ix), best, bi);
      }
      out[oy * g.ow + ox] = best;
      idx[oy * g.ow + ox] = bi;
    }
  }
}

double windowCount(const PoolGeom& g, int64_t oy, int64_t ox) {
  const int64_t y0 = oy * g.sh - g.ph, x0 = ox * g.sw - g.pw;
  if (g.countIncludePad) {
    const int64_t y1 = std::min(y0 + g.kh, g.h + g.ph), x1 = std::min(x0 + g.kw, g.w + g.pw);
    return double((y1 - y0) * (x1 - x0));
  }
  const int64_t ys = std::max<int64_t>(y0, 0), ye = std::min(y0 + g.kh, g.h);
  const int64_t xs = std::max<int64_t>(x0, 0), xe = std::min(x0 + g.kw, g.w);
  return double(std::max<int64_t>(ye - ys, 0) * std::max<int64_t>(xe - xs, 0));
}

int64_t grainFor(const PoolGeom& g) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, g.oh * g.ow * g.kh * g.kw)); }

}  // namespace

void maxPool2d(const float* x, float* out, int32_t* idx, const PoolGeom& g) {
  const int64_t HW = g.h * g.w, OP = g.oh * g.ow;
  parallelFor(g.n * g.c, grainFor(g), [&](int64_t lo, int64_t hi) {
    for (int64_t pl = lo; pl < hi; pl++) {
      if (g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0) maxPlane2x2(x + pl * HW, out + pl * OP, idx + pl * OP, g);
      else maxPlane(x + pl * HW, out + pl * OP, idx + pl * OP, g);
    }
  });
}

void avgPool2d(const float* x, float* out, const PoolGeom& g) {
  const int64_t HW = g.h * g.w, OP = g.oh * g.ow;
  parallelFor(g.n * g.c, grainFor(g), [&](int64_t lo, int64_t hi) {
    for (int64_t pl = lo; pl < hi; pl++) {
      const float* xp = x + pl * HW;
      float* op = out + pl * OP;
      for (int64_t oy = 0; oy < g.oh; oy++) {
        const int64_t y0 = oy * g.sh - g.ph;
        for (int64_t ox = 0; ox < g.ow; ox++) {
          const int64_t x0 = ox * g.sw - g.pw;
          double s = 0;
          for (int64_t i = std::max<int64_t>(0, -y0); i < g.kh && y0 + i < g.h; i++) {
            const float* row = xp + (y0 + i) * g.w;
            for (int64_t j = std::max<int64_t>(0, -x0); j < g.kw && x0 + j < g.w; j++) s += row[x0 + j];
          }
          op[oy * g.ow + ox] = float(s / windowCount(g, oy, ox));
        }
      }
    }
  });
}

void avgPool2dBackward(const float* dy, float* dx, const PoolGeom& g) {
  const int64_t HW = g.h * g.w, OP = g.oh * g.ow;
  parallelFor(g.n * g.c, grainFor(g), [&](int64_t lo, int64_t hi) {
    for (int64_t pl = lo; pl < hi; pl++) {
      float* xp = dx + pl * HW;
      const float* dp = dy + pl * OP;
      for (int64_t oy = 0; oy < g.oh; oy++) {
        const int64_t y0 = oy * g.sh - g.ph;
        for (int64_t ox = 0; ox < g.ow; ox++) {
          const int64_t x0 = ox * g.sw - g.pw;
          const float v = float(double(dp[oy * g.ow + ox]) / windowCount(g, oy, ox));
          for (int64_t i = std::max<int64_t>(0, -y0); i < g.kh && y0 + i < g.h; i++) {
            float* row = xp + (y0 + i) * g.w;
            for (int64_t j = std::max<int64_t>(0, -x0); j < g.kw && x0 + j < g.w; j++) row[x0 + j] += v;
          }
        }
      }
    }
  });
}

}  // namespace al
