// Packed, blocked single-precision GEMM over abstract operand sources (matrices, implicit im2col).
#pragma once
#include <cstdint>

namespace al {

/** A strided view: element (r, c) = p[rowOff(r) + colOff(c)], where an index i maps to
 *  (i / grp) * gstride + (i % grp) * stride, grouping letting NCHW batches act as one matrix. */
struct Axis {
  int64_t stride = 1, grp = INT64_MAX, gstride = 0;
  int64_t off(int64_t i) const { return grp == INT64_MAX ? i * stride : (i / grp) * gstride + (i % grp) * stride; }
};
struct View {
  const float* p = nullptr;
  Axis r, c;
};
struct OutView {
  float* p = nullptr;
  Axis r, c;
};

/** Supplies packed panels of A (m×k): dst[p·MR + r] = A(i0 + r, p0 + p), rows ≥ mr zero. */
struct ASource {
  virtual ~ASource() = default;
  virtual void packA(int64_t i0, int mr, int MR, int64_t p0, int kc, float* dst) const = 0;
};
/** Supplies packed panels of B (k×n): dst[p·NR + c] = B(p0 + p, j0 + c), columns ≥ nr zero. */
struct BSource {
  virtual ~BSource() = default;
  virtual void packB(int64_t p0, int kc, int64_t j0, int nr, int NR, float* dst) const = 0;
};

struct ViewA final : ASource {
  View v;
  explicit ViewA(View v_) : v(v_) {}
  void packA(int64_t i0, int mr, int MR, int64_t p0, int kc, float* dst) const override;
};
struct ViewB final : BSource {
  View v;
  explicit ViewB(View v_) : v(v_) {}
  void packB(int64_t p0, int kc, int64_t j0, int nr, int NR, float* dst) const override;
};

/**
 * C (m×n) = A·B, or C += A·B when accumulate. Splits the work over the thread pool when
 * `parallel` and the product is large enough.
 */
void gemm(int64_t m, int64_t n, int64_t k, const ASource& a, const BSource& b, const OutView& c, bool accumulate, bool parallel);

/** Plain row-major matrices with optional transposes: C = op(A)·op(B). */
void gemmPlain(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c,
               bool accumulate, bool parallel);

/** Name of the micro-kernel family in use, e.g. "avx512 8x48/12x32". */
const char* gemmKernelName();

}  // namespace al
