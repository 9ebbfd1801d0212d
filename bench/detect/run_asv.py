#!/usr/bin/env python3
"""run_asv.py - asv's step detection (airspeed velocity) on a corpus CSV.

    run_asv.py [--pure] [--regressions [--threshold 0.05]] [--check] INPUT.csv

Prints {series: [{"commit": k, "change": r}, ...]} on stdout, the detector
contract of bench/detect/README.md.

As `asv publish` does for one benchmark: the repetitions of each commit go
through asv_runner.statistics.compute_stats (value = median, 99% CI of the
median, widened by a Laplace posterior when there are too few samples), the
weight of the commit is asv._stats.get_weight (2 / CI width; none for a single
sample, which detect_steps replaces by the median weight), and
asv.step_detect.detect_steps fits the weighted L1 Potts model with its
automatic penalty. Commits without data are left out, as asv's graphs leave out
revisions without results. Every boundary between two fitted segments is a
change point, at the first commit of the new segment, with change =
value after / value before - 1 (segment medians).

--regressions reports instead what asv flags as regressions:
detect_regressions(steps, threshold) - upward steps only, 5% by default as in
`asv publish`. --pure hides the optional C++ extension _rangemedian.

Sources come from $EVAL_BASELINES (default /tmp/eval-baselines), laid out by
bench/detect/fetch-baselines.sh. Exit status 3 when they are missing.
"""

import argparse
import os
import sys
import time

sys.dont_write_bytecode = True  # keep bench/detect free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adapter_common as ac  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pure", action="store_true", help="do not use the _rangemedian C++ extension")
    ap.add_argument("--regressions", action="store_true", help="report detect_regressions, not steps")
    ap.add_argument("--threshold", type=float, default=0.05, help="detect_regressions threshold")
    ap.add_argument("--check", action="store_true", help="exit 0 if asv can be imported")
    ap.add_argument("input", nargs="?")
    a = ap.parse_args()

    ac.add_source_path("asv")
    ac.add_source_path("asv_runner")
    try:
        from asv import step_detect, _stats
        from asv_runner.statistics import compute_stats
    except ImportError as e:
        sys.stderr.write(f"cannot import asv.step_detect / asv_runner.statistics: {e}\n")
        sys.exit(3)
    if a.pure:
        step_detect._rangemedian = None
    if a.check:
        return 0
    if not a.input:
        ap.error("INPUT.csv is required")

    data = ac.read_csv(a.input)
    t0 = time.perf_counter()
    out = {}
    for name, series in data.items():
        commits, samples = ac.per_commit(series)
        y, w = [], []
        for s in samples:
            value, stats = compute_stats(s, 1)
            y.append(value)
            w.append(_stats.get_weight(stats))
        steps = step_detect.detect_steps(y, w)
        cps = []
        if a.regressions:
            _, _, regs = step_detect.detect_regressions(steps, threshold=a.threshold)
            by_left = {l: v for l, _, v, _, _ in steps}
            for _before, after, v_before, _best in regs or []:
                cps.append({"commit": commits[after],
                            "change": by_left[after] / v_before - 1 if v_before else 0.0})
        else:
            for prev, cur in zip(steps, steps[1:]):
                cps.append({"commit": commits[cur[0]],
                            "change": cur[2] / prev[2] - 1 if prev[2] else 0.0})
        out[name] = cps
    ext = "pure Python" if step_detect._rangemedian is None else "with _rangemedian"
    what = f"detect_regressions(threshold={a.threshold:g})" if a.regressions else "detect_steps"
    sys.stderr.write(f"asv {what} ({ext}) on per-commit medians, weights as asv publish: "
                     f"{len(out)} series, detect_s={time.perf_counter() - t0:.3f}\n")
    ac.dump(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
