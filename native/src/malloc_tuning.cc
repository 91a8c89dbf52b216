// Process malloc tuning (glibc): large typed arrays come from the heap and are reused after GC.
//
// Every op allocates its output as a fresh JS typed array. glibc serves blocks above its mmap
// threshold (128 KiB to 32 MiB, adaptive) with fresh mmap()s, so each output is faulted in page by
// page and zeroed by the kernel, and returned with munmap() when V8 frees it: on Conv-4 (16 MB
// activations) this costs as much as the kernels. Raising the threshold to 32 MiB and keeping freed
// memory in the heap makes calloc reuse it (one memset instead of thousands of faults).
#include "malloc_tuning.h"

#include <cstdlib>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace al {

const char* tuneMalloc() {
  static const char* state = [] {
    const char* env = std::getenv("ADAPTLAB_MALLOC_TUNING");
    if (env && !std::strcmp(env, "0")) return "default (ADAPTLAB_MALLOC_TUNING=0)";
#if defined(__GLIBC__)
    const bool ok = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 512 << 20) == 1 && mallopt(M_TOP_PAD, 64 << 20) == 1;
    return ok ? "glibc tuned: mmap threshold 32 MiB, trim threshold 512 MiB" : "default (mallopt failed)";
#else
    return "default (not glibc)";
#endif
  }();
  return state;
}

}  // namespace al
