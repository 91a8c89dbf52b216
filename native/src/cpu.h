// Runtime instruction-set detection and the selected kernel level.
#pragma once

namespace al {

enum class Isa { Baseline = 0, Avx2 = 1, Avx512 = 2 };

/** The best level this CPU (and this build) supports. */
Isa detectIsa();
/** The level kernels dispatch on (detected, or lowered by ADAPTLAB_ISA / setIsa). */
Isa activeIsa();
/** Lower (never raise beyond detection) the active level; returns the level in force. */
Isa setIsa(Isa want);
const char* isaName(Isa isa);

}  // namespace al
