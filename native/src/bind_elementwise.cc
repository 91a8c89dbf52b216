// Element-wise float32 kernels (unary, broadcasting binary, compare, where) and their bindings.
#include <cmath>

#include "bindings.h"
#include "opcodes.h"
#include "pool.h"
#include "strided.h"

namespace al {

namespace {

constexpr int64_t kGrain = 32768;

template <class F>
void unaryLoop(const float* x, float* out, int64_t n, F f) {
  parallelFor(n, kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) out[i] = f(x[i]);
  });
}

/** JS Math.pow semantics (differs from C pow for pow(1, NaN) and pow(±1, ±Infinity)). */
inline float jsPow(float x, float y) {
  if (y != y) return NAN;
  if (std::isinf(y) && std::fabs(x) == 1.f) return NAN;
  return float(std::pow(double(x), double(y)));
}

template <class OutT, class F>
void binaryLoop(const float* a, const float* b, OutT* out, const Plan<2>& p, F f) {
  parallelFor(p.total(), kGrain, [&](int64_t lo, int64_t hi) {
    forSegments<2>(p, lo, hi, [&](int64_t pos, const int64_t* o, int64_t len, const int64_t* is) {
      const float* pa = a + o[0];
      const float* pb = b + o[1];
      OutT* po = out + pos;
      if (is[0] == 1 && is[1] == 1) for (int64_t i = 0; i < len; i++) po[i] = f(pa[i], pb[i]);
      else if (is[0] == 1 && is[1] == 0) { const float y = *pb; for (int64_t i = 0; i < len; i++) po[i] = f(pa[i], y); }
      else if (is[0] == 0 && is[1] == 1) { const float x = *pa; for (int64_t i = 0; i < len; i++) po[i] = f(x, pb[i]); }
      else for (int64_t i = 0; i < len; i++) po[i] = f(pa[i * is[0]], pb[i * is[1]]);
    });
  });
}

}  // namespace

/** unary(op, x, out) */
AL_BINDING(unary) {
  Args A(env, info, 3, "unary");
  const auto op = UnaryOp(A.int_(0, "op"));
  Arr out = A.f32out(2, "out", 0);
  Arr x = A.f32(1, "x", out.length);
  const float* px = x.f32();
  float* po = out.f32();
  const int64_t n = int64_t(out.length);
  switch (op) {
    case UnaryOp::neg: unaryLoop(px, po, n, [](float v) { return -v; }); break;
    case UnaryOp::exp: unaryLoop(px, po, n, [](float v) { return std::exp(v); }); break;
    case UnaryOp::log: unaryLoop(px, po, n, [](float v) { return std::log(v); }); break;
    case UnaryOp::sqrt: unaryLoop(px, po, n, [](float v) { return std::sqrt(v); }); break;
    case UnaryOp::abs: unaryLoop(px, po, n, [](float v) { return std::fabs(v); }); break;
    case UnaryOp::sin: unaryLoop(px, po, n, [](float v) { return float(std::sin(double(v))); }); break;
    case UnaryOp::cos: unaryLoop(px, po, n, [](float v) { return float(std::cos(double(v))); }); break;
    case UnaryOp::tanh: unaryLoop(px, po, n, [](float v) { return std::tanh(v); }); break;
    case UnaryOp::sigmoid: unaryLoop(px, po, n, [](float v) { return float(1.0 / (1.0 + std::exp(-double(v)))); }); break;
    case UnaryOp::relu: unaryLoop(px, po, n, [](float v) { return (v > 0.f || v != v) ? v : 0.f; }); break;
    case UnaryOp::erf: unaryLoop(px, po, n, [](float v) { return float(std::erf(double(v))); }); break;
    case UnaryOp::sign: unaryLoop(px, po, n, [](float v) { return v > 0.f ? 1.f : (v < 0.f ? -1.f : (v != v ? v : 0.f)); }); break;
    case UnaryOp::floor: unaryLoop(px, po, n, [](float v) { return std::floor(v); }); break;
    case UnaryOp::ceil: unaryLoop(px, po, n, [](float v) { return std::ceil(v); }); break;
    case UnaryOp::round: unaryLoop(px, po, n, [](float v) { return std::nearbyint(v); }); break;
    case UnaryOp::not_: unaryLoop(px, po, n, [](float v) { return (v != 0.f && v == v) ? 0.f : 1.f; }); break;
    default: throw ArgError{"unknown unary op"};
  }
}

static Plan<2> binaryPlan(const Args& A, const Arr& a, const Arr& b, size_t outLen, size_t planArg) {
  Plan<2> p = readPlan<2>(A.arr(planArg, "plan"));
  require(size_t(p.total()) <= outLen, "plan larger than out");
  if (p.total() > 0) {
    require(p.reach(0) < int64_t(a.length), "plan reads past a");
    require(p.reach(1) < int64_t(b.length), "plan reads past b");
  }
  return p;
}

