// Max and average 2-d pooling (forward, and the average's transpose), parallel over planes.
#include <algorithm>

#include "conv.h"
#include "pool.h"

namespace al {

namespace {

template <int KH, int KW>
void maxPlane(const float* x, float* out, int32_t* idx, const PoolGeom& g, int64_t kh_, int64_t kw_) {
  const int64_t kh = KH ? KH : kh_, kw = KW ? KW : kw_;
  for (int64_t oy = 0; oy < g.oh; oy++) {
    const int64_t y0 = oy * g.sh - g.ph;
    for (int64_t ox = 0; ox < g.ow; ox++) {
      const int64_t x0 = ox * g.sw - g.pw;
      float best = -__builtin_inff();
      int64_t bi = -1;
      for (int64_t i = 0; i < kh; i++) {
        const int64_t iy = y0 + i;
        if (iy < 0 || iy >= g.h) continue;
        bool nan = false;
        for (int64_t j = 0; j < kw; j++) {
          const int64_t ix = x0 + j;
          if (ix < 0 || ix >= g.w) continue;
          const float v = x[iy * g.w + ix];
          if (v > best || bi < 0 || v != v) {
            best = v;
            bi = iy * g.w + ix;
            if (v != v) { nan = true; break; }
          }
        }
        if (nan) break;
      }
      out[oy * g.ow + ox] = best;
      idx[oy * g.ow + ox] = int32_t(bi);
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
      if (g.kh == 2 && g.kw == 2) maxPlane<2, 2>(x + pl * HW, out + pl * OP, idx + pl * OP, g, 2, 2);
      else if (g.kh == 3 && g.kw == 3) maxPlane<3, 3>(x + pl * HW, out + pl * OP, idx + pl * OP, g, 3, 3);
      else maxPlane<0, 0>(x + pl * HW, out + pl * OP, idx + pl * OP, g, g.kh, g.kw);
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
