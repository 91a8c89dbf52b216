// Bindings for fused kernels (to be filled).
#include "bindings.h"
namespace al {
void registerFused(Registry&) {}
}  // namespace al
