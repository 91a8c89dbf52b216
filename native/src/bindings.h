// Shared declarations for the binding files: the export registry each file adds its functions to.
#pragma once
#include <node_api.h>

#include <algorithm>
#include <string>
#include <vector>

#include "napi_util.h"

namespace al {

/** Collects (name, callback) pairs and defines them on the exports object. */
struct Registry {
  std::vector<std::pair<const char*, napi_callback>> fns;
  void add(const char* name, napi_callback f) { fns.emplace_back(name, f); }
};

void registerLinalg(Registry& r);
void registerConv(Registry& r);
void registerElementwise(Registry& r);
void registerReduce(Registry& r);
void registerLayout(Registry& r);
void registerFused(Registry& r);

}  // namespace al
