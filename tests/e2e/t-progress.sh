#!/usr/bin/env bash
# Progress: on a terminal one updating line with the commit, case, run and
# ETA; in logs plain lines with a summary per case; NO_COLOR respected;
# escape sequences from commit subjects never reach the terminal.
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null || fail "needs script(1) from bsdutils to make a terminal"

R=$T/repo
mkdir -p "$R"
git init -q "$R"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
benchmarks:
  - name: nap
    command: [sleep, "0.05"]
    warmup: 1
    repetitions: 3
YAML
commit_at "$R" 1 "plain"
git -C "$R" commit -q --allow-empty -m "$(printf 'evil \033]0;title\007 \033[2J subject')"

# A terminal: script(1) gives benchline a pty.
unset NO_COLOR
TERM=xterm script -qec "$BENCHLINE -C $R run HEAD~1 HEAD" "$T/tty.log" >/dev/null
tty=$(cat "$T/tty.log")
expect_contains "$tty" "ETA" "terminal progress shows an ETA"
expect_contains "$tty" "nap run 3/3" "terminal progress shows the repetition"
expect_contains "$tty" "warm-up 1/1" "terminal progress shows warm-ups"
expect_contains "$tty" "[2/2 " "terminal progress shows the commit"
case "$tty" in
*$'\033]0;'* | *$'\033[2J'*) fail "escape sequences of a commit subject reached the terminal" ;;
esac
pass "commit subject escapes stripped"

# Not a terminal: plain lines, one summary per case, no escape sequences.
run_bl -C "$R" run --force HEAD
expect_contains "$err" "nap at $(git -C "$R" rev-parse --short=7 HEAD): 3 runs, median" "a summary line per case in logs"
case "$err" in
*$'\033'*) fail "escape sequences in non-terminal output" ;;
esac
pass "no escape sequences in logs"
run_bl -C "$R" show
expect_contains "$out" "evil ?]0;title? ?[2J subject" "show prints subjects with control characters replaced"
