// Bindings for layout kernels (to be filled).
#include "bindings.h"
namespace al {
void registerLayout(Registry&) {}
}  // namespace al
