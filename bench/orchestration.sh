#!/usr/bin/env bash
# orchestration.sh - per-commit orchestration overhead of `benchline run`:
# checkout + bookkeeping (commit metadata, planning, storing), excluding the
# build and the benchmark itself, on a repository of 1,000 files.
#
# A sweep over N commits runs one trivial benchmark (/bin/true, one run, no
# warm-up, no build). Overhead per commit = (elapsed time of the sweep - time
# spent inside benchmark runs as stored in the database - fixed start-up
# measured by a sweep with nothing to do) / N.
# Named baseline, measured in the same run: the bare git commands that any
# checkout needs, `git checkout --detach --force SHA && git clean -ffdx`, per
# commit in a second worktree.
# Target (issue): under 50 ms per commit.
#
# usage: [SAMPLING_MS=10] bench/orchestration.sh [BENCHLINE] [COMMITS]
# (SAMPLING_MS=0 turns device sampling off, to see what it adds)
set -euo pipefail
bl=$(realpath "${1:-build/benchline}")
n=${2:-20}
T=$(mktemp -d "${TMPDIR:-/tmp}/bl-orch.XXXXXX")
trap 'rm -rf "$T"' EXIT
R=$T/repo
mkdir -p "$R/src"
git init -q "$R"
git -C "$R" config user.name bench
git -C "$R" config user.email bench@example.org
for i in $(seq 1 1000); do echo "file $i" >"$R/src/f$i.txt"; done
cat >"$R/benchline.yaml" <<YAML
version: 1
sampling: {interval_ms: ${SAMPLING_MS:-10}}
benchmarks:
  - name: noop
    command: ["true"]
    warmup: 0
    repetitions: 1
YAML
git -C "$R" add -A && git -C "$R" commit -qm base
for c in $(seq 1 "$n"); do
	for j in 1 2 3; do echo "change $c" >>"$R/src/f$(( (c * 7 + j * 13) % 1000 + 1 )).txt"; done
	git -C "$R" commit -qam "commit $c"
done
now() { date +%s.%N; }

# Warm the page cache and create the worktree once.
"$bl" -C "$R" run -q HEAD >/dev/null 2>&1
t0=$(now)
"$bl" -C "$R" run -q HEAD >/dev/null 2>&1 # nothing to do: start-up cost
t1=$(now)
"$bl" -C "$R" run -q "HEAD~$n..HEAD~1" >/dev/null 2>&1
t2=$(now)
runs=$(sqlite3 "$R/.benchline/results.db" "select coalesce(sum(wall_s),0) from runs r join benchmarks b using(benchmark_id) where b.commit_id <> '$(git -C "$R" rev-parse HEAD)'")
commits=$((n - 1))

git -C "$R" worktree add -q --detach "$T/base" HEAD
t3=$(now)
for sha in $(git -C "$R" rev-list --reverse "HEAD~$n..HEAD~1"); do
	git -C "$T/base" checkout -q --detach --force "$sha" && git -C "$T/base" clean -qffdx
done
t4=$(now)
python3 - "$t0" "$t1" "$t2" "$t3" "$t4" "$runs" "$commits" <<'PY'
import sys
t0, t1, t2, t3, t4, runs = map(float, sys.argv[1:7]); n = int(sys.argv[7])
startup = t1 - t0
per = ((t2 - t1) - startup - runs) / n * 1000
base = (t4 - t3) / n * 1000
print(f"commits: {n}, repository: 1000 files")
print(f"benchline start-up (nothing to do): {startup*1000:.1f} ms; time inside benchmark runs: {runs*1000:.1f} ms")
print(f"benchline orchestration per commit: {per:.1f} ms (target < 50 ms: {'met' if per < 50 else 'MISSED'})")
print(f"baseline git checkout --force + clean -ffdx per commit: {base:.1f} ms")
print(f"ratio benchline/baseline: {per/base:.2f}x")
PY
