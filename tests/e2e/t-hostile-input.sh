#!/usr/bin/env bash
# Untrusted text from the repository, the config and the benchmarks: branch
# names with shell metacharacters, config values with them where no shell was
# asked for, metric names with SQL quotes, HTML, newlines and 10 MB of text,
# commit subjects with HTML and terminal escape sequences, and symlinks in the
# cache pointing outside it. Nothing is executed, nothing escapes the cache,
# every value is stored as it is or refused with a message, and no control
# character reaches the terminal.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R"
git init -q "$R"
# The benchmark reports the value in value.txt (with a little noise), the
# env and parameter values it was given, and hostile metric names.
cat >"$R/bench.py" <<'PY'
import json, os, random, sys
value = float(open("value.txt").read())
with open(os.environ["BENCHLINE_METRICS"], "a") as f:
    f.write(json.dumps({"name": "score", "value": value * (1 + random.gauss(0, 0.001))}) + "\n")
    f.write(json.dumps({"name": "it's \"quoted\"'); DROP TABLE runs;--", "value": 1}) + "\n")
    f.write(json.dumps({"name": "<script>alert(1)</script>", "value": 2}) + "\n")
    f.write(json.dumps({"name": "two\nlines", "value": 3}) + "\n")
    if sys.argv[1].startswith("a"):  # the big lines once per run of one case: they take time
        f.write(json.dumps({"name": "x" * 10_000_000, "value": 4}) + "\n")
        f.write(json.dumps({"name": "unit", "value": 5, "unit": "<b>" * 3_000_000}) + "\n")
open(os.environ["OUT"], "w").write(json.dumps({"argv": sys.argv[1:], "env": os.environ["HOSTILE"]}))
PY
cat >"$R/benchline.yaml" <<'YAML'
version: 1
build:
  command: "echo $(touch pwned-build) ; touch pwned-build2 | sh `touch pwned-build3`"
benchmarks:
  - name: hostile
    command: [python3, bench.py, "{p}", "$(touch pwned-arg)"]
    params:
      p: ["a;touch pwned-param", "$(touch pwned-param2)|x"]
    env:
      HOSTILE: "`touch pwned-env`; $HOME"
      OUT: "/dev/null"
    warmup: 0
    repetitions: 3
YAML
subject=$(printf '<img src=x onerror=alert(1)> \033[31mred\033[0m \033]0;title\007 \033[2J \302\233 evil')
echo 10 >"$R/value.txt"
commit_at "$R" 1 "good"
commit_at "$R" 2 "still good"
echo 20 >"$R/value.txt"
commit_at "$R" 3 "$subject"
commit_at "$R" 4 "after"
git -C "$R" branch 'evil;touch${IFS}pwned-ref|$(id)&`id`' HEAD
DB=$R/.benchline/results.db

no_pwned() {
	[ -z "$(find "$T" -name 'pwned*' -print -quit)" ] || fail "$1: a shell ran: $(find "$T" -name 'pwned*')"
	pass "$1: no shell ran"
}
# no_controls DESCRIPTION TEXT: the terminal never receives ESC, BEL or CSI.
no_controls() {
	if printf '%s' "$2" | LC_ALL=C grep -q "$(printf '[\033\007]')" || printf '%s' "$2" | grep -q "$(printf '\302\233')"; then
		fail "$1: control characters reach the terminal: $(printf '%s' "$2" | od -c | head -n 5)"
	fi
	pass "$1: no control character printed"
}

run_bl -C "$R" run 'evil;touch${IFS}pwned-ref|$(id)&`id`'
[ "$status" = 0 ] || fail "a branch name with shell metacharacters is a revision like any other: $(tail -n 3 "$T/err")"
pass "a branch name with shell metacharacters is a revision like any other"
no_pwned "branch name"
run_bl -C "$R" run HEAD~3 HEAD~3..HEAD
expect_eq "$status" 0 "sweep over all four commits"
no_pwned "build command, arguments, parameters and environment without shell: true"
no_controls "run" "$out$err"
# The values reached the benchmark as they were written.
sed -i 's|OUT: "/dev/null"|OUT: "'"$T"'/seen.json"|' "$R/benchline.yaml"
run_bl -C "$R" run --force HEAD
expect_eq "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["argv"][1], d["env"])' "$T/seen.json")" \
	'$(touch pwned-arg) `touch pwned-env`; $HOME' "arguments and environment passed literally"
sed -i 's|OUT: ".*"|OUT: "/dev/null"|' "$R/benchline.yaml" # back to the suite measured above

