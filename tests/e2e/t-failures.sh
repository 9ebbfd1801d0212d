#!/usr/bin/env bash
# Build failures, timeouts, crashes and invalid metrics lines are recorded,
# shown to the user, and never stop the sweep.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R"
git init -q "$R"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
build:
  command: "test ! -f broken || { echo 'compile error: broken file' >&2; exit 1; }"
  shell: true
benchmarks:
  - name: good
    command: "echo '{{\"name\": \"n\", \"value\": 3}}' >> \"$BENCHLINE_METRICS\"; echo 'not json' >> \"$BENCHLINE_METRICS\"; echo '{{\"name\": \"bad\", \"value\": \"x\"}}' >> \"$BENCHLINE_METRICS\""
    shell: true
    warmup: 0
    repetitions: 2
  - name: slow
    command: [sleep, "SLOW_SECONDS"]
    timeout: 0.5
    warmup: 0
    repetitions: 3
  - name: crash
    command: [sh, -c, "echo 'about to crash' >&2; kill -SEGV $$"]
    warmup: 0
    repetitions: 3
  - name: missing
    command: [./no-such-program]
    warmup: 0
    repetitions: 2
YAML
# A duration no other test (or test run on this machine) uses, so that the
# check for a leftover process finds only this test's.
slow_seconds=30.$$$RANDOM
sed -i "s/SLOW_SECONDS/$slow_seconds/" "$R/benchline.yaml"
commit_at "$R" 1 "good one"
touch "$R/broken"
commit_at "$R" 2 "break the build"
rm "$R/broken"
commit_at "$R" 3 "fix the build"
DB=$R/.benchline/results.db

start=$(date +%s)
run_bl -C "$R" run HEAD~2 HEAD~2..HEAD
elapsed=$(( $(date +%s) - start ))
expect_eq "$status" 1 "failures give exit status 1"
expect_contains "$err" "build failed" "build failure reported"
expect_contains "$err" "compile error: broken file" "last lines of the build log shown"
expect_contains "$err" "timed out" "timeout reported"
expect_contains "$err" "killed by signal 11" "crash reported"
expect_contains "$err" "about to crash" "last lines of a failed run shown"
expect_contains "$err" "metrics line 2" "invalid metrics line reported with its number"
if [[ "${BENCHLINE_WRAPPER:-}" == *valgrind* ]]; then
	# valgrind runs glibc's posix_spawn as a plain fork, so the exec error reaches benchline as the child's
	# exit status 127 rather than as ENOENT from posix_spawn (scripts/valgrind.sh, docs/HARDENING.md)
	expect_contains "$err" "missing run 1/2 at" "missing program reported"
	expect_contains "$err" "exited with status 127" "missing program: exit status 127 under valgrind"
else
	expect_contains "$err" "no-such-program" "missing program named"
fi
[ "$elapsed" -lt 25 ] || fail "timeouts must kill the benchmark (took $elapsed s)"
pass "sweep took $elapsed s: timeouts enforced"

bad=$(git -C "$R" rev-parse HEAD~1)
expect_eq "$(sql "$DB" "select count(*) from benchmarks where commit_id='$bad' and status='build-failed'")" 4 "cases of the broken commit are build-failed"
expect_eq "$(sql "$DB" "select count(*) from runs r join benchmarks b using(benchmark_id) where b.commit_id='$bad'")" 0 "no runs at a broken commit"
expect_eq "$(sql "$DB" "select count(*) from builds where status='failed'")" 1 "failed build recorded"
expect_eq "$(sql "$DB" "select r.status from runs r join benchmarks b using(benchmark_id) where b.name='slow' limit 1")" timeout "timeout status"
expect_eq "$(sql "$DB" "select count(*) from runs r join benchmarks b using(benchmark_id) where b.name='slow'")" 2 "a timed-out case stops after its first run (one per good commit)"
expect_eq "$(sql "$DB" "select r.status || ':' || r.term_signal from runs r join benchmarks b using(benchmark_id) where b.name='crash' limit 1")" "crashed:11" "crash status and signal"
expect_eq "$(sql "$DB" "select count(*) from benchmarks where name in ('slow','crash','missing') and status='failed'")" 6 "failing cases marked failed"
expect_eq "$(sql "$DB" "select count(*) from metrics m join runs r using(run_id) join benchmarks b using(benchmark_id) where b.name='good' and m.name='n'")" 4 "valid metric lines kept"
expect_contains "$(sql "$DB" "select diagnostics from runs r join benchmarks b using(benchmark_id) where b.name='good' limit 1")" "line 3" "diagnostics stored with the run"
expect_eq "$(sql "$DB" "pragma integrity_check")" ok "integrity"
[ -z "$(pgrep -f "sleep $slow_seconds" || true)" ] || fail "timed-out benchmark left running"
pass "nothing left running"

run_bl -C "$R" show
expect_contains "$out" "build-failed" "show displays build failures"
expect_contains "$out" "failed (1 failed run)" "show displays failed runs"

# The failed build is not retried on resume; nothing is duplicated.
run_bl -C "$R" run HEAD~2 HEAD~2..HEAD
expect_eq "$status" 0 "resume has nothing to do"
expect_eq "$(sql "$DB" "select count(*) from builds where status='failed'")" 1 "failed build not retried"
