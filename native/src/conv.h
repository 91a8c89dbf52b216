// Convolution and pooling kernels on NCHW float32 data (geometry as in src/backend/types.ts).
#pragma once
#include <cstdint>

namespace al {

struct ConvGeom {
  int64_t n, c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups;
};

struct PoolGeom {
  int64_t n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw;
  bool countIncludePad;
};

/** out = conv(x, w) (+ bias[o] per output channel when bias is not null). */
void conv2dForward(const float* x, const float* w, const float* bias, float* out, const ConvGeom& g);
/** dx (overwritten) from dy and w. */
void conv2dBackwardData(const float* dy, const float* w, float* dx, const ConvGeom& g);
/** dw (overwritten) from x and dy. */
void conv2dBackwardFilter(const float* x, const float* dy, float* dw, const ConvGeom& g);

void maxPool2d(const float* x, float* out, int32_t* idx, const PoolGeom& g);
void avgPool2d(const float* x, float* out, const PoolGeom& g);
/** dx (accumulated into; the engine zero-fills it) from dy. */
void avgPool2dBackward(const float* dy, float* dx, const PoolGeom& g);

}  // namespace al
