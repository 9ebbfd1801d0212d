#!/usr/bin/env bash
# A bad benchline.yaml is refused with FILE:LINE:COLUMN and what was expected,
# before anything runs; nothing already stored is lost.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R"
git init -q "$R"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
benchmarks:
  - name: t
    command: ["true"]
    repetitions: 2
YAML
commit_at "$R" 1 "one"
run_bl -C "$R" run
expect_eq "$status" 0 "good config runs"
DB=$R/.benchline/results.db
before=$(sql "$DB" "select count(*) from runs")

check_bad() {
	local desc=$1 expect=$2
	cat >"$R/benchline.yaml"
	run_bl -C "$R" run --force
	expect_eq "$status" 2 "$desc: exit status 2"
	expect_contains "$err" "$expect" "$desc: message"
	expect_eq "$(sql "$DB" "select count(*) from runs")" "$before" "$desc: stored runs kept"
}

check_bad "unknown key" "benchline.yaml:4:5" <<'YAML'
version: 1
benchmarks:
  - name: t
    comand: ["true"]
YAML
check_bad "wrong type" "benchline.yaml:5:18" <<'YAML'
version: 1
benchmarks:
  - name: t
    command: ["true"]
    repetitions: five
YAML
check_bad "missing command" "'command'" <<'YAML'
version: 1
benchmarks:
  - name: t
YAML
check_bad "duplicate name" "duplicate" <<'YAML'
version: 1
benchmarks:
  - name: t
    command: ["true"]
  - name: t
    command: ["false"]
YAML
check_bad "bad parameter reference" "{size}" <<'YAML'
version: 1
benchmarks:
  - name: t
    command: [echo, "{size}"]
    params:
      n: [1]
YAML
check_bad "yaml syntax" "benchline.yaml:" <<'YAML'
version: 1
benchmarks: [
YAML
rm "$R/benchline.yaml"
run_bl -C "$R" run
expect_eq "$status" 2 "missing config"
expect_contains "$err" "benchline init" "missing config suggests init"
run_bl -C "$R" init
expect_eq "$status" 0 "init writes an example"
run_bl -C "$R" init
expect_eq "$status" 2 "init keeps an existing file"
run_bl -C "$R" run --dry-run
expect_eq "$status" 2 "the example's suite path must exist"
expect_contains "$err" "suite path 'bench' does not exist" "missing suite path named"
mkdir -p "$R/bench"
echo "input" >"$R/bench/startup config.ini"
run_bl -C "$R" run --dry-run
expect_eq "$status" 0 "the example config is valid"
