#!/usr/bin/env bash
# Compile and link the native addon's portable sources for aarch64 (compile check only; nothing is run).
# Needs Debian's cross compiler: apt-get install -y g++-aarch64-linux-gnu. Node's headers are arch-independent.
set -euo pipefail
cd "$(dirname "$0")/.."
CXX=${CXX:-aarch64-linux-gnu-g++}
NODE_INCLUDE=${NODE_INCLUDE:-$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sources=$(grep -o 'native/src/[a-z_0-9]*\.cc' binding.gyp | grep -v 'ukernel_avx')
for f in $sources; do
  "$CXX" -std=c++17 -O3 -fno-math-errno -fexceptions -Wall -Wextra -Wno-unused-parameter -Werror -fPIC -I"$NODE_INCLUDE" -c "$f" -o "$out/$(basename "$f" .cc).o"
done
"$CXX" -shared -o "$out/adaptlab.node" "$out"/*.o -lpthread
file "$out/adaptlab.node"
echo "aarch64: $(echo "$sources" | wc -w) sources compiled with -Werror and linked"
