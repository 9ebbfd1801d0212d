#!/usr/bin/env bash
# benchline bisect on a range with two changes: a small slowdown (+15%) at commit 4 and a large one (+100%) at
# commit 7, of 9. Midpoints between them differ from GOOD and from BAD alike; they go with the end they are
# nearer, so the search ends at the large change, the one that makes BAD what it is, not at the small one (or at
# a machine that drifted a little since GOOD was measured). The demo (t-demo) bisects a single change.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R"
git init -q "$R"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
benchmarks:
  - name: nap
    command: [sh, -c, "sleep $(cat delay.txt)"]
    warmup: 0
    repetitions: 5
YAML
for i in 1 2 3 4 5 6 7 8 9; do
	if [ "$i" -ge 7 ]; then
		echo 0.2 >"$R/delay.txt"
	elif [ "$i" -ge 4 ]; then
		echo 0.115 >"$R/delay.txt"
	else
		echo 0.1 >"$R/delay.txt"
	fi
	commit_at "$R" "$i" "commit $i"
done

run_bl -C "$R" bisect HEAD~8 HEAD --benchmark nap
expect_eq "$status" 0 "bisect exits 0 (culprit found): $err"
expect_contains "$out" "culprit: $(git -C "$R" rev-parse HEAD~2)" "the culprit is the large change (commit 7): $err"
case "$out" in *"$(git -C "$R" rev-parse HEAD~5)"*) fail "the small change (commit 4) is named: $out" ;; esac
pass "the small change is not named"
run_bl -C "$R" bisect HEAD~8 HEAD~3 --benchmark nap
expect_eq "$status" 0 "bisect of the small change alone exits 0: $err"
expect_contains "$out" "culprit: $(git -C "$R" rev-parse HEAD~5)" "and finds it (commit 4)"
