#!/bin/sh
# spawn_vs_hyperfine.sh - bl_run next to hyperfine on the same program.
#
# hyperfine -N (no shell, like bl_run) times /bin/true; bench_spawn times the
# same program through bl_run and through a raw posix_spawn+wait4 loop (the
# floor). They take turns in ROUNDS rounds, so that load from elsewhere on the
# machine hits both alike, and the statistics are over all samples.
#
# Compared: what each tool reports as the time of one run (hyperfine's times
# against bl_run's wall_s, target: no slower), and what one run costs in all
# (a hyperfine invocation divided by its runs, against one bl_run call).
#
# usage: bench/spawn_vs_hyperfine.sh [BENCH_SPAWN] [RUNS] [ROUNDS]
#   BENCH_SPAWN  the built bench_spawn (default: build/bench_spawn)
#   RUNS         runs of each, in all (default: 1000)
#   ROUNDS       turns they take (default: 5)
set -eu

bench=${1:-build/bench_spawn}
runs=${2:-1000}
rounds=${3:-5}
warmup=20
per_round=$(((runs + rounds - 1) / rounds))
if [ ! -x "$bench" ]; then
	echo "spawn_vs_hyperfine: no executable '$bench'; build it or pass its path" >&2
	exit 2
fi
if ! command -v hyperfine >/dev/null 2>&1; then
	echo "spawn_vs_hyperfine: hyperfine is not installed" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

now_ns() { date +%s%N; }

# hf_times FILE: the per-run times of hyperfine's JSON, one per line, in microseconds.
hf_times() {
	awk '/"times": \[/ { on = 1; next }
	     on && /\]/ { exit }
	     on { v = $1; sub(/,$/, "", v); printf "%.1f\n", v * 1e6 }' "$1"
}

# stats FILE: "median mean p10 p90" of a file of numbers.
stats() {
	sort -n "$1" | awk '{ v[NR] = $1; s += $1 }
		function q(p,  i) { i = int(p * (NR - 1)) + 1; return v[i] }
		END { printf "%.1f %.1f %.1f %.1f\n", q(0.5), s / NR, q(0.1), q(0.9) }'
}

: >"$tmp/hf.us"
: >"$tmp/hf_total.us"
for series in raw bl_run bare reported; do : >"$tmp/bench.$series"; done
i=0
while [ "$i" -lt "$rounds" ]; do
	t0=$(now_ns)
	if ! hyperfine -N --runs "$per_round" --warmup "$warmup" --export-json "$tmp/hf$i.json" /bin/true \
		>"$tmp/hf.txt" 2>&1; then
		cat "$tmp/hf.txt" >&2
		exit 1
	fi
	t1=$(now_ns)
	echo $(((t1 - t0) / (per_round + warmup) / 1000)) >>"$tmp/hf_total.us"
	hf_times "$tmp/hf$i.json" >>"$tmp/hf.us"
	"$bench" --runs "$per_round" --dump "$tmp/b$i" >"$tmp/bench$i.txt"
	for series in raw bl_run bare reported; do cat "$tmp/b$i.$series" >>"$tmp/bench.$series"; done
	i=$((i + 1))
done

head -1 "$tmp/bench0.txt"
echo "$rounds rounds of $per_round runs each, hyperfine and bench_spawn taking turns"
printf '%-44s %9s %9s %9s %9s\n' "one run of /bin/true, microseconds" median mean p10 p90
row() {
	set -- "$1" $(stats "$2")
	printf '%-44s %9s %9s %9s %9s\n' "$1" "$2" "$3" "$4" "$5"
}
row "hyperfine -N, reported time" "$tmp/hf.us"
row "bl_run, reported wall_s" "$tmp/bench.reported"
row "raw posix_spawn+wait4 (floor)" "$tmp/bench.raw"
row "bl_run call, logs+timeout (whole cost)" "$tmp/bench.bl_run"
row "bl_run call, bare (whole cost)" "$tmp/bench.bare"
row "hyperfine invocation / runs (whole cost)" "$tmp/hf_total.us"

hf=$(stats "$tmp/hf.us" | cut -d' ' -f1)
rep=$(stats "$tmp/bench.reported" | cut -d' ' -f1)
raw=$(stats "$tmp/bench.raw" | cut -d' ' -f1)
call=$(stats "$tmp/bench.bl_run" | cut -d' ' -f1)
awk -v hf="$hf" -v rep="$rep" -v raw="$raw" -v call="$call" 'BEGIN {
	printf "\nmedians: bl_run wall_s / hyperfine     %.3f  (target <= 1.00)\n", rep / hf
	printf "         bl_run whole call / raw floor %.3f  (target <= 1.10)\n", call / raw
	printf "         bl_run whole call / hyperfine %.3f\n", call / hf
}'
