// Fused float32 kernels the engine may use as primitives: batch norm (train) fwd/bwd, softmax,
// log-softmax, softmax cross-entropy fwd/bwd, pairwise squared distances.
#include <algorithm>
#include <cmath>
#include <vector>

#include "bindings.h"
#include "gemm.h"
#include "pool.h"

namespace al {

namespace {

int64_t grainRows(int64_t rowLen) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(rowLen, 1)); }

/**
 * Σ(r − x₀) and Σ(r − x₀)² of a row: 8 independent float lanes per chunk of 512 (so the compiler can
 * vectorise without reassociating), chunks folded into double.
 */
void shiftedSums(const float* r, int64_t n, float x0, double& s, double& ss) {
  for (int64_t c0 = 0; c0 < n; c0 += 512) {
    const int64_t c1 = std::min<int64_t>(n, c0 + 512);
    float a[8] = {}, q[8] = {};
    int64_t i = c0;
    for (; i + 8 <= c1; i += 8)
      for (int l = 0; l < 8; l++) {
        const float d = r[i + l] - x0;
        a[l] += d;
        q[l] += d * d;
      }
    for (; i < c1; i++) {
      const float d = r[i] - x0;
      a[0] += d;
      q[0] += d * d;
    }
    s += ((double(a[0]) + a[1]) + (double(a[2]) + a[3])) + ((double(a[4]) + a[5]) + (double(a[6]) + a[7]));
    ss += ((double(q[0]) + q[1]) + (double(q[2]) + q[3])) + ((double(q[4]) + q[5]) + (double(q[6]) + q[7]));
  }
}

/** Σg and Σg·(x − μ) of a row, with the same chunked float lanes. */
void gradSums(const float* g, const float* x, int64_t n, float mu, double& sg, double& sgx) {
  for (int64_t c0 = 0; c0 < n; c0 += 512) {
    const int64_t c1 = std::min<int64_t>(n, c0 + 512);
    float a[8] = {}, q[8] = {};
    int64_t i = c0;
    for (; i + 8 <= c1; i += 8)
      for (int l = 0; l < 8; l++) {
        a[l] += g[i + l];
        q[l] += g[i + l] * (x[i + l] - mu);
      }
    for (; i < c1; i++) {
      a[0] += g[i];
      q[0] += g[i] * (x[i] - mu);
    }
    sg += ((double(a[0]) + a[1]) + (double(a[2]) + a[3])) + ((double(a[4]) + a[5]) + (double(a[6]) + a[7]));
    sgx += ((double(q[0]) + q[1]) + (double(q[2]) + q[3])) + ((double(q[4]) + q[5]) + (double(q[6]) + q[7]));
  }
}

/** Max over a strided row with the engine's NaN-sticky rule, then the finite shift logsumexp uses. */
float rowShift(const float* x, int64_t size, int64_t stride) {
  float m = -INFINITY;
  for (int64_t k = 0; k < size; k++) {
    const float v = x[k * stride];
    if (v != v || v > m) m = v;
    if (m != m) break;
  }
  return std::isfinite(m) ? m : 0.f;
}

void softmaxRows(const float* x, float* out, int64_t outer, int64_t size, int64_t inner, bool log) {
  parallelFor(outer * inner, grainRows(size), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; t++) {
      const int64_t o = t / inner, i = t % inner;
      const float* xr = x + o * size * inner + i;
      float* yr = out + o * size * inner + i;
      const float m = rowShift(xr, size, inner);
      double s = 0;
      for (int64_t k = 0; k < size; k++) s += std::exp(double(xr[k * inner]) - m);
      if (log) {
        const double lse = std::log(s) + m;
        for (int64_t k = 0; k < size; k++) yr[k * inner] = float(double(xr[k * inner]) - lse);
      } else {
        const double inv = 1.0 / s;
        for (int64_t k = 0; k < size; k++) yr[k * inner] = float(std::exp(double(xr[k * inner]) - m) * inv);
      }
    }
  });
}

