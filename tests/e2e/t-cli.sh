#!/usr/bin/env bash
# Help, version and usage errors of the command line.
. "$(dirname "$0")/lib.sh"

run_bl --help
expect_eq "$status" 0 "--help exits 0"
help=$out
for cmd in demo init run show; do
	expect_contains "$help" "  $cmd" "--help lists $cmd"
done
# Every command in the list: its --help works, the README names it, and
# docs/CLI.md mentions every long option its --help lists.
cmds=$(awk '/^Commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 } f && /^$/ { exit }' <<<"$help")
[ "$(wc -w <<<"$cmds")" -ge 10 ] || fail "--help lists the commands: $cmds"
for cmd in $cmds; do
	run_bl "$cmd" --help
	expect_eq "$status" 0 "$cmd --help exits 0"
	expect_contains "$out" "usage: benchline $cmd" "$cmd --help shows its usage"
	grep -q "benchline $cmd" "$BENCHLINE_SRC/README.md" || fail "README documents $cmd"
	for opt in $(grep -oE -- '--[a-z][a-z-]+' <<<"$out" | sort -u); do
		grep -q -- "$opt" "$BENCHLINE_SRC/docs/CLI.md" || fail "docs/CLI.md documents $cmd $opt"
	done
	pass "README and docs/CLI.md document $cmd and its options"
done
run_bl --version
expect_contains "$out" "benchline " "--version"
run_bl frobnicate
expect_eq "$status" 2 "unknown command"
expect_contains "$err" "unknown command 'frobnicate'" "unknown command named"
run_bl run --no-such-option
expect_eq "$status" 2 "unknown option"
expect_contains "$err" "--no-such-option" "unknown option named"
cd "$T"
run_bl run
expect_eq "$status" 2 "run outside a repository"
expect_contains "$err" "git repository" "says a repository is needed"
run_bl show --db "$T/none.db"
expect_eq "$status" 2 "show without results"
expect_contains "$err" "none.db" "names the missing database"
echo "not a database" >"$T/junk.db"
run_bl show --db "$T/junk.db"
expect_eq "$status" 3 "show on a file that is not a database"
expect_contains "$err" "junk.db" "names the bad database file"
expect_eq "$(cat "$T/junk.db")" "not a database" "the file is left unchanged"
mkdir -p "$T/full"
echo precious >"$T/full/README.md"
run_bl demo "$T/full"
expect_eq "$status" 2 "demo refuses a non-empty directory"
expect_eq "$(cat "$T/full/README.md")" precious "the user's file is left alone"

# Someone else's results: a database we may read but not write.
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null && runuser -u nobody -- true 2>/dev/null; then
	R=$T/ro
	mkdir -p "$R"
	git init -q "$R"
	printf 'version: 1\nbenchmarks:\n  - name: t\n    command: ["true"]\n    repetitions: 1\n    warmup: 0\n' >"$R/benchline.yaml"
	commit_at "$R" 1 one
	run_bl -C "$R" run
	chmod -R a+rX "$T" && chmod a-w "$R/.benchline" "$R/.benchline/results.db"
	before=$(sha256sum "$R/.benchline/results.db")
	set +e
	ro_out=$(runuser -u nobody -- "$BENCHLINE" show --db "$R/.benchline/results.db" 2>&1)
	ro_status=$?
	set -e
	expect_eq "$ro_status" 0 "show reads a read-only database"
	expect_contains "$ro_out" "complete" "results of a read-only database shown"
	expect_eq "$(sha256sum "$R/.benchline/results.db")" "$before" "read-only database untouched"
	set +e
	ro_err=$(runuser -u nobody -- env GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0="*" "$BENCHLINE" -C "$R" run --db "$T/ro-none/results.db" 2>&1)
	set -e
	expect_contains "$ro_err" "ro-none" "an unwritable database location is named"
	chmod u+w "$R/.benchline"
fi
