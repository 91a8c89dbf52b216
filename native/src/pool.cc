// Persistent thread pool: generation-counted jobs that workers join until the caller closes them;
// idle workers spin briefly, then sleep on a condition variable.
#include "pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>
#if defined(ADAPTLAB_X86)
#include <immintrin.h>
#endif

namespace al {

namespace {

inline void cpuRelax() {
#if defined(ADAPTLAB_X86)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/** How long an idle worker spins before it sleeps on the condition variable. */
constexpr auto kSpin = std::chrono::microseconds(300);

thread_local bool t_inPool = false;

class Pool {
 public:
  explicit Pool(int n) { start(n); }
  ~Pool() { stop(); }

  int threads() const { return int(workers_.size()) + 1; }

  void resize(int n) {
    if (n < 1) n = 1;
    if (n == threads()) return;
    stop();
    start(n);
  }

  void run(int ntasks, void (*fn)(void*, int), void* ctx) {
    // Inline jobs take no lock: worker_threads isolates sharing this addon (task-parallel meta-training, one
    // kernel thread each) must not serialise on each other.
    if (workers_.empty() || t_inPool || ntasks <= 1) {
      for (int t = 0; t < ntasks; t++) fn(ctx, t);
      return;
    }
    std::lock_guard<std::mutex> serial(runMu_);  // one job at a time on the shared workers
    fn_ = fn;
    ctx_ = ctx;
    ntasks_ = ntasks;
    next_.store(0, std::memory_order_relaxed);
    left_.store(0, std::memory_order_relaxed);
    state_.store(0, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lk(mu_);
      gen_.fetch_add(1, std::memory_order_release);
    }
    if (sleepers_.load(std::memory_order_acquire) > 0) cv_.notify_all();
    t_inPool = true;
    work();
    t_inPool = false;
    // Close the job: workers that have not joined yet never will, so a worker that the OS has not
    // scheduled (another process on its core) cannot delay us; wait only for those that joined.
    const uint64_t joined = state_.fetch_or(kClosed, std::memory_order_acq_rel) & ~kClosed;
    int spins = 0;
    while (uint64_t(left_.load(std::memory_order_acquire)) < joined) {
      if (++spins < 4000) cpuRelax();
      else std::this_thread::yield();
    }
  }

 private:
  void work() {
    int t;
    while ((t = next_.fetch_add(1, std::memory_order_relaxed)) < ntasks_) fn_(ctx_, t);
  }

  void loop(uint64_t seen) {
    t_inPool = true;
    for (;;) {
      auto t0 = std::chrono::steady_clock::now();
      int spins = 0;
      while (gen_.load(std::memory_order_acquire) == seen && !stop_.load(std::memory_order_relaxed)) {
        cpuRelax();
        if (++spins % 256 == 0 && std::chrono::steady_clock::now() - t0 > kSpin) {
          std::unique_lock<std::mutex> lk(mu_);
          sleepers_.fetch_add(1, std::memory_order_acq_rel);
          cv_.wait(lk, [&] { return gen_.load(std::memory_order_acquire) != seen || stop_.load(); });
          sleepers_.fetch_sub(1, std::memory_order_acq_rel);
          break;
        }
      }
      if (stop_.load()) return;
      seen = gen_.load(std::memory_order_acquire);
      if (join()) {
        work();
        left_.fetch_add(1, std::memory_order_acq_rel);
      }
    }
  }

  /** Join the current job unless the caller has closed it. */
  bool join() {
    uint64_t s = state_.load(std::memory_order_acquire);
    while (!(s & kClosed)) {
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) return true;
    }
    return false;
  }

  void start(int n) {
    stop_.store(false);
    const uint64_t g = gen_.load(std::memory_order_acquire);  // workers start from the current job count
    for (int i = 1; i < n; i++) workers_.emplace_back([this, g] { loop(g); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_.store(true);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex runMu_, mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> gen_{0};
  static constexpr uint64_t kClosed = uint64_t(1) << 63;
  std::atomic<uint64_t> state_{kClosed};  // joined-worker count | kClosed
  std::atomic<int> next_{0}, left_{0}, sleepers_{0};
  std::atomic<bool> stop_{false};
  void (*fn_)(void*, int) = nullptr;
  void* ctx_ = nullptr;
  int ntasks_ = 0;
};

int defaultThreads() {
  const char* env = std::getenv("ADAPTLAB_THREADS");
  if (env) {
    int n = std::atoi(env);
    if (n >= 1 && n <= 1024) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc ? int(hc) : 1;
}

Pool& pool() {
  static Pool p(defaultThreads());
  return p;
}

}  // namespace

int poolThreads() { return pool().threads(); }
void setPoolThreads(int n) { pool().resize(n); }
void poolRun(int ntasks, void (*fn)(void*, int), void* ctx) { pool().run(ntasks, fn, ctx); }

}  // namespace al
