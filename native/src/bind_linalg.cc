// Bindings for matrix products: batched, broadcast-batch matmul with transposes.
#include "bindings.h"
#include "gemm.h"
#include "pool.h"

namespace al {

/** matmul(a, b, out, geom = Int32Array[batch, m, k, n, transA, transB], aOffsets, bOffsets) */
AL_BINDING(matmul) {
  Args A(env, info, 6, "matmul");
  Arr g = A.i32(3, "geometry", 6);
  const int64_t batch = g.i32()[0], m = g.i32()[1], k = g.i32()[2], n = g.i32()[3];
  const bool ta = g.i32()[4] != 0, tb = g.i32()[5] != 0;
  require(batch >= 0 && m >= 0 && k >= 0 && n >= 0, "negative matmul geometry");
  Arr a = A.f32(0, "a", 0), b = A.f32(1, "b", 0), out = A.f32out(2, "out", size_t(batch * m * n));
  Arr ao = A.i32(4, "aOffsets", size_t(batch)), bo = A.i32(5, "bOffsets", size_t(batch));
  for (int64_t t = 0; t < batch; t++) {
    const int64_t oa = ao.i32()[t], ob = bo.i32()[t];
    require(oa >= 0 && oa + m * k <= int64_t(a.length), "a offset out of range");
    require(ob >= 0 && ob + k * n <= int64_t(b.length), "b offset out of range");
  }
  const float* pa = a.f32();
  const float* pb = b.f32();
  float* pc = out.f32();
  const int32_t* aoff = ao.i32();
  const int32_t* boff = bo.i32();
  const double per = double(m) * double(n) * double(k);
  if (batch > 1 && per < 4e6) {
    parallelFor(batch, std::max<int64_t>(1, int64_t(2e5 / (per + 1))), [&](int64_t lo, int64_t hi) {
      for (int64_t t = lo; t < hi; t++) gemmPlain(ta, tb, m, n, k, pa + aoff[t], pb + boff[t], pc + t * m * n, false, false);
    });
  } else {
    for (int64_t t = 0; t < batch; t++) gemmPlain(ta, tb, m, n, k, pa + aoff[t], pb + boff[t], pc + t * m * n, false, true);
  }
}

void registerLinalg(Registry& r) { r.add("matmul", matmul); }

}  // namespace al
