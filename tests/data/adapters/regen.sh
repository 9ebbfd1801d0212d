#!/usr/bin/env bash
# regen.sh - makes the adapter test inputs again with the real tools (Debian
# packages libbenchmark-dev + g++, hyperfine, python3-pytest-benchmark,
# golang-go; scripts/bootstrap.sh installs them). The tests only need the
# committed files; run this to refresh them after a tool changes its format.
# criterion.json, llama-bench.json and optimum-benchmark.json are written by
# hand from the tools' documented formats (Debian packages none of them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

g++ -O2 -o "$tmp/bm_sum" "$here/src/bm_sum.cc" -lbenchmark -lpthread
"$tmp/bm_sum" --benchmark_repetitions=3 --benchmark_min_time=0.01 \
	--benchmark_out="$here/gbench.json" --benchmark_out_format=json >/dev/null 2>&1

hyperfine --runs 5 --warmup 1 --export-json "$here/hyperfine.json" \
	-n 'sleep 0.01' 'sleep 0.01' -n 'true' 'true' >/dev/null 2>&1

(cd "$tmp" && cp "$here/src/test_sum.py" . &&
	/usr/bin/python3 -m pytest -q -p no:cacheprovider --benchmark-min-rounds=5 --benchmark-max-time=0.0005 \
		--benchmark-disable-gc --benchmark-warmup=off \
		--benchmark-json="$here/pytest-benchmark.json" test_sum.py >/dev/null)

cp -r "$here/src/gomod" "$tmp/gomod"
(cd "$tmp/gomod" && GOCACHE="$tmp/gocache" GOFLAGS=-mod=mod go test -run '^$' -bench . -benchmem -count 2 \
	-benchtime 2000x >"$here/gotest.txt")
echo "regenerated: gbench.json hyperfine.json pytest-benchmark.json gotest.txt"
