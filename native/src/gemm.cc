// GEMM driver: BLIS-style blocking (NC/KC/MC), panel packing, ISA micro-kernel choice, pool splitting.
#include "scratch.h"
#include "gemm.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

#include "cpu.h"
#include "pool.h"
#include "ukernel.h"

namespace al {

namespace {

constexpr int KC = 256;
constexpr int MC_TARGET = 144;
constexpr int NC_TARGET = 3072;
constexpr int MAX_MR = 16, MAX_NR = 64;

UkrSet currentSet() {
#if defined(ADAPTLAB_X86)
  switch (activeIsa()) {
    case Isa::Avx512: return ukernelsAvx512();
    case Isa::Avx2: return ukernelsAvx2();
    default: break;
  }
#endif
  return ukernelsBaseline();
}

Ukr choose(const UkrSet& s, int64_t m, int64_t n) {
  Ukr best = s.k[0];
  int64_t bestCost = INT64_MAX;
  for (int i = 0; i < s.count; i++) {
    const Ukr& u = s.k[i];
    int64_t cost = ((m + u.mr - 1) / u.mr) * u.mr * ((n + u.nr - 1) / u.nr) * u.nr;
    if (cost < bestCost) { bestCost = cost; best = u; }
  }
  return best;
}

thread_local AlignedScratch t_packA, t_packB;  // packed A and B panels

bool contiguousRange(const Axis& a, int64_t i0, int64_t len) {
  return a.stride == 1 && (a.grp == INT64_MAX || (i0 % a.grp) + len <= a.grp);
}

void storeTile(const OutView& c, int64_t i, int64_t j, int mr, int nr, const float* tile, int NR, bool acc) {
  // Split the columns into segments that are contiguous in C (group boundaries break them).
  int q0 = 0;
  while (q0 < nr) {
    int len = nr - q0;
    if (c.c.grp != INT64_MAX) len = int(std::min<int64_t>(len, c.c.grp - (j + q0) % c.c.grp));
    const int64_t cOff = c.c.off(j + q0);
    const int64_t cs = c.c.stride;
    for (int r = 0; r < mr; r++) {
      float* d = c.p + c.r.off(i + r) + cOff;
      const float* t = tile + r * NR + q0;
      if (cs == 1) {
        if (acc) for (int q = 0; q < len; q++) d[q] += t[q];
        else for (int q = 0; q < len; q++) d[q] = t[q];
      } else {
        if (acc) for (int q = 0; q < len; q++) d[q * cs] += t[q];
        else for (int q = 0; q < len; q++) d[q * cs] = t[q];
      }
    }
    q0 += len;
  }
}

void serialGemm(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t k, const ASource& a, const BSource& b,
                const OutView& c, bool accumulate, const Ukr& u) {
  const int MR = u.mr, NR = u.nr;
  const int64_t MC = std::max<int64_t>(MR, MC_TARGET / MR * MR);
  const int64_t NC = std::max<int64_t>(NR, NC_TARGET / NR * NR);
  float* Bp = t_packB.get(size_t(KC) * NC);
  float* Ap = t_packA.get(size_t(KC) * MC);
  alignas(64) float tile[MAX_MR * MAX_NR];
  for (int64_t jc = j0; jc < j1; jc += NC) {
    const int64_t nc = std::min(NC, j1 - jc);
    for (int64_t pc = 0; pc < k; pc += KC) {
      const int kc = int(std::min<int64_t>(KC, k - pc));
      for (int64_t jr = 0; jr < nc; jr += NR) b.packB(pc, kc, jc + jr, int(std::min<int64_t>(NR, nc - jr)), NR, Bp + (jr / NR) * kc * NR);
      const bool acc = accumulate || pc > 0;
      for (int64_t ic = i0; ic < i1; ic += MC) {
        const int64_t mc = std::min(MC, i1 - ic);
        for (int64_t ir = 0; ir < mc; ir += MR) a.packA(ic + ir, int(std::min<int64_t>(MR, mc - ir)), MR, pc, kc, Ap + (ir / MR) * kc * MR);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int nr = int(std::min<int64_t>(NR, nc - jr));
          const float* bp = Bp + (jr / NR) * kc * NR;
          const int64_t j = jc + jr;
          const bool colsDirect = nr == NR && contiguousRange(c.c, j, NR);
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int mr = int(std::min<int64_t>(MR, mc - ir));
            const int64_t i = ic + ir;
            const float* ap = Ap + (ir / MR) * kc * MR;
            if (colsDirect && mr == MR && (c.r.grp == INT64_MAX || (i % c.r.grp) + MR <= c.r.grp)) {
              u.fn(kc, ap, bp, c.p + c.r.off(i) + c.c.off(j), long(c.r.stride), acc);
            } else {
              u.fn(kc, ap, bp, tile, NR, 0);
              storeTile(c, i, j, mr, nr, tile, NR, acc);
            }
          }
        }
      }
    }
  }
}

