// Process malloc tuning (glibc): let freed tensor buffers be reused instead of faulted in afresh.
#pragma once

namespace al {

/** Apply once (unless ADAPTLAB_MALLOC_TUNING=0); returns a description for info()/doctor. */
const char* tuneMalloc();

}  // namespace al
