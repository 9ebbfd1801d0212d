#!/usr/bin/env bash
# cmake --install puts the binary, one man page per subcommand (rendered by
# man without warnings, agreeing with --help), and bash and zsh completions
# that list every subcommand and its options, in the usual places.
. "$(dirname "$0")/lib.sh"
: "${BENCHLINE_BUILD_DIR:?set BENCHLINE_BUILD_DIR to the build tree}"
P=$T/prefix
cmake --install "$BENCHLINE_BUILD_DIR" --prefix "$P" >"$T/install.log" 2>&1 || fail "cmake --install: $(cat "$T/install.log")"
pass "cmake --install into a temporary prefix"

[ -x "$P/bin/benchline" ] || fail "bin/benchline installed"
expect_eq "$("$P/bin/benchline" --version)" "$("$BENCHLINE" --version)" "the installed binary runs"

commands=$("$BENCHLINE" --help | awk '/^Commands:/ {on = 1; next} on && /^$/ {exit} on {print $1}')
[ "$(printf '%s\n' "$commands" | wc -l)" -ge 10 ] || fail "at least 10 commands listed: $commands"
pass "commands read from benchline --help"

# The recorder clients.
cmp -s "$P/include/benchline.h" "$BENCHLINE_SRC/clients/c/benchline.h" || fail "include/benchline.h installed"
printf '#include <benchline.h>\nint main(void) { return bl_record("x", 1, NULL, BL_UNKNOWN); }\n' >"$T/rec.c"
${CC:-cc} -std=c11 -Werror -I"$P/include" -o "$T/rec" "$T/rec.c" -lm || fail "a program builds against the installed header"
expect_eq "$(BENCHLINE_METRICS=$T/m "$T/rec" && cat "$T/m")" '{"name":"x","value":1}' "the installed C recorder writes the protocol"
expect_eq "$(cd "$T" && BENCHLINE_METRICS=$T/m2 PYTHONPATH=$P/share/benchline/python python3 -B -c 'import benchline_recorder as b; b.record("y", 2)' && cat "$T/m2")" \
	'{"name": "y", "value": 2.0}' "the installed Python recorder imports from share/benchline/python"

M=$P/share/man/man1
[ -f "$M/benchline.1" ] || fail "share/man/man1/benchline.1 installed"
for cmd in $commands; do
	page=$M/benchline-$cmd.1
	[ -f "$page" ] || fail "man page for $cmd installed at $page"
	text=$(MANWIDTH=200 LC_ALL=C.UTF-8 man -l "$page" 2>"$T/man.err") || fail "man -l $page: $(cat "$T/man.err")"
	warn=$(LC_ALL=C.UTF-8 groff -ww -man -z -Tutf8 "$page" 2>&1)
	[ -z "$warn" ] || fail "groff warns on $page: $warn"
	long=$(grep '^\.SS' "$page" | awk 'length($0) > 50' || true)
	[ -z "$long" ] || fail "$cmd: prose taken for a section title: $long"
	summary=$("$BENCHLINE" --help | awk -v c="$cmd" '$1 == c {$1 = ""; sub(/^ +/, ""); print}')
	expect_contains "$text" "benchline-$cmd - $summary" "$cmd: NAME line is the command table's summary"
	# Every option of the help text is in the page.
	for opt in $("$BENCHLINE" "$cmd" --help | grep -oE '^  (-[a-zA-Z], )?--?[a-z][a-z0-9-]*' | grep -oE -- '--?[a-z][a-z0-9-]*$' || true); do
		case "$text" in *"$opt"*) ;; *) fail "$cmd: option $opt missing from the man page" ;; esac
	done
	pass "$cmd: every option of --help is in the man page"
done
expect_contains "$(MANWIDTH=200 man -l "$M/benchline-doctor.1")" "EXIT STATUS" "exit status is a section"
expect_contains "$(MANWIDTH=200 man -l "$M/benchline.1")" "benchline-run(1)" "benchline(1) refers to the command pages"