void zeroOut(int64_t m, int64_t n, const OutView& c) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) c.p[c.r.off(i) + c.c.off(j)] = 0.f;
}

/** Sub-range of the K dimension, seen as an A and B source with shifted columns/rows. */
struct ShiftA final : ASource {
  const ASource& a;
  int64_t k0;
  ShiftA(const ASource& a_, int64_t k0_) : a(a_), k0(k0_) {}
  void packA(int64_t i0, int mr, int MR, int64_t p0, int kc, float* dst) const override { a.packA(i0, mr, MR, p0 + k0, kc, dst); }
};
struct ShiftB final : BSource {
  const BSource& b;
  int64_t k0;
  ShiftB(const BSource& b_, int64_t k0_) : b(b_), k0(k0_) {}
  void packB(int64_t p0, int kc, int64_t j0, int nr, int NR, float* dst) const override { b.packB(p0 + k0, kc, j0, nr, NR, dst); }
};

}  // namespace

void ViewA::packA(int64_t i0, int mr, int MR, int64_t p0, int kc, float* dst) const {
  if (contiguousRange(v.c, p0, kc)) {
    for (int r = 0; r < mr; r++) {
      const float* src = v.p + v.r.off(i0 + r) + v.c.off(p0);
      for (int p = 0; p < kc; p++) dst[p * MR + r] = src[p];
    }
  } else if (contiguousRange(v.r, i0, mr)) {
    const float* base = v.p + v.r.off(i0);
    for (int p = 0; p < kc; p++) {
      const float* src = base + v.c.off(p0 + p);
      for (int r = 0; r < mr; r++) dst[p * MR + r] = src[r];
    }
  } else {
    int64_t rOff[MAX_MR];
    for (int r = 0; r < mr; r++) rOff[r] = v.r.off(i0 + r);
    for (int p = 0; p < kc; p++) {
      const float* src = v.p + v.c.off(p0 + p);
      for (int r = 0; r < mr; r++) dst[p * MR + r] = src[rOff[r]];
    }
  }
  if (mr < MR)
    for (int p = 0; p < kc; p++)
      for (int r = mr; r < MR; r++) dst[p * MR + r] = 0.f;
}

void ViewB::packB(int64_t p0, int kc, int64_t j0, int nr, int NR, float* dst) const {
  if (contiguousRange(v.c, j0, nr)) {
    const int64_t c0 = v.c.off(j0);
    for (int p = 0; p < kc; p++) {
      const float* src = v.p + v.r.off(p0 + p) + c0;
      float* d = dst + p * NR;
      std::memcpy(d, src, sizeof(float) * size_t(nr));
      for (int q = nr; q < NR; q++) d[q] = 0.f;
    }
    return;
  }
  if (contiguousRange(v.r, p0, kc)) {
    const float* base = v.p + v.r.off(p0);
    for (int q = 0; q < nr; q++) {
      const float* src = base + v.c.off(j0 + q);
      for (int p = 0; p < kc; p++) dst[p * NR + q] = src[p];
    }
  } else {
    int64_t cOff[MAX_NR];
    for (int q = 0; q < nr; q++) cOff[q] = v.c.off(j0 + q);
    for (int p = 0; p < kc; p++) {
      const float* src = v.p + v.r.off(p0 + p);
      for (int q = 0; q < nr; q++) dst[p * NR + q] = src[cOff[q]];
    }
  }
  if (nr < NR)
    for (int p = 0; p < kc; p++)
      for (int q = nr; q < NR; q++) dst[p * NR + q] = 0.f;
}

