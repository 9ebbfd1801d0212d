#!/usr/bin/env bash
# Revisions that start with '-', contain shell metacharacters or do not
# exist are refused before any work starts, with a clear message.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R"
git init -q "$R"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
benchmarks:
  - name: t
    command: ["true"]
YAML
commit_at "$R" 1 "one"
cd "$T"

run_bl -C "$R" run -- --output=/tmp/x
expect_eq "$status" 2 "option-like revision refused"
expect_contains "$err" "'--output=/tmp/x'" "message names the revision"
run_bl -C "$R" run -- -rf
expect_eq "$status" 2 "'-rf' refused"
run_bl -C "$R" run '$(touch pwned)'
expect_eq "$status" 2 "command substitution is just an unknown revision"
[ ! -e "$T/pwned" ] && [ ! -e "$R/pwned" ] || fail "a revision was executed by a shell"
pass "no shell ran the revision"
run_bl -C "$R" run 'HEAD;touch pwned2'
expect_eq "$status" 2 "semicolon revision refused"
[ ! -e "$R/pwned2" ] || fail "semicolon executed"
run_bl -C "$R" run nosuchbranch
expect_eq "$status" 2 "unknown revision refused"
expect_contains "$err" "nosuchbranch" "message names the unknown revision"
run_bl -C "$R" run HEAD nosuchbranch
expect_eq "$status" 2 "one bad revision refuses the whole selection"
[ ! -e "$R/.benchline/results.db" ] || fail "no work may start when a revision is bad"
pass "nothing stored before revisions are valid"
printf 'HEAD\n-bad\n' >"$T/revs.txt"
run_bl -C "$R" run --from-file "$T/revs.txt"
expect_eq "$status" 2 "bad line in --from-file refused"
expect_contains "$err" "revs.txt:2" "message gives file and line"
run_bl -C "$R" run --every 0
expect_eq "$status" 2 "--every 0 refused"
run_bl -C "$R" run --cpu-list 'x'
expect_eq "$status" 2 "bad --cpu-list refused"
run_bl -C "$R" run --dry-run HEAD
expect_eq "$status" 0 "dry run of a good revision"
expect_contains "$out" "plan: 1 commit x 1 case" "plan printed"
[ ! -e "$R/.benchline/cache/worktrees" ] || fail "dry run checks nothing out"
pass "dry run creates no worktree"
