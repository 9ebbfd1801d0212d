#!/usr/bin/env bash
# The GitHub Actions example of docs/ci.md works: its "Benchmark base and
# head" and "Compare" steps, taken from the document as written, run on a
# repository whose pull request makes a benchmark slower; the job summary gets
# the markdown table, the step output says 1 (a regression), and a pull
# request without a regression gives 0.
. "$(dirname "$0")/lib.sh"

# step NAME: the shell of that step's `run: |` block in docs/ci.md.
step() {
	awk -v name="      - name: $1" '
		$0 == name { found = 1; next }
		found && /^        run: \|$/ { body = 1; next }
		body && /^          / { print substr($0, 11); next }
		body { exit }
		found && /^      - / { exit }
	' "$BENCHLINE_SRC/docs/ci.md"
}
bench_step=$(step "Benchmark base and head")
compare_step=$(step "Compare")
expect_contains "$bench_step" "benchline run" "the benchmark step is found in docs/ci.md"
expect_contains "$compare_step" "benchline compare --format markdown" "the compare step is found in docs/ci.md"

# benchline on PATH, as the install step leaves it.
mkdir -p "$T/bin"
ln -s "$BENCHLINE" "$T/bin/benchline"
export PATH="$T/bin:$PATH"

R=$T/repo
mkdir -p "$R"
git init -q "$R"
cat >"$R/work.sh" <<'SH'
#!/bin/sh
# Busy work whose size comes from size.txt.
n=$(cat size.txt); i=0; while [ $i -lt $n ]; do i=$((i + 1)); done
SH
cat >"$R/benchline.yaml" <<'YAML'
version: 1
benchmarks:
  - name: work
    command: [sh, work.sh]
    repetitions: 6
    warmup: 1
analysis:
  noise_floor: 50%   # a loaded test machine; the change made here is +900%
YAML
echo 20000 >"$R/size.txt"
commit_at "$R" 1 "base"
base=$(git -C "$R" rev-parse HEAD)
echo 200000 >"$R/size.txt"
commit_at "$R" 2 "pull request: ten times the work"
head=$(git -C "$R" rev-parse HEAD)

run_step() { # run_step SCRIPT BASE HEAD -> $status
	: >"$T/output"
	: >"$T/summary"
	set +e
	(cd "$R" && BASE=$2 HEAD=$3 GITHUB_OUTPUT=$T/output GITHUB_STEP_SUMMARY=$T/summary bash -e -c "$1") >"$T/step.out" 2>&1
	status=$?
	set -e
}
# --until-ci/--max-runs as in the document, but quicker.
run_step "${bench_step//--max-runs 30/--max-runs 8}" "$base" "$head"
expect_eq "$status" 0 "the benchmark step succeeds"
run_step "$compare_step" "$base" "$head"
expect_eq "$status" 0 "the compare step succeeds with a regression"
expect_eq "$(cat "$T/output")" "status=1" "the step output says 1: a regression"
expect_contains "$(cat "$T/summary")" "regressed" "the job summary holds the markdown table"
expect_contains "$(cat "$T/summary")" "|" "as a markdown table"

# No regression: a pull request that changes nothing measurable.
echo "# docs" >"$R/README"
commit_at "$R" 3 "docs only"
# A fresh database (as on a cache miss), so both commits are measured in the
# same interleaved step: results from an earlier step would meet a machine
# under different load.
rm -rf "$R/.benchline"
run_step "${bench_step//--max-runs 30/--max-runs 8}" "$head" "$(git -C "$R" rev-parse HEAD)"
expect_eq "$status" 0 "the benchmark step succeeds again"
run_step "$compare_step" "$head" "$(git -C "$R" rev-parse HEAD)"
expect_eq "$status:$(cat "$T/output")" "0:status=0" "no regression: status 0"

# A configuration error stops the compare step with its status.
run_step "$compare_step" "$base" "no-such-revision"
[ "$status" -ge 2 ] || fail "an unknown revision fails the step (status $status)"
pass "errors fail the compare step"