void gemm(int64_t m, int64_t n, int64_t k, const ASource& a, const BSource& b, const OutView& c, bool accumulate, bool parallel) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) zeroOut(m, n, c);
    return;
  }
  const UkrSet set = currentSet();
  const Ukr u = choose(set, m, n);
  const int T = parallel ? poolThreads() : 1;
  const double work = double(m) * double(n) * double(k);
  if (T <= 1 || work < 1.5e6) {
    serialGemm(0, m, 0, n, k, a, b, c, accumulate, u);
    return;
  }
  const int64_t tilesM = (m + u.mr - 1) / u.mr, tilesN = (n + u.nr - 1) / u.nr;
  if (m * n <= 16384 && k >= 512 * int64_t(T) && (tilesN < T || tilesM < T || m * n <= 4096)) {
    // Split K: each thread multiplies a slice into private storage, then the slices are summed.
    std::vector<float> part(size_t(T) * size_t(m * n));
    struct Ctx { const ASource* a; const BSource* b; int64_t m, n, k; int T; float* part; const Ukr* u; } ctx{&a, &b, m, n, k, T, part.data(), &u};
    poolRun(T, [](void* p, int t) {
      Ctx& x = *static_cast<Ctx*>(p);
      const int64_t k0 = x.k * t / x.T, k1 = x.k * (t + 1) / x.T;
      OutView o;
      o.p = x.part + size_t(t) * size_t(x.m * x.n);
      o.r.stride = x.n;
      ShiftA sa(*x.a, k0);
      ShiftB sb(*x.b, k0);
      if (k1 > k0) serialGemm(0, x.m, 0, x.n, k1 - k0, sa, sb, o, false, *x.u);
      else std::fill(o.p, o.p + x.m * x.n, 0.f);
    }, &ctx);
    for (int64_t i = 0; i < m; i++) {
      for (int64_t j = 0; j < n; j++) {
        float s = 0.f;
        for (int t = 0; t < T; t++) s += part[size_t(t) * size_t(m * n) + size_t(i * n + j)];
        float& d = c.p[c.r.off(i) + c.c.off(j)];
        d = accumulate ? d + s : s;
      }
    }
    return;
  }
  const bool splitN = (m <= n && tilesN >= T) || tilesM < T;
  const int64_t tiles = splitN ? tilesN : tilesM;
  const int parts = int(std::min<int64_t>(T, tiles));
  struct Ctx { const ASource* a; const BSource* b; const OutView* c; int64_t m, n, k, tiles; int parts; bool splitN, acc; const Ukr* u; } ctx{&a, &b, &c, m, n, k, tiles, parts, splitN, accumulate, &u};
  poolRun(parts, [](void* p, int t) {
    Ctx& x = *static_cast<Ctx*>(p);
    const int64_t t0 = x.tiles * t / x.parts, t1 = x.tiles * (t + 1) / x.parts;
    if (x.splitN) serialGemm(0, x.m, t0 * x.u->nr, std::min(x.n, t1 * x.u->nr), x.k, *x.a, *x.b, *x.c, x.acc, *x.u);
    else serialGemm(t0 * x.u->mr, std::min(x.m, t1 * x.u->mr), 0, x.n, x.k, *x.a, *x.b, *x.c, x.acc, *x.u);
  }, &ctx);
}

void gemmPlain(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c,
               bool accumulate, bool parallel) {
  View va, vb;
  va.p = a;
  if (transA) { va.r.stride = 1; va.c.stride = m; } else { va.r.stride = k; va.c.stride = 1; }
  vb.p = b;
  if (transB) { vb.r.stride = 1; vb.c.stride = k; } else { vb.r.stride = n; vb.c.stride = 1; }
  OutView vc;
  vc.p = c;
  vc.r.stride = n;
  gemm(m, n, k, ViewA(va), ViewB(vb), vc, accumulate, parallel);
}

const char* gemmKernelName() {
  static thread_local UkrSet s;
  s = currentSet();
  return s.name;
}

}  // namespace al