Arr optionalF32(const Args& A, size_t i, const char* name, size_t len) {
  Arr a = A.f32(i, name, 0);
  require(a.length == 0 || a.length >= len, "optional per-channel array has the wrong length");
  return a;
}

}  // namespace

/**
 * batchNormTrainForward(x, weight, bias, n, c, hw, eps, out, mean, invstd): batch statistics over
 * [n, ·, hw] per channel (biased variance); weight/bias may be empty (no affine).
 */
AL_BINDING(batchNormTrainForward) {
  Args A(env, info, 10, "batchNormTrainForward");
  const int64_t n = A.int_(3, "n"), c = A.int_(4, "c"), hw = A.int_(5, "hw");
  const double eps = A.num(6, "eps");
  require(n >= 1 && c >= 1 && hw >= 1, "bad batch-norm extent");
  const size_t total = size_t(n * c * hw);
  Arr x = A.f32(0, "x", total), w = optionalF32(A, 1, "weight", size_t(c)), b = optionalF32(A, 2, "bias", size_t(c));
  Arr out = A.f32out(7, "out", total), mean = A.f32(8, "mean", size_t(c)), inv = A.f32(9, "invstd", size_t(c));
  const float *px = x.f32(), *pw = w.length ? w.f32() : nullptr, *pb = b.length ? b.f32() : nullptr;
  float *po = out.f32(), *pm = mean.f32(), *pi = inv.f32();
  const double cnt = double(n * hw);
  parallelFor(c, std::max<int64_t>(1, 32768 / (n * hw)), [&](int64_t lo, int64_t hi) {
    for (int64_t ch = lo; ch < hi; ch++) {
      // One pass: Σ(x − x₀) and Σ(x − x₀)² around a pilot value x₀ (the first element), which keeps
      // the variance accurate even when the mean is large relative to the spread.
      const float x0 = px[ch * hw];
      double s = 0, ss = 0;
      for (int64_t b_ = 0; b_ < n; b_++) shiftedSums(px + (b_ * c + ch) * hw, hw, x0, s, ss);
      const double md = s / cnt;  // mean − x₀
      const double mu = x0 + md;
      const double var = std::max(ss / cnt - md * md, 0.0);
      const double is = 1.0 / std::sqrt(var + eps);
      pm[ch] = float(mu);
      pi[ch] = float(is);
      const float scale = float(is * (pw ? pw[ch] : 1.0));
      const float shift = float((pb ? pb[ch] : 0.0) - mu * is * (pw ? pw[ch] : 1.0));
      for (int64_t b_ = 0; b_ < n; b_++) {
        const float* r = px + (b_ * c + ch) * hw;
        float* y = po + (b_ * c + ch) * hw;
        for (int64_t i = 0; i < hw; i++) y[i] = r[i] * scale + shift;
      }
    }
  });
}

/**
 * batchNormBackward(x, dy, mean, invstd, weight, n, c, hw, dx, dweight, dbias): gradients of the
 * training-mode batch norm; weight, dweight and dbias may be empty arrays (no affine / not wanted).
 */
