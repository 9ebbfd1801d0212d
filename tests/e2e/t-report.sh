#!/usr/bin/env bash
# benchline report: the HTML site, markdown and SVG charts of a repository whose subjects, parameters, metric
# and machine names are hostile HTML; everything from the database must arrive as text.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-fixture.sh"

expect_eq "$(sql "$DB" "select count(*) from benchmarks where status='build-failed'")" 4 "the broken commit is a gap"

S=$T/site
run_bl -C "$R" report -o "$S" --svg
expect_eq "$status" 0 "report exits 0"
expect_contains "$out" "report: 8 series" "summary names the series (4 cases x wall_time and the hostile metric)"
for f in index.html compare.html commits.js assets/report.js assets/report.css series/s0.html series/s7.html svg/s0.svg svg/s7.svg; do
	[ -s "$S/$f" ] || fail "$f missing"
done
pass "index, compare, series pages, commits.js, assets and SVG charts written"
runs=$(find "$S/runs" -name 'r*.html' | wc -l)
[ "$runs" -ge 1 ] || fail "no run page"
pass "run pages written ($runs)"

# Nothing hostile arrives as markup: no raw <script>alert, no </textarea>, no onerror attribute.
bad=$(grep -l -e '<script>alert' -e '</textarea>' -e '<img src=x' -e '<b>score' -e '<!-- </script>' -r "$S" || true)
expect_eq "$bad" "" "no file holds a hostile string as markup"
# ... but every one of them is there as text.
expect_contains "$(cat "$S/index.html")" '&lt;script&gt;alert(1)&lt;/script&gt;' "parameter shown escaped in the index"
expect_contains "$(cat "$S/index.html")" '&lt;b&gt;score&lt;/b&gt;&lt;/script&gt;' "metric name shown escaped"
expect_contains "$(cat "$S/index.html")" '&lt;script&gt;alert(3)&lt;/script&gt;&quot;host&quot;' "machine shown escaped"
expect_contains "$(cat "$S/index.html")" 'it&#39;s &quot;quoted&quot; &lt;/textarea&gt;' "quotes and </textarea> escaped"
expect_contains "$(cat "$S/commits.js")" 'Slower: \u003cscript\u003ealert(1)\u003c/script\u003e \"quoted\" \u003c/textarea\u003e' \
	"subjects escaped in the JSON data"
