#!/usr/bin/env bash
# demo.sh - the README's first command: install, build, run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh build >/dev/null
exec build/benchline demo "$@"
