#!/usr/bin/env bash
# Which database a command uses: --db, then BENCHLINE_DB, then 'db:' in
# benchline.yaml (a relative path is the repository's), then
# .benchline/results.db; a bad 'db:' names the file and line.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R/bench"
git init -q "$R"
write_bench_script "$R/bench/bench.sh"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
suite: [bench]
db: results/shared.db
benchmarks:
  - name: score
    command: [sh, bench/bench.sh, "1"]
    warmup: 0
    repetitions: 2
YAML
echo v1 >"$R/lib.txt"
commit_at "$R" 1 "first"

run_bl -C "$R" run HEAD
expect_eq "$status" 0 "run with 'db:' in benchline.yaml"
[ -f "$R/results/shared.db" ] || fail "the results go to 'db:' (relative to the repository)"
pass "the results go to 'db:' (relative to the repository)"
[ ! -e "$R/.benchline/results.db" ] || fail "not to the default database"
expect_eq "$(sql "$R/results/shared.db" "select count(*) from runs")" 2 "both runs stored there"
run_bl -C "$R/bench" show --format csv
expect_contains "$out" "score" "show reads 'db:' too (from a subdirectory)"

BENCHLINE_DB=$T/env.db run_bl -C "$R" run HEAD
expect_eq "$status" 0 "BENCHLINE_DB wins over 'db:'"
expect_eq "$(sql "$T/env.db" "select count(*) from runs")" 2 "the runs went to BENCHLINE_DB"
BENCHLINE_DB=$T/env.db run_bl -C "$R" run --db "$T/opt.db" HEAD
expect_eq "$(sql "$T/opt.db" "select count(*) from runs")" 2 "--db wins over both"
expect_eq "$(sql "$R/results/shared.db" "select count(*) from runs")" 2 "'db:' untouched meanwhile"

# Commands that only need the store read only 'db:': a mistake elsewhere in
# the file stops the commands that use that key, not show or export.
cp "$R/benchline.yaml" "$T/good.yaml"
sed -i 's|^    repetitions: 2|    repetitions: many|' "$R/benchline.yaml"
run_bl -C "$R" show --format csv
expect_eq "$status" 0 "show works with an error in an unrelated key"
expect_contains "$out" "score" "and reads the store named by 'db:'"
run_bl -C "$R" export --format csv -o "$T/exported"
expect_eq "$status" 0 "export too"
expect_contains "$out$err" "results/shared.db" "from the store named by 'db:'"
run_bl -C "$R" run HEAD
expect_eq "$status" 2 "run still refuses the bad key"
expect_contains "$err" "benchline.yaml:8" "naming the file and line of the bad key"
expect_contains "$err" "repetitions" "and the key"
expect_eq "$(sql "$R/results/shared.db" "select count(*) from runs")" 2 "nothing stored is lost"
printf 'version: 1\nbenchmarks: [unclosed\n' >"$R/benchline.yaml"
run_bl -C "$R" show
expect_eq "$status" 2 "a file that is not YAML still stops show (its 'db:' cannot be read)"
expect_contains "$err" "benchline.yaml:" "naming the file"
cp "$T/good.yaml" "$R/benchline.yaml"

sed -i 's|^db: .*|db: [a, b]|' "$R/benchline.yaml"
run_bl -C "$R" show
expect_eq "$status" 2 "a 'db:' that is not a string is a usage error"
expect_contains "$err" "benchline.yaml:3" "naming the file and line"
sed -i 's|^db: .*|db: ""|' "$R/benchline.yaml"
run_bl -C "$R" show
expect_eq "$status" 2 "an empty 'db:' is refused"
expect_contains "$err" "'db' must name a database" "saying what it must be"
pass
