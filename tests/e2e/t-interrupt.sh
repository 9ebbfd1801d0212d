#!/usr/bin/env bash
# Ctrl-C (SIGINT) stops a sweep cleanly: the running benchmark and its
# children are killed, nothing partial is stored, worktrees stay reusable and
# the same command completes the rest.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R"
git init -q "$R"
cat >"$R/benchline.yaml" <<YAML
version: 1
build:
  command: [sh, -c, "echo built > out.bin"]
benchmarks:
  - name: nap
    command: [sh, -c, "echo \$\$ > $T/pid; sleep 600 & wait"]
    warmup: 0
    repetitions: 2
    timeout: 900
YAML
commit_at "$R" 1 "one"
DB=$R/.benchline/results.db

"$BENCHLINE" -C "$R" run HEAD >"$T/run.out" 2>"$T/run.err" &
pid=$!
for _ in $(seq 100); do [ -s "$T/pid" ] && break; sleep 0.1; done
[ -s "$T/pid" ] || fail "the benchmark started"
child=$(cat "$T/pid")

# A second sweep on the same cache would share the worktree: refused.
run_bl -C "$R" run HEAD
expect_eq "$status" 3 "a concurrent sweep is refused"
expect_contains "$err" "another benchline (pid $pid)" "message names the running sweep"

kill -INT "$pid"
set +e
wait "$pid"
status=$?
set -e
expect_eq "$status" 130 "exit status 130 after Ctrl-C"
expect_contains "$(cat "$T/run.err")" "interrupted" "says it was interrupted"
kill -0 "$child" 2>/dev/null && fail "benchmark still running after Ctrl-C"
pass "benchmark killed"
# the benchmark ran in its own process group, led by the shell that wrote the pid file
[ -z "$(pgrep -g "$child" || true)" ] || fail "benchmark's child still running"
pass "benchmark's children killed"
expect_eq "$(sql "$DB" "select count(*) from runs")" 0 "the interrupted run is not stored"
expect_eq "$(sql "$DB" "select status from benchmarks")" pending "case left pending"

# Resume with a quick benchmark: the interrupted case completes.
sed -i 's/sleep 600 \& wait/true/' "$R/benchline.yaml"
git -C "$R" stash list >/dev/null
run_bl -C "$R" run HEAD
expect_eq "$status" 0 "resume succeeds"
expect_eq "$(sql "$DB" "select count(*) from runs where kind='measured'")" 2 "both repetitions stored once"
expect_eq "$(sql "$DB" "pragma integrity_check")" ok "integrity"

# A closed terminal (SIGHUP) stops the sweep the same way.
sed -i 's/true/sleep 600 \& wait/' "$R/benchline.yaml"
rm -f "$T/pid"
"$BENCHLINE" -C "$R" run --force HEAD >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$T/pid" ] && break; sleep 0.1; done
kill -HUP "$pid"
set +e
wait "$pid"
status=$?
set -e
expect_eq "$status" 130 "SIGHUP stops with status 130"
[ -z "$(pgrep -g "$(cat "$T/pid")" || true)" ] || fail "benchmark left running after SIGHUP"
pass "nothing left running after SIGHUP"
