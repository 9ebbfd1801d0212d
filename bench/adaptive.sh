#!/usr/bin/env bash
# bench/adaptive.sh - how many runs `run --until-ci` saves against the fixed
# repetition count that reaches the same interval width for every benchmark.
#
# usage: bench/adaptive.sh BENCHLINE [TARGET_PCT] [MAX_RUNS]
#
# A repository with one benchmark in three cases of different noise: 50 ms
# (quiet), 50 ms plus a random 0-3 ms (moderate), plus 0-15 ms (noisy). Timers,
# not CPU work, so that the noise is the one chosen, not the machine's; run it
# on a quiet machine. Two measurements on the same commit, in the same run of this
# script:
#   adaptive  `run --until-ci TARGET --max-runs MAX`: runs used per case;
#   fixed     MAX runs per case; for each case, the smallest n whose first n
#             runs give a 95% median interval within TARGET (the count a fixed
#             setting must use for that case); a fixed count must suit the
#             noisiest case, so the fixed total is max(n) x cases.
# Prints both totals and their ratio. Needs python3 (stdlib) and sqlite3.
set -euo pipefail
BL=$(realpath "${1:?usage: adaptive.sh BENCHLINE [TARGET_PCT] [MAX_RUNS]}")
TARGET=${2:-1}
MAX=${3:-100}
W=$(mktemp -d "${TMPDIR:-/tmp}/bl-adaptive.XXXXXX")
trap 'rm -rf "$W"' EXIT
R=$W/repo
mkdir -p "$R"
git -C "$R" init -q
cat >"$R/work.sh" <<'SH'
#!/bin/sh
# usage: work.sh JITTER_MS  - 50 ms, plus a uniformly random 0..JITTER_MS
if [ "$1" -gt 0 ]; then
	ms=$(( $(od -An -N2 -tu2 /dev/urandom) % $1 ))
	exec sleep "0.$(printf %03d $((50 + ms)))"
fi
exec sleep 0.05
SH
chmod +x "$R/work.sh"
cat >"$R/benchline.yaml" <<'YAML'
version: 1
sampling: {interval_ms: 0}
benchmarks:
  - name: work
    command: [./work.sh, "{jitter_ms}"]
    params: {jitter_ms: ["0", "3", "15"]}
    warmup: 1
    repetitions: 3
YAML
git -C "$R" add -A
git -C "$R" -c user.name=b -c user.email=b@b commit -qm bench

"$BL" -C "$R" run -q --db "$W/adaptive.db" --until-ci "$TARGET%" --max-runs "$MAX" HEAD
sed -i "s/repetitions: 3/repetitions: $MAX/" "$R/benchline.yaml"
"$BL" -C "$R" run -q --db "$W/fixed.db" HEAD

python3 - "$W/adaptive.db" "$W/fixed.db" "$TARGET" "$MAX" <<'PY'
import math, sqlite3, sys
adb, fdb, target, cap = sys.argv[1], sys.argv[2], float(sys.argv[3]) / 100, int(sys.argv[4])

def walls(db):
    q = """select b.params, r.idx, m.value from metrics m join runs r using(run_id)
           join benchmarks b using(benchmark_id)
           where m.name = 'wall_time' and r.kind = 'measured' and r.status = 'ok' order by b.params, r.idx"""
    out = {}
    for params, idx, v in sqlite3.connect(db).execute(q):
        out.setdefault(params, []).append(v)
    return out

def median_ci_width(xs):
    # Same rule as lib/stats.c: shortest order-statistic pair with binomial coverage >= 95%.
    n = len(xs)
    if n < 6:
        return None
    s = sorted(xs)
    pmf = [math.comb(n, k) / 2 ** n for k in range(n + 1)]
    best = None
    for j in range(n):
        for k in range(j + 1, n):
            cover = sum(pmf[j + 1:k + 1])  # P(j < B <= k): x(j+1) <= median < x(k+1) (1-based)
            if cover >= 0.95 and (best is None or k - j < best[1] - best[0]):
                best = (j, k)
    if best is None:
        return None
    med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return (s[best[1]] - s[best[0]]) / med

a, f = walls(adb), walls(fdb)
print("%-24s %9s %26s %12s %8s" % ("case", "adaptive", "fixed: runs to reach target", "median (ms)", "CV"))
need = {}
for params in sorted(f):
    xs = f[params]
    n_need = next((n for n in range(6, len(xs) + 1) if (median_ci_width(xs[:n]) or 1e9) <= target), None)
    need[params] = n_need
    med = sorted(xs)[len(xs) // 2]
    mean = sum(xs) / len(xs)
    cv = (sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5 / mean
    print("%-24s %9d %26s %12.2f %7.1f%%" % (params, len(a.get(params, [])), n_need if n_need else ">%d" % cap,
                                            med * 1000, cv * 100))
fixed_n = max((n or cap) for n in need.values())
fixed_total = fixed_n * len(need)
adaptive_total = sum(len(v) for v in a.values())
print("target: 95%% CI of the median within %g%% (max %d runs)" % (target * 100, cap))
print("fixed count that suits every case: %d runs x %d cases = %d runs" % (fixed_n, len(need), fixed_total))
print("adaptive (--until-ci): %d runs; ratio adaptive/fixed = %.2f (%.0f%% fewer runs)"
      % (adaptive_total, adaptive_total / fixed_total, 100 * (1 - adaptive_total / fixed_total)))
PY
