#!/bin/sh
# gen-cli-docs.sh BINARY OUTDIR VERSION - man pages and shell completions from --help.
#
# The help texts in src/ are the one source: `benchline --help` gives the
# command list, `benchline CMD --help` each command's page and options. So the
# man pages and completions cannot disagree with the help; a new command or
# option appears in them at the next build. The help texts keep one layout
# that this relies on (tests/e2e/t-install.sh checks the result):
#   usage: benchline CMD ...          first line(s): the synopsis
#   Section title:                    unindented, ending in ':', after a blank
#                                     line, before a term or a blank line
#   "  TERM   description"            a term (options start with '-'; a last
#   "         more description"       word without '-' is their argument),
#                                     2+ spaces before its description
#   other unindented lines            prose; a blank line ends a paragraph
#
# Writes OUTDIR/man/man1/benchline.1 and benchline-CMD.1, OUTDIR/completions/
# benchline (bash) and _benchline (zsh), then OUTDIR/stamp.
set -eu
bin=$1
out=$2
version=$3
rm -rf "$out/man" "$out/completions"
mkdir -p "$out/man/man1" "$out/completions"

# Commands and their summaries: "  name   summary" under "Commands:".
"$bin" --help >"$out/main.txt"
awk '/^Commands:/ {on = 1; next} on && /^$/ {exit} on {print}' "$out/main.txt" |
	sed 's/^  *//' >"$out/commands.txt"
[ -s "$out/commands.txt" ] || { echo "gen-cli-docs: no commands in '$bin --help'" >&2; exit 1; }

# help text -> roff. -v name=benchline-run -v summary=... -v version=...
to_man='
function esc(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	if (s ~ /^[.\047]/)
		s = "\\&" s
	return s
}
function term(t,    n, w, i, r, word, tail) {
	n = split(t, w, " ")
	r = ""
	for (i = 1; i <= n; i++) {
		word = w[i]; tail = ""
		if (word ~ /,$/) { tail = ","; sub(/,$/, "", word) }
		r = r (i > 1 ? " " : "") (word ~ /^-/ ? "\\fB" esc(word) "\\fR" : "\\fI" esc(word) "\\fR") tail
	}
	return r
}
NR == FNR { prev[FNR] = $0; if (FNR > 1) nextl[FNR - 1] = $0; next }
BEGIN {
	up = toupper(name)
	printf ".TH %s 1 \"\" \"benchline %s\" \"benchline manual\"\n", esc(up), version
	printf ".SH NAME\n%s \\- %s\n", esc(name), esc(summary)
	state = "synopsis"
}
state == "synopsis" && /^usage: / { print ".SH SYNOPSIS"; print ".nf"; sub(/^usage: /, ""); print esc($0); next }
state == "synopsis" && /^       / { sub(/^ +/, ""); print esc($0); next }
state == "synopsis" { print ".fi"; print ".SH DESCRIPTION"; state = "text" }
/^$/ { if (!para) print ".PP"; para = 1; in_term = 0; next }
{ para = 0 }
/^Exit status/ { print ".SH \"EXIT STATUS\""; print esc($0); in_term = 0; next }
/^[^ ].*:$/ && (FNR == 1 || prev[FNR - 1] == "") && (nextl[FNR] == "" || nextl[FNR] ~ /^  [^ ]/) {
	t = $0; sub(/:$/, "", t); print ".SS \"" esc(t) "\""; in_term = 0; next
}
/^  [^ ]/ {
	line = substr($0, 3)
	gap = index(line, "  ")
	if (gap > 0) {
		t = substr(line, 1, gap - 1); d = substr(line, gap); sub(/^ +/, "", d)
		print ".TP"; print term(t); print esc(d); in_term = 1; next
	}
}
/^      +[^ ]/ && in_term { d = $0; sub(/^ +/, "", d); print esc(d); next }
/^ / { d = $0; sub(/^ +/, "", d); print ".br"; print esc(d); next }
{ in_term = 0; print esc($0) }
END { if (state == "synopsis") print ".fi" }
'

# help text -> "OPTION<TAB>ARG<TAB>FLAGS<TAB>DESCRIPTION" per option (FLAGS: r = repeatable).
to_opts='
/^  -/ {
	line = substr($0, 3)
	gap = index(line, "  ")
	if (gap == 0) next
	t = substr(line, 1, gap - 1); d = substr(line, gap); sub(/^ +/, "", d)
	n = split(t, w, " ")
	arg = (w[n] !~ /^-/) ? w[n] : ""
	flags = (d ~ /repeatable/) ? "r" : "-"
	for (i = 1; i <= n; i++) {
		o = w[i]; sub(/,$/, "", o)
		if (o ~ /^-/) printf "%s\t%s\t%s\t%s\n", o, arg, flags, d
	}
}
'

see_also=""
while read -r cmd summary; do
	"$bin" "$cmd" --help >"$out/$cmd.help"
	awk -v name="benchline-$cmd" -v summary="$summary" -v version="$version" "$to_man" "$out/$cmd.help" "$out/$cmd.help" \
		>"$out/man/man1/benchline-$cmd.1"
	printf '.SH "SEE ALSO"\n\\fBbenchline\\fR(1)\n' >>"$out/man/man1/benchline-$cmd.1"
	awk "$to_opts" "$out/$cmd.help" >"$out/$cmd.opts"
	see_also="$see_also${see_also:+,
}\\fBbenchline\\-$cmd\\fR(1)"
done <"$out/commands.txt"

