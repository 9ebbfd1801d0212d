#!/usr/bin/env bash
# build.sh [BUILD_DIR] [CMAKE_ARGS...] - configure and build (warnings are errors).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DBENCHLINE_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
