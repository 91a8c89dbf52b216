// Bindings for conv2d (forward and both transposes) and 2-d pooling, with geometry validation.
#include "bindings.h"
#include "conv.h"

namespace al {

namespace {

ConvGeom convGeom(const Args& A, size_t i) {
  Arr a = A.i32(i, "geometry", 16);
  const int32_t* v = a.i32();
  ConvGeom g{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]};
  require(g.n >= 0 && g.c >= 1 && g.h >= 1 && g.w >= 1 && g.o >= 1 && g.kh >= 1 && g.kw >= 1, "bad conv sizes");
  require(g.sh >= 1 && g.sw >= 1 && g.dh >= 1 && g.dw >= 1 && g.ph >= 0 && g.pw >= 0 && g.groups >= 1, "bad conv stride/padding/dilation/groups");
  require(g.c % g.groups == 0 && g.o % g.groups == 0, "channels not divisible by groups");
  require(g.oh == (g.h + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1 && g.oh >= 1, "oh inconsistent with the geometry");
  require(g.ow == (g.w + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1 && g.ow >= 1, "ow inconsistent with the geometry");
  return g;
}

size_t xLen(const ConvGeom& g) { return size_t(g.n * g.c * g.h * g.w); }
size_t wLen(const ConvGeom& g) { return size_t(g.o * (g.c / g.groups) * g.kh * g.kw); }
size_t yLen(const ConvGeom& g) { return size_t(g.n * g.o * g.oh * g.ow); }

PoolGeom poolGeom(const Args& A, size_t i) {
  Arr a = A.i32(i, "geometry", 13);
  const int32_t* v = a.i32();
  PoolGeom g{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12] != 0};
  require(g.n >= 0 && g.c >= 0 && g.h >= 1 && g.w >= 1 && g.oh >= 0 && g.ow >= 0 && g.kh >= 1 && g.kw >= 1, "bad pool sizes");
  require(g.sh >= 1 && g.sw >= 1 && g.ph >= 0 && g.pw >= 0, "bad pool stride/padding");
  return g;
}

}  // namespace

/** conv2d(x, w, out, geom[n,c,h,w,o,kh,kw,oh,ow,sh,sw,ph,pw,dh,dw,groups], bias?) — bias [o] added at store time. */
AL_BINDING(conv2d) {
  Args A(env, info, 4, "conv2d");
  ConvGeom g = convGeom(A, 3);
  Arr x = A.f32(0, "x", xLen(g)), w = A.f32(1, "w", wLen(g)), y = A.f32out(2, "out", yLen(g));
  const float* bias = nullptr;
  if (A.argc >= 5) {
    napi_valuetype t;
    AL_CHECK(env, napi_typeof(env, A.argv[4], &t));
    if (t != napi_undefined && t != napi_null) bias = A.f32(4, "bias", size_t(g.o)).f32();
  }
  conv2dForward(x.f32(), w.f32(), bias, y.f32(), g);
}

/** conv2dBackwardData(dy, w, dx, geom) */
AL_BINDING(conv2dBackwardDataB) {
  Args A(env, info, 4, "conv2dBackwardData");
  ConvGeom g = convGeom(A, 3);
  Arr dy = A.f32(0, "dy", yLen(g)), w = A.f32(1, "w", wLen(g)), dx = A.f32out(2, "dx", xLen(g));
  conv2dBackwardData(dy.f32(), w.f32(), dx.f32(), g);
}

/** conv2dBackwardFilter(x, dy, dw, geom) */
AL_BINDING(conv2dBackwardFilterB) {
  Args A(env, info, 4, "conv2dBackwardFilter");
  ConvGeom g = convGeom(A, 3);
  Arr x = A.f32(0, "x", xLen(g)), dy = A.f32(1, "dy", yLen(g)), dw = A.f32(2, "dw", wLen(g));
  conv2dBackwardFilter(x.f32(), dy.f32(), dw.f32(), g);
}

/** maxPool2d(x, out, idx, geom[n,c,h,w,oh,ow,kh,kw,sh,sw,ph,pw,countIncludePad]) */
AL_BINDING(maxPool2dB) {
  Args A(env, info, 4, "maxPool2d");
  PoolGeom g = poolGeom(A, 3);
  const size_t planes = size_t(g.n * g.c);
  A.f32(0, "x", planes * size_t(g.h * g.w));
  Arr x = A.f32(0, "x", 0), y = A.f32out(1, "out", planes * size_t(g.oh * g.ow)), idx = A.i32(2, "idx", planes * size_t(g.oh * g.ow));
  maxPool2d(x.f32(), y.f32(), idx.i32(), g);
}

AL_BINDING(avgPool2dB) {
  Args A(env, info, 3, "avgPool2d");
  PoolGeom g = poolGeom(A, 2);
  const size_t planes = size_t(g.n * g.c);
  Arr x = A.f32(0, "x", planes * size_t(g.h * g.w)), y = A.f32out(1, "out", planes * size_t(g.oh * g.ow));
  avgPool2d(x.f32(), y.f32(), g);
}

AL_BINDING(avgPool2dBackwardB) {
  Args A(env, info, 3, "avgPool2dBackward");
  PoolGeom g = poolGeom(A, 2);
  const size_t planes = size_t(g.n * g.c);
  Arr dy = A.f32(0, "dy", planes * size_t(g.oh * g.ow)), dx = A.f32out(1, "dx", planes * size_t(g.h * g.w));
  avgPool2dBackward(dy.f32(), dx.f32(), g);
}

void registerConv(Registry& r) {
  r.add("conv2d", conv2d);
  r.add("conv2dBackwardData", conv2dBackwardDataB);
  r.add("conv2dBackwardFilter", conv2dBackwardFilterB);
  r.add("maxPool2d", maxPool2dB);
  r.add("avgPool2d", avgPool2dB);
  r.add("avgPool2dBackward", avgPool2dBackwardB);
}

}  // namespace al
