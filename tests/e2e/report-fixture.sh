# report-fixture.sh - a repository whose names, subjects and metrics are hostile HTML, measured by a real
# `benchline run`, for t-report.sh and t-report-chromium.sh (sourced after lib.sh). Sets R (the repository),
# DB, and HOSTILE (the text that must show as text everywhere).
HOSTILE='<script>alert(1)</script> "quoted" </textarea>'
R=$T/repo
mkdir -p "$R"
git init -q "$R"
cat >"$R/bench.sh" <<'SH'
#!/bin/sh
# usage: bench.sh LEVEL: reports a metric with a hostile name, and sleeps a little
printf '{"name": "<b>score</b></script>", "value": %s, "unit": "pts", "better": "higher"}\n' "$1" >>"$BENCHLINE_METRICS"
test -f slow && sleep 0.03
exit 0
SH
chmod +x "$R/bench.sh"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
suite: [bench.sh]
build:
  command: "test ! -f broken"
  shell: true
report:
  commit_url: https://example.com/r/commit/{sha}
benchmarks:
  - name: hostile
    command: [./bench.sh, "{level}"]
    params:
      level: [1, 2]
      label: ["<script>alert(1)</script>", "it's \"quoted\" </textarea>"]
    warmup: 0
    repetitions: 3
YAML
commit_at "$R" 1 "First: <script>alert(1)</script> \"quoted\" </textarea>"
touch "$R/broken"
commit_at "$R" 2 "Break the build <!-- </script>"
rm "$R/broken"
commit_at "$R" 3 "Fix it & <img src=x onerror=alert(2)>"
touch "$R/slow"
commit_at "$R" 4 "Slower: $HOSTILE"
commit_at "$R" 5 "Last one: $HOSTILE 'single'"
DB=$R/.benchline/results.db
root=$(git -C "$R" rev-list --max-parents=0 HEAD)
"$BENCHLINE" -C "$R" run --quiet "$root" "$root..HEAD" >"$T/run.out" 2>&1 || true
# What other tools may have written into the database: a hostile machine name.
sqlite3 "$DB" "UPDATE machines SET hostname = '<script>alert(3)</script>\"host\"'"
