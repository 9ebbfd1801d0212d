#!/usr/bin/env python3
"""run_otava.py - Apache Otava's change-point detector on a corpus CSV.

    run_otava.py [--window 50] [--p 0.001] [--magnitude 0] [--check] INPUT.csv

Prints {series: [{"commit": k, "change": r, "p": p}, ...]} on stdout, the
detector contract of bench/detect/README.md. Otava takes one value per point,
so each series is reduced to its per-commit median; commits without data are
left out (as rows missing from Otava's CSV input would be), and its indices
are mapped back to commits. "change" is Otava's forward_rel_change (ratio of
segment means - 1), "p" its t-test p-value.

Defaults are those of Otava's CLI (`otava analyze`): window 50, p 0.001,
magnitude 0. It calls otava.analysis.compute_change_points, as
otava/series.py does, from the sources bench/detect/fetch-baselines.sh lays out
in $EVAL_BASELINES (default /tmp/eval-baselines). Needs numpy and scipy
(Debian: python3-numpy python3-scipy; use /usr/bin/python3).
Exit status 3 when Otava or its dependencies are missing.
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
    ap.add_argument("--window", type=int, default=50)
    ap.add_argument("--p", type=float, default=0.001)
    ap.add_argument("--magnitude", type=float, default=0.0)
    ap.add_argument("--check", action="store_true", help="exit 0 if Otava can be imported")
    ap.add_argument("input", nargs="?")
    a = ap.parse_args()

    ac.add_source_path("otava")
    try:
        from otava.analysis import compute_change_points
    except ImportError as e:
        sys.stderr.write(f"cannot import otava.analysis: {e}\n")
        sys.exit(3)
    if a.check:
        return 0
    if not a.input:
        ap.error("INPUT.csv is required")

    data = ac.read_csv(a.input)
    t0 = time.perf_counter()
    out = {}
    for name, series in data.items():
        commits, samples = ac.per_commit(series)
        # a list, not a numpy array: Otava mishandles arrays (anchors §1)
        values = ac.medians(samples)
        cps, _ = compute_change_points(values, window_len=a.window, max_pvalue=a.p,
                                       min_magnitude=a.magnitude)
        out[name] = [{"commit": commits[cp.index],
                      "change": float(cp.stats.forward_rel_change()),
                      "p": float(cp.stats.pvalue)} for cp in cps]
    sys.stderr.write(f"otava window={a.window} p={a.p:g} magnitude={a.magnitude:g} on per-commit "
                     f"medians: {len(out)} series, detect_s={time.perf_counter() - t0:.3f}\n")
    ac.dump(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
