// A growable, 64-byte aligned float scratch buffer kept per thread (packed panels, padded copies).
#pragma once
#include <cstddef>
#include <new>

namespace al {

/** Scratch memory of the kernels (never tensor memory); grows on demand and is reused across calls. */
struct AlignedScratch {
  float* p = nullptr;
  size_t n = 0;
  AlignedScratch() = default;
  AlignedScratch(const AlignedScratch&) = delete;
  AlignedScratch& operator=(const AlignedScratch&) = delete;
  ~AlignedScratch() { if (p) ::operator delete[](p, std::align_val_t(64)); }
  float* get(size_t want) {
    if (want > n) {
      if (p) ::operator delete[](p, std::align_val_t(64));
      p = nullptr;
      p = static_cast<float*>(::operator new[](want * sizeof(float), std::align_val_t(64)));
      n = want;
    }
    return p;
  }
};

}  // namespace al
