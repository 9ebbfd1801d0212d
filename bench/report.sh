#!/usr/bin/env bash
# report.sh - times `benchline report` on a synthetic history: COMMITS commits x CASES cases x 5 metrics (the
# built-in ones every run records) x RUNS runs, stored through the real store API by bench_report, then reports
# the site's size and how fast headless Chromium makes the index interactive; then `bench_report --time` times
# the generation phase by phase against the previous reader (a query per case) and a plain dump of the values.
#   bench/report.sh BUILD_DIR [COMMITS] [CASES] [RUNS] [WORK_DIR]
# Defaults: 10000 commits, 40 cases (200 series), 5 runs: 10,000,000 values; the database takes minutes to make
# (one transaction per run, as a sweep stores them) and is kept in WORK_DIR for later runs. REPORT_RUNS (default 3)
# sets how many reports are timed.
set -euo pipefail
build=${1:?usage: bench/report.sh BUILD_DIR [COMMITS] [CASES] [RUNS] [WORK_DIR]}
commits=${2:-10000}
cases=${3:-40}
runs=${4:-5}
work=${5:-${TMPDIR:-/tmp}/benchline-bench-report-$commits-$cases-$runs}
repo=$work/repo
if [ ! -f "$repo/.benchline/results.db" ]; then
	echo "making $commits commits x $cases cases x $runs runs in $work (minutes) ..."
	"$build/bench_report" --commits "$commits" --cases "$cases" --runs "$runs" "$work" >/dev/null
fi
site=$work/site
for i in $(seq "${REPORT_RUNS:-3}"); do
	rm -rf "$site"
	start=$(date +%s.%N)
	"$build/benchline" -C "$repo" report --metric all -o "$site" | tail -1
	end=$(date +%s.%N)
	echo "run $i: $(awk "BEGIN { printf \"%.2f\", $end - $start }") s wall"
done
echo "site: $(du -sb "$site" | cut -f1) bytes in $(find "$site" -type f | wc -l) files" \
	"(series pages $(du -sb "$site/series" | cut -f1), commits.js $(stat -c %s "$site/commits.js"))"
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$chromium" ]; then
	# time to interactive: the page's own performance.now() when its script has drawn everything and
	# wired the filters (#selftest writes it as readyMs), three loads each, a fresh profile each time
	flags=(--headless --disable-gpu --virtual-time-budget=10000)
	[ "$(id -u)" -ne 0 ] || flags+=(--no-sandbox)
	for page in index.html series/s0.html; do
		for i in 1 2 3; do
			rm -rf "$work/chromium-profile"
			ready=$("$chromium" "${flags[@]}" --user-data-dir="$work/chromium-profile" \
				--dump-dom "file://$site/$page#selftest" 2>/dev/null | grep -o '"readyMs":[0-9]*' | cut -d: -f2)
			echo "chromium: $page interactive after ${ready:-?} ms (load $i)"
		done
	done
else
	echo "chromium: not installed, time to interactive not measured"
fi
echo "load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/bench_report" --time "$repo" --repeat 2
