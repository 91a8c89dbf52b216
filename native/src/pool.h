// Persistent thread pool: the calling thread participates; idle workers spin briefly, then sleep.
#pragma once
#include <cstdint>

namespace al {

/** Number of threads kernels use (workers + the caller). */
int poolThreads();
/** Resize the pool to n threads in total (n >= 1). */
void setPoolThreads(int n);
/** Run fn(ctx, t) for t in [0, ntasks) on the pool and the caller; returns when all are done. */
void poolRun(int ntasks, void (*fn)(void*, int), void* ctx);

/**
 * Split [0, n) into at most poolThreads() contiguous chunks of at least `grain` items and run
 * f(lo, hi) on each, in parallel when there is more than one chunk (inline otherwise).
 */
template <class F>
void parallelFor(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  int64_t chunks = grain > 0 ? n / grain : n;
  int t = poolThreads();
  if (chunks > t) chunks = t;
  if (chunks <= 1) {
    f(int64_t(0), n);
    return;
  }
  struct Ctx {
    F* f;
    int64_t n, chunks;
  } ctx{&f, n, chunks};
  poolRun(int(chunks), [](void* p, int i) {
    Ctx* c = static_cast<Ctx*>(p);
    int64_t lo = c->n * i / c->chunks, hi = c->n * (i + 1) / c->chunks;
    if (hi > lo) (*c->f)(lo, hi);
  }, &ctx);
}

}  // namespace al