/** binary(op, a, b, out, plan) */
AL_BINDING(binary) {
  Args A(env, info, 5, "binary");
  const auto op = BinaryOp(A.int_(0, "op"));
  Arr a = A.f32(1, "a", 0), b = A.f32(2, "b", 0), out = A.f32out(3, "out", 0);
  Plan<2> p = binaryPlan(A, a, b, out.length, 4);
  const float* pa = a.f32();
  const float* pb = b.f32();
  float* po = out.f32();
  switch (op) {
    case BinaryOp::add: binaryLoop(pa, pb, po, p, [](float x, float y) { return x + y; }); break;
    case BinaryOp::sub: binaryLoop(pa, pb, po, p, [](float x, float y) { return x - y; }); break;
    case BinaryOp::mul: binaryLoop(pa, pb, po, p, [](float x, float y) { return x * y; }); break;
    case BinaryOp::div: binaryLoop(pa, pb, po, p, [](float x, float y) { return x / y; }); break;
    case BinaryOp::pow: binaryLoop(pa, pb, po, p, [](float x, float y) { return jsPow(x, y); }); break;
    case BinaryOp::maximum: binaryLoop(pa, pb, po, p, [](float x, float y) { return (x != x || x > y) ? x : y; }); break;
    case BinaryOp::minimum: binaryLoop(pa, pb, po, p, [](float x, float y) { return (x != x || x < y) ? x : y; }); break;
    default: throw ArgError{"unknown binary op"};
  }
}

/** compare(op, a, b, out: Uint8Array, plan) */
AL_BINDING(compare) {
  Args A(env, info, 5, "compare");
  const auto op = CompareOp(A.int_(0, "op"));
  Arr a = A.f32(1, "a", 0), b = A.f32(2, "b", 0), out = A.u8(3, "out", 0);
  Plan<2> p = binaryPlan(A, a, b, out.length, 4);
  const float* pa = a.f32();
  const float* pb = b.f32();
  uint8_t* po = out.u8();
  switch (op) {
    case CompareOp::eq: binaryLoop(pa, pb, po, p, [](float x, float y) { return uint8_t(x == y); }); break;
    case CompareOp::ne: binaryLoop(pa, pb, po, p, [](float x, float y) { return uint8_t(x != y); }); break;
    case CompareOp::lt: binaryLoop(pa, pb, po, p, [](float x, float y) { return uint8_t(x < y); }); break;
    case CompareOp::le: binaryLoop(pa, pb, po, p, [](float x, float y) { return uint8_t(x <= y); }); break;
    case CompareOp::gt: binaryLoop(pa, pb, po, p, [](float x, float y) { return uint8_t(x > y); }); break;
    case CompareOp::ge: binaryLoop(pa, pb, po, p, [](float x, float y) { return uint8_t(x >= y); }); break;
    default: throw ArgError{"unknown compare op"};
  }
}

/** where(cond: Uint8Array, a, b, out, plan over [cond, a, b]) */
AL_BINDING(where) {
  Args A(env, info, 5, "where");
  Arr c = A.u8(0, "cond", 0);
  Arr a = A.f32(1, "a", 0), b = A.f32(2, "b", 0), out = A.f32out(3, "out", 0);
  Plan<3> p = readPlan<3>(A.arr(4, "plan"));
  require(size_t(p.total()) <= out.length, "plan larger than out");
  if (p.total() > 0) require(p.reach(0) < int64_t(c.length) && p.reach(1) < int64_t(a.length) && p.reach(2) < int64_t(b.length), "plan reads past an operand");
  const uint8_t* pc = c.u8();
  const float* pa = a.f32();
  const float* pb = b.f32();
  float* po = out.f32();
  parallelFor(p.total(), kGrain, [&](int64_t lo, int64_t hi) {
    forSegments<3>(p, lo, hi, [&](int64_t pos, const int64_t* o, int64_t len, const int64_t* is) {
      for (int64_t i = 0; i < len; i++) po[pos + i] = pc[o[0] + i * is[0]] ? pa[o[1] + i * is[1]] : pb[o[2] + i * is[2]];
    });
  });
}

/** reluBackward(g, x, out): out = x > 0 ? g : 0 (NaN x gives 0). */
AL_BINDING(reluBackward) {
  Args A(env, info, 3, "reluBackward");
  Arr out = A.f32out(2, "out", 0);
  Arr g = A.f32(0, "g", out.length), x = A.f32(1, "x", out.length);
  const float *pg = g.f32(), *px = x.f32();
  float* po = out.f32();
  parallelFor(int64_t(out.length), kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) po[i] = px[i] > 0.f ? pg[i] : 0.f;
  });
}

void registerElementwise(Registry& r) {
  r.add("reluBackward", reluBackward);
  r.add("unary", unary);
  r.add("binary", binary);
  r.add("compare", compare);
  r.add("where", where);
}

}  // namespace al
