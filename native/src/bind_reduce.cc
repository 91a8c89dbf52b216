// Reductions over the middle axis of [outer, size, inner] (sum/max/min, argmax/argmin), float32.
#include <algorithm>
#include <cmath>
#include <vector>

#include "bindings.h"
#include "opcodes.h"
#include "pool.h"

namespace al {

namespace {

/** NaN-sticky max/min as the ts kernel: once NaN, stays NaN. */
inline double pick(ReduceOp op, double acc, float v) {
  if (op == ReduceOp::max) return (v != v || v > acc) ? double(v) : acc;
  return (v != v || v < acc) ? double(v) : acc;
}

double initial(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return 0.0;
    case ReduceOp::max: return -INFINITY;
    default: return INFINITY;
  }
}

/** Reduce one contiguous row. */
double reduceRow(ReduceOp op, const float* x, int64_t size) {
  if (op == ReduceOp::sum) {
    double a[8] = {};  // independent lanes: vectorisable without reassociation
    int64_t k = 0;
    for (; k + 8 <= size; k += 8)
      for (int l = 0; l < 8; l++) a[l] += x[k + l];
    for (; k < size; k++) a[0] += x[k];
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
  }
  double acc = initial(op);
  for (int64_t k = 0; k < size; k++) {
    acc = pick(op, acc, x[k]);
    if (acc != acc) break;
  }
  return acc;
}

}  // namespace

/** reduce(op, x, outer, size, inner, out) */
AL_BINDING(reduce) {
  Args A(env, info, 6, "reduce");
  const int64_t code = A.int_(0, "op");
  require(code >= 0 && code < int64_t(ReduceOp::count), "unknown reduce op");
  const ReduceOp op = ReduceOp(code);
  const int64_t outer = A.int_(2, "outer"), size = A.int_(3, "size"), inner = A.int_(4, "inner");
  require(outer >= 0 && size >= 0 && inner >= 0, "negative reduce extent");
  Arr x = A.f32(1, "x", size_t(outer * size * inner)), out = A.f32(5, "out", size_t(outer * inner));
  const float* px = x.f32();
  float* po = out.f32();
  if (inner == 1) {
    if (outer == 1 && size >= 65536 && (op == ReduceOp::sum) && poolThreads() > 1) {
      // One long row: partial sums per thread.
      const int T = poolThreads();
      std::vector<double> part(size_t(T), 0.0);
      struct Ctx { const float* x; int64_t size; int T; double* part; } ctx{px, size, T, part.data()};
      poolRun(T, [](void* p, int t) {
        Ctx& c = *static_cast<Ctx*>(p);
        const int64_t lo = c.size * t / c.T, hi = c.size * (t + 1) / c.T;
        c.part[t] = reduceRow(ReduceOp::sum, c.x + lo, hi - lo);
      }, &ctx);
      double s = 0;
      for (double v : part) s += v;
      po[0] = float(s);
      return;
    }
    parallelFor(outer, std::max<int64_t>(1, 32768 / std::max<int64_t>(size, 1)), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; o++) po[o] = float(reduceRow(op, px + o * size, size));
    });
    return;
  }
  // inner > 1: accumulate rows of `inner` in double, split over outer × inner blocks.
  const int64_t blk = 1024;
  const int64_t nblk = (inner + blk - 1) / blk;
  parallelFor(outer * nblk, std::max<int64_t>(1, 32768 / std::max<int64_t>(size * std::min(inner, blk), 1)), [&](int64_t lo, int64_t hi) {
    std::vector<double> acc(size_t(std::min(inner, blk)));
    for (int64_t t = lo; t < hi; t++) {
      const int64_t o = t / nblk, i0 = (t % nblk) * blk, len = std::min(blk, inner - i0);
      std::fill(acc.begin(), acc.begin() + len, initial(op));
      const float* base = px + o * size * inner + i0;
      for (int64_t k = 0; k < size; k++) {
        const float* row = base + k * inner;
        if (op == ReduceOp::sum) for (int64_t i = 0; i < len; i++) acc[size_t(i)] += row[i];
        else for (int64_t i = 0; i < len; i++) acc[size_t(i)] = pick(op, acc[size_t(i)], row[i]);
      }
      for (int64_t i = 0; i < len; i++) po[o * inner + i0 + i] = float(acc[size_t(i)]);
    }
  });
}

/** argReduce(op, x, outer, size, inner, out: Int32Array) — first index on ties, first NaN wins. */
AL_BINDING(argReduce) {
  Args A(env, info, 6, "argReduce");
  const int64_t code = A.int_(0, "op");
  require(code >= 0 && code < int64_t(ArgReduceOp::count), "unknown argReduce op");
  const bool isMax = ArgReduceOp(code) == ArgReduceOp::argmax;
  const int64_t outer = A.int_(2, "outer"), size = A.int_(3, "size"), inner = A.int_(4, "inner");
  require(outer >= 0 && size >= 1 && inner >= 0, "bad argReduce extent");
  Arr x = A.f32(1, "x", size_t(outer * size * inner)), out = A.i32(5, "out", size_t(outer * inner));
  const float* px = x.f32();
  int32_t* po = out.i32();
  parallelFor(outer * inner, std::max<int64_t>(1, 32768 / size), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; t++) {
      const int64_t o = t / inner, i = t % inner;
      const float* base = px + o * size * inner + i;
      float best = base[0];
      int64_t bi = 0;
      if (best == best) {
        for (int64_t k = 1; k < size; k++) {
          const float v = base[k * inner];
          if (v != v) { bi = k; break; }
          if (isMax ? v > best : v < best) { best = v; bi = k; }
        }
      }
      po[t] = int32_t(bi);
    }
  });
}

void registerReduce(Registry& r) {
  r.add("reduce", reduce);
  r.add("argReduce", argReduce);
}

}  // namespace al
