#!/usr/bin/env bash
# build.sh [BUILD_DIR] [CMAKE_ARGS...] - configure and build (warnings are errors).
# BUILD_TARGETS="a b" builds only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DBENCHLINE_WERROR=ON "$@" >/dev/null
targets=()
for t in ${BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$dir" -j"$(nproc)" "${targets[@]}"
