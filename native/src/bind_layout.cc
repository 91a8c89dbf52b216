// Layout kernels for 4-byte elements: strided read/write (permute, expand, slice, slice-scatter), gather, scatter-add.
#include <algorithm>
#include <cstring>

#include "bindings.h"
#include "pool.h"
#include "strided.h"

namespace al {

namespace {

constexpr int64_t kGrain = 65536;

/** Plan over one operand: [nd, dims..., strides...], checked to stay inside `len` from `offset`. */
Plan<1> layoutPlan(const Args& A, size_t arg, int64_t offset, size_t len, size_t denseLen) {
  Plan<1> p = readPlan<1>(A.arr(arg, "plan"));
  require(offset >= 0, "negative offset");
  require(size_t(p.total()) <= denseLen, "plan larger than the dense operand");
  if (p.total() > 0) require(offset + p.reach(0) < int64_t(len), "plan reaches past the strided operand");
  return p;
}

}  // namespace

/** stridedRead(x, offset, plan, out): out (dense) = x[offset + Σ idx·stride] — x and out both 4-byte typed arrays. */
AL_BINDING(stridedRead) {
  Args A(env, info, 4, "stridedRead");
  Arr x = A.word(0, "x", 0), out = A.word(3, "out", 0);
  require(x.type == out.type, "x and out must have the same type");
  adviseHugeOutput(out.data, out.length * 4);
  const int64_t offset = A.int_(1, "offset");
  Plan<1> p = layoutPlan(A, 2, offset, x.length, out.length);
  const uint32_t* px = static_cast<const uint32_t*>(x.data) + offset;
  uint32_t* po = static_cast<uint32_t*>(out.data);
  parallelFor(p.total(), kGrain, [&](int64_t lo, int64_t hi) {
    forSegments<1>(p, lo, hi, [&](int64_t pos, const int64_t* o, int64_t len, const int64_t* is) {
      const uint32_t* s = px + o[0];
      uint32_t* d = po + pos;
      if (is[0] == 1) std::memcpy(d, s, size_t(len) * 4);
      else if (is[0] == 0) std::fill(d, d + len, *s);
      else for (int64_t i = 0; i < len; i++) d[i] = s[i * is[0]];
    });
  });
}

/** stridedWrite(src, out, offset, plan): out[offset + Σ idx·stride] = src (dense). */
AL_BINDING(stridedWrite) {
  Args A(env, info, 4, "stridedWrite");
  Arr src = A.word(0, "src", 0), out = A.word(1, "out", 0);
  require(src.type == out.type, "src and out must have the same type");
  const int64_t offset = A.int_(2, "offset");
  Plan<1> p = layoutPlan(A, 3, offset, out.length, src.length);
  for (int i = 0; i < p.nd; i++) require(p.dims[i] <= 1 || p.st[0][i] > 0, "stridedWrite needs positive strides");
  const uint32_t* ps = static_cast<const uint32_t*>(src.data);
  uint32_t* po = static_cast<uint32_t*>(out.data) + offset;
  parallelFor(p.total(), kGrain, [&](int64_t lo, int64_t hi) {
    forSegments<1>(p, lo, hi, [&](int64_t pos, const int64_t* o, int64_t len, const int64_t* is) {
      uint32_t* d = po + o[0];
      const uint32_t* s = ps + pos;
      if (is[0] == 1) std::memcpy(d, s, size_t(len) * 4);
      else for (int64_t i = 0; i < len; i++) d[i * is[0]] = s[i];
    });
  });
}

/**
 * The shared arguments of gather and scatterAdd, (data [outer, size, inner], outer, size, inner, idx [outer, isize,
 * inner], isize, other [outer, isize, inner]), checked: extents, lengths, and every index in [0, size).
 */
struct IndexedAxis {
  int64_t outer, size, inner, isize;
  const int32_t* idx;
  IndexedAxis(const Args& A) {
    outer = A.int_(1, "outer"), size = A.int_(2, "size"), inner = A.int_(3, "inner"), isize = A.int_(5, "isize");
    require(outer >= 0 && size >= 0 && inner >= 0 && isize >= 0, "negative extent");
    idx = A.i32(4, "idx", size_t(outer * isize * inner)).i32();
    const int64_t n = outer * isize * inner;
    for (int64_t t = 0; t < n; t++) require(idx[t] >= 0 && idx[t] < size, "index out of range");
  }
  size_t dataLen() const { return size_t(outer * size * inner); }
  size_t indexedLen() const { return size_t(outer * isize * inner); }
};

/** gather(x, outer, size, inner, idx, isize, out): out[o, j, i] = x[o, idx[o, j, i], i]. */
AL_BINDING(gather) {
  Args A(env, info, 7, "gather");
  const IndexedAxis ax(A);
  const int64_t outer = ax.outer, size = ax.size, inner = ax.inner, isize = ax.isize;
  const int32_t* pi = ax.idx;
  const float* px = A.f32(0, "x", ax.dataLen()).f32();
  float* po = A.f32out(6, "out", ax.indexedLen()).f32();
  parallelFor(outer * isize, std::max<int64_t>(1, kGrain / std::max<int64_t>(inner, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const int64_t o = r / isize;
      const float* xb = px + o * size * inner;
      const int32_t* ir = pi + r * inner;
      float* orow = po + r * inner;
      for (int64_t i = 0; i < inner; i++) orow[i] = xb[int64_t(ir[i]) * inner + i];
    }
  });
}

/** scatterAdd(out, outer, size, inner, idx, isize, src): out[o, idx[o, j, i], i] += src[o, j, i]. */
AL_BINDING(scatterAdd) {
  Args A(env, info, 7, "scatterAdd");
  const IndexedAxis ax(A);
  const int64_t outer = ax.outer, size = ax.size, inner = ax.inner, isize = ax.isize;
  const int32_t* pi = ax.idx;
  float* po = A.f32(0, "out", ax.dataLen()).f32();
  const float* ps = A.f32(6, "src", ax.indexedLen()).f32();
  // Columns (o, i) are independent: split over outer × inner blocks.
  const int64_t blk = inner >= 256 ? 256 : inner;
  const int64_t nblk = blk ? (inner + blk - 1) / blk : 0;
  parallelFor(outer * nblk, std::max<int64_t>(1, kGrain / std::max<int64_t>(isize * blk, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; t++) {
      const int64_t o = t / nblk, i0 = (t % nblk) * blk, i1 = std::min(inner, i0 + blk);
      float* ob = po + o * size * inner;
      for (int64_t j = 0; j < isize; j++) {
        const int64_t row = (o * isize + j) * inner;
        for (int64_t i = i0; i < i1; i++) ob[int64_t(pi[row + i]) * inner + i] += ps[row + i];
      }
    }
  });
}

void registerLayout(Registry& r) {
  r.add("stridedRead", stridedRead);
  r.add("stridedWrite", stridedWrite);
  r.add("gather", gather);
  r.add("scatterAdd", scatterAdd);
}

}  // namespace al
