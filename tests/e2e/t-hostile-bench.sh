#!/usr/bin/env bash
# Benchmarks that misbehave: one forks a daemon that outlives it, one closes
# its stdout and stderr, one ignores SIGTERM past its timeout, one prints
# 10 GB. Each is measured or failed as it should be, benchline's memory and
# logs stay small, and nothing is left running after the sweep.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R"
git init -q "$R"
# Durations no other process on this machine uses, to find leftovers by name.
daemon_s=300.$$1$RANDOM
stubborn_s=301.$$2$RANDOM
cat >"$R/benchline.yaml" <<YAML
version: 1
benchmarks:
  - name: daemon
    # double fork + setsid: the daemon leaves the process group and session
    command: [sh, -c, "setsid sh -c 'sleep $daemon_s' </dev/null >/dev/null 2>&1 & echo started"]
    warmup: 0
    repetitions: 2
  - name: closed
    command: [sh, -c, "exec >&- 2>&-; sleep 0.1; echo '{{\"name\": \"closed\", \"value\": 7}}' >> \"\$BENCHLINE_METRICS\""]
    warmup: 0
    repetitions: 2
  - name: stubborn
    command: [sh, -c, "trap '' TERM; sleep $stubborn_s"]
    timeout: 0.5
    warmup: 0
    repetitions: 2
  - name: flood
    command: [head, -c, "10000000000", /dev/zero]
    warmup: 0
    repetitions: 1
    timeout: 300
YAML
commit_at "$R" 1 "one"
DB=$R/.benchline/results.db

start=$(date +%s)
set +e
/usr/bin/time -f '%M' -o "$T/rss" "$BENCHLINE" -C "$R" run HEAD >"$T/out" 2>"$T/err"
status=$?
set -e
err=$(cat "$T/err")
elapsed=$(($(date +%s) - start))
expect_eq "$status" 1 "the timed-out benchmark makes the sweep exit 1"
q() { sql "$DB" "select group_concat(r.status) from runs r join benchmarks b using(benchmark_id) where b.name='$1' and r.kind='measured'"; }
expect_eq "$(q daemon)" "ok,ok" "the daemon's parent is measured when it exits"
expect_eq "$(q closed)" "ok,ok" "closed stdout and stderr are fine"
expect_eq "$(sql "$DB" "select count(*) from metrics m join runs r using(run_id) where m.name='closed'")" 2 "its metrics are kept"
expect_eq "$(q stubborn)" "timeout" "SIGTERM ignored: still stopped at its timeout"
expect_contains "$err" "timed out" "the timeout is reported"
expect_eq "$(q flood)" "ok" "10 GB of output is drained"
[ -z "$(pgrep -f "sleep $daemon_s" || true)" ] || fail "the daemon outlived the sweep"
pass "the daemon was stopped with its benchmark"
[ -z "$(pgrep -f "sleep $stubborn_s" || true)" ] || fail "the process ignoring SIGTERM is still running"
pass "the process ignoring SIGTERM was killed"
rss_kb=$(tail -n 1 "$T/rss")
[ "$rss_kb" -lt 200000 ] || fail "benchline grew to $rss_kb KiB while the benchmark printed 10 GB"
pass "benchline's peak memory stayed at $rss_kb KiB"
logs_kb=$(du -sk "$R/.benchline/cache/logs" | cut -f1)
[ "$logs_kb" -lt 20000 ] || fail "the logs take $logs_kb KiB"
pass "logs capped: $logs_kb KiB for 10 GB of output"
expect_eq "$(sql "$DB" "pragma integrity_check")" ok "integrity"
echo "# the sweep took $elapsed s"
