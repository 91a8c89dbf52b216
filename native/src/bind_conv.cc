// Bindings for conv kernels (to be filled).
#include "bindings.h"
namespace al {
void registerConv(Registry&) {}
}  // namespace al
