// Strided iteration plans: walk a flat output range as contiguous inner segments of N operands.
#pragma once
#include <cstdint>

#include "napi_util.h"

namespace al {

constexpr int kMaxDims = 16;

/** Loop extents (outer to inner) and, per operand, the element stride of each loop. */
template <int NOP>
struct Plan {
  int nd = 1;
  int64_t dims[kMaxDims] = {1};
  int64_t st[NOP][kMaxDims] = {};
  int64_t total() const {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= dims[i];
    return n;
  }
  /** Largest element offset operand k reaches (strides are non-negative). */
  int64_t reach(int k) const {
    int64_t r = 0;
    for (int i = 0; i < nd; i++) r += (dims[i] - 1) * st[k][i];
    return r;
  }
};

/** Read a plan packed as Int32Array [nd, dims..., strides of operand 0..., operand 1...]. */
template <int NOP>
Plan<NOP> readPlan(const Arr& a) {
  Plan<NOP> p;
  require(a.type == napi_int32_array && a.length >= 1, "plan must be an Int32Array");
  const int32_t* v = a.i32();
  p.nd = v[0];
  require(p.nd >= 1 && p.nd <= kMaxDims && a.length >= size_t(1 + p.nd * (NOP + 1)), "bad plan length");
  for (int i = 0; i < p.nd; i++) {
    p.dims[i] = v[1 + i];
    require(p.dims[i] >= 0, "negative plan extent");
    for (int k = 0; k < NOP; k++) {
      p.st[k][i] = v[1 + p.nd * (k + 1) + i];
      require(p.st[k][i] >= 0, "negative plan stride");
    }
  }
  return p;
}

/**
 * Call seg(pos, offs, len, innerStrides) for each contiguous run of the flat range [lo, hi):
 * output positions pos..pos+len, operand k starting at offs[k] with step innerStrides[k].
 */
template <int NOP, class F>
void forSegments(const Plan<NOP>& p, int64_t lo, int64_t hi, F&& seg) {
  if (hi <= lo) return;
  const int nd = p.nd;
  const int64_t inner = p.dims[nd - 1];
  if (inner == 0) return;
  int64_t idx[kMaxDims] = {};
  int64_t off[NOP] = {};
  int64_t row = lo / inner, col = lo % inner;
  for (int d = nd - 2; d >= 0; d--) {
    idx[d] = row % p.dims[d];
    row /= p.dims[d];
    for (int k = 0; k < NOP; k++) off[k] += idx[d] * p.st[k][d];
  }
  int64_t is[NOP];
  for (int k = 0; k < NOP; k++) is[k] = p.st[k][nd - 1];
  int64_t pos = lo;
  while (pos < hi) {
    const int64_t len = inner - col < hi - pos ? inner - col : hi - pos;
    int64_t o[NOP];
    for (int k = 0; k < NOP; k++) o[k] = off[k] + col * is[k];
    seg(pos, o, len, is);
    pos += len;
    col = 0;
    for (int d = nd - 2; d >= 0; d--) {
      idx[d]++;
      for (int k = 0; k < NOP; k++) off[k] += p.st[k][d];
      if (idx[d] < p.dims[d]) break;
      for (int k = 0; k < NOP; k++) off[k] -= p.st[k][d] * p.dims[d];
      idx[d] = 0;
    }
  }
}

}  // namespace al