awk -v name=benchline -v summary="benchmark a code base across git commits" -v version="$version" "$to_man" \
	"$out/main.txt" "$out/main.txt" >"$out/man/man1/benchline.1"
printf '.SH "SEE ALSO"\n%s\n' "$see_also" >>"$out/man/man1/benchline.1"
awk "$to_opts" "$out/main.txt" >"$out/main.opts"

# ---- bash ----
{
	cat <<'EOF'
# bash completion for benchline -*- shell-script -*-
# Generated from `benchline --help` and `benchline CMD --help` by cmake/gen-cli-docs.sh.

_benchline_value() {
	# $1: the argument name from the help text (FILE, DIR, PATH, N, ...)
	case $1 in
	DIR) COMPREPLY=($(compgen -d -- "$cur")) ;;
	FILE* | PATH | *.json | *.csv) COMPREPLY=($(compgen -f -- "$cur")) ;;
	*) COMPREPLY=() ;;
	esac
}

_benchline() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local i cmd="" opts="" arg=""
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-C) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	case $cmd in
EOF
	printf '\t"")\n\t\topts="%s"\n' "$(cut -f1 "$out/main.opts" | tr '\n' ' ' | sed 's/ $//')"
	printf '\t\tcase $prev in\n'
	awk -F '\t' '$2 != "" { printf "\t\t%s) arg=%s ;;\n", $1, $2 }' "$out/main.opts"
	printf '\t\tesac ;;\n'
	while read -r cmd summary; do
		printf '\t%s)\n\t\topts="%s"\n' "$cmd" "$(cut -f1 "$out/$cmd.opts" | tr '\n' ' ' | sed 's/ $//')"
		if awk -F '\t' '$2 != "" {found = 1} END {exit !found}' "$out/$cmd.opts"; then
			printf '\t\tcase $prev in\n'
			awk -F '\t' '$2 != "" { printf "\t\t%s) arg=%s ;;\n", $1, $2 }' "$out/$cmd.opts"
			printf '\t\tesac ;;\n'
		else
			printf '\t\t;;\n'
		fi
	done <"$out/commands.txt"
	printf '\tesac\n'
	cat <<EOF
	if [ -n "\$arg" ]; then
		_benchline_value "\$arg"
		return
	fi
	if [ -z "\$cmd" ] && [[ \$cur != -* ]]; then
		COMPREPLY=(\$(compgen -W "$(cut -f1 -d' ' "$out/commands.txt" | tr '\n' ' ' | sed 's/ $//')" -- "\$cur"))
	elif [[ \$cur == -* ]]; then
		COMPREPLY=(\$(compgen -W "\$opts" -- "\$cur"))
	else
		COMPREPLY=(\$(compgen -f -- "\$cur"))
	fi
}
complete -F _benchline benchline
EOF
} >"$out/completions/benchline"

# ---- zsh ----
# One _arguments spec per option: '*--metric[desc]:NAME: ' (the '*' when repeatable).
zspec='
function clean(s) { gsub(/[\047\\]/, "", s); gsub(/\[/, "(", s); gsub(/\]/, ")", s); gsub(/:/, " -", s); return s }
{
	spec = ($3 == "r" ? "*" : "") $1 "[" clean($4) "]"
	if ($2 == "DIR") spec = spec ":" $2 ":_files -/"
	else if ($2 ~ /^(FILE|PATH)/ || $2 ~ /\.(json|csv)$/) spec = spec ":" clean($2) ":_files"
	else if ($2 != "") spec = spec ":" clean($2) ": "
	printf "\t\t\047%s\047 \\\n", spec
}
'
{
	printf '#compdef benchline\n'
	printf '# Generated from `benchline --help` and `benchline CMD --help` by cmake/gen-cli-docs.sh.\n\n'
	while read -r cmd summary; do
		printf '_benchline_%s() {\n\t_arguments -s \\\n' "$cmd"
		awk -F '\t' "$zspec" "$out/$cmd.opts"
		printf "\t\t'*: :_default'\n}\n\n"
	done <"$out/commands.txt"
	printf '_benchline() {\n\tlocal curcontext=$curcontext state line\n\ttypeset -A opt_args\n'
	printf '\t_arguments -C \\\n'
	awk -F '\t' "$zspec" "$out/main.opts"
	printf "\t\t'1:command:->command' \\\\\n\t\t'*::argument:->argument'\n"
	printf '\tcase $state in\n\tcommand)\n\t\tlocal -a cmds\n\t\tcmds=(\n'
	while read -r cmd summary; do
		printf "\t\t\t'%s:%s'\n" "$cmd" "$(printf '%s' "$summary" | tr -d "'")"
	done <"$out/commands.txt"
	printf "\t\t)\n\t\t_describe -t commands 'benchline command' cmds ;;\n"
	printf '\targument)\n\t\tcase $words[1] in\n'
	while read -r cmd summary; do
		printf '\t\t%s) _benchline_%s ;;\n' "$cmd" "$cmd"
	done <"$out/commands.txt"
	printf '\t\tesac ;;\n\tesac\n}\n\n_benchline "$@"\n'
} >"$out/completions/_benchline"

rm -f "$out"/*.help "$out"/*.opts "$out/main.txt" "$out/commands.txt"
touch "$out/stamp"
