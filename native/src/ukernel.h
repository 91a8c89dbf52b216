// Micro-kernel table: C tile (MR×NR, row stride ldc) = or += packed A panel · packed B panel.
#pragma once

namespace al {

typedef void (*UkrFn)(long kc, const float* a, const float* b, float* c, long ldc, int accumulate);

struct Ukr {
  int mr, nr;
  UkrFn fn;
};

/** Up to 2 shapes per instruction set; the driver picks the one wasting least padding. */
struct UkrSet {
  const char* name;
  int count;
  Ukr k[2];
};

UkrSet ukernelsBaseline();
#if defined(ADAPTLAB_X86)
UkrSet ukernelsAvx2();
UkrSet ukernelsAvx512();
#endif

}  // namespace al
