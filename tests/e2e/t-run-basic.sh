#!/usr/bin/env bash
# A sweep over three commits stores every run, resumes without duplicates,
# and never touches the user's working tree, index, stash or branches.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R/bench"
git init -q "$R"
write_bench_script "$R/bench/bench.sh"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
suite: [bench]
build:
  command: "echo building > built.txt"
  shell: true
benchmarks:
  - name: score
    command: [sh, bench/bench.sh, "{value}"]
    params:
      value: [1, 2]
    warmup: 1
    repetitions: 3
YAML
echo "v1" >"$R/lib.txt"
commit_at "$R" 1 "first"
echo "v2" >"$R/lib.txt"
commit_at "$R" 2 "second <b>bold</b>"
echo "v3" >"$R/lib.txt"
commit_at "$R" 3 "third"
echo "stashed" >>"$R/lib.txt"
git -C "$R" stash -q

# Uncommitted changes, an untracked file, a stash and a branch in the user's repository.
echo "uncommitted" >>"$R/lib.txt"
echo "untracked" >"$R/notes.txt"
git -C "$R" branch feature
snapshot() {
	(cd "$R" && find . -path ./.git -prune -o -path ./.benchline -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
	sha256sum "$R/.git/index"
	git -C "$R" rev-parse HEAD
	git -C "$R" symbolic-ref HEAD
	git -C "$R" branch --list
	git -C "$R" stash list
	git -C "$R" status --porcelain
}
before=$(snapshot)

run_bl -C "$R" run HEAD~2 HEAD~2..HEAD
expect_eq "$status" 0 "run exits 0"
expect_contains "$err" "done: 3 commits x 2 cases: 24 runs ok" "summary counts warm-ups and repetitions"
DB=$R/.benchline/results.db
[ -f "$DB" ] || fail "database created at .benchline/results.db"
expect_eq "$(sql "$DB" "select count(*) from runs where kind='measured'")" 18 "3 commits x 2 cases x 3 repetitions"
expect_eq "$(sql "$DB" "select count(*) from runs where kind='warmup'")" 6 "warm-ups recorded apart"
expect_eq "$(sql "$DB" "select count(*) from benchmarks where status='complete'")" 6 "every case complete"
expect_eq "$(sql "$DB" "select count(distinct commit_id) from benchmarks")" 3 "three commits"
expect_eq "$(sql "$DB" "select group_concat(distinct value) from metrics where name='score'")" "1.0,2.0" "protocol metric stored"
expect_eq "$(sql "$DB" "select count(*) from metrics m join runs r using(run_id) where m.name='wall_time' and r.kind='measured'")" 18 "wall time recorded for every run"
expect_eq "$(sql "$DB" "select count(*) from metrics where name in ('cpu_time','user_time','system_time')")" 72 "cpu times recorded"
expect_eq "$(sql "$DB" "select count(*) from builds where status='ok'")" 3 "three builds"
expect_eq "$(sql "$DB" "select count(*) from commits")" 3 "commit metadata stored"
expect_eq "$(sql "$DB" "select subject from commits where subject like 'second%'")" "second <b>bold</b>" "subject stored as is"
expect_eq "$(sql "$DB" "select count(distinct suite_hash) from benchmarks")" 1 "one suite hash"
expect_eq "$(sql "$DB" "pragma integrity_check")" ok "integrity"
after=$(snapshot)
expect_eq "$after" "$before" "user's tree, index, stash and branches unchanged"
expect_eq "$(git -C "$R" worktree list | wc -l)" 2 "one reusable worktree for three commits"

# Resume: nothing left to do, no duplicates.
run_bl -C "$R" run HEAD~2 HEAD~2..HEAD
expect_eq "$status" 0 "rerun exits 0"
expect_contains "$err" "6 cases already complete" "rerun skips complete cases"
expect_eq "$(sql "$DB" "select count(*) from runs")" 24 "no duplicate runs"

# show: a table, JSON and CSV.
run_bl -C "$R" show
expect_eq "$status" 0 "show exits 0"
expect_contains "$out" "score[value=1]" "show lists cases"
expect_contains "$out" "complete" "show lists status"
run_bl -C "$R" show --format json --metric score
expect_eq "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), sorted({r["median"] for r in d}))')" "6 [1.0, 2.0]" "json medians"
run_bl -C "$R" show --format csv HEAD
expect_eq "$(printf '%s\n' "$out" | wc -l)" 3 "csv header + 2 cases for HEAD"

# --force adds a fresh set of repetitions.
run_bl -C "$R" run --force --benchmark score HEAD
expect_eq "$status" 0 "force exits 0"
head=$(git -C "$R" rev-parse HEAD)
expect_eq "$(sql "$DB" "select count(*) from runs r join benchmarks b using(benchmark_id) where b.commit_id='$head' and kind='measured'")" 12 "force adds a set of repetitions to each case"
expect_eq "$(sql "$DB" "select count(*) from runs r join benchmarks b using(benchmark_id) where b.commit_id<>'$head'")" 16 "other commits untouched"
expect_eq "$(snapshot)" "$before" "user's tree still unchanged"