# Metric names: SQL and HTML stored as they are; a newline, 10 MB of name or 3 MB of unit refused.
names=$(sql "$DB" "select name from metric_names where name not like '%\_%' escape '\\' or name like 'it%' order by name")
expect_contains "$names" "it's \"quoted\"'); DROP TABLE runs;--" "SQL quotes stored verbatim"
expect_contains "$names" "<script>alert(1)</script>" "HTML stored verbatim"
expect_eq "$(sql "$DB" "select count(*) from metric_names where name like 'two%' or length(name) > 200 or length(unit) > 200")" 0 \
	"newline, 10 MB name and 3 MB unit refused"
diag=$(sql "$DB" "select diagnostics from runs r join benchmarks b using(benchmark_id) where r.kind='measured' and b.params like '%a;touch%' limit 1")
expect_contains "$diag" "line 4" "the newline's line is named"
expect_contains "$diag" "line 5" "the 10 MB name's line is named"
expect_contains "$diag" "line 6" "the 3 MB unit's line is named"
[ "${#diag}" -lt 4000 ] || fail "the diagnostics quote the 10 MB line: ${#diag} bytes"
pass "diagnostics stay short (${#diag} bytes)"
expect_eq "$(sql "$DB" "select count(*) from runs where status <> 'ok'")" 0 "every run stored as ok despite the refused lines"

# Terminal output of every reader: no escape sequence from the subject.
run_bl -C "$R" show
no_controls "show" "$out$err"
expect_contains "$out" "<img src=x onerror=alert(1)>" "show prints HTML as plain text"
run_bl -C "$R" show --metric all HEAD~1
no_controls "show --metric all" "$out$err"
run_bl -C "$R" show --metric all --format csv HEAD~1
expect_contains "$out" "it's \"\"quoted\"\"'); DROP TABLE runs;--" "show --format csv prints the SQL-quoted name, quoted for CSV"
run_bl -C "$R" compare HEAD~2 HEAD~1 --metric score
no_controls "compare" "$out$err"
expect_contains "$out" "?[31mred?[0m" "compare shows the subject with its escapes defused"
run_bl -C "$R" compare HEAD~2 HEAD~1 --metric score --format markdown
no_controls "compare --format markdown" "$out$err"
run_bl -C "$R" detect --metric score --min-segment 2 --alpha 0.05
no_controls "detect" "$out$err"
expect_contains "$out" "<img src=x" "detect names the commit"
run_bl -C "$R" bisect HEAD~3 HEAD --benchmark hostile --metric score --case 'hostile[p=a;touch pwned-param]'
no_controls "bisect" "$out$err"
expect_contains "$out" "?[31mred?[0m" "bisect names the culprit, escapes defused"
no_pwned "readers"
run_bl -C "$R" report
expect_eq "$status" 0 "report"
if grep -rq -- "<script>alert(1)</script>\|<img src=x" "$R/.benchline/report"; then
	fail "the HTML report contains the metric name or subject unescaped"
fi
pass "the HTML report escapes metric names and subjects"

# Symlinks in the cache pointing outside it: a worktree slot replaced by a
# link, and a link inside a slot; neither target may be deleted or written.
mkdir -p "$T/outside1" "$T/outside2"
echo keep >"$T/outside1/precious"
echo keep >"$T/outside2/precious"
slot=$(find "$R/.benchline/cache/worktrees" -mindepth 1 -maxdepth 1 -type d | head -n 1)
[ -n "$slot" ] || fail "a worktree slot exists"
ln -s "$T/outside2" "$slot/escape"
ln -s "$T/outside2/precious" "$slot/value.txt.link"
run_bl -C "$R" run --force HEAD~1
expect_eq "$status" 0 "a sweep over a slot holding symlinks"
expect_eq "$(cat "$T/outside2/precious")" keep "a symlinked directory in a slot is not followed"
for s in "$R"/.benchline/cache/worktrees/*/; do
	s=${s%/}
	rm -rf "$s"
	ln -s "$T/outside1" "$s"
done
run_bl -C "$R" run --force HEAD~2
[ "$status" = 0 ] || fail "a sweep where the slots are symlinks: $(tail -n 2 "$T/err")"
pass "a sweep where the slots are symlinks"
expect_eq "$(ls "$T/outside1")" precious "nothing written into or deleted from a slot's symlink target"
expect_eq "$(cat "$T/outside1/precious")" keep "the target's file is intact"
expect_eq "$(sql "$DB" "pragma integrity_check")" ok "integrity"
