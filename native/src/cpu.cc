// Runtime instruction-set detection: cpuid via the compiler's builtins on x86-64, baseline elsewhere.
#include "cpu.h"

#include <cstdlib>
#include <cstring>

namespace al {

Isa detectIsa() {
#if defined(ADAPTLAB_X86)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma")) return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
  return Isa::Baseline;
}

static Isa initial() {
  Isa d = detectIsa();
  const char* env = std::getenv("ADAPTLAB_ISA");
  if (env) {
    if (!std::strcmp(env, "baseline")) return Isa::Baseline;
    if (!std::strcmp(env, "avx2") && d >= Isa::Avx2) return Isa::Avx2;
  }
  return d;
}

static Isa g_active = initial();

Isa activeIsa() { return g_active; }

Isa setIsa(Isa want) {
  Isa d = detectIsa();
  g_active = want > d ? d : want;
  return g_active;
}

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2+fma";
    default:
#if defined(ADAPTLAB_X86)
      return "baseline (x86-64 sse2)";
#elif defined(__aarch64__)
      return "baseline (aarch64)";
#else
      return "baseline";
#endif
  }
}

}  // namespace al
