// Bindings for elementwise kernels (to be filled).
#include "bindings.h"
namespace al {
void registerElementwise(Registry&) {}
}  // namespace al
