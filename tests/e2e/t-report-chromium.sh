#!/usr/bin/env bash
# benchline report in a real browser: headless Chromium (Debian's chromium, installed by scripts/bootstrap.sh)
# opens the generated site from the file system. Each page checks itself when its URL ends in #selftest
# (lib/report_assets/report.js) and writes the result as JSON into the page, which --dump-dom returns: no
# JavaScript error, the expected number of charts, a tooltip shown on a hovered commit with the hostile subject
# as plain text, filters that filter, only benchline's own scripts. Screenshots go to the test's output
# directory ($BENCHLINE_TEST_OUTPUT, default ./test-output) for a person to look at. --png is checked too.
. "$(dirname "$0")/lib.sh"

chromium=${BENCHLINE_CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [ -z "$chromium" ]; then
	echo "SKIP: headless Chromium not found (Debian: apt-get install chromium chromium-driver, or scripts/bootstrap.sh)"
	exit 77
fi
. "$(dirname "$0")/report-fixture.sh"
OUT=${BENCHLINE_TEST_OUTPUT:-$PWD/test-output}/t-report-chromium
mkdir -p "$OUT"
flags=(--headless --disable-gpu --no-first-run --no-default-browser-check --disable-extensions --hide-scrollbars
	--user-data-dir="$T/chromium-profile" --window-size=1280,900)
[ "$(id -u)" -ne 0 ] || flags+=(--no-sandbox)

S=$T/site
run_bl -C "$R" report -o "$S" --png
expect_eq "$status" 0 "report --png exits 0"
n_png=$(find "$S/png" -name '*.png' | wc -l)
expect_eq "$n_png" 8 "one PNG per series"
expect_eq "$(head -c 8 "$S/png/s0.png" | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a "PNG files are PNG"
cp "$S/png/s0.png" "$OUT/chart-s0.png"

# selftest PAGE -> JSON of the page's self-check (and the dumped DOM in $T/dom)
selftest() {
	timeout 120 "$chromium" "${flags[@]}" --virtual-time-budget=5000 --dump-dom "file://$S/$1#selftest" \
		>"$T/dom" 2>"$T/chromium.err" || fail "chromium failed on $1: $(tail -3 "$T/chromium.err")"
	python3 - "$T/dom" <<'PY' || fail "no self-test result in $1: $(head -c 300 "$T/dom")"
import html, json, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<pre id="bl-selftest">(.*?)</pre>', dom, re.S)
print(json.dumps(json.loads(html.unescape(m.group(1)))))
PY
}

# field JSON EXPR: a value from the self-check result
field() {
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, {"d": d}))' "$1" "$2"
}

res=$(selftest index.html)
expect_eq "$(field "$res" 'd["errors"]')" "[]" "index: no JavaScript error"
expect_eq "$(field "$res" 'd["charts"]')" 8 "index: a sparkline per series"
expect_eq "$(field "$res" 'd["rows"]')" 8 "index: a row per series"
expect_eq "$(field "$res" 'd["filteredOut"]')" True "index: the search box filters"
expect_eq "$(field "$res" 'd["visibleAgain"]')" 8 "index: and clearing it shows all again"
expect_eq "$(field "$res" 'd["eventRowsLaidOut"] == d["eventRows"] and d["eventRows"] <= 50')" True \
	"index: up to 50 changes, every one laid out at once"
expect_eq "$(field "$res" 'd["foreignScripts"]')" 0 "index: only benchline's scripts"
grep -q '<script>alert' "$T/dom" && fail "index: a hostile string became markup"
expect_contains "$(cat "$T/dom")" '&lt;script&gt;alert(3)&lt;/script&gt;"host"' "index: the machine name shows as text"
echo "index interactive after $(field "$res" 'd["readyMs"]') ms"

# the series of the hostile parameter
s=$(grep -l 'label=\\u003cscript\\u003ealert(1)' "$S"/series/*.html | head -1 || true)
[ -n "$s" ] || s=$S/series/s0.html
res=$(selftest "series/$(basename "$s")")
expect_eq "$(field "$res" 'd["errors"]')" "[]" "series: no JavaScript error"
expect_eq "$(field "$res" 'd["charts"]')" 1 "series: one chart"
expect_eq "$(field "$res" 'd["tooltip"]["visible"]')" True "series: hovering a commit shows a tooltip"
expect_eq "$(field "$res" 'd["tooltip"]["hasElements"]')" 0 "series: the tooltip holds text only"
expect_eq "$(field "$res" 'd["tooltip"]["subject"]')" "Last one: $HOSTILE 'single'" "series: the hostile subject reaches the page intact"
expect_contains "$(field "$res" 'd["tooltip"]["text"]')" "Last one: $HOSTILE 'single'" "series: and the tooltip shows it as text"
expect_contains "$(field "$res" 'd["tooltip"]["text"]')" "median" "series: the tooltip gives the median"
expect_eq "$(field "$res" 'd["foreignScripts"]')" 0 "series: only benchline's scripts"
grep -q '<script>alert' "$T/dom" && fail "series: a hostile string became markup"
pass "series: no hostile markup in the live DOM"

res=$(selftest compare.html)
expect_eq "$(field "$res" 'd["errors"]')" "[]" "compare: no JavaScript error"
expect_eq "$(field "$res" 'd["sortableTables"]')" 1 "compare: a sortable table"

run=$(find "$S/runs" -name 'r*.html' | head -1)
res=$(selftest "runs/$(basename "$run")")
expect_eq "$(field "$res" 'd["errors"]')" "[]" "run page: no JavaScript error"
[ "$(field "$res" 'd["charts"]')" -ge 1 ] || fail "run page: no device timeline chart"
pass "run page: device timeline charts"

# Screenshots for people.
for page in index.html "series/$(basename "$s")" compare.html "runs/$(basename "$run")"; do
	name=$(echo "$page" | tr / -)
	timeout 120 "$chromium" "${flags[@]}" --virtual-time-budget=3000 --screenshot="$OUT/${name%.html}.png" \
		"file://$S/$page" >/dev/null 2>&1 || fail "screenshot of $page"
	[ -s "$OUT/${name%.html}.png" ] || fail "no screenshot of $page"
done
pass "screenshots in $OUT"