expect_contains "$(cat "$S/svg/s0.svg")" '&lt;script&gt;alert(1)&lt;/script&gt;' "SVG title escaped"
# Our scripts only: every <script is one of benchline's.
others=$(grep -oh '<script[^>]*>' "$S"/*.html "$S"/series/*.html "$S"/runs/*.html | sort -u | grep -v -e '^<script data-bl src="\(\.\./\)\?\(assets/report\|commits\)\.js">$' -e '^<script type="application/json" id="bl-data" data-bl>$' || true)
expect_eq "$others" "" "only benchline's own script elements"
expect_contains "$(cat "$S/index.html")" 'Content-Security-Policy' "pages forbid inline scripts and network"
expect_contains "$(cat "$S/series/s0.html")" '"url":"https://example.com/r/commit/{sha}"' "commit URL template from benchline.yaml"
# Offline: nothing is loaded from elsewhere.
remote=$(grep -oh -e 'src="http[^"]*"' -e 'href="http[^"]*\.css"' -e '@import' -e 'url(http' -r "$S" || true)
expect_eq "$remote" "" "no network resource"
# The data of a series page parses as JSON.
python3 - "$S/series/s0.html" <<'PY' || fail "series data is not JSON"
import json, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
blob = re.search(r'<script type="application/json" id="bl-data" data-bl>(.*?)</script>', page, re.S).group(1)
d = json.loads(blob)
assert d["layout"] and d["v"] and d["q"] > 0, d
PY
pass "series data is JSON with values"

# The build failure is a gap in every series: 'b' in the failure list.
expect_contains "$(grep -o '"fail":"[a-z]*"' "$S/series/s0.html")" '"fail":"b"' "build failure marked in the series data"

# A second report replaces the first; a foreign directory is refused.
run_bl -C "$R" report -o "$S"
expect_eq "$status" 0 "a second report into the same directory"
[ ! -e "$S/svg" ] || fail "the earlier SVGs were left behind"
pass "the earlier report is replaced"
# What a report does not write stays: a CNAME, the .git of a publishing branch.
echo example.org >"$S/CNAME" && mkdir -p "$S/.git" && echo ref >"$S/.git/HEAD"
run_bl -C "$R" report -o "$S"
expect_eq "$status" 0 "a report into a directory with a CNAME and a .git"
expect_eq "$(cat "$S/CNAME")/$(cat "$S/.git/HEAD")" "example.org/ref" "files no report writes are kept"
[ ! -e "$S/.benchline-new" ] || fail "the staging directory was left behind"
cp "$S/index.html" "$T/index.before"
series_before=$(cd "$S" && find series runs -type f | sort | md5sum)
# A report that fails after its pages are written (the PNG step, here a Chromium that exits 1) leaves the
# previous report whole and removes what it wrote.
BENCHLINE_CHROMIUM=/bin/false run_bl -C "$R" report -o "$S" --title "New title" --png
expect_eq "$status" 3 "a failing PNG step fails the report"
cmp -s "$S/index.html" "$T/index.before" || fail "a failed report changed the previous index"
expect_eq "$(cd "$S" && find series runs -type f | sort | md5sum)" "$series_before" "and its pages"
[ ! -e "$S/.benchline-new" ] && [ ! -e "$S/svg" ] || fail "the failed report left files behind"
pass "a failed report leaves the previous one as it was"
# Killed (SIGKILL) while writing: here stopped in the PNG step, its pages already written aside.
printf '#!/bin/sh\necho $$ >"%s"\nexec sleep 60\n' "$T/slow-chromium.pid" >"$T/slow-chromium"
chmod +x "$T/slow-chromium"
BENCHLINE_CHROMIUM="$T/slow-chromium" "$BENCHLINE" -C "$R" report -o "$S" --title "New title" --png >/dev/null 2>&1 &
killed=$!
for _ in $(seq 300); do [ -s "$T/slow-chromium.pid" ] && break; sleep 0.1; done
[ -s "$S/.benchline-new/index.html" ] || fail "the report was not stopped while writing"
kill -9 "$killed"
wait "$killed" 2>/dev/null || true
kill -9 "$(cat "$T/slow-chromium.pid")" 2>/dev/null || true
cmp -s "$S/index.html" "$T/index.before" || fail "a killed report changed the previous index"
expect_eq "$(cd "$S" && find series runs -type f | sort | md5sum)" "$series_before" "and its pages"
pass "a report killed while writing leaves the previous one as it was"
run_bl -C "$R" report -o "$S" --title "New title"
expect_eq "$status" 0 "the next report after a killed one"
[ ! -e "$S/.benchline-new" ] || fail "the killed report's files were not removed"
expect_contains "$(cat "$S/index.html")" "<title>New title</title>" "the next report replaces the previous one"
pass "the next report removes what the killed one left"
mkdir -p "$T/mine" && echo keep >"$T/mine/notes.txt"
run_bl -C "$R" report -o "$T/mine"
expect_eq "$status" 3 "a directory with other files is refused"
expect_contains "$err" "not empty" "and the message says why"
expect_eq "$(cat "$T/mine/notes.txt")" keep "its files are untouched"

# Markdown: regressions first, hostile text escaped, never over the limit.
run_bl -C "$R" report --format markdown
expect_eq "$status" 0 "markdown exits 0"
expect_contains "$out" "## benchline:" "markdown heading"
expect_contains "$out" "### All series" "compact table of every series"
case "$out" in *"<script>"*|*"</textarea>"*) fail "markdown holds raw markup" ;; esac
pass "markdown holds no raw markup"
[ "$(printf '%s' "$out" | wc -c)" -le 65000 ] || fail "markdown over 65000 bytes"
pass "markdown under the comment limit"
run_bl -C "$R" report --format markdown --max-size 1024 -o "$T/small.md"
expect_eq "$status" 0 "markdown into a file"
[ "$(wc -c <"$T/small.md")" -le 1024 ] || fail "--max-size 1024 not honoured ($(wc -c <"$T/small.md") bytes)"
pass "--max-size honoured"

# The terminal: one sparkline per series, the failed build as an x, no colour under NO_COLOR.
run_bl -C "$R" show --sparklines
expect_eq "$status" 0 "show --sparklines exits 0"
expect_eq "$(grep -c 'wall_time' <<<"$out")" 4 "one line per wall_time series"
expect_contains "$(grep wall_time <<<"$out" | head -1)" "x" "the failed build is an x in the sparkline"
case "$out" in *$'\033'*) fail "colour despite NO_COLOR" ;; esac
pass "no colour under NO_COLOR"

# Errors: a javascript: URL, a base off the history, --png without a browser.
run_bl -C "$R" report --commit-url 'javascript:alert(1)//{sha}' -o "$T/x"
expect_eq "$status" 2 "a javascript: commit URL is refused"
run_bl -C "$R" report --base "$(git -C "$R" rev-parse HEAD)~9" -o "$T/x"
expect_eq "$status" 2 "an unknown --base is a usage error"
BENCHLINE_CHROMIUM=/nonexistent/chromium run_bl -C "$R" report --png -o "$T/x"
expect_eq "$status" 3 "--png without Chromium fails"
expect_contains "$err" "needs headless Chromium" "and says what to install"
run_bl -C "$R" report --format pdf
expect_eq "$status" 2 "unknown format"
# A revision that does not resolve and a database that does not exist are said, with and without --last (which
# reads the history before the database instead of beside it).
for last in "" "--last 3"; do
	run_bl -C "$R" report $last no-such-rev -o "$T/x"
	expect_eq "$status" 2 "an unknown revision is a usage error ${last:-(whole history)}"
	expect_contains "$err" "cannot resolve revision 'no-such-rev'" "and names it ${last:-(whole history)}"
	run_bl -C "$R" report $last --db "$T/none.db" -o "$T/x"
	expect_eq "$status" 3 "a missing database fails ${last:-(whole history)}"
	expect_contains "$err" "database '$T/none.db' does not exist" "and names it ${last:-(whole history)}"
	[ ! -e "$T/none.db" ] || fail "the missing database is not created"
done
run_bl -C "$R" report --last 3 -o "$T/last3"
expect_eq "$status" 0 "--last 3 writes a report"
expect_contains "$out" "3 commits" "of the 3 newest commits"