# bash: the installed completion offers every subcommand and each command's options.
B=$P/share/bash-completion/completions/benchline
[ -f "$B" ] || fail "bash completion installed at $B"
complete_words() { # complete_words WORD... : COMPREPLY for the last word
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _benchline; printf "%s\n" "${COMPREPLY[@]}"' _ "$B" "$@"
}
expect_eq "$(bash -c ". '$B'; complete -p benchline")" "complete -F _benchline benchline" "complete -p shows the function"
got=$(complete_words benchline "" | sort | tr '\n' ' ')
expect_eq "$got" "$(printf '%s\n' $commands | sort | tr '\n' ' ')" "bash offers every subcommand"
expect_eq "$(complete_words benchline do)" "doctor" "bash completes a prefix"
expect_eq "$(complete_words benchline -C /tmp r | sort | tr '\n' ' ')" "report run " "bash skips -C DIR"
for cmd in $commands; do
	want=$("$BENCHLINE" "$cmd" --help | grep -oE '^  (-[a-zA-Z], )?--?[a-z][a-z0-9-]*' | grep -oE -- '--?[a-z][a-z0-9-]*$' | sort | tr '\n' ' ' || true)
	got=$(complete_words benchline "$cmd" - | sort | tr '\n' ' ')
	for opt in $want; do
		case " $got " in *" $opt "*) ;; *) fail "bash: $cmd $opt not offered (got: $got)" ;; esac
	done
done
pass "bash offers every option of every command"
expect_eq "$(complete_words benchline run --max-c)" "--max-count" "bash completes an option prefix"
mkdir -p "$T/cfgdir/sub" && touch "$T/cfgdir/bench.yaml"
expect_eq "$(complete_words benchline run --config "$T/cfgdir/be")" "$T/cfgdir/bench.yaml" "a FILE argument completes file names"
expect_eq "$(complete_words benchline run --cache-dir "$T/cfgdir/")" "$T/cfgdir/sub" "a DIR argument completes directories"
expect_eq "$(complete_words benchline run --max-count "")" "" "a number argument offers nothing"

# zsh: the function file is installed where fpath looks, lists every command and option.
Z=$P/share/zsh/site-functions/_benchline
[ -f "$Z" ] || fail "zsh completion installed at $Z"
expect_eq "$(head -1 "$Z")" "#compdef benchline" "zsh file starts with #compdef"
for cmd in $commands; do
	grep -q "^_benchline_$cmd() {" "$Z" || fail "zsh: no function for $cmd"
	grep -q "'$cmd:" "$Z" || fail "zsh: $cmd not in the command list"
done
grep -q "'\*--metric\[" "$Z" || fail "zsh: repeatable options marked with *"
pass "zsh lists every command"
command -v zsh >/dev/null || fail "zsh is needed (scripts/bootstrap.sh installs it)"
zsh -n "$Z" || fail "zsh -n $Z"
pass "zsh parses the completion"
# zsh_complete TEXT: what an interactive zsh shows after typing TEXT and Tab
# (a pseudo-terminal through zsh/zpty, compinit with the installed fpath).
cat >"$T/complete.zsh" <<'ZSH'
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D; PROMPT='> '; unsetopt beep; LISTMAX=1000"
zpty -w z "print READY"
zpty -r z line '*READY*'
zpty -w -n z "benchline $2"$'\t'
# Read until the output has been quiet for half a second (at most ~10 s).
out=""
for i in {1..20}; do
	sleep 0.5
	got=0
	while zpty -r -t z chunk; do out+=$chunk; got=1; done
	(( got == 0 )) && [[ $out == *benchline* ]] && break
done
print -r -- "$out"
zpty -d z
ZSH
zsh_complete() {
	timeout 30 env HOME="$T/zhome" zsh -f "$T/complete.zsh" "$P/share/zsh/site-functions" "$1" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g'
}
mkdir -p "$T/zhome"
expect_contains "$(zsh_complete "do")" "benchline doctor" "zsh completes a command"
z=$(zsh_complete "doctor --")
for opt in --max-load --no-gpu --quiet --sysroot; do
	expect_contains "$z" "$opt" "zsh offers doctor $opt"
done
expect_contains "$z" "skip the GPU checks" "zsh shows option descriptions"
expect_contains "$(zsh_complete "run --max-c")" "benchline run --max-count" "zsh completes an option prefix"
