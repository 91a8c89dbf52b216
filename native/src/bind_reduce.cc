// Bindings for reduce kernels (to be filled).
#include "bindings.h"
namespace al {
void registerReduce(Registry&) {}
}  // namespace al