AL_BINDING(batchNormBackward) {
  Args A(env, info, 11, "batchNormBackward");
  const int64_t n = A.int_(5, "n"), c = A.int_(6, "c"), hw = A.int_(7, "hw");
  require(n >= 1 && c >= 1 && hw >= 1, "bad batch-norm extent");
  const size_t total = size_t(n * c * hw);
  Arr x = A.f32(0, "x", total), dy = A.f32(1, "dy", total), mean = A.f32(2, "mean", size_t(c)), inv = A.f32(3, "invstd", size_t(c));
  Arr w = optionalF32(A, 4, "weight", size_t(c));
  Arr dx = A.f32out(8, "dx", total), dw = optionalF32(A, 9, "dweight", size_t(c)), db = optionalF32(A, 10, "dbias", size_t(c));
  const float *px = x.f32(), *pdy = dy.f32(), *pm = mean.f32(), *pi = inv.f32(), *pw = w.length ? w.f32() : nullptr;
  float *pdx = dx.f32(), *pdw = dw.length ? dw.f32() : nullptr, *pdb = db.length ? db.f32() : nullptr;
  const double cnt = double(n * hw);
  parallelFor(c, std::max<int64_t>(1, 32768 / (n * hw)), [&](int64_t lo, int64_t hi) {
    for (int64_t ch = lo; ch < hi; ch++) {
      const double mu = pm[ch], is = pi[ch];
      double sdy = 0, sdyx = 0;
      for (int64_t b_ = 0; b_ < n; b_++) gradSums(pdy + (b_ * c + ch) * hw, px + (b_ * c + ch) * hw, hw, float(mu), sdy, sdyx);
      const double sxhat = sdyx * is;  // Σ dy · x̂
      if (pdb) pdb[ch] = float(sdy);
      if (pdw) pdw[ch] = float(sxhat);
      const double gam = pw ? pw[ch] : 1.0;
      const float k = float(gam * is);
      const float mdy = float(sdy / cnt);
      const float kx = float(sxhat * is / cnt);  // coefficient of (x − μ)
      for (int64_t b_ = 0; b_ < n; b_++) {
        const float* r = px + (b_ * c + ch) * hw;
        const float* g = pdy + (b_ * c + ch) * hw;
        float* d = pdx + (b_ * c + ch) * hw;
        const float muf = float(mu);
        for (int64_t i = 0; i < hw; i++) d[i] = k * (g[i] - mdy - (r[i] - muf) * kx);
      }
    }
  });
}

/** The arguments (x, outer, size, inner, out) of softmax and logSoftmax, checked; then the rows. */
static void softmaxCall(napi_env env, napi_callback_info info, const char* name, bool log) {
  Args A(env, info, 5, name);
  const int64_t outer = A.int_(1, "outer"), size = A.int_(2, "size"), inner = A.int_(3, "inner");
  require(outer >= 0 && size >= 1 && inner >= 0, "bad softmax extent");
  Arr x = A.f32(0, "x", size_t(outer * size * inner)), out = A.f32out(4, "out", size_t(outer * size * inner));
  softmaxRows(x.f32(), out.f32(), outer, size, inner, log);
}

/** softmax(x, outer, size, inner, out) over the middle axis. */
AL_BINDING(softmax) { softmaxCall(env, info, "softmax", false); }

/** logSoftmax(x, outer, size, inner, out) over the middle axis. */
AL_BINDING(logSoftmax) { softmaxCall(env, info, "logSoftmax", true); }

/** The shared arguments (…, targets Int32 [n], n, c, ignoreIndex, …) of the cross-entropy entry points, checked. */
struct CrossEntropyArgs {
  int64_t n, c, ignore;
  const int32_t* targets;
  explicit CrossEntropyArgs(const Args& A) {
    n = A.int_(2, "n"), c = A.int_(3, "c"), ignore = A.int_(4, "ignoreIndex");
    require(n >= 0 && c >= 1, "bad cross-entropy extent");
    targets = A.i32(1, "targets", size_t(n)).i32();
    for (int64_t i = 0; i < n; i++) require(targets[i] == ignore || (targets[i] >= 0 && targets[i] < c), "target out of range");
  }
};

/**
 * softmaxCrossEntropy(logits [n, c], targets Int32 [n], n, c, ignoreIndex, loss [n], prob [n, c]):
 * per-row loss logsumexp − logit[target] (0 for ignored rows) and the softmax for the backward.
 */
AL_BINDING(softmaxCrossEntropy) {
  Args A(env, info, 7, "softmaxCrossEntropy");
  const CrossEntropyArgs ce(A);
  const int64_t n = ce.n, c = ce.c, ignore = ce.ignore;
  const int32_t* pt = ce.targets;
  Arr x = A.f32(0, "logits", size_t(n * c)), loss = A.f32(5, "loss", size_t(n)), prob = A.f32(6, "prob", size_t(n * c));
  softmaxRows(x.f32(), prob.f32(), n, c, 1, true);
  const float* lp = prob.f32();
  float* pl = loss.f32();
  float* pp = prob.f32();
  for (int64_t i = 0; i < n; i++) pl[i] = pt[i] == ignore ? 0.f : -lp[i * c + pt[i]];
  for (int64_t i = 0; i < n * c; i++) pp[i] = std::exp(pp[i]);
}

