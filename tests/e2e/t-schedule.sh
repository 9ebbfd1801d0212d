#!/usr/bin/env bash
# Scheduling: back to back by default, rounds across commits with
# --interleave; cached builds; --dry-run plans and estimates from history;
# --every/--max-count/--since select commits; --cpu-list pins.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R"
git init -q "$R"
cat >"$R/benchline.yaml" <<YAML
version: 1
build:
  command: [sh, -c, "echo build >> $T/builds.log"]
benchmarks:
  - name: order
    command: [sh, -c, "echo \$BENCHLINE_COMMIT \$BENCHLINE_REPETITION >> $T/order.log; grep Cpus_allowed_list /proc/self/status >> $T/cpus.log"]
    warmup: 0
    repetitions: 2
YAML
for i in 1 2 3 4 5 6; do
	echo "$i" >"$R/f"
	commit_at "$R" "$i" "commit $i"
done
c() { git -C "$R" rev-parse "HEAD~$1"; }

run_bl -C "$R" run --dry-run HEAD~2..HEAD
expect_eq "$status" 0 "dry run"
expect_contains "$out" "runs to do: 4" "dry run counts runs"
expect_contains "$out" "estimate: unknown" "no history, no estimate"
[ ! -e "$T/order.log" ] || fail "dry run ran nothing"
pass "dry run ran nothing"

run_bl -C "$R" run HEAD~2..HEAD
expect_eq "$status" 0 "sequential run"
expect_eq "$(cat "$T/order.log" | tr '\n' ' ')" "$(c 1) 0 $(c 1) 1 $(c 0) 0 $(c 0) 1 " "back to back per commit"

rm -f "$T/order.log"
run_bl -C "$R" run --interleave --worktrees 3 HEAD~5..HEAD~2
expect_eq "$status" 0 "interleaved run"
expect_eq "$(cat "$T/order.log" | tr '\n' ' ')" "$(c 4) 0 $(c 3) 0 $(c 2) 0 $(c 4) 1 $(c 3) 1 $(c 2) 1 " "rounds across commits"
expect_eq "$(git -C "$R" worktree list | wc -l)" 4 "one worktree per interleaved commit"

run_bl -C "$R" run --dry-run HEAD~5..HEAD
expect_contains "$out" "runs to do: 0" "everything stored"
run_bl -C "$R" run --dry-run --force HEAD
expect_contains "$out" "estimate: 00:0" "estimate from history"

# Once the worktree holds HEAD's build, --force reruns without rebuilding.
run_bl -C "$R" run --force HEAD
builds=$(wc -l <"$T/builds.log")
run_bl -C "$R" run --force HEAD
expect_eq "$status" 0 "forced rerun"
expect_contains "$err" "build cached" "build reused"
expect_eq "$(wc -l <"$T/builds.log")" "$builds" "no rebuild"
DB=$R/.benchline/results.db
expect_eq "$(sql "$DB" "select count(*) from builds where status='cached'")" 1 "cached build recorded"

# Selection options.
rm -f "$T/order.log"
run_bl -C "$R" run --force --every 2 --max-count 2 HEAD~5..HEAD
expect_eq "$(cut -d' ' -f1 "$T/order.log" | uniq | tr '\n' ' ')" "$(c 2) $(c 0) " "--every 2 --max-count 2 keeps the newest"
rm -f "$T/order.log"
run_bl -C "$R" run --force --since 2026-01-05T00:00:00Z HEAD~5..HEAD
expect_eq "$(cut -d' ' -f1 "$T/order.log" | uniq | tr '\n' ' ')" "$(c 1) $(c 0) " "--since keeps later commits"

# Pinning.
rm -f "$T/cpus.log"
run_bl -C "$R" run --force --cpu-list 0 HEAD
expect_eq "$status" 0 "pinned run"
expect_eq "$(sort -u "$T/cpus.log" | tr -d '\t ')" "Cpus_allowed_list:0" "benchmark pinned to CPU 0"
expect_eq "$(sql "$DB" "select count(*) from runs where cpu_list='0'")" 2 "pinning recorded"
expect_eq "$(sql "$DB" "select count(distinct env_hash) from runs where env_hash is not null")" 2 "environment hash recorded (changes with pinning)"

# Raising repetitions tops up complete cases instead of starting over.
sed -i 's/repetitions: 2/repetitions: 3/' "$R/benchline.yaml"
run_bl -C "$R" run --dry-run HEAD~4
expect_contains "$out" "runs to do: 1" "one more repetition to do"
run_bl -C "$R" run HEAD~4
expect_eq "$(sql "$DB" "select group_concat(idx) from (select idx from runs r join benchmarks b using(benchmark_id) where b.commit_id='$(c 4)' and kind='measured' order by idx)")" "0,1,2" "repetition 2 added"

# Commits made within one second (rebased or scripted history) still come in
# history order, also when the selection skips commits between them.
R3=$T/ties
mkdir -p "$R3"
git init -q "$R3"
cp "$R/benchline.yaml" "$R3/"
for i in 1 2 3 4 5 6; do
	echo "$i" >"$R3/f"
	git -C "$R3" add -A
	GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z git -C "$R3" commit -qm "tie $i"
done
run_bl -C "$R3" run --dry-run HEAD HEAD~3 HEAD~4
expect_eq "$(printf '%s\n' "$out" | sed -n 's/^  commit [0-9a-f]* //p' | tr '\n' ' ')" "tie 2 tie 3 tie 6 " "history order despite equal commit times"