/** softmaxCrossEntropyBackward(prob, targets, n, c, ignoreIndex, gradLoss [n], dlogits): (p − onehot)·g. */
AL_BINDING(softmaxCrossEntropyBackward) {
  Args A(env, info, 7, "softmaxCrossEntropyBackward");
  const CrossEntropyArgs ce(A);
  const int64_t n = ce.n, c = ce.c, ignore = ce.ignore;
  const int32_t* pt = ce.targets;
  Arr p = A.f32(0, "prob", size_t(n * c)), g = A.f32(5, "gradLoss", size_t(n)), d = A.f32(6, "dlogits", size_t(n * c));
  const float *pp = p.f32(), *pg = g.f32();
  float* pd = d.f32();
  parallelFor(n, grainRows(c), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) {
      const bool skip = pt[i] == ignore;
      const float gi = skip ? 0.f : pg[i];
      for (int64_t j = 0; j < c; j++) pd[i * c + j] = pp[i * c + j] * gi;
      if (!skip) pd[i * c + pt[i]] -= gi;
    }
  });
}

/**
 * pairwiseSquaredDistance(a [batch, n, d], b [batch, m, d], batch, n, m, d, out [batch, n, m]):
 * max(‖a_i‖² − 2 a_i·b_j + ‖b_j‖², 0), the engine's formula (NaN propagates).
 */
AL_BINDING(pairwiseSquaredDistance) {
  Args A(env, info, 7, "pairwiseSquaredDistance");
  const int64_t batch = A.int_(2, "batch"), n = A.int_(3, "n"), m = A.int_(4, "m"), d = A.int_(5, "d");
  require(batch >= 0 && n >= 0 && m >= 0 && d >= 0, "bad distance extent");
  Arr a = A.f32(0, "a", size_t(batch * n * d)), b = A.f32(1, "b", size_t(batch * m * d)), out = A.f32(6, "out", size_t(batch * n * m));
  const float *pa = a.f32(), *pb = b.f32();
  float* po = out.f32();
  std::vector<float> an(static_cast<size_t>(n)), bn(static_cast<size_t>(m));
  for (int64_t t = 0; t < batch; t++) {
    const float* at = pa + t * n * d;
    const float* bt = pb + t * m * d;
    float* ot = po + t * n * m;
    gemmPlain(false, true, n, m, d, at, bt, ot, false, true);
    for (int64_t i = 0; i < n; i++) { double s = 0; for (int64_t k = 0; k < d; k++) s += double(at[i * d + k]) * at[i * d + k]; an[size_t(i)] = float(s); }
    for (int64_t j = 0; j < m; j++) { double s = 0; for (int64_t k = 0; k < d; k++) s += double(bt[j * d + k]) * bt[j * d + k]; bn[size_t(j)] = float(s); }
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < m; j++) {
        const float v = (an[size_t(i)] - ot[i * m + j] * 2.f) + bn[size_t(j)];
        ot[i * m + j] = (v != v || v > 0.f) ? v : 0.f;
      }
  }
}

void registerFused(Registry& r) {
  r.add("batchNormTrainForward", batchNormTrainForward);
  r.add("batchNormBackward", batchNormBackward);
  r.add("softmax", softmax);
  r.add("logSoftmax", logSoftmax);
  r.add("softmaxCrossEntropy", softmaxCrossEntropy);
  r.add("softmaxCrossEntropyBackward", softmaxCrossEntropyBackward);
  r.add("pairwiseSquaredDistance", pairwiseSquaredDistance);
}

}  // namespace al
